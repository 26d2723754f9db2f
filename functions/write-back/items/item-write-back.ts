/**
 * The item write-back's use case: ERP stock and price changes coalesced per key, and written to the commerce platform
 * by a delayed flush that writes the ERP's latest, so a burst costs one write per key and never an older version.
 */
import { PlatformRefusedError, PlatformUnavailableError } from '../../shared/write-back/platform-status-port';
import { type ItemChange, latestPerKey } from './item-change';

/** What the store holds per key: the latest change announced, and the version last written to the platform. */
export interface LatestChangeRecord {
  desired: ItemChange;
  writtenVersion?: number;
}

/** The latest-version table: one record per key, changed only by conditional writes. */
export interface LatestChangeStore {
  /**
   * Records `change` as the key's desired state unless a newer version is recorded or written ('stale').
   * `scheduleFlush` is true when no flush of the key was pending (or the pending one is older than the lease): the
   * caller schedules one.
   */
  offer(
    change: ItemChange,
    nowMs: number,
  ): Promise<{ outcome: 'recorded' | 'stale'; scheduleFlush: boolean }>;
  read(key: string): Promise<LatestChangeRecord | undefined>;
  /**
   * Ends the pending flush that found `desiredVersion` recorded, recording `writtenVersion` when something was written:
   * 'moved' when a newer change arrived meanwhile, whose flush the caller then schedules.
   */
  settle(key: string, desiredVersion: number, writtenVersion?: number): Promise<'settled' | 'moved'>;
  /** Forgets a pending flush that could not be scheduled, so that the next delivery schedules it. */
  release(key: string): Promise<void>;
}

/** Flush requests, delivered after the coalescing window. */
export interface FlushQueue {
  schedule(keys: readonly string[]): Promise<void>;
}

/**
 * The ERP, read at flush time: the key's level or price as the ERP holds it now, with its version (undefined when the
 * ERP has none). The flush writes this, not the event it was woken by: changes committed together (a goods receipt's
 * lines) are then written once, however their events were spread over relay runs and batches.
 */
export interface ErpItemReader {
  latest(change: ItemChange): Promise<ItemChange | undefined>;
}

/** The commerce platform: sets one level or one price; throws PlatformRefusedError or PlatformUnavailableError. */
export interface CommercePlatform {
  readonly name: string;
  apply(change: ItemChange): Promise<void>;
}

/** A write the platform refused, or that kept failing: what an operator sees in the item write-back's DLQ. */
export interface ItemWriteBackDeadLetter {
  /** How the replay's dead-letter reader recognises it (functions/replay/dead-letters.ts). */
  kind: 'item-write-back';
  key: string;
  platform: string;
  change: ItemChange;
  /** PlatformRefusedError (the platform said no) or PlatformUnavailableError (it kept failing). */
  errorCode: string;
  /** The platform's answer, as the adapter reported it. */
  reason: string;
  attempts: number;
  failedAt: string;
}

/** Where refused writes go; throws when the queue is unavailable (the flush is then retried). */
export interface ItemDeadLetters {
  send(letters: readonly ItemWriteBackDeadLetter[]): Promise<void>;
}

/** Everything the use case needs. */
export interface ItemWriteBackDependencies {
  store: LatestChangeStore;
  erp: ErpItemReader;
  flushQueue: FlushQueue;
  platform: CommercePlatform;
  deadLetters: ItemDeadLetters;
  now(): number;
  /** Milliseconds left in this invocation: a flush that cannot finish in time is left for a redelivery. */
  remainingMs(): number;
}

/** A change as delivered: the queue message it came in. */
export interface DeliveredChange {
  messageId: string;
  change: ItemChange;
}

/** A flush request as delivered, with how often SQS has delivered it. */
export interface DeliveredFlush {
  messageId: string;
  key: string;
  receiveCount: number;
}

/** What a batch came to: the messages to leave in the queue, and counts for logs and metrics. */
export interface ItemWriteBackResult {
  failedMessageIds: string[];
  recorded: number;
  stale: number;
  flushesScheduled: number;
  written: number;
  alreadyWritten: number;
  deadLettered: number;
  /** Per stock level written: milliseconds from the ERP's announcement of the level recorded to the platform's acceptance. */
  stockLagMs: number[];
}

const emptyResult = (): ItemWriteBackResult => ({
  failedMessageIds: [],
  recorded: 0,
  stale: 0,
  flushesScheduled: 0,
  written: 0,
  alreadyWritten: 0,
  deadLettered: 0,
  stockLagMs: [],
});

/**
 * Records each key's latest change of the batch and schedules one flush per key that had none pending. The platform
 * is not called here: changes of the same key arriving within the window are written once, as the latest.
 */
export async function acceptChanges(
  deps: ItemWriteBackDependencies,
  delivered: readonly DeliveredChange[],
): Promise<ItemWriteBackResult> {
  const result = emptyResult();
  const toSchedule: { key: string; messageIds: string[] }[] = [];
  for (const [key, group] of latestPerKey(delivered)) {
    const messageIds = group.map((entry) => entry.messageId);
    // Older changes of the key in the same batch are covered by the latest.
    result.stale += group.length - 1;
    try {
      const { outcome, scheduleFlush } = await deps.store.offer(
        (group[0] as DeliveredChange).change,
        deps.now(),
      );
      if (outcome === 'stale') result.stale += 1;
      else result.recorded += 1;
      if (scheduleFlush) toSchedule.push({ key, messageIds });
    } catch {
      // The store is unavailable: the messages come back after their visibility timeout.
      result.failedMessageIds.push(...messageIds);
    }
  }
  if (toSchedule.length === 0) return result;
  try {
    await deps.flushQueue.schedule(toSchedule.map((entry) => entry.key));
    result.flushesScheduled = toSchedule.length;
  } catch {
    // Nothing will flush these keys: forget the pending marks and let the changes come back.
    for (const { key, messageIds } of toSchedule) {
      await deps.store.release(key).catch(() => undefined);
      result.failedMessageIds.push(...messageIds);
    }
  }
  return result;
}

/** The time one platform write may take at most, rate-limit waits included, before a flush is left for later. */
export const flushBudgetMs = 10_000;

/**
 * Writes each requested key's latest state, as the ERP holds it now, to the platform, unless that version is written
 * already. A refused write, or one still failing after `maxAttempts` deliveries, goes to the dead letters with the
 * platform's answer; other failures leave the request in the queue for a retry. A change recorded during the write
 * gets a flush of its own, which finds it written when the ERP's state already covered it.
 */
export async function flushKeys(
  deps: ItemWriteBackDependencies,
  delivered: readonly DeliveredFlush[],
  options: { maxAttempts: number },
): Promise<ItemWriteBackResult> {
  const result = emptyResult();
  const byKey = new Map<string, DeliveredFlush[]>();
  for (const flush of delivered) byKey.set(flush.key, [...(byKey.get(flush.key) ?? []), flush]);
  const reschedule: string[] = [];
  for (const [key, flushes] of byKey) {
    const messageIds = flushes.map((flush) => flush.messageId);
    if (deps.remainingMs() < flushBudgetMs) {
      result.failedMessageIds.push(...messageIds);
      continue;
    }
    const attempts = Math.max(...flushes.map((flush) => flush.receiveCount));
    try {
      const record = await deps.store.read(key);
      if (!record) continue;
      const { desired } = record;
      const current = await deps.erp.latest(desired);
      // The ERP's state is at least as new as any event about it; should it read older, the event's state wins.
      const target = current && current.version >= desired.version ? current : desired;
      if ((record.writtenVersion ?? -1) >= target.version) {
        result.alreadyWritten += 1;
        if ((await deps.store.settle(key, desired.version)) === 'moved') reschedule.push(key);
        continue;
      }
      let written: number | undefined;
      try {
        await deps.platform.apply(target);
        written = target.version;
        result.written += 1;
        // From the announcement recorded (the ERP's newer state, when read, was announced later still): the shop
        // showed an older level at least this long. Skewed clocks (a negative lag) measure nothing.
        const announcedMs =
          desired.kind === 'stock' && desired.announcedAt ? Date.parse(desired.announcedAt) : NaN;
        const lagMs = deps.now() - announcedMs;
        if (target.kind === 'stock' && Number.isFinite(lagMs) && lagMs >= 0) result.stockLagMs.push(lagMs);
      } catch (error) {
        const refused = error instanceof PlatformRefusedError;
        if (!refused && !(error instanceof PlatformUnavailableError)) throw error;
        if (!refused && attempts < options.maxAttempts) {
          result.failedMessageIds.push(...messageIds);
          continue;
        }
        await deps.deadLetters.send([
          {
            kind: 'item-write-back',
            key,
            platform: deps.platform.name,
            change: target,
            errorCode: (error as Error).name,
            reason: (error as Error).message,
            attempts,
            failedAt: new Date(deps.now()).toISOString(),
          },
        ]);
        result.deadLettered += 1;
      }
      if ((await deps.store.settle(key, desired.version, written)) === 'moved') reschedule.push(key);
    } catch {
      // The store, the ERP or the dead-letter queue is unavailable: the request comes back and is tried again.
      result.failedMessageIds.push(...messageIds);
    }
  }
  if (reschedule.length > 0) {
    try {
      await deps.flushQueue.schedule(reschedule);
      result.flushesScheduled += reschedule.length;
    } catch {
      // The requests come back, and their redelivery finds the newer change and writes it.
      result.failedMessageIds.push(
        ...reschedule.flatMap((key) => (byKey.get(key) ?? []).map((flush) => flush.messageId)),
      );
    }
  }
  return result;
}
