import { CreateTableCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { CreateDeliveryStreamCommand, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { CreateStateMachineCommand, StartSyncExecutionCommand } from '@aws-sdk/client-sfn';
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { priceUsage } from '../../local/usage/aws-prices';
import { startTestRuntime } from './support/local-runtime';

describe('usage meter: billable units counted where the runtime serves them', () => {
  let local: Awaited<ReturnType<typeof startTestRuntime>>;

  beforeAll(async () => {
    local = await startTestRuntime();
  });

  afterAll(async () => {
    await local.stop();
  });

  beforeEach(() => local.runtime.usage.reset());

  it('counts PutEvents entries in 64 KB chunks', async () => {
    await local.clients.events.send(
      new PutEventsCommand({
        Entries: [
          { Source: 'test', DetailType: 'small', Detail: '{}' },
          { Source: 'test', DetailType: 'large', Detail: JSON.stringify({ pad: 'x'.repeat(70 * 1024) }) },
        ],
      }),
    );
    expect(local.runtime.usage.snapshot().eventBridgeEvents).toBe(3);
  });

  it('counts Firehose ingestion in 5 KB units per record', async () => {
    // Prepare
    await local.clients.s3.send(new CreateBucketCommand({ Bucket: 'metered-firehose' }));
    await local.clients.firehose.send(
      new CreateDeliveryStreamCommand({
        DeliveryStreamName: 'metered',
        ExtendedS3DestinationConfiguration: {
          BucketARN: 'arn:aws:s3:::metered-firehose',
          RoleARN: 'arn:aws:iam::000000000000:role/firehose',
        },
      }),
    );
    local.runtime.usage.reset();
    // Act: 100 bytes and 6 KB
    await local.clients.firehose.send(
      new PutRecordBatchCommand({
        DeliveryStreamName: 'metered',
        Records: [{ Data: Buffer.alloc(100, 'a') }, { Data: Buffer.alloc(6 * 1024, 'b') }],
      }),
    );
    // Assess
    expect(local.runtime.usage.snapshot().firehoseBilledBytes).toBe(15 * 1024);
  });

  it('counts DynamoDB WRU and RRU as DynamoDB bills them, failed conditional writes included', async () => {
    // Prepare
    await local.clients.dynamodb.send(
      new CreateTableCommand({
        TableName: 'metered',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    local.runtime.usage.reset();
    const put = (pad: number) =>
      local.clients.dynamodb.send(
        new PutItemCommand({
          TableName: 'metered',
          Item: { pk: { S: 'a' }, pad: { S: 'x'.repeat(pad) } },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    // Act: a 2.5 KB item (3 WRU), the same write refused by its condition (1), an eventual and a strong read.
    await put(2500);
    await expect(put(10)).rejects.toThrow('conditional request failed');
    const eventual = await local.clients.dynamodb.send(
      new GetItemCommand({ TableName: 'metered', Key: { pk: { S: 'a' } } }),
    );
    await local.clients.dynamodb.send(
      new GetItemCommand({ TableName: 'metered', Key: { pk: { S: 'a' } }, ConsistentRead: true }),
    );
    // Assess
    expect(eventual.Item?.pad?.S).toHaveLength(2500);
    expect(local.runtime.usage.snapshot()).toMatchObject({ dynamoDbWru: 4, dynamoDbRru: 1.5 });
  });

  it('counts SQS requests, Lambda requests and GB-seconds, and Express requests, duration and transitions', async () => {
    // Prepare
    const { QueueUrl } = await local.clients.sqs.send(new CreateQueueCommand({ QueueName: 'metered' }));
    await local.deployFunction(
      'metered-fn',
      'exports.handler = async () => { await new Promise((r) => setTimeout(r, 120)); console.log("done"); return 1; };',
      { memoryMiB: 512 },
    );
    const { stateMachineArn } = await local.clients.sfn.send(
      new CreateStateMachineCommand({
        name: 'metered-express',
        type: 'EXPRESS',
        roleArn: 'arn:aws:iam::000000000000:role/sfn',
        definition: JSON.stringify({
          StartAt: 'A',
          States: { A: { Type: 'Pass', Next: 'B' }, B: { Type: 'Pass', End: true } },
        }),
        loggingConfiguration: { level: 'ERROR', includeExecutionData: true },
      }),
    );
    local.runtime.usage.reset();
    // Act
    await local.clients.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'hello' }));
    await local.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl }));
    await local.clients.lambda.send(new InvokeCommand({ FunctionName: 'metered-fn', Payload: '{}' }));
    await local.clients.sfn.send(new StartSyncExecutionCommand({ stateMachineArn, input: '{}' }));
    // Assess
    const usage = local.runtime.usage.snapshot();
    expect(usage).toMatchObject({
      sqsRequests: 2,
      lambdaRequests: 1,
      expressRequests: 1,
      stateTransitions: 2,
      standardTransitions: 0,
      // One 100 ms step at 64 MB.
      expressGbSeconds: 0.00625,
    });
    // 512 MB for at least 120 ms.
    expect(usage.lambdaGbSeconds).toBeGreaterThanOrEqual(0.5 * 0.12);
    // The function's log lines only: a workflow logging errors logs nothing when it succeeds.
    expect(usage.logBytes).toBeGreaterThan(0);
    expect(usage.logBytes).toBeLessThan(1000);
  });

  it("counts the log bytes a workflow's logging level sends: every event at ALL, failures at ERROR", async () => {
    // Prepare
    const machine = async (name: string, level: string) =>
      (
        await local.clients.sfn.send(
          new CreateStateMachineCommand({
            name,
            type: 'EXPRESS',
            roleArn: 'arn:aws:iam::000000000000:role/sfn',
            definition: JSON.stringify({
              StartAt: 'A',
              States: {
                A: { Type: 'Pass', Next: 'B' },
                B: {
                  Type: 'Choice',
                  Choices: [{ Variable: '$.fail', BooleanEquals: true, Next: 'F' }],
                  Default: 'S',
                },
                F: { Type: 'Fail', Error: 'Refused', Cause: 'because' },
                S: { Type: 'Succeed' },
              },
            }),
            loggingConfiguration: { level: level as never, includeExecutionData: true },
          }),
        )
      ).stateMachineArn;
    const everything = await machine('logs-all', 'ALL');
    const errors = await machine('logs-error', 'ERROR');
    const logBytesOf = async (stateMachineArn: string | undefined, input: object) => {
      local.runtime.usage.reset();
      await local.clients.sfn.send(
        new StartSyncExecutionCommand({ stateMachineArn, input: JSON.stringify(input) }),
      );
      return local.runtime.usage.snapshot().logBytes;
    };
    // Act
    const allSucceeded = await logBytesOf(everything, { fail: false });
    const errorSucceeded = await logBytesOf(errors, { fail: false });
    const errorFailed = await logBytesOf(errors, { fail: true });
    // Assess
    expect(allSucceeded).toBeGreaterThan(500);
    expect(errorSucceeded).toBe(0);
    expect(errorFailed).toBeGreaterThan(0);
    expect(errorFailed).toBeLessThan(allSucceeded);
  });

  it('prices the counts at list prices, most expensive first', () => {
    const { items, totalUsd } = priceUsage({
      ...local.runtime.usage.snapshot(),
      apiGatewayRequests: 1_000_000,
      lambdaRequests: 1_000_000,
    });
    expect(items[0]).toMatchObject({ item: 'apiGatewayRequests', usd: 1 });
    expect(totalUsd).toBeCloseTo(1.2, 6);
  });
});
