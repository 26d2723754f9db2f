/** Alerting end to end: an ERP refusal fills the exceptions queue, its alarm notifies an HTTP subscriber, then recovers. */
import { DescribeAlarmsCommand, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { ListQueuesCommand } from '@aws-sdk/client-sqs';
import { drainQueue, postShopifyOrder, startPlatformWithErp } from './support/deployed-platform';
import { eventually } from './support/eventually';
import {
  alarmTopicArn,
  metricValues,
  observabilityClients,
  startAlarmSubscriber,
} from './support/observability';
import { shopifyOrder } from './support/shopify-orders';

// Thirty times faster local time: the alarm's 5-minute period passes in 10 s, an evaluation every 2 s.
const clockFactor = 30;
const alarmName = 'ExceptionsQueueMessagesAlarm';

describe('alarm notifications on the embedded runtime', () => {
  let running: Awaited<ReturnType<typeof startPlatformWithErp>>;
  let observability: ReturnType<typeof observabilityClients>;
  let subscriber: Awaited<ReturnType<typeof startAlarmSubscriber>>;

  beforeAll(async () => {
    running = await startPlatformWithErp({ clockFactor });
    observability = observabilityClients(running.platform.runtime.endpoint);
    subscriber = await startAlarmSubscriber(observability.sns, await alarmTopicArn(observability.sns));
  }, 120_000);

  afterAll(async () => {
    await subscriber?.close();
    observability?.cloudwatch.destroy();
    observability?.sns.destroy();
    await running?.stop();
  });

  it('notifies ALARM when a refused order waits in the exceptions queue, and OK once it is handled', async () => {
    // Prepare: the ERP refuses every sales order, as a business rule would.
    await running.erpAdmin.addFault({ route: '/sales-orders*', kind: 'refuse', rate: 1 });
    const { QueueUrls = [] } = await running.clients.sqs.send(
      new ListQueuesCommand({ QueueNamePrefix: 'Concord-local-Stateful-ExceptionsQueue' }),
    );
    const exceptionsQueueUrl = QueueUrls[0] as string;
    const order = shopifyOrder();
    // Act: a refused order lands in the exceptions queue.
    const response = await postShopifyOrder(
      running.platform.apiUrl,
      running.secrets.shopify?.[0] as string,
      JSON.stringify(order),
    );
    expect(response.status).toBe(202);
    const alarm = await eventually(async () => subscriber.transition(alarmName, 'ALARM'), 45_000, 250);
    // Act: the cause is cleared and the operator takes the exception out of the queue.
    await running.erpAdmin.clearFaults();
    const handled = (await drainQueue(running.clients.sqs, exceptionsQueueUrl)) as { businessKey?: string }[];
    const ok = await eventually(async () => subscriber.transition(alarmName, 'OK', 'ALARM'), 45_000, 250);
    // Assess: CloudWatch's alarm JSON in SNS's envelope, for the firing and for the recovery.
    expect(handled.map((exception) => exception.businessKey)).toContain(`order/${order.id}`);
    expect(alarm.messageType).toBe('Notification');
    expect(alarm.envelope).toMatchObject({
      Type: 'Notification',
      TopicArn: expect.stringContaining('AlarmTopic'),
      Subject: expect.stringMatching(/^ALARM: ".*ExceptionsQueueMessagesAlarm.*" in /),
    });
    expect(alarm.alarm).toMatchObject({
      NewStateValue: 'ALARM',
      Trigger: {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Namespace: 'AWS/SQS',
        Dimensions: [{ name: 'QueueName', value: exceptionsQueueUrl.split('/').at(-1) }],
        Threshold: 1,
      },
    });
    expect(ok.envelope.Subject).toMatch(/^OK: ".*ExceptionsQueueMessagesAlarm.*" in /);
    expect(ok.alarm).toMatchObject({ NewStateValue: 'OK', OldStateValue: 'ALARM' });
  }, 90_000);

  it("keeps the HTTP API's AWS/ApiGateway metrics, so that its 5xx alarm evaluates on real answers", async () => {
    // Act: a webhook with a bad signature is answered 401
    const response = await postShopifyOrder(
      running.platform.apiUrl,
      'not-the-secret',
      JSON.stringify(shopifyOrder()),
    );
    const apiId = await eventually(
      async () => {
        const { Metrics = [] } = await observability.cloudwatch.send(
          new ListMetricsCommand({ Namespace: 'AWS/ApiGateway', MetricName: '4xx' }),
        );
        return Metrics[0]?.Dimensions?.find((dimension) => dimension.Name === 'ApiId')?.Value;
      },
      30_000,
      250,
    );
    // Published once a local minute: wait for the minute that holds the 401.
    const sums = await eventually(
      async () => {
        const found = await Promise.all(
          ['Count', '4xx', '5xx'].map(async (metricName) =>
            (
              await metricValues(
                observability.cloudwatch,
                metricName,
                { ApiId: apiId },
                'Sum',
                'AWS/ApiGateway',
              )
            ).reduce((total, value) => total + value, 0),
          ),
        );
        return (found[1] ?? 0) >= 1 ? found : undefined;
      },
      30_000,
      250,
    );
    const api5xxState = await eventually(
      async () => {
        const { MetricAlarms = [] } = await observability.cloudwatch.send(new DescribeAlarmsCommand({}));
        const alarm = MetricAlarms.find((candidate) => candidate.AlarmName?.includes('Api5xxAlarm'));
        return alarm?.StateValue === 'INSUFFICIENT_DATA' ? undefined : alarm?.StateValue;
      },
      30_000,
      250,
    );
    // Assess
    expect(response.status).toBe(401);
    expect(sums[0]).toBeGreaterThanOrEqual(1);
    expect(sums[1]).toBeGreaterThanOrEqual(1);
    expect(sums[2]).toBe(0);
    expect(api5xxState).toBe('OK');
  }, 90_000);
});
