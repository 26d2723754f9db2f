/** The per-entity version gate: an update applies only if it is newer than the last one applied; stale ones are counted and dropped. */
import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { DownstreamUnavailableError } from '../shared/errors';

/** Whether an update may proceed. */
export type GateOutcome = { outcome: 'apply' } | { outcome: 'stale'; reason: string };

/** Version records keyed by entity subject (`order/5820741173332`). */
export class DynamoDbVersionGate {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  /** Advances the entity's version when `entityVersion` is newer; otherwise records the stale update and says so. */
  async pass(subject: string, entityVersion: number, now: Date = new Date()): Promise<GateOutcome> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { subject: { S: subject } },
          UpdateExpression: 'SET entityVersion = :version, updatedAt = :now',
          ConditionExpression: 'attribute_not_exists(subject) OR entityVersion < :version',
          ExpressionAttributeValues: {
            ':version': { N: String(entityVersion) },
            ':now': { S: now.toISOString() },
          },
        }),
      );
      return { outcome: 'apply' };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException))
        throw new DownstreamUnavailableError('DynamoDB version table', { cause: error });
    }
    // Recorded, not an error: the ERP already reflects a newer state of this entity.
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: { subject: { S: subject } },
        UpdateExpression: 'ADD staleDrops :one SET lastStaleVersion = :version, lastStaleAt = :now',
        ExpressionAttributeValues: {
          ':one': { N: '1' },
          ':version': { N: String(entityVersion) },
          ':now': { S: now.toISOString() },
        },
      }),
    );
    return { outcome: 'stale', reason: `version ${entityVersion} is not newer than the one applied` };
  }
}
