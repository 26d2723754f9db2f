/** Reading the platform's observability from the outside: CloudWatch metrics through the SDK, and an SNS HTTP subscriber. */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CloudWatchClient,
  type Dimension,
  GetMetricDataCommand,
  ListMetricsCommand,
} from '@aws-sdk/client-cloudwatch';
import { ListTopicsCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { metricsNamespace } from '../../../functions/shared/observability/business-metrics';

const clientConfig = (endpoint: string) => ({
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});

/** CloudWatch and SNS clients pointed at the runtime's edge, as an operator's tooling would be. */
export function observabilityClients(endpoint: string) {
  return {
    cloudwatch: new CloudWatchClient(clientConfig(endpoint)),
    sns: new SNSClient(clientConfig(endpoint)),
  };
}

/** One statistic of a Concord metric with exactly these dimensions, per hour with data, around now (either clock). */
export async function metricValues(
  cloudwatch: CloudWatchClient,
  metricName: string,
  dimensions: Record<string, string>,
  stat = 'Sum',
  namespace = metricsNamespace,
): Promise<number[]> {
  const now = Date.now();
  const { MetricDataResults = [] } = await cloudwatch.send(
    new GetMetricDataCommand({
      // Local time may run faster than real time: a wide window keeps every datapoint of the test in it.
      StartTime: new Date(now - 24 * 3_600_000),
      EndTime: new Date(now + 24 * 3_600_000),
      MetricDataQueries: [
        {
          Id: 'm',
          MetricStat: {
            Metric: {
              Namespace: namespace,
              MetricName: metricName,
              Dimensions: Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })),
            },
            Period: 3600,
            Stat: stat,
          },
        },
      ],
    }),
  );
  return MetricDataResults[0]?.Values ?? [];
}

/** The dimension sets under which a Concord metric has datapoints, each as its sorted dimension names. */
export async function dimensionNamesOf(
  cloudwatch: CloudWatchClient,
  metricName: string,
): Promise<string[][]> {
  const { Metrics = [] } = await cloudwatch.send(
    new ListMetricsCommand({ Namespace: metricsNamespace, MetricName: metricName }),
  );
  return Metrics.map((metric) =>
    (metric.Dimensions ?? []).map((dimension: Dimension) => String(dimension.Name)).sort(),
  );
}

/** The ARN of the stage's alarm topic (the one AlarmTopic construct of the stateful stack). */
export async function alarmTopicArn(sns: SNSClient): Promise<string> {
  const { Topics = [] } = await sns.send(new ListTopicsCommand({}));
  const arns = Topics.map((topic) => String(topic.TopicArn)).filter((arn) => arn.includes('AlarmTopic'));
  if (arns.length !== 1) throw new Error(`expected one alarm topic, found ${JSON.stringify(arns)}`);
  return arns[0] as string;
}

/** An SNS notification as an HTTP subscriber receives it: the envelope, with the alarm JSON parsed from Message. */
export interface ReceivedNotification {
  messageType: string | undefined;
  envelope: { Type: string; TopicArn: string; Subject?: string; Message: string };
  alarm: {
    AlarmName: string;
    NewStateValue: string;
    OldStateValue: string;
    Trigger: Record<string, unknown>;
  };
}

async function bodyOf(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A small HTTP server on 127.0.0.1 subscribed to a topic through SNS Subscribe; it keeps every notification it
 * receives. `close` stops the server (the subscription then fails its retries, harmlessly, until the runtime stops).
 */
export async function startAlarmSubscriber(sns: SNSClient, topicArn: string) {
  const received: ReceivedNotification[] = [];
  const server = createServer((request, response) => {
    bodyOf(request)
      .then((body) => {
        const envelope = JSON.parse(body) as ReceivedNotification['envelope'];
        received.push({
          messageType: request.headers['x-amz-sns-message-type'] as string | undefined,
          envelope,
          alarm: JSON.parse(envelope.Message),
        });
        response.writeHead(200).end();
      })
      .catch(() => response.writeHead(400).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const { SubscriptionArn } = await sns.send(
    new SubscribeCommand({
      TopicArn: topicArn,
      Protocol: 'http',
      Endpoint: `http://127.0.0.1:${port}/alarms`,
    }),
  );
  return {
    received,
    subscriptionArn: SubscriptionArn,
    /**
     * The first notification of an alarm whose name contains `alarmName` moving to `state` (from `from`, when
     * given: a new alarm also announces leaving INSUFFICIENT_DATA), if received yet.
     */
    transition(alarmName: string, state: string, from?: string): ReceivedNotification | undefined {
      return received.find(
        ({ alarm }) =>
          alarm.AlarmName.includes(alarmName) &&
          alarm.NewStateValue === state &&
          (from === undefined || alarm.OldStateValue === from),
      );
    },
    close(): Promise<void> {
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
