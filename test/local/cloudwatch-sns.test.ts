import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  GetDashboardCommand,
  GetMetricDataCommand,
  ListMetricsCommand,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
} from '@aws-sdk/client-cloudwatch';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import {
  CreateTopicCommand,
  ListSubscriptionsByTopicCommand,
  ListTopicsCommand,
  NotFoundException,
  PublishCommand,
  SNSClient,
  SubscribeCommand,
} from '@aws-sdk/client-sns';
import { CreateQueueCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { resourceHandlers } from '../../local/deploy/resource-handlers';
import { startTestRuntime } from './support/local-runtime';

interface Received {
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

async function waitFor<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('CloudWatch and SNS (through the AWS SDK)', () => {
  let local: Awaited<ReturnType<typeof startTestRuntime>>;
  let cloudwatch: CloudWatchClient;
  let sns: SNSClient;
  let subscriber: Server;
  let subscriberUrl: string;
  const received: Received[] = [];

  beforeAll(async () => {
    // One real second is one local minute: alarms evaluate every second.
    local = await startTestRuntime({ clockFactor: 60 });
    const config = {
      endpoint: local.runtime.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    };
    cloudwatch = new CloudWatchClient(config);
    sns = new SNSClient(config);
    subscriber = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({ headers: request.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        response.end();
      });
    });
    await new Promise<void>((resolve) => subscriber.listen(0, '127.0.0.1', resolve));
    subscriberUrl = `http://127.0.0.1:${(subscriber.address() as AddressInfo).port}/alerts`;
  });

  afterAll(async () => {
    cloudwatch.destroy();
    sns.destroy();
    await new Promise((resolve) => subscriber.close(resolve));
    await local.stop();
  });

  it('answers GetMetricData with Sum, Average, Minimum, Maximum, SampleCount and percentiles per period', async () => {
    // Prepare
    const now = local.runtime.clock.now();
    const periodStartMs = Math.floor(now / 3_600_000) * 3_600_000 - 3_600_000;
    const values = Array.from({ length: 100 }, (_, index) => index + 1);
    // Act
    await cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: 'Concord/Test',
        MetricData: values.map((value, index) => ({
          MetricName: 'LatencyMs',
          Dimensions: [{ Name: 'flow', Value: 'order' }],
          Timestamp: new Date(periodStartMs + index * 1000),
          Value: value,
          Unit: 'Milliseconds',
        })),
      }),
    );
    const { MetricDataResults } = await cloudwatch.send(
      new GetMetricDataCommand({
        StartTime: new Date(periodStartMs),
        EndTime: new Date(periodStartMs + 3_600_000),
        MetricDataQueries: ['Sum', 'Average', 'Minimum', 'Maximum', 'SampleCount', 'p50', 'p95', 'p99'].map(
          (stat) => ({
            Id: stat.toLowerCase(),
            MetricStat: {
              Metric: {
                Namespace: 'Concord/Test',
                MetricName: 'LatencyMs',
                Dimensions: [{ Name: 'flow', Value: 'order' }],
              },
              Period: 3600,
              Stat: stat,
            },
          }),
        ),
      }),
    );
    const { Metrics } = await cloudwatch.send(new ListMetricsCommand({ Namespace: 'Concord/Test' }));
    // Assess
    expect(Object.fromEntries((MetricDataResults ?? []).map((result) => [result.Id, result.Values]))).toEqual(
      {
        sum: [5050],
        average: [50.5],
        minimum: [1],
        maximum: [100],
        samplecount: [100],
        p50: [50],
        p95: [95],
        p99: [99],
      },
    );
    expect(MetricDataResults?.[0]?.Timestamps).toEqual([new Date(periodStartMs)]);
    expect(Metrics).toEqual([
      { Namespace: 'Concord/Test', MetricName: 'LatencyMs', Dimensions: [{ Name: 'flow', Value: 'order' }] },
    ]);
  });

  it('turns the EMF documents a function logs into metrics', async () => {
    // Prepare
    await local.deployFunction(
      'emf-writer',
      `exports.handler = async () => {
         console.log(JSON.stringify({ _aws: { Timestamp: Date.now(), CloudWatchMetrics: [{ Namespace: 'Concord', Dimensions: [['stage', 'flow']], Metrics: [{ Name: 'OrdersBooked', Unit: 'Count' }] }] }, stage: 'local', flow: 'order', OrdersBooked: 2, correlationId: 'c-1' }));
         return 'ok';
       };`,
    );
    // Act
    await local.clients.lambda.send(
      new InvokeCommand({ FunctionName: 'emf-writer', Payload: Buffer.from('{}') }),
    );
    const metrics = await waitFor(async () => {
      const { Metrics } = await cloudwatch.send(new ListMetricsCommand({ Namespace: 'Concord' }));
      return Metrics?.length ? Metrics : undefined;
    });
    // Assess
    expect(metrics).toEqual([
      {
        Namespace: 'Concord',
        MetricName: 'OrdersBooked',
        Dimensions: [
          { Name: 'flow', Value: 'order' },
          { Name: 'stage', Value: 'local' },
        ],
      },
    ]);
  });

  it('keeps AWS/Lambda Invocations and Errors per function, so that a function errors alarm fires', async () => {
    // Prepare: a function that fails on demand, and the errors alarm a ServiceFunction gets
    await local.deployFunction(
      'sometimes-fails',
      `exports.handler = async (event) => { if (event.fail) throw new Error('broken'); return 'ok'; };`,
    );
    await cloudwatch.send(
      new PutMetricAlarmCommand({
        AlarmName: 'sometimes-fails-errors',
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: 'sometimes-fails' }],
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
      }),
    );
    // Act
    for (const fail of [false, false, true])
      await local.clients.lambda.send(
        new InvokeCommand({
          FunctionName: 'sometimes-fails',
          Payload: Buffer.from(JSON.stringify({ fail })),
        }),
      );
    const state = await waitFor(async () => {
      const { MetricAlarms = [] } = await cloudwatch.send(
        new DescribeAlarmsCommand({ AlarmNames: ['sometimes-fails-errors'] }),
      );
      return MetricAlarms[0]?.StateValue === 'ALARM' ? MetricAlarms[0].StateValue : undefined;
    });
    const { Metrics = [] } = await cloudwatch.send(
      new ListMetricsCommand({
        Namespace: 'AWS/Lambda',
        Dimensions: [{ Name: 'FunctionName', Value: 'sometimes-fails' }],
      }),
    );
    // Assess
    expect(state).toBe('ALARM');
    expect(Metrics.map((metric) => metric.MetricName).sort()).toEqual(['Duration', 'Errors', 'Invocations']);
  });

  it('changes an alarm to ALARM and back to OK and announces both to an HTTP subscriber', async () => {
    // Prepare
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'concord-alerts' }));
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'http', Endpoint: subscriberUrl }));
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'email', Endpoint: 'ops@example.com' }));
    await cloudwatch.send(
      new PutMetricAlarmCommand({
        AlarmName: 'orders-refused',
        Namespace: 'Concord/Alarm',
        MetricName: 'OrdersRefused',
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 5,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [TopicArn as string],
        OKActions: [TopicArn as string],
      }),
    );
    const state = async () =>
      (await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: ['orders-refused'] }))).MetricAlarms?.[0]
        ?.StateValue;
    // Act
    await cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: 'Concord/Alarm',
        MetricData: [{ MetricName: 'OrdersRefused', Value: 10 }],
      }),
    );
    await waitFor(async () => ((await state()) === 'ALARM' ? true : undefined));
    // No more refusals: the breaching minute leaves the window and the alarm recovers.
    await waitFor(async () => ((await state()) === 'OK' ? true : undefined));
    const notifications = await waitFor(() => {
      const states = received.map((message) => JSON.parse(String(message.body.Message)).NewStateValue);
      const alarmAt = states.indexOf('ALARM');
      return alarmAt >= 0 && states.indexOf('OK', alarmAt) > alarmAt ? received : undefined;
    });
    // Assess
    const alarm = notifications.find((message) =>
      String(message.body.Message).includes('"NewStateValue":"ALARM"'),
    );
    expect(alarm?.headers['x-amz-sns-message-type']).toBe('Notification');
    expect(alarm?.headers['x-amz-sns-topic-arn']).toBe(TopicArn);
    expect(alarm?.body).toMatchObject({
      Type: 'Notification',
      TopicArn,
      Subject: 'ALARM: "orders-refused" in US East (N. Virginia)',
    });
    expect(JSON.parse(String(alarm?.body.Message))).toMatchObject({
      AlarmName: 'orders-refused',
      NewStateValue: 'ALARM',
      Trigger: { MetricName: 'OrdersRefused', Namespace: 'Concord/Alarm', Threshold: 5, Period: 60 },
    });
    const mailbox = await waitFor(() => {
      try {
        const lines = readFileSync(path.join(local.dataDir, 'mailbox', 'concord-alerts.jsonl'), 'utf8')
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as { to: string; subject: string });
        return lines.some((mail) => mail.subject.startsWith('OK:')) ? lines : undefined;
      } catch {
        return undefined;
      }
    });
    expect(mailbox).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          to: 'ops@example.com',
          subject: 'ALARM: "orders-refused" in US East (N. Virginia)',
        }),
      ]),
    );
  });

  it('publishes, lists topics and subscriptions, and rejects a topic that does not exist', async () => {
    // Prepare
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'plain' }));
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'email', Endpoint: 'finance@example.com' }));
    // Act
    const { MessageId } = await sns.send(
      new PublishCommand({ TopicArn, Subject: 'Hello', Message: 'body <&>' }),
    );
    const { Topics } = await sns.send(new ListTopicsCommand({}));
    const { Subscriptions } = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn }));
    const missing = sns.send(new PublishCommand({ TopicArn: `${TopicArn}-missing`, Message: 'x' }));
    // Assess
    expect(MessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(Topics?.map((topic) => topic.TopicArn)).toContain(TopicArn);
    expect(Subscriptions).toEqual([
      expect.objectContaining({ Protocol: 'email', Endpoint: 'finance@example.com', TopicArn }),
    ]);
    await expect(missing).rejects.toBeInstanceOf(NotFoundException);
    const mail = await waitFor(() => {
      try {
        return JSON.parse(readFileSync(path.join(local.dataDir, 'mailbox', 'plain.jsonl'), 'utf8'));
      } catch {
        return undefined;
      }
    });
    expect(mail).toMatchObject({
      to: 'finance@example.com',
      subject: 'Hello',
      body: 'body <&>',
      messageId: MessageId,
    });
  });

  it('publishes AWS/SQS queue depths, so that a DLQ alarm fires when a message lands in the DLQ', async () => {
    // Prepare
    const { QueueUrl } = await local.clients.sqs.send(new CreateQueueCommand({ QueueName: 'orders-dlq' }));
    await cloudwatch.send(
      new PutMetricAlarmCommand({
        AlarmName: 'orders-dlq-not-empty',
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: 'orders-dlq' }],
        Statistic: 'Maximum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      }),
    );
    // Act
    await local.clients.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'poison' }));
    const alarm = await waitFor(async () => {
      const { MetricAlarms } = await cloudwatch.send(
        new DescribeAlarmsCommand({ AlarmNames: ['orders-dlq-not-empty'] }),
      );
      return MetricAlarms?.[0]?.StateValue === 'ALARM' ? MetricAlarms[0] : undefined;
    });
    // Assess
    expect(alarm.StateReason).toContain('greater than the threshold (0)');
  });

  it('deploys template alarms, topics and dashboards, listing metric-math alarms without evaluating them', async () => {
    // Prepare
    const context = {
      runtime: local.runtime,
      stackName: 'Stack',
      region: 'us-east-1',
      accountId: '000000000000',
      generatedName: (maxLength: number) => `Stack-Generated-${maxLength}`,
    } as unknown as Parameters<NonNullable<(typeof resourceHandlers)[string]>['deploy']>[1];
    // Act
    const topic = await resourceHandlers['AWS::SNS::Topic']?.deploy(
      { TopicName: 'stage-alerts', Subscription: [{ Protocol: 'email', Endpoint: 'ops@example.com' }] },
      context,
    );
    await resourceHandlers['AWS::CloudWatch::Alarm']?.deploy(
      {
        AlarmName: 'dlq-depth',
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: 'dlq' }],
        Statistic: 'Maximum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        AlarmActions: [topic?.physicalId],
      },
      context,
    );
    await resourceHandlers['AWS::CloudWatch::Alarm']?.deploy(
      {
        AlarmName: 'burn-rate',
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanThreshold',
        Metrics: [{ Id: 'rate', Expression: 'errors / total', ReturnData: true }],
      },
      context,
    );
    await resourceHandlers['AWS::CloudWatch::Dashboard']?.deploy(
      { DashboardName: 'concord-local', DashboardBody: '{"widgets":[]}' },
      context,
    );
    const dashboard = await cloudwatch.send(new GetDashboardCommand({ DashboardName: 'concord-local' }));
    const { MetricAlarms } = await cloudwatch.send(
      new DescribeAlarmsCommand({ AlarmNames: ['dlq-depth', 'burn-rate'] }),
    );
    // Assess
    expect(MetricAlarms?.map((alarm) => [alarm.AlarmName, alarm.AlarmActions])).toEqual([
      ['burn-rate', []],
      ['dlq-depth', [topic?.physicalId]],
    ]);
    expect(dashboard.DashboardBody).toBe('{"widgets":[]}');
  });
});
