/**
 * Relays the ERP's own business events (its outbox) onto the bus as canonical erp.* events, from a durable cursor;
 * an entry that cannot become a valid event is dead-lettered and passed, so that it never stalls the ones behind it.
 */
import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { ConcordError, type ConcordErrorOptions, type Violation } from '../shared/errors';
import { buildCanonicalEvent, type CanonicalEvent, validateCanonicalEvent } from '../shared/events/envelope';
import { idOf } from '../shared/ids';
import { itemMappers } from './item-mappers';
import { purchaseOrderMappers } from './purchase-order-mappers';

/** One entry of the ERP's outbox, as GET /outbox lists it. */
export interface OutboxEntry {
  seq: number;
  at: string;
  type: string;
  payload: Record<string, unknown>;
}

/** What the relay parks in its dead-letter queue: the entry, why it was refused, and where the cursor passed it. */
export interface OutboxDeadLetter {
  entry: OutboxEntry;
  /** The refusal's error class (UnknownOutboxEntryTypeError, InvalidOutboxEntryError). */
  errorCode: string;
  reason: string;
  /** The cursor position the relay advanced past: the entry's sequence number. */
  cursor: number;
}

/** What the relay needs. */
export interface RelayDependencies {
  erp: { readOutbox(afterSeq: number): Promise<OutboxEntry[]> };
  publish(events: readonly CanonicalEvent[]): Promise<void>;
  cursor: { read(): Promise<number>; advance(from: number, to: number): Promise<void> };
  /** Resolves once every letter is stored; throws when the queue is unavailable. */
  deadLetters: { send(letters: readonly OutboxDeadLetter[]): Promise<void> };
  erpSourceUri: string;
}

/** How a redrive of dead-lettered entries ended. */
export interface RedriveResult {
  relayed: number;
  deadLettered: number;
}

/** How one relay run ended. */
export interface RelayResult extends RedriveResult {
  /** The cursor after the run. */
  cursor: number;
  /** Outbox pages read and relayed (the last, empty read that shows the relay has caught up is not counted). */
  pages: number;
  /** False when the run stopped for lack of time with entries left: the next run continues from `cursor`. */
  caughtUp: boolean;
}

/**
 * How long a run may keep reading: the invocation's remaining time, less a margin kept for the last page's
 * publishing, the cursor write and the log line. Without it, a run reads until the outbox is empty.
 */
export interface RelayTimeBudget {
  remainingMs(): number;
  safetyMarginMs: number;
}

/** The ERP answered outbox entries that are not after the cursor it was given: reading on would loop forever. */
export class OutboxNotAdvancingError extends ConcordError {
  override readonly name = 'OutboxNotAdvancingError';
  constructor(afterSeq: number, lastSeq: number, options?: ConcordErrorOptions) {
    super(
      `The ERP outbox answered entries up to seq ${lastSeq} when asked for those after ${afterSeq}`,
      options,
    );
  }
}

/** The outbox holds an entry of a type the relay has no canonical event for. */
export class UnknownOutboxEntryTypeError extends ConcordError {
  override readonly name = 'UnknownOutboxEntryTypeError';
  constructor(
    readonly entryType: string,
    options?: ConcordErrorOptions,
  ) {
    super(`The relay maps no canonical event from outbox entries of type "${entryType}"`, options);
  }
}

/** A replay handed back something that is not a list of outbox entries ({ seq, at, type, payload }). */
export class InvalidRedriveRequestError extends ConcordError {
  override readonly name = 'InvalidRedriveRequestError';
}

/** The entry's payload does not make a valid canonical event (missing or mistyped fields, schema violations, size). */
export class InvalidOutboxEntryError extends ConcordError {
  override readonly name = 'InvalidOutboxEntryError';
  constructor(
    message: string,
    readonly violations: readonly Violation[] = [],
    options?: ConcordErrorOptions,
  ) {
    super(message, options);
  }
}

/** The relay's position, kept in the version table so that a restart resumes where it stopped. */
export class DynamoDbOutboxCursor {
  private static readonly key = { subject: { S: 'erp-outbox-cursor' } };

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  /** The last sequence number relayed or dead-lettered (0 before the first run). */
  async read(): Promise<number> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: DynamoDbOutboxCursor.key, ConsistentRead: true }),
    );
    return Number(Item?.seq?.N ?? 0);
  }

  /** Moves the cursor forward only from where this run found it: a concurrent run cannot move it back. */
  async advance(from: number, to: number): Promise<void> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: DynamoDbOutboxCursor.key,
          UpdateExpression: 'SET seq = :to',
          ConditionExpression: 'attribute_not_exists(seq) OR seq = :from',
          ExpressionAttributeValues: { ':to': { N: String(to) }, ':from': { N: String(from) } },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}

/** PutEvents refuses an entry over 1 MB for good (reference/aws-facts.md): such an event could only stall the relay. */
export const putEventsEntryMaxBytes = 1_048_576;

function text(payload: Record<string, unknown>, field: string): string {
  const value = payload[field];
  if (typeof value !== 'string' || value === '')
    throw new InvalidOutboxEntryError(`payload.${field} must be a non-empty string`, [
      { path: `/payload/${field}`, message: 'must be a non-empty string' },
    ]);
  return value;
}

function isoTime(at: string): string {
  const time = new Date(at);
  if (Number.isNaN(time.getTime()))
    throw new InvalidOutboxEntryError(`at "${at}" is not a timestamp`, [
      { path: '/at', message: 'must be a timestamp' },
    ]);
  return time.toISOString();
}

type Mapper = (entry: OutboxEntry, erpSourceUri: string) => CanonicalEvent;

// One mapper per outbox entry type the relay announces; any other type is dead-lettered, never silently skipped.
const mappers: Record<string, Mapper> = {
  'order.credit-released': (entry, erpSourceUri) => {
    const { payload } = entry;
    const externalRef = text(payload, 'externalRef');
    const version = payload.version;
    if (typeof version !== 'number' || !Number.isInteger(version) || version < 0)
      throw new InvalidOutboxEntryError('payload.version must be a non-negative integer', [
        { path: '/payload/version', message: 'must be a non-negative integer' },
      ]);
    const at = isoTime(entry.at);
    const channel = typeof payload.channel === 'string' && payload.channel ? payload.channel : undefined;
    const entryId = idOf(`${erpSourceUri}/outbox/${entry.seq}`, Date.parse(at));
    return buildCanonicalEvent(
      {
        type: 'erp.order.credit-released.v1',
        source: erpSourceUri,
        subject: `order/${externalRef}`,
        time: at,
        // The ERP document's version: a relayed duplicate carries the same one, so the continuation is idempotent.
        entityVersion: version,
        data: {
          erpOrderNumber: text(payload, 'orderNumber'),
          sourceOrderId: externalRef,
          customerNumber: text(payload, 'customerNumber'),
          releasedBy: text(payload, 'releasedBy'),
          releasedAt: at,
        },
      },
      {
        // The entry's own id, so that a relay re-run after a crash (before its cursor moved) announces the same
        // event, which every consumer deduplicates; it starts a transaction of its own, so it is the correlation too.
        id: entryId,
        correlationId: entryId,
        causationId: `erp-outbox:${entry.seq}`,
        // The order's channel: the continuation's answers are written back to the platform the order came from.
        ...(channel ? { origin: channel } : {}),
      },
    );
  },
  ...itemMappers,
  ...purchaseOrderMappers,
};

/** The canonical event of an outbox entry; throws UnknownOutboxEntryTypeError or InvalidOutboxEntryError. */
export function toCanonicalEvent(entry: OutboxEntry, erpSourceUri: string): CanonicalEvent {
  const mapper = Object.hasOwn(mappers, entry.type) ? mappers[entry.type] : undefined;
  if (!mapper) throw new UnknownOutboxEntryTypeError(String(entry.type));
  let event: CanonicalEvent;
  try {
    event = mapper(entry, erpSourceUri);
  } catch (error) {
    if (error instanceof InvalidOutboxEntryError) throw error;
    // A payload of an unexpected shape (not an object, a field of another type) fails inside the mapper.
    throw new InvalidOutboxEntryError(`the payload cannot be read: ${(error as Error).message}`, [], {
      cause: error,
    });
  }
  const violations = validateCanonicalEvent(event);
  if (violations.length > 0)
    throw new InvalidOutboxEntryError(
      `the event breaks ${event.type}: ${violations.map((v) => `${v.path} ${v.message}`).join('; ')}`,
      violations,
    );
  // Detail and DetailType as PutEvents counts them, and room for the bus Source (concord.erp).
  const sizeBytes = Buffer.byteLength(JSON.stringify(event)) + Buffer.byteLength(event.type) + 64;
  if (sizeBytes > putEventsEntryMaxBytes)
    throw new InvalidOutboxEntryError(
      `the event is ${sizeBytes} bytes, over the ${putEventsEntryMaxBytes} bytes PutEvents takes`,
    );
  return event;
}

function isRefusal(error: unknown): error is UnknownOutboxEntryTypeError | InvalidOutboxEntryError {
  return error instanceof UnknownOutboxEntryTypeError || error instanceof InvalidOutboxEntryError;
}

/**
 * Maps entries in order into the events to publish and the letters to park. A refusal is about the entry itself and
 * will not change on a retry; anything else thrown is a bug or an outage and stops the run.
 */
function sortEntries(
  entries: readonly OutboxEntry[],
  erpSourceUri: string,
): { events: CanonicalEvent[]; letters: OutboxDeadLetter[] } {
  const events: CanonicalEvent[] = [];
  const letters: OutboxDeadLetter[] = [];
  for (const entry of entries) {
    try {
      events.push(toCanonicalEvent(entry, erpSourceUri));
    } catch (error) {
      if (!isRefusal(error)) throw error;
      letters.push({ entry, errorCode: error.name, reason: error.message, cursor: entry.seq });
    }
  }
  return { events, letters };
}

/**
 * Publishes the outbox entries after the cursor, dead-letters those that make no valid event, then moves the cursor
 * past all of them, page after page (the ERP answers a bounded page per read) until the outbox has nothing new: a
 * goods receipt of 5,000 lines reaches the bus in one run, not one page a schedule tick. With a time budget, a page is
 * read only while the time left, less the margin, covers the longest page so far; otherwise the run stops with
 * `caughtUp: false` and the next one continues from the cursor. A failure to publish or to dead-letter (bus or queue
 * unavailable) throws before the cursor passes that page: the next run starts from it, in the same order. Publishing
 * is at-least-once.
 */
export async function relayOutbox(deps: RelayDependencies, budget?: RelayTimeBudget): Promise<RelayResult> {
  let from = await deps.cursor.read();
  const result: RelayResult = { relayed: 0, deadLettered: 0, cursor: from, pages: 0, caughtUp: false };
  let longestPageMs = 0;
  for (;;) {
    if (budget && result.pages > 0 && budget.remainingMs() - budget.safetyMarginMs < longestPageMs)
      return result;
    const startedMs = Date.now();
    const entries = await deps.erp.readOutbox(from);
    const last = entries.at(-1)?.seq;
    if (last === undefined) return { ...result, caughtUp: true };
    if (last <= from) throw new OutboxNotAdvancingError(from, last);
    const { events, letters } = sortEntries(entries, deps.erpSourceUri);
    if (events.length > 0) await deps.publish(events);
    if (letters.length > 0) await deps.deadLetters.send(letters);
    await deps.cursor.advance(from, last);
    from = last;
    result.relayed += events.length;
    result.deadLettered += letters.length;
    result.cursor = last;
    result.pages += 1;
    longestPageMs = Math.max(longestPageMs, Date.now() - startedMs);
  }
}

/**
 * Relays entries a replay hands back from the dead-letter queue (after the mapping or the ERP data was fixed),
 * without touching the cursor: what still makes no valid event is dead-lettered again.
 */
export async function redriveEntries(
  deps: Pick<RelayDependencies, 'publish' | 'deadLetters' | 'erpSourceUri'>,
  entries: readonly OutboxEntry[],
): Promise<RedriveResult> {
  const { events, letters } = sortEntries(entries, deps.erpSourceUri);
  if (events.length > 0) await deps.publish(events);
  if (letters.length > 0) await deps.deadLetters.send(letters);
  return { relayed: events.length, deadLettered: letters.length };
}
