/** CloudWatch (AWS JSON 1.0, query-compatible): durable metrics, GetMetricData statistics and metric alarms evaluated on the local clock. */
import type { LocalClock } from '../../clock';
import { AwsError } from '../../edge/aws-error';
import type { JsonService } from '../../edge/edge-server';
import type { DurableStore } from '../../store/durable-store';
import type { LocalEnvironment } from '../local-environment';
import { type OperationTable, operationHandler, operationsOf } from '../operation-table';
import type { EmfDatapoint } from './embedded-metric-format';
import { isSupportedStatistic, type PeriodAggregate, statisticValue } from './metric-statistics';

/** A metric dimension as the API carries it. */
export interface Dimension {
  Name: string;
  Value: string;
}

/** An alarm's state. */
export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

/** A metric alarm as PutMetricAlarm (or a template) declares it, with its current state. */
export interface MetricAlarm {
  AlarmName: string;
  AlarmArn: string;
  AlarmDescription?: string;
  ActionsEnabled: boolean;
  AlarmActions: string[];
  OKActions: string[];
  InsufficientDataActions: string[];
  MetricName?: string;
  Namespace?: string;
  Dimensions: Dimension[];
  Statistic?: string;
  ExtendedStatistic?: string;
  Period?: number;
  EvaluationPeriods: number;
  DatapointsToAlarm?: number;
  Threshold?: number;
  ComparisonOperator: string;
  TreatMissingData: string;
  /** Metric-math alarms are kept and listed but not evaluated locally. */
  Metrics?: unknown[];
  StateValue: AlarmState;
  StateReason: string;
  StateUpdatedTimestampMs: number;
  AlarmConfigurationUpdatedTimestampMs: number;
}

interface DatapointRow {
  timestamp_ms: number;
  sum: number;
  min: number;
  max: number;
  sample_count: number;
  raw_values: string;
}

const alarmType = 'cloudwatch-alarm';
const historyType = 'cloudwatch-alarm-history';
/** How many history items an alarm keeps locally (AWS keeps 30 days; a fast local clock would keep too many). */
const historyLimit = 100;

/** One alarm history item, as DescribeAlarmHistory answers it. */
export interface AlarmHistoryItem {
  AlarmName: string;
  AlarmType: 'MetricAlarm';
  TimestampMs: number;
  HistoryItemType: 'StateUpdate' | 'Action';
  HistorySummary: string;
  HistoryData: string;
}
const dashboardType = 'cloudwatch-dashboard';
const evaluationIntervalMs = 60_000;
const minimumRealIntervalMs = 250;

function validation(message: string): AwsError {
  return new AwsError('InvalidParameterValue', message, 400, 'InvalidParameterValue');
}

/** A canonical key of a dimension set, so that the same metric matches whatever order its dimensions came in. */
function dimensionsKey(dimensions: readonly Dimension[] | undefined): string {
  return JSON.stringify(
    [...(dimensions ?? [])]
      .map((dimension) => [String(dimension.Name), String(dimension.Value)])
      .sort(([left = ''], [right = '']) => left.localeCompare(right)),
  );
}

function dimensionsOf(key: string): Dimension[] {
  return (JSON.parse(key) as [string, string][]).map(([Name, Value]) => ({ Name, Value }));
}

/** JSON-protocol timestamps arrive as epoch seconds (the SDK's default), or as ISO strings from hand-written calls. */
function epochMs(value: unknown, fallbackMs: number): number {
  if (value === undefined || value === null) return fallbackMs;
  if (typeof value === 'number') return value * 1000;
  const parsed = Date.parse(String(value));
  if (Number.isNaN(parsed)) throw validation(`Invalid timestamp ${String(value)}`);
  return parsed;
}

const comparisons: Record<string, (value: number, threshold: number) => boolean> = {
  GreaterThanOrEqualToThreshold: (value, threshold) => value >= threshold,
  GreaterThanThreshold: (value, threshold) => value > threshold,
  LessThanThreshold: (value, threshold) => value < threshold,
  LessThanOrEqualToThreshold: (value, threshold) => value <= threshold,
};

const regionNames: Record<string, string> = {
  'us-east-1': 'US East (N. Virginia)',
  'us-west-2': 'US West (Oregon)',
  'eu-west-1': 'EU (Ireland)',
  'eu-central-1': 'EU (Frankfurt)',
};

/** CloudWatch's `StateChangeTime` style: 2026-11-29T20:30:00.000+0000. */
function notificationTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

/** SNS refuses a Subject over 100 characters (InvalidParameter), and a CloudFormation-named alarm is often longer. */
const maxSubjectLength = 100;

/**
 * The Subject CloudWatch gives an alarm notification, `ALARM: "<name>" in <region>`, with the alarm's name
 * shortened (ending in `...`) when the whole would exceed SNS's limit: the full name is in the message's AlarmName.
 */
export function alarmNotificationSubject(state: AlarmState, alarmName: string, region: string): string {
  const prefix = `${state}: "`;
  const suffix = `" in ${region}`;
  const room = maxSubjectLength - prefix.length - suffix.length;
  const name = alarmName.length <= room ? alarmName : `${alarmName.slice(0, Math.max(0, room - 3))}...`;
  return `${prefix}${name}${suffix}`;
}

/** The CloudWatch metrics and alarms service. */
export class CloudWatchService implements JsonService {
  readonly targetPrefix = 'GraniteServiceVersion20100801';
  /**
   * Publishes an alarm notification to an SNS topic (wired to the SNS service) as the alarm; throws when the topic
   * refuses it (its policy does not let CloudWatch publish), which the alarm's history records as a failed action.
   */
  publishToTopic: (topicArn: string, subject: string, message: string, alarmArn: string) => void = () => {};
  /** Called before each evaluation, so that services publish the metrics AWS would (queue depths). */
  collectServiceMetrics: () => void = () => {};
  private timer: ReturnType<LocalClock['setTimeout']> | undefined;
  private closed = false;

  constructor(
    private readonly store: DurableStore,
    private readonly clock: LocalClock,
    private readonly env: LocalEnvironment,
  ) {
    store.db.exec(`CREATE TABLE IF NOT EXISTS cloudwatch_datapoints (
      namespace TEXT NOT NULL, metric_name TEXT NOT NULL, dimensions TEXT NOT NULL, timestamp_ms INTEGER NOT NULL,
      sum REAL NOT NULL, min REAL NOT NULL, max REAL NOT NULL, sample_count REAL NOT NULL, raw_values TEXT NOT NULL,
      unit TEXT);
      CREATE INDEX IF NOT EXISTS cloudwatch_datapoints_metric
        ON cloudwatch_datapoints (namespace, metric_name, dimensions, timestamp_ms);`);
  }

  /**
   * Starts evaluating alarms every local minute (CloudWatch's evaluation cadence), but at most four times a
   * real second: a fast clock must not turn evaluation into a busy loop on a shared machine.
   */
  start(): void {
    const intervalMs = Math.max(evaluationIntervalMs, this.clock.factor * minimumRealIntervalMs);
    const tick = () => {
      if (this.closed) return;
      try {
        this.collectServiceMetrics();
        this.evaluateAlarms();
      } catch (error) {
        console.error('[cloudwatch] alarm evaluation failed', error);
      }
      this.timer = this.clock.setTimeout(tick, intervalMs).unref();
    };
    this.timer = this.clock.setTimeout(tick, intervalMs).unref();
  }

  /** Stops evaluating alarms. */
  close(): void {
    this.closed = true;
    this.timer?.clear();
  }

  /** What answers each CloudWatch operation; any operation not a key is refused. */
  static readonly operations: OperationTable<CloudWatchService> = {
    PutMetricData: (service, input) => service.putMetricData(input),
    ListMetrics: (service, input) => service.listMetrics(input),
    GetMetricData: (service, input) => service.getMetricData(input),
    PutMetricAlarm: (service, input) => {
      service.putMetricAlarm(input);
      return {};
    },
    DescribeAlarms: (service, input) => service.describeAlarms(input),
    DeleteAlarms: (service, input) => {
      for (const name of (input.AlarmNames as string[] | undefined) ?? []) service.deleteAlarm(name);
      return {};
    },
    PutDashboard: (service, input) => {
      service.putDashboard(String(input.DashboardName), String(input.DashboardBody ?? '{}'));
      return { DashboardValidationMessages: [] };
    },
    GetDashboard: (service, input) => {
      const dashboard = service.store.getResource<{ body: string }>(
        dashboardType,
        String(input.DashboardName),
      );
      if (!dashboard)
        throw new AwsError('ResourceNotFound', 'Dashboard does not exist', 404, 'ResourceNotFound');
      return {
        DashboardName: input.DashboardName,
        DashboardArn: service.dashboardArn(String(input.DashboardName)),
        DashboardBody: dashboard.body,
      };
    },
    ListDashboards: (service, input) => ({
      DashboardEntries: service.store
        .listResources<{ body: string }>(dashboardType)
        .filter(
          ({ name }) => !input.DashboardNamePrefix || name.startsWith(String(input.DashboardNamePrefix)),
        )
        .map(({ name, value }) => ({
          DashboardName: name,
          DashboardArn: service.dashboardArn(name),
          Size: Buffer.byteLength(value.body),
        })),
    }),
    DeleteDashboards: (service, input) => {
      for (const name of (input.DashboardNames as string[] | undefined) ?? []) service.deleteDashboard(name);
      return {};
    },
    DescribeAlarmHistory: (service, input) => service.describeAlarmHistory(input),
    SetAlarmState: (service, input) => {
      service.setAlarmState(
        service.alarm(String(input.AlarmName)),
        String(input.StateValue) as AlarmState,
        String(input.StateReason ?? ''),
      );
      return {};
    },
  };

  async handle(operation: string, input: Record<string, unknown>): Promise<unknown> {
    const answer = operationHandler(CloudWatchService.operations, operation);
    if (answer) return answer(this, input, operation);
    throw new AwsError('InvalidAction', `The local CloudWatch does not support ${operation}`);
  }

  /** Records one datapoint (several raw values, or a pre-aggregated set when `values` is empty). */
  record(
    namespace: string,
    metricName: string,
    dimensions: readonly Dimension[],
    timestampMs: number,
    aggregate: PeriodAggregate,
    unit?: string,
  ): void {
    this.store.db
      .prepare(
        `INSERT INTO cloudwatch_datapoints (namespace, metric_name, dimensions, timestamp_ms, sum, min, max,
           sample_count, raw_values, unit) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        namespace,
        metricName,
        dimensionsKey(dimensions),
        Math.round(timestampMs),
        aggregate.sum,
        aggregate.min,
        aggregate.max,
        aggregate.sampleCount,
        JSON.stringify(aggregate.values),
        unit ?? null,
      );
  }

  /** Records the datapoints of an EMF log line, as CloudWatch does for Lambda logs. */
  recordEmf(datapoints: readonly EmfDatapoint[]): void {
    if (datapoints.length === 0) return;
    this.store.transaction(() => {
      for (const point of datapoints) {
        this.record(
          point.namespace,
          point.metricName,
          point.dimensions,
          point.timestampMs,
          aggregateOf(point.values),
          point.unit,
        );
      }
    });
  }

  private putMetricData(input: Record<string, unknown>): Record<string, never> {
    const namespace = input.Namespace;
    if (typeof namespace !== 'string' || namespace.length === 0)
      throw new AwsError('MissingParameter', 'The parameter Namespace is required.', 400, 'MissingParameter');
    if (namespace.startsWith('AWS/')) throw validation('The value AWS/ for parameter Namespace is invalid.');
    const data = (input.MetricData as Record<string, unknown>[] | undefined) ?? [];
    const nowMs = this.clock.now();
    this.store.transaction(() => {
      for (const datum of data) {
        const name = String(datum.MetricName ?? '');
        if (!name) throw validation('The parameter MetricData.member.MetricName is required.');
        const timestampMs = epochMs(datum.Timestamp, nowMs);
        const statistics = datum.StatisticValues as
          | { SampleCount: number; Sum: number; Minimum: number; Maximum: number }
          | undefined;
        let aggregate: PeriodAggregate;
        if (statistics) {
          aggregate = {
            sum: statistics.Sum,
            min: statistics.Minimum,
            max: statistics.Maximum,
            sampleCount: statistics.SampleCount,
            values: [],
          };
        } else if (Array.isArray(datum.Values)) {
          const counts = (datum.Counts as number[] | undefined) ?? [];
          // Values with Counts: each value stands for that many samples.
          const values = (datum.Values as number[]).flatMap((value, index) =>
            Array.from({ length: Math.max(1, Math.round(counts[index] ?? 1)) }, () => value),
          );
          aggregate = aggregateOf(values);
        } else if (typeof datum.Value === 'number') {
          aggregate = aggregateOf([datum.Value]);
        } else throw validation(`The metric ${name} needs one of Value, Values or StatisticValues.`);
        this.record(
          namespace,
          name,
          (datum.Dimensions as Dimension[] | undefined) ?? [],
          timestampMs,
          aggregate,
          datum.Unit as string | undefined,
        );
      }
    });
    return {};
  }

  private listMetrics(input: Record<string, unknown>): { Metrics: unknown[] } {
    const filters = (input.Dimensions as { Name: string; Value?: string }[] | undefined) ?? [];
    const rows = this.store.db
      .prepare(
        `SELECT DISTINCT namespace, metric_name, dimensions FROM cloudwatch_datapoints
         WHERE (? IS NULL OR namespace = ?) AND (? IS NULL OR metric_name = ?)
         ORDER BY namespace, metric_name, dimensions`,
      )
      .all(
        input.Namespace ?? null,
        input.Namespace ?? null,
        input.MetricName ?? null,
        input.MetricName ?? null,
      ) as { namespace: string; metric_name: string; dimensions: string }[];
    const metrics = rows
      .map((row) => ({
        Namespace: row.namespace,
        MetricName: row.metric_name,
        Dimensions: dimensionsOf(row.dimensions),
      }))
      .filter((metric) =>
        filters.every((filter) =>
          metric.Dimensions.some(
            (dimension) =>
              dimension.Name === filter.Name &&
              (filter.Value === undefined || dimension.Value === filter.Value),
          ),
        ),
      );
    return { Metrics: metrics };
  }

  /** Per-period aggregates of a metric between two times, keyed by period start (aligned to the period). */
  periodAggregates(
    metric: { Namespace?: string; MetricName?: string; Dimensions?: Dimension[] },
    periodSec: number,
    startMs: number,
    endMs: number,
  ): Map<number, PeriodAggregate> {
    const rows = this.store.db
      .prepare(
        `SELECT timestamp_ms, sum, min, max, sample_count, raw_values FROM cloudwatch_datapoints
         WHERE namespace = ? AND metric_name = ? AND dimensions = ? AND timestamp_ms >= ? AND timestamp_ms < ?`,
      )
      .all(
        String(metric.Namespace),
        String(metric.MetricName),
        dimensionsKey(metric.Dimensions),
        startMs,
        endMs,
      ) as DatapointRow[];
    const periodMs = periodSec * 1000;
    const buckets = new Map<number, PeriodAggregate>();
    for (const row of rows) {
      const bucket = startMs + Math.floor((row.timestamp_ms - startMs) / periodMs) * periodMs;
      const current = buckets.get(bucket) ?? {
        sum: 0,
        min: Number.POSITIVE_INFINITY,
        max: Number.NEGATIVE_INFINITY,
        sampleCount: 0,
        values: [],
      };
      current.sum += row.sum;
      current.min = Math.min(current.min, row.min);
      current.max = Math.max(current.max, row.max);
      current.sampleCount += row.sample_count;
      current.values.push(...(JSON.parse(row.raw_values) as number[]));
      buckets.set(bucket, current);
    }
    return buckets;
  }

  private getMetricData(input: Record<string, unknown>): unknown {
    const nowMs = this.clock.now();
    const startMs = epochMs(input.StartTime, Number.NaN);
    const endMs = epochMs(input.EndTime, nowMs);
    if (Number.isNaN(startMs)) throw validation('The parameter StartTime is required.');
    const queries = (input.MetricDataQueries as Record<string, unknown>[] | undefined) ?? [];
    const ascending = input.ScanBy === 'TimestampAscending';
    const results = queries
      .filter((query) => query.ReturnData !== false)
      .map((query) => {
        const stat = query.MetricStat as
          | {
              Metric: { Namespace: string; MetricName: string; Dimensions?: Dimension[] };
              Period: number;
              Stat: string;
            }
          | undefined;
        if (!stat)
          return {
            Id: query.Id,
            Label: query.Label ?? query.Id,
            Timestamps: [],
            Values: [],
            StatusCode: 'InternalError',
            Messages: [{ Code: 'Unsupported', Value: 'Metric math expressions are not evaluated locally' }],
          };
        if (!isSupportedStatistic(stat.Stat))
          throw validation(`The statistic ${stat.Stat} is not supported.`);
        if (!(stat.Period > 0)) throw validation('The parameter Period must be positive.');
        // CloudWatch aligns periods to the (period-rounded) start time.
        const alignedStartMs = Math.floor(startMs / (stat.Period * 1000)) * stat.Period * 1000;
        const points = [...this.periodAggregates(stat.Metric, stat.Period, alignedStartMs, endMs)]
          .map(([timestampMs, aggregate]) => [timestampMs, statisticValue(aggregate, stat.Stat)] as const)
          .filter((point): point is readonly [number, number] => point[1] !== undefined)
          .sort(([left], [right]) => (ascending ? left - right : right - left));
        return {
          Id: query.Id,
          Label: query.Label ?? stat.Metric.MetricName,
          Timestamps: points.map(([timestampMs]) => timestampMs / 1000),
          Values: points.map(([, value]) => value),
          StatusCode: 'Complete',
        };
      });
    return { MetricDataResults: results, Messages: [] };
  }

  private alarm(name: string): MetricAlarm {
    const alarm = this.store.getResource<MetricAlarm>(alarmType, name);
    if (!alarm)
      throw new AwsError('ResourceNotFound', `Alarm ${name} does not exist`, 404, 'ResourceNotFound');
    return alarm;
  }

  /** Creates or updates a metric alarm; an update keeps the state, as CloudWatch does. */
  putMetricAlarm(input: Record<string, unknown>): MetricAlarm {
    const name = String(input.AlarmName ?? '');
    if (!name) throw validation('The parameter AlarmName is required.');
    if (!input.Metrics && !input.MetricName) throw validation('The parameter MetricName is required.');
    // A statistic or comparison the runtime cannot compute (trimmed means, anomaly bands) still deploys and
    // is listed; such an alarm is just not evaluated, like metric-math alarms.
    if (!input.Metrics && input.ExtendedStatistic === undefined && input.Statistic === undefined)
      throw validation('One of Statistic or ExtendedStatistic is required.');
    const comparison = String(input.ComparisonOperator ?? '');
    const previous = this.store.getResource<MetricAlarm>(alarmType, name);
    const nowMs = this.clock.now();
    const alarm: MetricAlarm = {
      AlarmName: name,
      AlarmArn: `arn:aws:cloudwatch:${this.env.region}:${this.env.accountId}:alarm:${name}`,
      ...(input.AlarmDescription !== undefined ? { AlarmDescription: String(input.AlarmDescription) } : {}),
      ActionsEnabled: input.ActionsEnabled !== false && input.ActionsEnabled !== 'false',
      AlarmActions: (input.AlarmActions as string[] | undefined) ?? [],
      OKActions: (input.OKActions as string[] | undefined) ?? [],
      InsufficientDataActions: (input.InsufficientDataActions as string[] | undefined) ?? [],
      ...(input.MetricName !== undefined ? { MetricName: String(input.MetricName) } : {}),
      ...(input.Namespace !== undefined ? { Namespace: String(input.Namespace) } : {}),
      Dimensions: (input.Dimensions as Dimension[] | undefined) ?? [],
      ...(input.Statistic !== undefined ? { Statistic: String(input.Statistic) } : {}),
      ...(input.ExtendedStatistic !== undefined
        ? { ExtendedStatistic: String(input.ExtendedStatistic) }
        : {}),
      ...(input.Period !== undefined ? { Period: Number(input.Period) } : {}),
      EvaluationPeriods: Number(input.EvaluationPeriods ?? 1),
      ...(input.DatapointsToAlarm !== undefined
        ? { DatapointsToAlarm: Number(input.DatapointsToAlarm) }
        : {}),
      ...(input.Threshold !== undefined ? { Threshold: Number(input.Threshold) } : {}),
      ComparisonOperator: comparison,
      TreatMissingData: String(input.TreatMissingData ?? 'missing'),
      ...(input.Metrics ? { Metrics: input.Metrics as unknown[] } : {}),
      StateValue: previous?.StateValue ?? 'INSUFFICIENT_DATA',
      StateReason: previous?.StateReason ?? 'Unchecked: Initial alarm creation',
      StateUpdatedTimestampMs: previous?.StateUpdatedTimestampMs ?? nowMs,
      AlarmConfigurationUpdatedTimestampMs: nowMs,
    };
    this.store.putResource(alarmType, name, alarm);
    return alarm;
  }

  /** The ARN of a dashboard (dashboards are global: no region). */
  dashboardArn(name: string): string {
    return `arn:aws:cloudwatch::${this.env.accountId}:dashboard/${name}`;
  }

  /** Stores a dashboard's body, so that tools read the local counterpart of the stage's dashboard. */
  putDashboard(name: string, body: string): void {
    try {
      JSON.parse(body);
    } catch {
      throw validation('The field DashboardBody must be a valid JSON object');
    }
    this.store.putResource(dashboardType, name, { body });
  }

  /** Deletes a dashboard. */
  deleteDashboard(name: string): void {
    this.store.deleteResource(dashboardType, name);
  }

  /** The queues that an evaluated AWS/SQS alarm watches: only their depths are worth recording every minute. */
  watchedQueues(): Set<string> {
    const names = new Set<string>();
    for (const { value: alarm } of this.store.listResources<MetricAlarm>(alarmType)) {
      if (alarm.Namespace !== 'AWS/SQS' || !evaluable(alarm)) continue;
      for (const dimension of alarm.Dimensions)
        if (dimension.Name === 'QueueName') names.add(dimension.Value);
    }
    return names;
  }

  /** Deletes an alarm; deleting one that does not exist is not an error. */
  deleteAlarm(name: string): void {
    this.store.deleteResource(alarmType, name);
    this.store.deleteResource(historyType, name);
  }

  private describeAlarms(input: Record<string, unknown>): unknown {
    const names = input.AlarmNames as string[] | undefined;
    const prefix = input.AlarmNamePrefix as string | undefined;
    const alarms = this.store
      .listResources<MetricAlarm>(alarmType)
      .map(({ value }) => value)
      .filter(
        (alarm) =>
          (!names || names.includes(alarm.AlarmName)) &&
          (!prefix || alarm.AlarmName.startsWith(prefix)) &&
          (!input.StateValue || alarm.StateValue === input.StateValue) &&
          (!input.ActionPrefix ||
            [...alarm.AlarmActions, ...alarm.OKActions, ...alarm.InsufficientDataActions].some((action) =>
              action.startsWith(String(input.ActionPrefix)),
            )),
      );
    const types = (input.AlarmTypes as string[] | undefined) ?? ['MetricAlarm'];
    return {
      MetricAlarms: types.includes('MetricAlarm')
        ? alarms.map(({ StateUpdatedTimestampMs, AlarmConfigurationUpdatedTimestampMs, ...alarm }) => ({
            ...alarm,
            StateUpdatedTimestamp: StateUpdatedTimestampMs / 1000,
            StateTransitionedTimestamp: StateUpdatedTimestampMs / 1000,
            AlarmConfigurationUpdatedTimestamp: AlarmConfigurationUpdatedTimestampMs / 1000,
          }))
        : [],
      CompositeAlarms: [],
    };
  }

  /** Evaluates every metric alarm against the datapoints of its last evaluation periods, ending now. */
  evaluateAlarms(): void {
    const nowMs = this.clock.now();
    for (const { value: alarm } of this.store.listResources<MetricAlarm>(alarmType)) {
      if (!evaluable(alarm)) continue;
      const outcome = this.evaluate(alarm, nowMs);
      if (outcome && outcome.state !== alarm.StateValue)
        this.setAlarmState(alarm, outcome.state, outcome.reason);
    }
  }

  private evaluate(alarm: MetricAlarm, nowMs: number): { state: AlarmState; reason: string } | undefined {
    const periodMs = (alarm.Period ?? 60) * 1000;
    const periods = alarm.EvaluationPeriods;
    const needed = alarm.DatapointsToAlarm ?? periods;
    // The periods end at now, inclusive: the service metrics (AWS/Lambda, AWS/States, …) are published at the
    // evaluation's own time just before it, and the next window starts after them, so an end-exclusive window
    // would never count a datapoint stamped with the very millisecond it is evaluated at.
    const endMs = nowMs + 1;
    const startMs = endMs - periods * periodMs;
    const stat = String(alarm.ExtendedStatistic ?? alarm.Statistic);
    const buckets = this.periodAggregates(alarm, alarm.Period ?? 60, startMs, endMs);
    const compare = comparisons[alarm.ComparisonOperator] ?? (() => false);
    const values: number[] = [];
    for (let index = periods - 1; index >= 0; index--) {
      const aggregate = buckets.get(startMs + index * periodMs);
      const value = aggregate ? statisticValue(aggregate, stat) : undefined;
      if (value !== undefined) values.push(value);
    }
    const missing = periods - values.length;
    const breaching = values.filter((value) => compare(value, alarm.Threshold ?? 0)).length;
    const treat = alarm.TreatMissingData;
    if (values.length === 0) {
      if (treat === 'ignore') return undefined;
      if (treat === 'missing')
        return { state: 'INSUFFICIENT_DATA', reason: 'Insufficient Data: no datapoints were received.' };
    }
    const breachingWithMissing = breaching + (treat === 'breaching' ? missing : 0);
    const description = `${breachingWithMissing} out of the last ${periods} datapoints [${values.join(', ')}]`;
    const relation = alarm.ComparisonOperator.replace(/Threshold$/, '')
      .replace(/([A-Z])/g, ' $1')
      .trim()
      .toLowerCase();
    if (breachingWithMissing >= needed)
      return {
        state: 'ALARM',
        reason: `Threshold Crossed: ${description} ${breachingWithMissing === 1 ? 'was' : 'were'} ${relation} the threshold (${alarm.Threshold}) (minimum ${needed} datapoint${needed === 1 ? '' : 's'} for OK -> ALARM transition).`,
      };
    return {
      state: 'OK',
      reason: `Threshold Crossed: ${description} ${breachingWithMissing === 1 ? 'was' : 'were'} not ${relation} the threshold (${alarm.Threshold}) (minimum ${needed} datapoint${needed === 1 ? '' : 's'} for OK -> ALARM transition).`,
    };
  }

  private setAlarmState(alarm: MetricAlarm, state: AlarmState, reason: string): void {
    if (!['OK', 'ALARM', 'INSUFFICIENT_DATA'].includes(state)) throw validation(`Invalid state ${state}`);
    const nowMs = this.clock.now();
    const oldState = alarm.StateValue;
    const updated: MetricAlarm = {
      ...alarm,
      StateValue: state,
      StateReason: reason,
      StateUpdatedTimestampMs: nowMs,
    };
    this.store.putResource(alarmType, alarm.AlarmName, updated);
    if (oldState === state) return;
    this.addHistory(alarm.AlarmName, nowMs, 'StateUpdate', `Alarm updated from ${oldState} to ${state}`, {
      version: '1.0',
      oldState: { stateValue: oldState, stateReason: alarm.StateReason },
      newState: { stateValue: state, stateReason: reason },
    });
    if (!alarm.ActionsEnabled) return;
    const actions =
      state === 'ALARM'
        ? alarm.AlarmActions
        : state === 'OK'
          ? alarm.OKActions
          : alarm.InsufficientDataActions;
    const region = regionNames[this.env.region] ?? this.env.region;
    const message = JSON.stringify(this.notification(updated, oldState, region));
    for (const action of actions) {
      if (!action.startsWith('arn:aws:sns:')) {
        console.warn(`[cloudwatch] alarm action ${action} is not supported locally; only SNS topics are`);
        continue;
      }
      try {
        this.publishToTopic(
          action,
          alarmNotificationSubject(state, alarm.AlarmName, region),
          message,
          alarm.AlarmArn,
        );
        this.addHistory(alarm.AlarmName, nowMs, 'Action', `Successfully executed action ${action}`, {
          actionState: 'Succeeded',
          notificationResource: action,
          stateUpdateTimestamp: nowMs,
        });
      } catch (error) {
        // CloudWatch does not retry an action: the failure is in the alarm's history, where operators look.
        const received = (error as Error).message;
        console.warn(`[cloudwatch] alarm ${alarm.AlarmName}: action ${action} failed: ${received}`);
        this.addHistory(
          alarm.AlarmName,
          nowMs,
          'Action',
          `Failed to execute action ${action}. Received error: "${received}"`,
          {
            actionState: 'Failed',
            notificationResource: action,
            stateUpdateTimestamp: nowMs,
            error: received,
          },
        );
      }
    }
  }

  private addHistory(
    alarmName: string,
    timestampMs: number,
    type: AlarmHistoryItem['HistoryItemType'],
    summary: string,
    data: Record<string, unknown>,
  ): void {
    const items = this.store.getResource<AlarmHistoryItem[]>(historyType, alarmName) ?? [];
    items.push({
      AlarmName: alarmName,
      AlarmType: 'MetricAlarm',
      TimestampMs: timestampMs,
      HistoryItemType: type,
      HistorySummary: summary,
      HistoryData: JSON.stringify(data),
    });
    this.store.putResource(historyType, alarmName, items.slice(-historyLimit));
  }

  /** DescribeAlarmHistory: an alarm's (or every alarm's) state updates and actions, newest first by default. */
  private describeAlarmHistory(input: Record<string, unknown>): unknown {
    const type = input.HistoryItemType as string | undefined;
    const known = [
      'StateUpdate',
      'Action',
      'ConfigurationUpdate',
      'AlarmContributorStateUpdate',
      'AlarmContributorAction',
    ];
    if (type !== undefined && !known.includes(type))
      throw validation(
        `1 validation error detected: Value '${type}' at 'historyItemType' failed to satisfy constraint: Member must satisfy enum value set: [${known.join(', ')}]`,
      );
    const startMs = input.StartDate === undefined ? -Infinity : Number(input.StartDate) * 1000;
    const endMs = input.EndDate === undefined ? Infinity : Number(input.EndDate) * 1000;
    const maxRecords = Number(input.MaxRecords ?? 100);
    if (!Number.isInteger(maxRecords) || maxRecords < 1 || maxRecords > 100)
      throw validation('The parameter MaxRecords must be between 1 and 100.');
    const offset = input.NextToken === undefined ? 0 : Number(input.NextToken);
    if (!Number.isInteger(offset) || offset < 0)
      throw new AwsError('InvalidNextToken', 'The next token is invalid.', 400);
    const sources =
      input.AlarmName !== undefined
        ? [this.store.getResource<AlarmHistoryItem[]>(historyType, String(input.AlarmName)) ?? []]
        : this.store.listResources<AlarmHistoryItem[]>(historyType).map(({ value }) => value);
    const ascending = input.ScanBy === 'TimestampAscending';
    const items = sources
      .flat()
      .filter(
        (item) =>
          (!type || item.HistoryItemType === type) && item.TimestampMs >= startMs && item.TimestampMs < endMs,
      )
      .map((item, index) => ({ item, index }))
      // Stable within a timestamp: a state update comes before the actions it triggered.
      .sort((a, b) => (a.item.TimestampMs - b.item.TimestampMs || a.index - b.index) * (ascending ? 1 : -1))
      .map(({ item }) => item);
    const page = items.slice(offset, offset + maxRecords);
    return {
      AlarmHistoryItems: page.map(({ TimestampMs, ...item }) => ({ ...item, Timestamp: TimestampMs / 1000 })),
      ...(offset + maxRecords < items.length ? { NextToken: String(offset + maxRecords) } : {}),
    };
  }

  /** The JSON message CloudWatch publishes to an alarm's SNS actions. */
  private notification(alarm: MetricAlarm, oldState: AlarmState, region: string): Record<string, unknown> {
    return {
      AlarmName: alarm.AlarmName,
      AlarmDescription: alarm.AlarmDescription ?? null,
      AWSAccountId: this.env.accountId,
      AlarmConfigurationUpdatedTimestamp: notificationTime(alarm.AlarmConfigurationUpdatedTimestampMs),
      NewStateValue: alarm.StateValue,
      NewStateReason: alarm.StateReason,
      StateChangeTime: notificationTime(alarm.StateUpdatedTimestampMs),
      Region: region,
      AlarmArn: alarm.AlarmArn,
      OldStateValue: oldState,
      OKActions: alarm.OKActions,
      AlarmActions: alarm.AlarmActions,
      InsufficientDataActions: alarm.InsufficientDataActions,
      Trigger: {
        MetricName: alarm.MetricName,
        Namespace: alarm.Namespace,
        StatisticType: alarm.ExtendedStatistic ? 'ExtendedStatistic' : 'Statistic',
        ...(alarm.ExtendedStatistic
          ? { ExtendedStatistic: alarm.ExtendedStatistic }
          : { Statistic: String(alarm.Statistic).toUpperCase() }),
        Unit: null,
        Dimensions: alarm.Dimensions.map((dimension) => ({ value: dimension.Value, name: dimension.Name })),
        Period: alarm.Period,
        EvaluationPeriods: alarm.EvaluationPeriods,
        DatapointsToAlarm: alarm.DatapointsToAlarm ?? alarm.EvaluationPeriods,
        ComparisonOperator: alarm.ComparisonOperator,
        Threshold: alarm.Threshold,
        TreatMissingData: alarm.TreatMissingData,
        EvaluateLowSampleCountPercentile: '',
      },
    };
  }
}

/** Whether the runtime evaluates an alarm (metric-math, anomaly-band and trimmed-mean alarms are only listed). */
export function evaluable(alarm: MetricAlarm): boolean {
  return (
    !alarm.Metrics &&
    alarm.Period !== undefined &&
    alarm.Threshold !== undefined &&
    comparisons[alarm.ComparisonOperator] !== undefined &&
    isSupportedStatistic(String(alarm.ExtendedStatistic ?? alarm.Statistic))
  );
}

/** The aggregate of raw values. */
export function aggregateOf(values: readonly number[]): PeriodAggregate {
  return {
    sum: values.reduce((total, value) => total + value, 0),
    min: Math.min(...values),
    max: Math.max(...values),
    sampleCount: values.length,
    values: [...values],
  };
}

/** The CloudWatch operations the local runtime answers: the keys of the table it dispatches by. */
export const cloudWatchOperations = operationsOf(CloudWatchService.operations);
