/** The stage's status as metrics, alarms and queues tell it: the use case of `concord status` and the console's Overview. */
import {
  type CloudWatchClient,
  DescribeAlarmsCommand,
  type Dimension,
  GetMetricDataCommand,
  ListMetricsCommand,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import { GetQueueAttributesCommand, ListQueuesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { SqsDeadLetterQueues } from '../functions/replay/adapters/sqs-dead-letter-queues';
import { listDeadLetterQueues } from '../functions/replay/replay';
import {
  type BusinessMetricName,
  metricsNamespace,
} from '../functions/shared/observability/business-metrics';
import type { StageConfig } from '../infra/config/stage-config';
import { latencySlos, sloAlarmPrefix } from '../infra/constructs/slo-alarms';
import { deadLetterQueueUrls, type OpsContext } from './ops-context';

/** The throughput counters `concord status` shows, by the key `--json` uses. */
export const throughputMetrics = {
  webhooksAccepted: 'WebhooksAccepted',
  webhooksRefused: 'WebhooksRefused',
  ordersBooked: 'OrdersBooked',
  ordersCreditHeld: 'OrdersCreditHeld',
  ordersRefused: 'OrdersRefused',
  unknownOutcomes: 'UnknownOutcomes',
} as const satisfies Record<string, BusinessMetricName>;

/** A key of `throughputMetrics`. */
export type ThroughputKey = keyof typeof throughputMetrics;

/** One counter over the window: its total and its split by the dimension that varies (source, flow, reason). */
export interface Throughput {
  total: number;
  by: Record<string, number>;
}

/** One alarm of the stage as the status shows it. */
export interface AlarmStatus {
  name: string;
  state: string;
  since?: string;
  reason?: string;
}

/** One queue of the backlog. */
export interface BacklogQueue {
  name: string;
  depth: number;
  inFlight: number;
  oldestAgeSec?: number;
  topErrors: { code: string; count: number }[];
}

/** A latency SLO over the window: its bound, the percentile observed, over how many transactions, and its alarms. */
export interface LatencySloStatus {
  target: number;
  withinSec: number;
  percentile: string;
  observedMs?: number;
  /** The transactions measured (orders accepted, invoices posted, payments applied, purchase orders released, …). */
  samples: number;
  /** Undefined when nothing was measured in the window: none is no breach, and no evidence either. */
  met?: boolean;
  alarms: AlarmStatus[];
}

/** A latency SLO's key: one of `latencySlos` (infra/constructs/slo-alarms.ts), each reported under its own key. */
export type LatencySloKey = keyof typeof latencySlos;

/** Everything `concord status` reports; `--json` prints it as is. */
export interface StatusReport {
  stage: string;
  at: string;
  windowSec: number;
  /** Every latency SLO of `latencySlos` (a new one is reported with no change here), then the other two. */
  slos: Record<LatencySloKey, LatencySloStatus> & {
    invoiceVisibleInWarehouse: { withinMin: number; met?: boolean; alarms: AlarmStatus[] };
    reconciliationClean: { maxMismatchAgeHours: number; oldestExceptionAgeSec?: number; met: boolean };
  };
  throughput: Record<ThroughputKey, Throughput>;
  backlog: BacklogQueue[];
  firing: AlarmStatus[];
}

/** The window `concord status` reads: the last hour. */
export const statusWindowSec = 3600;

/** The statistic a target bounds: 0.99 → p99, 0.995 → p99.5 (as the SLO alarms compute it). */
export function percentileOf(target: number): string {
  return `p${Math.round(target * 10_000) / 100}`;
}

/** Every series of a Concord metric in the stage (one per value of its other dimensions). */
export async function seriesOf(
  cloudwatch: CloudWatchClient,
  metricName: string,
  dimensions: Dimension[],
): Promise<Dimension[][]> {
  const series: Dimension[][] = [];
  let NextToken: string | undefined;
  do {
    const page = await cloudwatch.send(
      new ListMetricsCommand({
        Namespace: metricsNamespace,
        MetricName: metricName,
        Dimensions: dimensions.map(({ Name, Value }) => ({ Name, Value })),
        NextToken,
      }),
    );
    series.push(...(page.Metrics ?? []).map((metric) => metric.Dimensions ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return series;
}

/** One query's answer: its values and their periods' start times, newest first. */
export interface MetricSeries {
  values: number[];
  timestamps: Date[];
}

/**
 * The datapoints of each query over the `windowSec` before `now`, by query id, newest first (GetMetricData takes
 * 500 queries a call, and pages).
 */
export async function metricSeries(
  cloudwatch: CloudWatchClient,
  queries: MetricDataQuery[],
  now: Date,
  windowSec: number = statusWindowSec,
): Promise<Map<string, MetricSeries>> {
  const series = new Map<string, MetricSeries>();
  for (let index = 0; index < queries.length; index += 500) {
    let NextToken: string | undefined;
    do {
      const page = await cloudwatch.send(
        new GetMetricDataCommand({
          MetricDataQueries: queries.slice(index, index + 500),
          StartTime: new Date(now.getTime() - windowSec * 1000),
          EndTime: now,
          NextToken,
        }),
      );
      for (const result of page.MetricDataResults ?? []) {
        const found = series.get(result.Id ?? '') ?? { values: [], timestamps: [] };
        found.values.push(...(result.Values ?? []));
        found.timestamps.push(...(result.Timestamps ?? []));
        series.set(result.Id ?? '', found);
      }
      NextToken = page.NextToken;
    } while (NextToken);
  }
  return series;
}

/** The values of each query over the `windowSec` before `now`, by query id, newest first. */
export async function metricValues(
  cloudwatch: CloudWatchClient,
  queries: MetricDataQuery[],
  now: Date,
  windowSec: number = statusWindowSec,
): Promise<Map<string, number[]>> {
  const series = await metricSeries(cloudwatch, queries, now, windowSec);
  return new Map([...series].map(([id, found]) => [id, found.values]));
}

/** An alarm with its description, whose end says where to look first (a runbook or docs/observability.md). */
export interface StageAlarm extends AlarmStatus {
  description?: string;
}

/** Every alarm of the stage: CloudFormation names them `Concord-<stage>-<stack>-<logical id>-<suffix>`. */
export async function stageAlarms(cloudwatch: CloudWatchClient, stage: string): Promise<StageAlarm[]> {
  const alarms: StageAlarm[] = [];
  let NextToken: string | undefined;
  do {
    const page = await cloudwatch.send(
      new DescribeAlarmsCommand({
        AlarmNamePrefix: `Concord-${stage}-`,
        AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
        NextToken,
      }),
    );
    for (const alarm of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])])
      alarms.push({
        name: alarm.AlarmName ?? '',
        state: alarm.StateValue ?? 'INSUFFICIENT_DATA',
        ...(alarm.StateUpdatedTimestamp ? { since: alarm.StateUpdatedTimestamp.toISOString() } : {}),
        ...(alarm.StateReason ? { reason: alarm.StateReason } : {}),
        ...(alarm.AlarmDescription ? { description: alarm.AlarmDescription } : {}),
      });
    NextToken = page.NextToken;
  } while (NextToken);
  return alarms.sort((left, right) => left.name.localeCompare(right.name));
}

/**
 * The workflow redrive queue: live work, not failures, so it is never peeked (a receive would count towards its
 * DLQ); its oldest message's age comes from CloudWatch's AWS/SQS metric instead.
 */
export async function redriveQueue(
  sqs: SQSClient,
  stage: string,
): Promise<{ name: string; url: string } | undefined> {
  const { QueueUrls = [] } = await sqs.send(
    new ListQueuesCommand({ QueueNamePrefix: `Concord-${stage}-Stateful-WorkflowRedriveQueue` }),
  );
  const url = QueueUrls[0];
  return url ? { name: url.split('/').at(-1) ?? url, url } : undefined;
}

/** The status as it stands, with the stage's alarms (descriptions included) it was read from. */
export interface StatusReading {
  report: StatusReport;
  alarms: StageAlarm[];
}

/** Reads the stage's status: metrics and alarms from CloudWatch, the backlog from SQS. */
export async function readStatus(
  context: Pick<OpsContext, 'stage' | 'sqs' | 'cloudwatch'>,
  config: Pick<StageConfig, 'slos'>,
  now: Date = new Date(),
): Promise<StatusReport> {
  return (await readStatusWithAlarms(context, config, now)).report;
}

/** `readStatus` over any window, keeping the alarms it read (the Overview shows every alarm, not only the firing). */
export async function readStatusWithAlarms(
  context: Pick<OpsContext, 'stage' | 'sqs' | 'cloudwatch'>,
  config: Pick<StageConfig, 'slos'>,
  now: Date = new Date(),
  windowSec: number = statusWindowSec,
): Promise<StatusReading> {
  const { stage, sqs, cloudwatch } = context;
  const stageDimension = { Name: 'stage', Value: stage };
  const sloKeys = Object.keys(latencySlos) as (keyof typeof latencySlos)[];
  const [throughputSeries, latencySeries, alarms, deadLetters, redrive] = await Promise.all([
    Promise.all(Object.values(throughputMetrics).map((name) => seriesOf(cloudwatch, name, [stageDimension]))),
    Promise.all(sloKeys.map((key) => seriesOf(cloudwatch, latencySlos[key].metricName, [stageDimension]))),
    stageAlarms(cloudwatch, stage),
    deadLetterQueueUrls(sqs, stage).then((urls) =>
      listDeadLetterQueues(new SqsDeadLetterQueues(sqs), urls, now),
    ),
    redriveQueue(sqs, stage),
  ]);

  // Counts per minute, summed: the window is the last hour to the minute, whatever the hour's boundaries. A longer
  // window sums sixty periods as long, not thousands of minutes.
  const countPeriod = Math.max(60, Math.floor(windowSec / 3600) * 60);
  const queries: MetricDataQuery[] = [];
  const throughputKeys = Object.keys(throughputMetrics) as ThroughputKey[];
  throughputKeys.forEach((key, metricIndex) => {
    (throughputSeries[metricIndex] ?? []).forEach((dimensions, seriesIndex) => {
      queries.push({
        Id: `t${metricIndex}_${seriesIndex}`,
        MetricStat: {
          Metric: { Namespace: metricsNamespace, MetricName: throughputMetrics[key], Dimensions: dimensions },
          Period: countPeriod,
          Stat: 'Sum',
        },
      });
    });
  });
  sloKeys.forEach((key, sloIndex) => {
    (latencySeries[sloIndex] ?? []).forEach((dimensions, index) => {
      const metric = {
        Namespace: metricsNamespace,
        MetricName: latencySlos[key].metricName,
        Dimensions: dimensions,
      };
      queries.push({
        Id: `n${sloIndex}_${index}`,
        MetricStat: { Metric: metric, Period: countPeriod, Stat: 'SampleCount' },
      });
      // A percentile cannot be summed across minutes: one period as long as the window (two when it straddles one).
      queries.push({
        Id: `p${sloIndex}_${index}`,
        MetricStat: { Metric: metric, Period: windowSec, Stat: percentileOf(config.slos[key].target) },
      });
    });
  });
  if (redrive)
    queries.push({
      Id: 'redriveAge',
      MetricStat: {
        Metric: {
          Namespace: 'AWS/SQS',
          MetricName: 'ApproximateAgeOfOldestMessage',
          Dimensions: [{ Name: 'QueueName', Value: redrive.name }],
        },
        Period: 60,
        Stat: 'Maximum',
      },
    });
  const values = queries.length > 0 ? await metricValues(cloudwatch, queries, now, windowSec) : new Map();
  const sum = (id: string) =>
    (values.get(id) ?? []).reduce((total: number, value: number) => total + value, 0);

  const throughput = {} as Record<ThroughputKey, Throughput>;
  throughputKeys.forEach((key, metricIndex) => {
    const entry: Throughput = { total: 0, by: {} };
    (throughputSeries[metricIndex] ?? []).forEach((dimensions, seriesIndex) => {
      const count = sum(`t${metricIndex}_${seriesIndex}`);
      if (count === 0) return;
      const label =
        dimensions
          .filter((dimension) => dimension.Name !== 'stage')
          .map((dimension) => dimension.Value)
          .join('/') || stage;
      entry.total += count;
      entry.by[label] = (entry.by[label] ?? 0) + count;
    });
    throughput[key] = entry;
  });

  const alarmsMatching = (logicalId: string) => alarms.filter((alarm) => alarm.name.includes(logicalId));
  const latencySloStatus = (key: keyof typeof latencySlos): LatencySloStatus => {
    const sloIndex = sloKeys.indexOf(key);
    const series = latencySeries[sloIndex] ?? [];
    const { target, withinSec } = config.slos[key];
    const samples = series.reduce((total, _dimensions, index) => total + sum(`n${sloIndex}_${index}`), 0);
    const percentiles = series.flatMap((_dimensions, index) => values.get(`p${sloIndex}_${index}`) ?? []);
    // The worst of the periods and flows: a conservative reading of the window.
    const observedMs = percentiles.length > 0 ? Math.max(...percentiles) : undefined;
    return {
      target,
      withinSec,
      percentile: percentileOf(target),
      ...(observedMs !== undefined ? { observedMs } : {}),
      samples,
      ...(observedMs !== undefined && samples > 0 ? { met: observedMs <= withinSec * 1000 } : {}),
      alarms: alarmsMatching(sloAlarmPrefix(key)).map(alarmStatusOf),
    };
  };
  const invoiceAlarms = alarmsMatching('InvoiceVisibleSloAlarm');

  let redriveBacklog: BacklogQueue | undefined;
  if (redrive) {
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: redrive.url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    const depth = Number(Attributes.ApproximateNumberOfMessages ?? 0);
    const ages = values.get('redriveAge') ?? [];
    redriveBacklog = {
      name: redrive.name,
      depth,
      inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
      // Results come newest first: the latest minute's age, and none for an empty queue.
      ...(depth > 0 && ages.length > 0 ? { oldestAgeSec: Math.round(ages[0] as number) } : {}),
      topErrors: [],
    };
  }
  const backlog: BacklogQueue[] = [
    ...deadLetters.map(({ url: _url, ...queue }) => queue),
    ...(redriveBacklog ? [redriveBacklog] : []),
  ];
  const oldestExceptionAgeSec = backlog.find((queue) => queue.name.includes('ExceptionsQueue'))?.oldestAgeSec;
  const { maxMismatchAgeHours } = config.slos.reconciliationClean;

  const report: StatusReport = {
    stage,
    at: now.toISOString(),
    windowSec,
    slos: {
      ...(Object.fromEntries(sloKeys.map((key) => [key, latencySloStatus(key)])) as Record<
        LatencySloKey,
        LatencySloStatus
      >),
      invoiceVisibleInWarehouse: {
        withinMin: config.slos.invoiceVisibleInWarehouse.withinMin,
        ...(invoiceAlarms.length > 0 ? { met: invoiceAlarms.every((alarm) => alarm.state !== 'ALARM') } : {}),
        alarms: invoiceAlarms.map(alarmStatusOf),
      },
      reconciliationClean: {
        maxMismatchAgeHours,
        ...(oldestExceptionAgeSec !== undefined ? { oldestExceptionAgeSec } : {}),
        met: (oldestExceptionAgeSec ?? 0) <= maxMismatchAgeHours * 3600,
      },
    },
    throughput,
    backlog,
    // The report's alarms without their descriptions: `--json` prints the report as it always has.
    firing: alarms.filter((alarm) => alarm.state === 'ALARM').map(alarmStatusOf),
  };
  return { report, alarms };
}

function alarmStatusOf({ description: _description, ...alarm }: StageAlarm): AlarmStatus {
  return alarm;
}
