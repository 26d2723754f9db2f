/** The dedupe store on DynamoDB: one item per (source, delivery id), claimed with a conditional write, expired by TTL. */
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { DownstreamUnavailableError } from '../../shared/errors';
import { newId } from '../../shared/ids';
import type { ClaimOutcome, DedupeStore, DeliveryKey } from '../ports';

const inProgress = 'IN_PROGRESS';
const completed = 'COMPLETED';

function partitionKey(key: DeliveryKey): string {
  return `${key.source}#${key.deliveryId}`;
}

async function guarded<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) throw error;
    throw new DownstreamUnavailableError('DynamoDB dedupe table', { cause: error });
  }
}

/** Dedupe records keyed `pk = "<source>#<deliveryId>"`; `expiresAt` is the table's TTL attribute (epoch seconds). */
export class DynamoDbDedupeStore implements DedupeStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async claim(
    key: DeliveryKey,
    options: { windowSec: number; inProgressSec: number; now: Date },
  ): Promise<ClaimOutcome> {
    const nowSec = Math.floor(options.now.getTime() / 1000);
    const token = newId();
    try {
      await guarded(() =>
        this.client.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: {
              pk: { S: partitionKey(key) },
              status: { S: inProgress },
              claimToken: { S: token },
              inProgressUntil: { N: String(nowSec + options.inProgressSec) },
              expiresAt: { N: String(nowSec + options.windowSec) },
              source: { S: key.source },
              deliveryId: { S: key.deliveryId },
            },
            // TTL deletion lags by up to days, so an expired record is treated as absent here rather than trusted to be gone.
            ConditionExpression:
              'attribute_not_exists(pk) OR expiresAt < :now OR (#status = :inProgress AND inProgressUntil < :now)',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':now': { N: String(nowSec) }, ':inProgress': { S: inProgress } },
          }),
        ),
      );
      return { status: 'claimed', token };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return this.existing(key);
    }
  }

  private async existing(key: DeliveryKey): Promise<ClaimOutcome> {
    const { Item } = await guarded(() =>
      this.client.send(
        new GetItemCommand({
          TableName: this.tableName,
          Key: { pk: { S: partitionKey(key) } },
          ConsistentRead: true,
        }),
      ),
    );
    if (Item?.status?.S === completed && Item.eventId?.S && Item.correlationId?.S) {
      return { status: 'completed', eventId: Item.eventId.S, correlationId: Item.correlationId.S };
    }
    // Still claimed by a live attempt (or released between our write and read: the sender's retry will claim it).
    return { status: 'in-progress' };
  }

  async complete(
    key: DeliveryKey,
    token: string,
    result: { eventId: string; correlationId: string },
  ): Promise<void> {
    await guarded(() =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { pk: { S: partitionKey(key) } },
          UpdateExpression:
            'SET #status = :completed, eventId = :eventId, correlationId = :correlationId REMOVE inProgressUntil',
          ConditionExpression: 'claimToken = :token',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':completed': { S: completed },
            ':eventId': { S: result.eventId },
            ':correlationId': { S: result.correlationId },
            ':token': { S: token },
          },
        }),
      ),
    );
  }

  async release(key: DeliveryKey, token: string): Promise<void> {
    try {
      await guarded(() =>
        this.client.send(
          new DeleteItemCommand({
            TableName: this.tableName,
            Key: { pk: { S: partitionKey(key) } },
            ConditionExpression: 'claimToken = :token',
            ExpressionAttributeValues: { ':token': { S: token } },
          }),
        ),
      );
    } catch (error) {
      // Someone else's claim replaced ours after it expired: theirs is not ours to delete.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
