/** The latest-version table of the item write-back, on DynamoDB: one item per platform key, changed conditionally. */
import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { type ItemChange, keyOf } from './item-change';
import type { LatestChangeRecord, LatestChangeStore } from './item-write-back';

/** Where the records live: the version table, under subjects of their own. */
export interface DynamoDbLatestChangeStoreOptions {
  tableName: string;
  /** The platform the records are about: part of the subject, so two targets never share a record. */
  platform: string;
  /**
   * How long a pending flush is trusted. Past it (its request lost to a DLQ, say) the next change schedules a new one,
   * so a key can never be stuck waiting for a flush that will not come.
   */
  flushLeaseMs: number;
}

/** The store over the version table (partition key `subject`). */
export class DynamoDbLatestChangeStore implements LatestChangeStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly options: DynamoDbLatestChangeStoreOptions,
  ) {}

  private subject(key: string) {
    return { subject: { S: `item-write-back/${this.options.platform}/${key}` } };
  }

  async offer(
    change: ItemChange,
    nowMs: number,
  ): Promise<{ outcome: 'recorded' | 'stale'; scheduleFlush: boolean }> {
    const Key = this.subject(keyOf(change));
    let previousFlushSince: number | undefined;
    try {
      const { Attributes } = await this.client.send(
        new UpdateItemCommand({
          TableName: this.options.tableName,
          Key,
          // An equal version is the same change delivered again: recorded again, so that a retried delivery
          // schedules the flush its first attempt could not.
          UpdateExpression:
            'SET desiredVersion = :v, desired = :d, flushSince = if_not_exists(flushSince, :now)',
          // A version already written (the flush wrote the ERP's state, newer than the events still in flight) is stale.
          ConditionExpression:
            '(attribute_not_exists(desiredVersion) OR desiredVersion <= :v) AND (attribute_not_exists(writtenVersion) OR writtenVersion < :v)',
          ExpressionAttributeValues: {
            ':v': { N: String(change.version) },
            ':d': { S: JSON.stringify(change) },
            ':now': { N: String(nowMs) },
          },
          ReturnValues: 'UPDATED_OLD',
        }),
      );
      previousFlushSince =
        Attributes?.flushSince?.N === undefined ? undefined : Number(Attributes.flushSince.N);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return { outcome: 'stale', scheduleFlush: false };
      throw error;
    }
    if (previousFlushSince === undefined) return { outcome: 'recorded', scheduleFlush: true };
    if (nowMs - previousFlushSince <= this.options.flushLeaseMs)
      return { outcome: 'recorded', scheduleFlush: false };
    // The pending flush outlived its lease: this change takes the lease over and schedules its own.
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.options.tableName,
        Key,
        UpdateExpression: 'SET flushSince = :now',
        ExpressionAttributeValues: { ':now': { N: String(nowMs) } },
      }),
    );
    return { outcome: 'recorded', scheduleFlush: true };
  }

  async read(key: string): Promise<LatestChangeRecord | undefined> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.options.tableName, Key: this.subject(key), ConsistentRead: true }),
    );
    if (!Item?.desired?.S) return undefined;
    return {
      desired: JSON.parse(Item.desired.S) as ItemChange,
      ...(Item.writtenVersion?.N === undefined ? {} : { writtenVersion: Number(Item.writtenVersion.N) }),
    };
  }

  async settle(key: string, desiredVersion: number, writtenVersion?: number): Promise<'settled' | 'moved'> {
    const Key = this.subject(key);
    const written = writtenVersion !== undefined;
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.options.tableName,
          Key,
          UpdateExpression: written ? 'SET writtenVersion = :w REMOVE flushSince' : 'REMOVE flushSince',
          ConditionExpression: written
            ? 'desiredVersion = :d AND (attribute_not_exists(writtenVersion) OR writtenVersion < :w)'
            : 'desiredVersion = :d',
          ExpressionAttributeValues: {
            ':d': { N: String(desiredVersion) },
            ...(written ? { ':w': { N: String(writtenVersion) } } : {}),
          },
        }),
      );
      return 'settled';
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    if (written) {
      // A newer change was recorded during the write: the version written is kept (never lowered) and the pending
      // flush stays, for the caller to schedule again.
      try {
        await this.client.send(
          new UpdateItemCommand({
            TableName: this.options.tableName,
            Key,
            UpdateExpression: 'SET writtenVersion = :w',
            ConditionExpression: 'attribute_not_exists(writtenVersion) OR writtenVersion < :w',
            ExpressionAttributeValues: { ':w': { N: String(writtenVersion) } },
          }),
        );
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
    return 'moved';
  }

  async release(key: string): Promise<void> {
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.options.tableName,
        Key: this.subject(key),
        UpdateExpression: 'REMOVE flushSince',
      }),
    );
  }
}
