/** The per-entity version gate: an update applies if it is newer than the last one applied, or is that one run again; stale ones are counted and dropped. */
import {
  type AttributeValue,
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

/** How an update identifies itself to the gate. */
export interface PassOptions {
  /** The update is a governed replay (it carries `replayid`): it may re-run the version it carries. */
  replay?: boolean;
  /** The canonical event's `id`: a re-run or redelivery of the event that passed at this version passes again. */
  eventId?: string;
}

/**
 * Version records keyed by entity subject (`order/5820741173332`). The rule, for an update at version v from event e:
 * - v newer than the recorded version: applies, and records v and e (`appliedEventId`);
 * - v equal, e the recorded event: applies again. The first run may not have finished (a crash, a workflow re-run, an
 *   at-least-once redelivery): "this version was seen" is not "this version was done", and every step after the gate
 *   is idempotent, so running it again completes what is missing and repeats nothing;
 * - v equal, another event (or none named): stale. Versions are unique per change (see docs/architecture.md, Entity
 *   versions), so another event at the same version is the same change reported twice (Stripe's
 *   payment_intent.succeeded and invoice.paid, a webhook re-sent after the dedupe window): the event that passed
 *   carries it to the end;
 * - v older: stale;
 * - a replay passes at v equal or newer, whichever event passed before (its first run failed after the gate).
 */
export class DynamoDbVersionGate {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  /** Advances the entity's version when `entityVersion` is newer, or lets the event that passed at it run again; otherwise records the stale update and says so. */
  async pass(
    subject: string,
    entityVersion: number,
    now: Date = new Date(),
    options: PassOptions = {},
  ): Promise<GateOutcome> {
    const passed =
      (await this.advance(subject, entityVersion, now, 'newer', options.eventId)) ??
      // A replay re-runs the version it carries even after another event passed at it (the steps it already
      // completed are skipped by their idempotency records); the event recorded as applied stays.
      (options.replay ? await this.advance(subject, entityVersion, now, 'replay') : undefined);
    if (passed) return passed;
    // Recorded, not an error: the ERP already reflects this change or a newer state of this entity.
    const { Attributes } = await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: { subject: { S: subject } },
        UpdateExpression: `ADD staleDrops :one SET lastStaleVersion = :version, lastStaleAt = :now${options.eventId ? ', lastStaleEventId = :eventId' : ''}`,
        ExpressionAttributeValues: {
          ':one': { N: '1' },
          ':version': { N: String(entityVersion) },
          ':now': { S: now.toISOString() },
          ...(options.eventId ? { ':eventId': { S: options.eventId } } : {}),
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    const applied = Attributes?.entityVersion?.N;
    return {
      outcome: 'stale',
      reason:
        applied === String(entityVersion)
          ? `version ${entityVersion} was applied by ${Attributes?.appliedEventId?.S ? `event ${Attributes.appliedEventId.S}` : 'another event'}: the same change reported again`
          : `version ${entityVersion} is older than version ${applied ?? '(unknown)'} applied`,
    };
  }

  /**
   * `newer`: sets the version when it is newer, or equal and applied by `eventId`, recording `eventId` as the event
   * applied at it (or forgetting the previous one when none is named, so no older event can match the new version).
   * `replay`: touches the record when the version is the one recorded. Undefined when the condition fails.
   */
  private async advance(
    subject: string,
    entityVersion: number,
    now: Date,
    rule: 'newer' | 'replay',
    eventId?: string,
  ): Promise<GateOutcome | undefined> {
    // An announcement alone creates the record without a version: the first real update still passes.
    const newer = 'attribute_not_exists(entityVersion) OR entityVersion < :version';
    const command: { update: string; condition: string; eventValues: Record<string, AttributeValue> } =
      rule === 'replay'
        ? { update: 'SET updatedAt = :now', condition: 'entityVersion = :version', eventValues: {} }
        : eventId === undefined
          ? {
              update: 'SET entityVersion = :version, updatedAt = :now REMOVE appliedEventId',
              condition: newer,
              eventValues: {},
            }
          : {
              update: 'SET entityVersion = :version, updatedAt = :now, appliedEventId = :eventId',
              condition: `${newer} OR (entityVersion = :version AND appliedEventId = :eventId)`,
              eventValues: { ':eventId': { S: eventId } },
            };
    try {
      const { Attributes } = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { subject: { S: subject } },
          UpdateExpression: command.update,
          ConditionExpression: command.condition,
          ExpressionAttributeValues: {
            ':version': { N: String(entityVersion) },
            ':now': { S: now.toISOString() },
            ...command.eventValues,
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
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw new DownstreamUnavailableError('DynamoDB version table', { cause: error });
    }
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
