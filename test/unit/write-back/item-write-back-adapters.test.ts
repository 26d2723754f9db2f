import { ConditionalCheckFailedException, DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { readDeadLetter } from '../../../functions/replay/dead-letters';
import { DynamoDbLatestChangeStore } from '../../../functions/write-back/items/dynamodb-latest-change-store';
import { SqsFlushQueue, SqsItemDeadLetters } from '../../../functions/write-back/items/sqs-item-queues';
import { level } from './item-write-back-fakes';

const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

describe('DynamoDbLatestChangeStore', () => {
  const dynamodb = mockClient(DynamoDBClient);
  const store = new DynamoDbLatestChangeStore(new DynamoDBClient({}), {
    tableName: 'versions',
    platform: 'shopify',
    flushLeaseMs: 60_000,
  });

  beforeEach(() => dynamodb.reset());

  it('records a newer change and asks for a flush when none was pending', async () => {
    // Prepare
    dynamodb.on(UpdateItemCommand).resolves({ Attributes: {} });
    // Act
    const result = await store.offer(level('SKU-1', 'BER-1', 5, 9), 1_000);
    // Assess
    expect(result).toEqual({ outcome: 'recorded', scheduleFlush: true });
    const input = dynamodb.commandCalls(UpdateItemCommand)[0]?.args[0].input;
    expect(input).toMatchObject({
      TableName: 'versions',
      Key: { subject: { S: 'item-write-back/shopify/stock/SKU-1@BER-1' } },
      ReturnValues: 'UPDATED_OLD',
    });
    expect(input?.ConditionExpression).toContain('writtenVersion < :v');
  });

  it('asks for no flush while one is pending within its lease, and takes over an expired one', async () => {
    // Prepare
    dynamodb.on(UpdateItemCommand).resolves({ Attributes: { flushSince: { N: '1000' } } });
    // Act
    const pending = await store.offer(level('SKU-1', 'BER-1', 5, 9), 30_000);
    const expired = await store.offer(level('SKU-1', 'BER-1', 6, 10), 120_000);
    // Assess
    expect(pending).toEqual({ outcome: 'recorded', scheduleFlush: false });
    expect(expired).toEqual({ outcome: 'recorded', scheduleFlush: true });
    expect(dynamodb.commandCalls(UpdateItemCommand).at(-1)?.args[0].input.UpdateExpression).toBe(
      'SET flushSince = :now',
    );
  });

  it('reads a failed condition as a stale change', async () => {
    // Prepare
    dynamodb.on(UpdateItemCommand).rejects(conditionFailed());
    // Act
    const result = await store.offer(level('SKU-1', 'BER-1', 5, 2), 1_000);
    // Assess
    expect(result).toEqual({ outcome: 'stale', scheduleFlush: false });
  });

  it('settles as moved when a newer change arrived, keeping the version written', async () => {
    // Prepare
    dynamodb.on(UpdateItemCommand).rejectsOnce(conditionFailed()).resolves({});
    // Act
    const result = await store.settle('stock/SKU-1@BER-1', 9, 12);
    // Assess
    expect(result).toBe('moved');
    expect(dynamodb.commandCalls(UpdateItemCommand)[1]?.args[0].input).toMatchObject({
      UpdateExpression: 'SET writtenVersion = :w',
      ExpressionAttributeValues: { ':w': { N: '12' } },
    });
  });

  it('rethrows what is not a failed condition', async () => {
    // Prepare
    dynamodb.on(UpdateItemCommand).rejects(new Error('ProvisionedThroughputExceededException'));
    // Act / Assess
    await expect(store.offer(level('SKU-1', 'BER-1', 5, 2), 1_000)).rejects.toThrow('ProvisionedThroughput');
  });
});

describe('SqsFlushQueue and SqsItemDeadLetters', () => {
  const sqs = mockClient(SQSClient);

  beforeEach(() => sqs.reset());

  it('delays flush requests by the window, ten to a batch', async () => {
    // Prepare
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    const keys = Array.from({ length: 12 }, (_, index) => `stock/SKU-${index}@BER-1`);
    // Act
    await new SqsFlushQueue(new SQSClient({}), 'https://queue', 30).schedule(keys);
    // Assess
    const calls = sqs.commandCalls(SendMessageBatchCommand).map((call) => call.args[0].input.Entries ?? []);
    expect(calls.map((entries) => entries.length)).toEqual([10, 2]);
    expect(calls[0]?.[0]).toMatchObject({ MessageBody: '{"flush":"stock/SKU-0@BER-1"}', DelaySeconds: 30 });
  });

  it('fails when SQS refuses an entry, so that the caller retries', async () => {
    // Prepare
    sqs.on(SendMessageBatchCommand).resolves({
      Failed: [{ Id: '0', Code: 'InternalError', SenderFault: false, Message: 'try again' }],
    });
    // Act / Assess
    await expect(new SqsFlushQueue(new SQSClient({}), 'https://queue', 30).schedule(['k'])).rejects.toThrow(
      'SQS refused 1 of 1 messages',
    );
  });

  it('writes letters the replay tooling lists with the platform error', async () => {
    // Prepare
    sqs.on(SendMessageBatchCommand).resolves({ Failed: [] });
    const letter = {
      kind: 'item-write-back' as const,
      key: 'stock/SKU-X@BER-1',
      platform: 'shopify',
      change: level('SKU-X', 'BER-1', 3, 1),
      errorCode: 'PlatformRefusedError',
      reason: 'The shop has no variant with SKU SKU-X',
      attempts: 1,
      failedAt: '2026-11-29T10:00:00.000Z',
    };
    // Act
    await new SqsItemDeadLetters(new SQSClient({}), 'https://dlq').send([letter]);
    const [entry] = sqs.commandCalls(SendMessageBatchCommand)[0]?.args[0].input.Entries ?? [];
    const read = readDeadLetter({
      MessageId: 'm-1',
      ReceiptHandle: 'r-1',
      Body: entry?.MessageBody,
      MessageAttributes: entry?.MessageAttributes,
      Attributes: { ApproximateReceiveCount: '1', SentTimestamp: '1764410400000' },
    });
    // Assess
    expect(read).toMatchObject({
      kind: 'item-write-back',
      eventType: 'erp.stock.changed.v1',
      entity: 'stock/SKU-X@BER-1',
      errorCode: 'PlatformRefusedError',
      errorMessage: 'The shop has no variant with SKU SKU-X',
      target: 'shopify',
    });
    expect(entry?.MessageAttributes?.ERROR_CODE?.StringValue).toBe('PlatformRefusedError');
  });
});
