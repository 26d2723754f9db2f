/**
 * Governed replay of dead letters: list the queues, show and plan what a filter selects, and deliver it at a bounded
 * rate with replay metadata (to the target that failed when the message records one, else re-published to the bus),
 * deleting each message only after its delivery succeeded and journaling it, so that a replay interrupted at any
 * point resumes without delivering anything twice. The same use cases serve the `replay` Lambda and the `concord` CLI.
 */
import { newId } from '../shared/ids';
import { requireAccountable } from './accountability';
import {
  type DeadLetter,
  type DeadLetterFilter,
  matchesFilter,
  queueNameOf,
  readDeadLetter,
} from './dead-letters';
import { deliverDeadLetter, replayDestination } from './delivery';
import type { AuditRecord, DeadLetterQueues, QueueMessage, ReplayDependencies } from './ports';
import { createRateLimiter } from './rate-limiter';

/** A dead-letter queue at a glance. */
export interface QueueSummary {
  name: string;
  url: string;
  depth: number;
  inFlight: number;
  /** Age of the oldest message among those sampled. */
  oldestAgeSec?: number;
  topErrors: { code: string; count: number }[];
}

const sampleSize = 100;

/** The queue among `urls` a name, or a unique part of a name in any case, designates. */
export function pickQueue(urls: readonly string[], designation: string): string {
  const exact = urls.find((url) => queueNameOf(url) === designation);
  if (exact) return exact;
  const matches = urls.filter((url) => queueNameOf(url).toLowerCase().includes(designation.toLowerCase()));
  if (matches.length === 1) return matches[0] as string;
  if (matches.length === 0)
    throw new QueueNotFoundError(
      `no dead-letter queue matches "${designation}"; the queues are ${urls.map(queueNameOf).join(', ')}`,
    );
  throw new QueueNotFoundError(
    `"${designation}" matches ${matches.map(queueNameOf).join(', ')}: be more specific`,
  );
}

/** A queue designation matches no dead-letter queue, or several: nothing was read or changed. */
export class QueueNotFoundError extends Error {
  override readonly name = 'QueueNotFoundError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * Reads up to `limit` messages without taking them: each is received with a zero visibility timeout, so it stays
 * available to consumers (its receive count grows, which no DLQ acts on).
 */
export async function peekQueue(
  queues: DeadLetterQueues,
  queueUrl: string,
  limit = sampleSize,
): Promise<DeadLetter[]> {
  const seen = new Map<string, DeadLetter>();
  for (let idle = 0; seen.size < limit && idle < 3; ) {
    const Messages = await queues.receive(queueUrl, 0);
    const fresh = Messages.filter((message) => !seen.has(message.MessageId ?? ''));
    for (const message of fresh) seen.set(message.MessageId ?? '', readDeadLetter(message));
    idle = fresh.length === 0 ? idle + 1 : 0;
  }
  return [...seen.values()].slice(0, limit);
}

function countBy(values: (string | undefined)[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value ?? 'unknown'] = (counts[value ?? 'unknown'] ?? 0) + 1;
  return counts;
}

/** Each queue's depth, the age of its oldest message and its most frequent errors, from a sample it leaves in place. */
export async function listDeadLetterQueues(
  queues: DeadLetterQueues,
  urls: readonly string[],
  now: Date = new Date(),
): Promise<QueueSummary[]> {
  const summaries: QueueSummary[] = [];
  for (const url of urls) {
    const { visible: depth, inFlight } = await queues.depth(url);
    const sample = depth > 0 ? await peekQueue(queues, url) : [];
    const oldest = Math.min(...sample.map((letter) => letter.sentAt.getTime()));
    summaries.push({
      name: queueNameOf(url),
      url,
      depth,
      inFlight,
      ...(sample.length > 0 ? { oldestAgeSec: Math.round((now.getTime() - oldest) / 1000) } : {}),
      topErrors: Object.entries(countBy(sample.map((letter) => letter.errorCode)))
        .map(([code, count]) => ({ code, count }))
        .sort((a, b) => b.count - a.count)
        .slice(0, 3),
    });
  }
  return summaries;
}

/** What a replay would do. */
export interface ReplayPlan {
  queue: string;
  matching: number;
  byType: Record<string, number>;
  byError: Record<string, number>;
  entities: string[];
  /**
   * Matching messages whose version the flows have already seen (the version gate holds it or a newer one): their
   * completed steps will be skipped by their idempotency records; a newer version makes the replay stale.
   */
  seenBefore: number;
  /** Matching messages that hold no event to re-publish (they need `concord replay --edit` or parking). */
  notReplayable: number;
  /** Where the matching messages would go: the target each failed at, or the bus (`bus <name> (re-publish)`). */
  byTarget: Record<string, number>;
}

/** What a replay of the letters a filter selects would do; changes nothing (the letters stay where they are). */
export async function planReplay(
  deps: ReplayDependencies,
  queueUrl: string,
  filter: DeadLetterFilter,
  max = Number.POSITIVE_INFINITY,
): Promise<ReplayPlan> {
  const matching = (await peekQueue(deps.queues, queueUrl, 10_000))
    .filter((letter) => matchesFilter(letter, filter))
    .slice(0, max);
  let seenBefore = 0;
  for (const letter of matching) {
    const version = letter.entry?.detail.entityversion;
    if (!deps.appliedVersion || !letter.entity || typeof version !== 'number') continue;
    const applied = await deps.appliedVersion(letter.entity);
    if (applied !== undefined && applied >= version) seenBefore += 1;
  }
  return {
    queue: queueNameOf(queueUrl),
    matching: matching.length,
    byType: countBy(matching.map((letter) => letter.eventType)),
    byError: countBy(matching.map((letter) => letter.errorCode)),
    entities: [...new Set(matching.map((letter) => letter.entity ?? 'unknown'))].sort(),
    seenBefore,
    notReplayable: matching.filter((letter) => !replayDestination(letter, deps.busName)).length,
    byTarget: countBy(matching.flatMap((letter) => replayDestination(letter, deps.busName) ?? [])),
  };
}

/** A replay to run, or to resume (`replayId` of an earlier one). */
export interface ReplayRequest {
  queueUrl: string;
  filter: DeadLetterFilter;
  operator: string;
  reason: string;
  max?: number;
  ratePerSec?: number;
  replayId?: string;
  /** How long a message being replayed stays hidden from other readers (default 300 s). */
  visibilitySec?: number;
  signal?: AbortSignal;
  onProgress?(progress: { published: number; max?: number }): void;
}

/** What a replay did. */
export interface ReplayResult {
  replayId: string;
  queue: string;
  published: number;
  /** Deleted without publishing: an interrupted run had already published them. */
  resumedDeletes: number;
  notReplayable: number;
  failed: { messageId: string; error: string }[];
  interrupted: boolean;
  /** The entities replayed (the first 1,000), so that `concord trace` finds the replay in the audit. */
  entities: string[];
  /** How many were delivered where: the target each failed at, or the bus. */
  byTarget: Record<string, number>;
}

/** A filter as the audit stored it (its times as ISO strings). */
function storedFilter(value: unknown): DeadLetterFilter {
  const stored = (value ?? {}) as Record<string, unknown>;
  return {
    ...(stored as DeadLetterFilter),
    ...(typeof stored.since === 'string' ? { since: new Date(stored.since) } : {}),
    ...(typeof stored.until === 'string' ? { until: new Date(stored.until) } : {}),
  };
}

/**
 * Replays the letters a filter selects, at most `max`, at `ratePerSec`; resumes the replay `replayId` names, whose
 * delivered messages it deletes without delivering them again. Stops at `signal`; the audit then says `interrupted`.
 */
export async function runReplay(deps: ReplayDependencies, request: ReplayRequest): Promise<ReplayResult> {
  const { operator, reason } = requireAccountable(request, { action: 'a replay' });
  const { queues, journal } = deps;
  const queue = queueNameOf(request.queueUrl);
  const earlier = request.replayId ? await journal.find(request.replayId) : undefined;
  if (request.replayId && !earlier) throw new ReplayNotFoundError(request.replayId);
  const audit: AuditRecord = earlier ?? {
    id: newId(),
    action: 'replay',
    operator,
    reason,
    queue,
    at: new Date().toISOString(),
    status: 'running',
    detail: {},
  };
  // A resumed replay keeps the selection it started with (unless it is given another one).
  const filter: DeadLetterFilter =
    earlier && Object.keys(request.filter).length === 0
      ? storedFilter(earlier.detail.filter)
      : request.filter;
  const result: ReplayResult = {
    replayId: audit.id,
    queue,
    published: 0,
    resumedDeletes: 0,
    notReplayable: 0,
    failed: [],
    interrupted: false,
    entities: [],
    byTarget: {},
  };
  const save = (status: AuditRecord['status']) =>
    journal[earlier || status !== 'running' ? 'update' : 'record']({
      ...audit,
      status,
      detail: { filter, max: request.max, ratePerSec: request.ratePerSec, ...result },
    });
  await save('running');
  const limiter = createRateLimiter(request.ratePerSec);
  const held: QueueMessage[] = [];
  const seen = new Set<string>();
  const max = request.max ?? Number.POSITIVE_INFINITY;
  let crashed = false;
  try {
    while (result.published < max && !request.signal?.aborted) {
      const Messages = await queues.receive(request.queueUrl, request.visibilitySec ?? 300);
      const fresh = Messages.filter((message) => !seen.has(message.MessageId ?? ''));
      if (fresh.length === 0) break;
      for (const message of fresh) {
        seen.add(message.MessageId ?? '');
        const letter = readDeadLetter(message);
        const selected = matchesFilter(letter, filter) && result.published < max;
        const destination = replayDestination(letter, deps.busName);
        if (!selected || !destination || request.signal?.aborted) {
          if (selected && !destination) result.notReplayable += 1;
          held.push(message);
          continue;
        }
        const remove = () => queues.delete(request.queueUrl, letter.receiptHandle);
        const replayed = () => {
          if (letter.entity && result.entities.length < 1000) result.entities.push(letter.entity);
          result.byTarget[destination] = (result.byTarget[destination] ?? 0) + 1;
        };
        if (await journal.wasPublished(audit.id, letter.messageId)) {
          await remove();
          result.resumedDeletes += 1;
          replayed();
          continue;
        }
        await limiter.take();
        try {
          const deliveryId = await deliverDeadLetter(deps, letter, {
            replayid: audit.id,
            replayof: letter.messageId,
            replayby: operator,
            replayreason: reason,
          });
          await journal.markPublished(audit.id, letter.messageId, deliveryId, destination);
        } catch (error) {
          result.failed.push({ messageId: letter.messageId, error: (error as Error).message });
          held.push(message);
          continue;
        }
        await remove();
        result.published += 1;
        replayed();
        request.onProgress?.({ published: result.published, max: request.max });
      }
    }
  } catch (error) {
    crashed = true;
    throw error;
  } finally {
    // What this run looked at but did not replay goes back to the queue at once, not after the timeout.
    await queues.release(request.queueUrl, held);
    result.interrupted = crashed || Boolean(request.signal?.aborted);
    await save(result.interrupted ? 'interrupted' : 'done');
  }
  return result;
}

/** A resume names a replay the audit does not hold: nothing was replayed. */
export class ReplayNotFoundError extends Error {
  override readonly name = 'ReplayNotFoundError';
  constructor(
    readonly replayId: string,
    options?: { cause?: unknown },
  ) {
    super(`no replay ${replayId} in the audit`, options);
  }
}
