/** In-memory implementations of the item write-back's ports, with the same conditional rules as the AWS adapters. */
import { type ItemChange, keyOf } from '../../../functions/write-back/items/item-change';
import type {
  CommercePlatform,
  ErpItemReader,
  FlushQueue,
  ItemDeadLetters,
  ItemWriteBackDeadLetter,
  ItemWriteBackDependencies,
  LatestChangeRecord,
  LatestChangeStore,
} from '../../../functions/write-back/items/item-write-back';

interface Stored {
  desired: ItemChange;
  writtenVersion?: number;
  flushSince?: number;
}

/** The latest-version table, as DynamoDbLatestChangeStore's conditions make it behave. */
export class InMemoryLatestChangeStore implements LatestChangeStore {
  readonly records = new Map<string, Stored>();
  failing = false;

  constructor(private readonly leaseMs = 60_000) {}

  async offer(change: ItemChange, nowMs: number) {
    if (this.failing) throw new Error('DynamoDB is unavailable');
    const key = keyOf(change);
    const stored = this.records.get(key);
    if (
      stored &&
      (stored.desired.version > change.version || (stored.writtenVersion ?? -1) >= change.version)
    )
      return { outcome: 'stale' as const, scheduleFlush: false };
    const previous = stored?.flushSince;
    const expired = previous !== undefined && nowMs - previous > this.leaseMs;
    this.records.set(key, {
      ...stored,
      desired: change,
      flushSince: previous === undefined || expired ? nowMs : previous,
    });
    return { outcome: 'recorded' as const, scheduleFlush: previous === undefined || expired };
  }

  async read(key: string): Promise<LatestChangeRecord | undefined> {
    if (this.failing) throw new Error('DynamoDB is unavailable');
    const stored = this.records.get(key);
    return stored && { desired: stored.desired, writtenVersion: stored.writtenVersion };
  }

  async settle(key: string, desiredVersion: number, writtenVersion?: number) {
    const stored = this.records.get(key) as Stored;
    if (writtenVersion !== undefined && (stored.writtenVersion ?? -1) < writtenVersion)
      stored.writtenVersion = writtenVersion;
    if (stored.desired.version !== desiredVersion) return 'moved' as const;
    stored.flushSince = undefined;
    return 'settled' as const;
  }

  async release(key: string) {
    const stored = this.records.get(key);
    if (stored) stored.flushSince = undefined;
  }
}

/** The ERP's current levels and prices by key. */
export class FakeErp implements ErpItemReader {
  readonly current = new Map<string, ItemChange>();
  reads = 0;

  set(change: ItemChange): ItemChange {
    this.current.set(keyOf(change), change);
    return change;
  }

  async latest(change: ItemChange) {
    this.reads += 1;
    return this.current.get(keyOf(change));
  }
}

/** The platform: records each write, or fails with what `failWith` returns for it. */
export class FakePlatform implements CommercePlatform {
  readonly name = 'shopify';
  readonly writes: ItemChange[] = [];
  failWith: ((change: ItemChange) => Error | undefined) | undefined;
  /** Runs during a write, before it lands: a change that arrives meanwhile. */
  during: (() => Promise<void>) | undefined;

  async apply(change: ItemChange) {
    const error = this.failWith?.(change);
    if (error) throw error;
    await this.during?.();
    this.writes.push(change);
  }

  /** The level or price the platform shows per key. */
  shown(): Map<string, ItemChange> {
    return new Map(this.writes.map((change) => [keyOf(change), change]));
  }
}

/** Flush requests, kept until the test delivers them. */
export class FakeFlushQueue implements FlushQueue {
  pending: string[] = [];
  scheduled = 0;
  failing = false;

  async schedule(keys: readonly string[]) {
    if (this.failing) throw new Error('SQS is unavailable');
    this.pending.push(...keys);
    this.scheduled += keys.length;
  }

  /** Takes every pending request, as deliveries with ids. */
  take(receiveCount = 1) {
    const taken = this.pending.map((key, index) => ({
      messageId: `flush-${index}-${key}`,
      key,
      receiveCount,
    }));
    this.pending = [];
    return taken;
  }
}

/** The item write-back's DLQ. */
export class FakeDeadLetters implements ItemDeadLetters {
  readonly letters: ItemWriteBackDeadLetter[] = [];

  async send(letters: readonly ItemWriteBackDeadLetter[]) {
    this.letters.push(...letters);
  }
}

/** Every port faked, at a fixed time with plenty of time left. */
export function fakeItemWriteBack() {
  const ports = {
    store: new InMemoryLatestChangeStore(),
    erp: new FakeErp(),
    platform: new FakePlatform(),
    flushQueue: new FakeFlushQueue(),
    deadLetters: new FakeDeadLetters(),
  };
  const deps: ItemWriteBackDependencies = {
    ...ports,
    now: () => Date.parse('2026-11-29T10:00:00Z'),
    remainingMs: () => 60_000,
  };
  return { ...ports, deps };
}

/** A stock level change. */
export function level(sku: string, locationId: string, available: number, version: number): ItemChange {
  return { kind: 'stock', sku, locationId, available, version };
}
