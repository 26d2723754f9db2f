import {
  PlatformRefusedError,
  PlatformUnavailableError,
} from '../../../functions/shared/write-back/platform-status-port';
import {
  acceptChanges,
  type DeliveredChange,
  flushKeys,
} from '../../../functions/write-back/items/item-write-back';
import { fakeItemWriteBack, level } from './item-write-back-fakes';

function delivered(changes: ReturnType<typeof level>[], prefix = 'm'): DeliveredChange[] {
  return changes.map((change, index) => ({ messageId: `${prefix}-${index}`, change }));
}

describe('acceptChanges', () => {
  it('records the latest change per key of a batch and schedules one flush per key', async () => {
    // Prepare
    const { deps, store, flushQueue, platform } = fakeItemWriteBack();
    const batch = delivered([
      level('SKU-1', 'BER-1', 5, 1),
      level('SKU-1', 'BER-1', 9, 3),
      level('SKU-1', 'BER-1', 7, 2),
      level('SKU-2', 'BER-1', 1, 4),
    ]);
    // Act
    const result = await acceptChanges(deps, batch);
    // Assess
    expect(result).toMatchObject({ failedMessageIds: [], recorded: 2, stale: 2, flushesScheduled: 2 });
    expect(store.records.get('stock/SKU-1@BER-1')?.desired).toEqual(level('SKU-1', 'BER-1', 9, 3));
    expect(flushQueue.pending).toEqual(['stock/SKU-1@BER-1', 'stock/SKU-2@BER-1']);
    expect(platform.writes).toEqual([]);
  });

  it('schedules no second flush while one is pending, however many batches the burst spans', async () => {
    // Prepare
    const { deps, flushQueue } = fakeItemWriteBack();
    // Act
    for (let version = 1; version <= 20; version += 1)
      await acceptChanges(deps, delivered([level('SKU-1', 'BER-1', version, version)], `b${version}`));
    // Assess
    expect(flushQueue.scheduled).toBe(1);
  });

  it('drops a change older than the version recorded, as stale', async () => {
    // Prepare
    const { deps, flushQueue } = fakeItemWriteBack();
    await acceptChanges(deps, delivered([level('SKU-1', 'BER-1', 9, 9)]));
    // Act
    const result = await acceptChanges(deps, delivered([level('SKU-1', 'BER-1', 4, 4)], 'late'));
    // Assess
    expect(result).toMatchObject({ recorded: 0, stale: 1, failedMessageIds: [] });
    expect(flushQueue.scheduled).toBe(1);
  });

  it('fails the messages of a key when the store is unavailable, so that SQS delivers them again', async () => {
    // Prepare
    const { deps, store } = fakeItemWriteBack();
    store.failing = true;
    // Act
    const result = await acceptChanges(
      deps,
      delivered([level('SKU-1', 'BER-1', 1, 1), level('SKU-1', 'BER-1', 2, 2)]),
    );
    // Assess
    expect(result.failedMessageIds.sort()).toEqual(['m-0', 'm-1']);
  });

  it('releases the pending mark and fails the messages when the flush cannot be scheduled', async () => {
    // Prepare
    const { deps, flushQueue } = fakeItemWriteBack();
    flushQueue.failing = true;
    const batch = delivered([level('SKU-1', 'BER-1', 1, 1)]);
    // Act
    const first = await acceptChanges(deps, batch);
    flushQueue.failing = false;
    const retried = await acceptChanges(deps, batch);
    // Assess: the redelivery of the same change schedules the flush the first attempt could not.
    expect(first.failedMessageIds).toEqual(['m-0']);
    expect(retried).toMatchObject({ failedMessageIds: [], flushesScheduled: 1 });
  });
});

describe('flushKeys', () => {
  it('writes the ERP latest once for a receipt whose changes of a key span many batches', async () => {
    // Prepare: a receipt committed 50 changes of each of 4 levels; their events arrive ten at a time.
    const { deps, erp, platform, flushQueue } = fakeItemWriteBack();
    const changes = [];
    let version = 0;
    for (let round = 1; round <= 50; round += 1)
      for (const sku of ['SKU-1', 'SKU-2', 'SKU-3', 'SKU-4'])
        changes.push(level(sku, 'BER-1', round * 10, ++version));
    for (const sku of ['SKU-1', 'SKU-2', 'SKU-3', 'SKU-4'])
      erp.set([...changes].reverse().find((change) => change.sku === sku) as ReturnType<typeof level>);
    // Act: the first batch, its flushes after the window, then the rest of the burst, then any flush it caused.
    await acceptChanges(deps, delivered(changes.slice(0, 10), 'b0'));
    const firstFlush = await flushKeys(deps, flushQueue.take(), { maxAttempts: 3 });
    for (let start = 10; start < changes.length; start += 10)
      await acceptChanges(deps, delivered(changes.slice(start, start + 10), `b${start}`));
    const later = await flushKeys(deps, flushQueue.take(), { maxAttempts: 3 });
    // Assess: one write per level, each the final one; the rest of the burst was already covered.
    expect(firstFlush.written).toBe(4);
    expect(later.written).toBe(0);
    expect(platform.writes).toHaveLength(4);
    expect(
      [...platform.shown().values()].map((change) => [
        change.sku,
        (change as { available: number }).available,
      ]),
    ).toEqual([
      ['SKU-1', 500],
      ['SKU-2', 500],
      ['SKU-3', 500],
      ['SKU-4', 500],
    ]);
  });

  it('never writes a version older than the one written', async () => {
    // Prepare: version 7 is written; the ERP then answers with an older state (a lagging replica).
    const { deps, erp, platform, flushQueue, store } = fakeItemWriteBack();
    erp.set(level('SKU-1', 'BER-1', 70, 7));
    await acceptChanges(deps, delivered([level('SKU-1', 'BER-1', 70, 7)]));
    await flushKeys(deps, flushQueue.take(), { maxAttempts: 3 });
    erp.set(level('SKU-1', 'BER-1', 50, 5));
    // Act
    const stale = await acceptChanges(deps, delivered([level('SKU-1', 'BER-1', 50, 5)], 'old'));
    // Assess
    expect(stale.stale).toBe(1);
    expect(flushQueue.pending).toEqual([]);
    expect(platform.writes.map((change) => change.version)).toEqual([7]);
    expect(store.records.get('stock/SKU-1@BER-1')?.writtenVersion).toBe(7);
  });

  it('writes the event state when the ERP reads older than the event', async () => {
    // Prepare
    const { deps, erp, platform, flushQueue } = fakeItemWriteBack();
    erp.set(level('SKU-1', 'BER-1', 1, 1));
    await acceptChanges(deps, delivered([level('SKU-1', 'BER-1', 3, 3)]));
    // Act
    await flushKeys(deps, flushQueue.take(), { maxAttempts: 3 });
    // Assess
    expect(platform.writes).toEqual([level('SKU-1', 'BER-1', 3, 3)]);
  });

  it('flushes again when a newer change arrives during the write', async () => {
    // Prepare
    const { deps, erp, platform, flushQueue } = fakeItemWriteBack();
    erp.set(level('SKU-1', 'BER-1', 10, 1));
    await acceptChanges(deps, delivered([level('SKU-1', 'BER-1', 10, 1)]));
    platform.during = async () => {
      platform.during = undefined;
      erp.set(level('SKU-1', 'BER-1', 4, 2));
      await acceptChanges(deps, delivered([level('SKU-1', 'BER-1', 4, 2)], 'during'));
    };
    // Act
    const first = await flushKeys(deps, flushQueue.take(), { maxAttempts: 3 });
    const second = await flushKeys(deps, flushQueue.take(), { maxAttempts: 3 });
    // Assess
    expect(first).toMatchObject({ written: 1, flushesScheduled: 1 });
    expect(second).toMatchObject({ written: 1, flushesScheduled: 0 });
    expect(platform.writes.map((change) => change.version)).toEqual([1, 2]);
  });

  it('dead-letters a refused write with the platform answer and lets the next change flush again', async () => {
    // Prepare
    const { deps, erp, platform, flushQueue, deadLetters, store } = fakeItemWriteBack();
    erp.set(level('SKU-X', 'BER-1', 3, 1));
    platform.failWith = () =>
      new PlatformRefusedError('Shopify refused POST /inventory_levels/set.json with 422: x');
    await acceptChanges(deps, delivered([level('SKU-X', 'BER-1', 3, 1)]));
    // Act
    const result = await flushKeys(deps, flushQueue.take(), { maxAttempts: 3 });
    erp.set(level('SKU-X', 'BER-1', 4, 2));
    await acceptChanges(deps, delivered([level('SKU-X', 'BER-1', 4, 2)], 'next'));
    // Assess
    expect(result).toMatchObject({ deadLettered: 1, failedMessageIds: [], written: 0 });
    expect(deadLetters.letters).toEqual([
      expect.objectContaining({
        key: 'stock/SKU-X@BER-1',
        platform: 'shopify',
        errorCode: 'PlatformRefusedError',
        reason: 'Shopify refused POST /inventory_levels/set.json with 422: x',
        change: level('SKU-X', 'BER-1', 3, 1),
      }),
    ]);
    expect(store.records.get('stock/SKU-X@BER-1')?.writtenVersion).toBeUndefined();
    expect(flushQueue.pending).toEqual(['stock/SKU-X@BER-1']);
  });

  it('leaves a failing write for SQS to retry, then dead-letters it after the last attempt', async () => {
    // Prepare
    const { deps, erp, platform, flushQueue, deadLetters } = fakeItemWriteBack();
    erp.set(level('SKU-1', 'BER-1', 3, 1));
    platform.failWith = () => new PlatformUnavailableError('Shopify failed with 503');
    await acceptChanges(deps, delivered([level('SKU-1', 'BER-1', 3, 1)]));
    const [request] = flushQueue.take();
    // Act
    const early = await flushKeys(deps, [{ ...request, receiveCount: 2 } as never], { maxAttempts: 3 });
    const last = await flushKeys(deps, [{ ...request, receiveCount: 3 } as never], { maxAttempts: 3 });
    // Assess
    expect(early).toMatchObject({ failedMessageIds: [request?.messageId], deadLettered: 0 });
    expect(last).toMatchObject({ failedMessageIds: [], deadLettered: 1 });
    expect(deadLetters.letters[0]).toMatchObject({ errorCode: 'PlatformUnavailableError', attempts: 3 });
  });

  it('leaves the requests in the queue when too little time is left for a write', async () => {
    // Prepare
    const { deps, flushQueue, platform } = fakeItemWriteBack();
    await acceptChanges(deps, delivered([level('SKU-1', 'BER-1', 3, 1)]));
    // Act
    const result = await flushKeys({ ...deps, remainingMs: () => 2_000 }, flushQueue.take(), {
      maxAttempts: 3,
    });
    // Assess
    expect(result.failedMessageIds).toHaveLength(1);
    expect(platform.writes).toEqual([]);
  });
});
