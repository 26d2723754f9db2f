import {
  CreateEventBusCommand,
  DeleteRuleCommand,
  InvalidEventPatternException,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
  TestEventPatternCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { startTestRuntime } from './support/local-runtime';

describe('EventBridge (through the AWS SDK)', () => {
  let local: Awaited<ReturnType<typeof startTestRuntime>>;

  beforeAll(async () => {
    local = await startTestRuntime();
  });

  afterAll(async () => {
    await local.stop();
  });

  async function queue(name: string): Promise<{ url: string; arn: string }> {
    const { QueueUrl } = await local.clients.sqs.send(new CreateQueueCommand({ QueueName: name }));
    const { Attributes } = await local.clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    return { url: QueueUrl as string, arn: Attributes?.QueueArn as string };
  }

  async function receive(url: string) {
    const { Messages } = await local.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 5, MessageAttributeNames: ['All'] }),
    );
    return Messages?.[0];
  }

  it('routes a matching event to an SQS target through an InputTransformer', async () => {
    // Prepare
    await local.clients.events.send(new CreateEventBusCommand({ Name: 'concord-test' }));
    const target = await queue('placed-orders');
    await local.clients.events.send(
      new PutRuleCommand({
        Name: 'orders-placed',
        EventBusName: 'concord-test',
        EventPattern: JSON.stringify({
          source: ['concord.ingest'],
          'detail-type': [{ prefix: 'commerce.order.' }],
          detail: { data: { totals: { total: [{ numeric: ['>', 100] }] } } },
        }),
      }),
    );
    await local.clients.events.send(
      new PutTargetsCommand({
        Rule: 'orders-placed',
        EventBusName: 'concord-test',
        Targets: [
          {
            Id: 'queue',
            Arn: target.arn,
            InputTransformer: {
              InputPathsMap: { id: '$.detail.id', total: '$.detail.data.totals.total' },
              InputTemplate: '{"order": <id>, "summary": "order <id> of <total>"}',
            },
          },
        ],
      }),
    );
    // Act
    const put = await local.clients.events.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: 'concord-test',
            Source: 'concord.ingest',
            DetailType: 'commerce.order.placed.v1',
            Detail: JSON.stringify({ id: 'o-1', data: { totals: { total: 232.15 } } }),
          },
          {
            EventBusName: 'concord-test',
            Source: 'concord.ingest',
            DetailType: 'commerce.order.placed.v1',
            Detail: JSON.stringify({ id: 'o-2', data: { totals: { total: 5 } } }),
          },
          { EventBusName: 'concord-test', Source: 'concord.ingest', DetailType: 'x', Detail: 'not json' },
        ],
      }),
    );
    const message = await receive(target.url);
    const nothingElse = await local.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: target.url, WaitTimeSeconds: 1 }),
    );
    // Assess
    expect(put.FailedEntryCount).toBe(1);
    expect(put.Entries?.[2]).toEqual({ ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' });
    expect(JSON.parse(message?.Body ?? '{}')).toEqual({ order: 'o-1', summary: 'order o-1 of 232.15' });
    expect(nothingElse.Messages).toBeUndefined();
  });

  it('sends the original event to the DLQ with AWS error attributes when the target cannot be reached', async () => {
    // Prepare
    const dlq = await queue('rule-dlq');
    await local.clients.events.send(
      new PutRuleCommand({ Name: 'to-missing', EventPattern: JSON.stringify({ source: ['dlq.test'] }) }),
    );
    await local.clients.events.send(
      new PutTargetsCommand({
        Rule: 'to-missing',
        Targets: [
          {
            Id: 'gone',
            Arn: 'arn:aws:sqs:us-east-1:000000000000:does-not-exist',
            DeadLetterConfig: { Arn: dlq.arn },
            RetryPolicy: { MaximumRetryAttempts: 2 },
          },
        ],
      }),
    );
    // Act
    await local.clients.events.send(
      new PutEventsCommand({ Entries: [{ Source: 'dlq.test', DetailType: 'probe', Detail: '{"n":1}' }] }),
    );
    const dead = await receive(dlq.url);
    // Assess
    expect(JSON.parse(dead?.Body ?? '{}')).toMatchObject({
      source: 'dlq.test',
      'detail-type': 'probe',
      detail: { n: 1 },
    });
    expect(dead?.MessageAttributes?.ERROR_CODE?.StringValue).toBe('QueueDoesNotExist');
    expect(dead?.MessageAttributes?.RULE_ARN?.StringValue).toBe(
      'arn:aws:events:us-east-1:000000000000:rule/to-missing',
    );
    expect(dead?.MessageAttributes?.TARGET_ARN?.StringValue).toBe(
      'arn:aws:sqs:us-east-1:000000000000:does-not-exist',
    );
  });

  it('records on a custom bus the rule ARN with its bus, the target ARN and the error message, as a replay reads them', async () => {
    // Prepare
    const dlq = await queue('bus-rule-dlq');
    await local.clients.events.send(new CreateEventBusCommand({ Name: 'concord-dlq-test' }));
    await local.clients.events.send(
      new PutRuleCommand({
        Name: 'warehouse-like',
        EventBusName: 'concord-dlq-test',
        EventPattern: JSON.stringify({ source: ['dlq.bus.test'] }),
      }),
    );
    await local.clients.events.send(
      new PutTargetsCommand({
        Rule: 'warehouse-like',
        EventBusName: 'concord-dlq-test',
        Targets: [
          {
            Id: 'stream',
            Arn: 'arn:aws:firehose:us-east-1:000000000000:deliverystream/does-not-exist',
            InputPath: '$.detail',
            DeadLetterConfig: { Arn: dlq.arn },
            RetryPolicy: { MaximumRetryAttempts: 0 },
          },
        ],
      }),
    );
    // Act
    await local.clients.events.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: 'concord-dlq-test',
            Source: 'dlq.bus.test',
            DetailType: 'probe',
            Detail: '{"n":2}',
          },
        ],
      }),
    );
    const dead = await receive(dlq.url);
    // Assess: the body is the event before the target's InputPath; the attributes name the rule and target.
    expect(JSON.parse(dead?.Body ?? '{}')).toMatchObject({ source: 'dlq.bus.test', detail: { n: 2 } });
    expect(dead?.MessageAttributes?.RULE_ARN?.StringValue).toBe(
      'arn:aws:events:us-east-1:000000000000:rule/concord-dlq-test/warehouse-like',
    );
    expect(dead?.MessageAttributes?.TARGET_ARN?.StringValue).toBe(
      'arn:aws:firehose:us-east-1:000000000000:deliverystream/does-not-exist',
    );
    expect(dead?.MessageAttributes?.ERROR_CODE?.StringValue).toEqual(expect.any(String));
    expect(dead?.MessageAttributes?.ERROR_MESSAGE?.StringValue).toEqual(expect.any(String));
  });

  it('answers TestEventPattern as EventBridge does', async () => {
    const event = {
      id: '1',
      account: '000000000000',
      source: 'aws.ec2',
      time: '2026-11-20T10:00:00Z',
      region: 'us-east-1',
      'detail-type': 'x',
      resources: [],
      detail: { state: 'running' },
    };
    const result = await local.clients.events.send(
      new TestEventPatternCommand({
        EventPattern: JSON.stringify({ detail: { state: [{ 'anything-but': 'terminated' }] } }),
        Event: JSON.stringify(event),
      }),
    );
    expect(result.Result).toBe(true);
  });

  it('rejects an invalid pattern with InvalidEventPatternException and AWS reason', async () => {
    // Act
    const putting = local.clients.events.send(
      new PutRuleCommand({ Name: 'bad', EventPattern: '{"source":"aws.ec2"}' }),
    );
    // Assess
    await expect(putting).rejects.toBeInstanceOf(InvalidEventPatternException);
    await expect(putting).rejects.toThrow(
      'Event pattern is not valid. Reason: "source" must be an object or an array',
    );
  });

  it('refuses to delete a rule that still has targets', async () => {
    await local.clients.events.send(new PutRuleCommand({ Name: 'kept', EventPattern: '{"source":["k"]}' }));
    await local.clients.events.send(
      new PutTargetsCommand({
        Rule: 'kept',
        Targets: [{ Id: 't', Arn: 'arn:aws:sqs:us-east-1:000000000000:placed-orders' }],
      }),
    );
    await expect(local.clients.events.send(new DeleteRuleCommand({ Name: 'kept' }))).rejects.toThrow(
      "Rule can't be deleted since it has targets.",
    );
  });
});
