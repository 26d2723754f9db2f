import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  ListMetricsCommand,
  PutMetricAlarmCommand,
} from '@aws-sdk/client-cloudwatch';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { StatesMetrics } from '../../local/services/cloudwatch/states-metrics';
import { startTestRuntime } from './support/local-runtime';

/** What the metrics write to: CloudWatch's record, faked in the unit test. */
type MetricsSink = Parameters<StatesMetrics['publish']>[0];

async function waitFor<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function runToEnd(sfn: SFNClient, stateMachineArn: string): Promise<string | undefined> {
  const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, input: '{}' }));
  for (;;) {
    const { status } = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (status !== 'RUNNING') return status;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('StatesMetrics', () => {
  it('publishes the executions counted per state machine once, then starts afresh', () => {
    // Prepare
    const recorded: {
      metric: string;
      dimensions: unknown;
      aggregate: Parameters<MetricsSink['record']>[4];
      unit?: string;
    }[] = [];
    const cloudwatch: MetricsSink = {
      record: (namespace, metric, dimensions, _timestampMs, aggregate, unit) => {
        expect(namespace).toBe('AWS/States');
        recorded.push({ metric, dimensions, aggregate, unit });
      },
    };
    const metrics = new StatesMetrics();
    const arn = 'arn:aws:states:us-east-1:000000000000:stateMachine:order';
    // Act
    metrics.started(arn);
    metrics.started(arn);
    metrics.ended(arn, 'SUCCEEDED', 120);
    metrics.ended(arn, 'FAILED', 80);
    metrics.publish(cloudwatch, 1_000);
    metrics.publish(cloudwatch, 61_000);
    // Assess
    const byMetric = Object.fromEntries(recorded.map((row) => [row.metric, row]));
    expect(Object.keys(byMetric).sort()).toEqual([
      'ExecutionTime',
      'ExecutionsFailed',
      'ExecutionsStarted',
      'ExecutionsSucceeded',
    ]);
    expect(byMetric.ExecutionsStarted?.aggregate.sum).toBe(2);
    expect(byMetric.ExecutionsFailed).toMatchObject({
      dimensions: [{ Name: 'StateMachineArn', Value: arn }],
      aggregate: { sum: 1 },
      unit: 'Count',
    });
    expect(byMetric.ExecutionTime).toMatchObject({
      aggregate: { sum: 200, min: 80, max: 120, sampleCount: 2 },
      unit: 'Milliseconds',
    });
    expect(recorded).toHaveLength(4);
  });
});

describe('AWS/States metrics on the embedded runtime (through the AWS SDK)', () => {
  let local: Awaited<ReturnType<typeof startTestRuntime>>;
  let cloudwatch: CloudWatchClient;

  beforeAll(async () => {
    // One real second is one local minute: alarms evaluate every second.
    local = await startTestRuntime({ clockFactor: 60 });
    cloudwatch = new CloudWatchClient({
      endpoint: local.runtime.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  });

  afterAll(async () => {
    cloudwatch.destroy();
    await local.stop();
  });

  async function machine(name: string, definition: object): Promise<string> {
    const { stateMachineArn } = await local.clients.sfn.send(
      new CreateStateMachineCommand({
        name,
        definition: JSON.stringify(definition),
        roleArn: 'arn:aws:iam::000000000000:role/sfn',
      }),
    );
    return stateMachineArn as string;
  }

  /** The alarm a Workflow construct defines (FailedAlarm, TimedOutAlarm): Sum over five minutes, at least one. */
  async function workflowAlarm(alarmName: string, metricName: string, stateMachineArn: string) {
    await cloudwatch.send(
      new PutMetricAlarmCommand({
        AlarmName: alarmName,
        Namespace: 'AWS/States',
        MetricName: metricName,
        Dimensions: [{ Name: 'StateMachineArn', Value: stateMachineArn }],
        Statistic: 'Sum',
        Period: 300,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      }),
    );
  }

  async function alarmState(alarmName: string): Promise<string | undefined> {
    const { MetricAlarms = [] } = await cloudwatch.send(
      new DescribeAlarmsCommand({ AlarmNames: [alarmName] }),
    );
    return MetricAlarms[0]?.StateValue;
  }

  it('counts a failed execution in ExecutionsFailed, visible through GetMetricData, and the failed alarm fires', async () => {
    // Prepare
    const failing = await machine('refuses-everything', {
      StartAt: 'Refuse',
      States: { Refuse: { Type: 'Fail', Error: 'ErpRefusedError', Cause: 'credit limit exceeded' } },
    });
    const healthy = await machine('books-everything', {
      StartAt: 'Book',
      States: { Book: { Type: 'Pass', End: true } },
    });
    await workflowAlarm('refuses-everything-failed', 'ExecutionsFailed', failing);
    await workflowAlarm('books-everything-failed', 'ExecutionsFailed', healthy);
    const startMs = local.runtime.clock.now();
    // Act
    expect(await runToEnd(local.clients.sfn, failing)).toBe('FAILED');
    expect(await runToEnd(local.clients.sfn, healthy)).toBe('SUCCEEDED');
    const fired = await waitFor(async () =>
      (await alarmState('refuses-everything-failed')) === 'ALARM' ? 'ALARM' : undefined,
    );
    const failedSum = async (stateMachineArn: string) => {
      const { MetricDataResults = [] } = await cloudwatch.send(
        new GetMetricDataCommand({
          StartTime: new Date(startMs - 3_600_000),
          EndTime: new Date(local.runtime.clock.now() + 3_600_000),
          MetricDataQueries: [
            {
              Id: 'failed',
              MetricStat: {
                Metric: {
                  Namespace: 'AWS/States',
                  MetricName: 'ExecutionsFailed',
                  Dimensions: [{ Name: 'StateMachineArn', Value: stateMachineArn }],
                },
                Period: 7200,
                Stat: 'Sum',
              },
            },
          ],
        }),
      );
      return MetricDataResults[0]?.Values ?? [];
    };
    // The runtime writes a minute's counts once: the healthy machine's may land a minute after the failing one's.
    const Metrics = await waitFor(async () => {
      const { Metrics: listed = [] } = await cloudwatch.send(
        new ListMetricsCommand({
          Namespace: 'AWS/States',
          Dimensions: [{ Name: 'StateMachineArn', Value: healthy }],
        }),
      );
      return listed.length > 0 ? listed : undefined;
    });
    // Assess
    expect(fired).toBe('ALARM');
    expect(await failedSum(failing)).toEqual([1]);
    expect(await failedSum(healthy)).toEqual([]);
    expect(await alarmState('books-everything-failed')).toBe('OK');
    expect(Metrics.map((metric) => metric.MetricName).sort()).toEqual([
      'ExecutionTime',
      'ExecutionsStarted',
      'ExecutionsSucceeded',
    ]);
  });

  it('counts a timed-out execution in ExecutionsTimedOut, and the timed-out alarm fires', async () => {
    // Prepare
    const slow = await machine('waits-too-long', {
      TimeoutSeconds: 30,
      StartAt: 'Hold',
      States: { Hold: { Type: 'Wait', Seconds: 600, End: true } },
    });
    await workflowAlarm('waits-too-long-timed-out', 'ExecutionsTimedOut', slow);
    // Act
    const status = await runToEnd(local.clients.sfn, slow);
    const fired = await waitFor(async () =>
      (await alarmState('waits-too-long-timed-out')) === 'ALARM' ? 'ALARM' : undefined,
    );
    // Assess
    expect(status).toBe('TIMED_OUT');
    expect(fired).toBe('ALARM');
  });
});
