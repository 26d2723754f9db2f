/** The per-entity version gate: an update applies only if it is newer than the last one applied; stale ones are counted and dropped. */
import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { DownstreamUnavailableError } from '../shared/errors';

/** A newer full state of the entity, announced by an update that arrived before the entity existed. */
export interface NewerState {
  entityVersion: number;
  state: unknown;
}

/** Whether an update may proceed, and the newer state it should apply instead when one was announced. */
export type GateOutcome = { outcome: 'apply'; newer?: NewerState } | { outcome: 'stale'; reason: string };

/** Version records keyed by entity subject (`order/5820741173332`). */
export class DynamoDbVersionGate {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  /** Advances the entity's version when `entityVersion` is newer; otherwise records the stale update and says so. */
  async pass(
    subject: string,
    entityVersion: number,
    now: Date = new Date(),
    options: { replay?: boolean } = {},
  ): Promise<GateOutcome> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { subject: { S: subject } },
          UpdateExpression: 'SET entityVersion = :version, updatedAt = :now',
          // An announcement alone creates the record without a version: the first real update still passes. A
          // replay re-runs the version it carries (its first run failed after the gate); the steps it already
          // completed are skipped by their idempotency records.
          ConditionExpression: options.replay
            ? 'attribute_not_exists(entityVersion) OR entityVersion <= :version'
            : 'attribute_not_exists(entityVersion) OR entityVersion < :version',
          ExpressionAttributeValues: {
            ':version': { N: String(entityVersion) },
            ':now': { S: now.toISOString() },
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      const announced = Number(Attributes?.announcedVersion?.N ?? 0);
      if (announced > entityVersion && Attributes?.announcedState?.S)
        return {
          outcome: 'apply',
          newer: { entityVersion: announced, state: JSON.parse(Attributes.announcedState.S) },
        };
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

  /**
   * Records the full state an update carries before it passes the gate, if it is the newest announced: an update
   * that overtook the creation of its entity (an amendment before its order) lets the creation book this newest
   * state, where applying it afterwards could be too late (an invoiced order cannot be amended).
   */
  async announce(
    subject: string,
    entityVersion: number,
    state: unknown,
    now: Date = new Date(),
  ): Promise<{ announced: boolean }> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { subject: { S: subject } },
          UpdateExpression: 'SET announcedVersion = :version, announcedState = :state, announcedAt = :now',
          ConditionExpression: 'attribute_not_exists(announcedVersion) OR announcedVersion < :version',
          ExpressionAttributeValues: {
            ':version': { N: String(entityVersion) },
            ':state': { S: JSON.stringify(state) },
            ':now': { S: now.toISOString() },
          },
        }),
      );
      return { announced: true };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return { announced: false };
      throw new DownstreamUnavailableError('DynamoDB version table', { cause: error });
    }
  }
}
