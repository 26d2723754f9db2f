import { buildCanonicalEvent } from '../../../functions/shared/events/envelope';
import { PowertoolsBusinessMetrics } from '../../../functions/shared/observability/powertools-business-metrics';
import { PlatformRefusedError } from '../../../functions/shared/write-back/platform-status-port';
import { itemChangeOf } from '../../../functions/write-back/items/item-change';
import { acceptChanges, flushKeys } from '../../../functions/write-back/items/item-write-back';
import { itemWriteBackMetrics } from '../../../functions/write-back/items/item-write-back-metrics';
import {
  purchaseOrderStatusWrite,
  purchaseOrderWrittenBackMetrics,
} from '../../../functions/write-back/purchase-orders/purchase-order-status';
import { captureEmf, expectLowCardinality } from '../../support/emf';
import { fakeItemWriteBack, level } from './item-write-back-fakes';

const flushedAt = Date.parse('2026-11-29T10:00:00Z');

/** A stock level the ERP announced `agoMs` before the fakes' clock. */
function announced(sku: string, available: number, version: number, agoMs: number) {
  return {
    ...level(sku, 'BER-1', available, version),
    announcedAt: new Date(flushedAt - agoMs).toISOString(),
  };
}

afterEach(() => jest.restoreAllMocks());

describe('itemChangeOf', () => {
  it('keeps the time the ERP announced a stock level, where its lag is measured from', () => {
    // Prepare
    const event = buildCanonicalEvent(
      {
        type: 'erp.stock.changed.v1',
        source: 'erp://sandbox',
        subject: 'stock/SKU-1@BER-1',
        time: '2026-11-29T09:58:00.000Z',
        entityVersion: 12,
        data: { sku: 'SKU-1', locationId: 'BER-1', available: 4 } as never,
      },
      { id: '01JD0000000000000000000000', correlationId: 'corr-1', causationId: 'cause-1' },
    );
    // Act
    const change = itemChangeOf(event);
    // Assess
    expect(change).toMatchObject({ kind: 'stock', version: 12, announcedAt: '2026-11-29T09:58:00.000Z' });
  });
});

describe('itemWriteBackMetrics', () => {
  it('counts a burst in, coalesced and written, and measures each level from its announcement to written', async () => {
    // Prepare
    const { deps, flushQueue } = fakeItemWriteBack();
    const burst = [
      announced('SKU-1', 5, 1, 90_000),
      announced('SKU-1', 3, 2, 45_000),
      announced('SKU-2', 8, 1, 30_000),
    ].map((change, index) => ({ messageId: `m-${index}`, change }));
    const emf = captureEmf();
    const metrics = new PowertoolsBusinessMetrics({ stage: 'test', serviceName: 'item-write-back' });
    // Act
    const accepted = await acceptChanges(deps, burst);
    const flushed = await flushKeys(deps, flushQueue.take(), { maxAttempts: 3 });
    metrics.record(...itemWriteBackMetrics({ received: burst.length, accepted, flushed, throttled: 2 }));
    metrics.flush();
    // Assess
    const published = emf.metrics();
    const flow = { stage: 'test', flow: 'item-write-back' };
    expect(published).toEqual([
      expect.objectContaining({ name: 'ItemChangesReceived', unit: 'Count', value: 3, dimensions: flow }),
      expect.objectContaining({ name: 'ItemChangesCoalesced', unit: 'Count', value: 1, dimensions: flow }),
      expect.objectContaining({ name: 'ItemWritesApplied', unit: 'Count', value: 2, dimensions: flow }),
      expect.objectContaining({ name: 'PlatformThrottled', unit: 'Count', value: 2, dimensions: flow }),
      expect.objectContaining({
        name: 'StockWrittenLatency',
        unit: 'Milliseconds',
        value: [45_000, 30_000],
        dimensionNames: ['stage', 'flow'],
      }),
    ]);
    expectLowCardinality(published, ['SKU-1', 'SKU-2', 'BER-1', 'm-0']);
  });

  it('counts a refused write as dead-lettered and measures no lag for it', async () => {
    // Prepare
    const { deps, flushQueue, platform } = fakeItemWriteBack();
    platform.failWith = () => new PlatformRefusedError('unknown sku');
    const accepted = await acceptChanges(deps, [
      { messageId: 'm-0', change: announced('SKU-X', 1, 1, 5_000) },
    ]);
    const flushed = await flushKeys(deps, flushQueue.take(), { maxAttempts: 3 });
    // Act
    const points = itemWriteBackMetrics({ received: 1, accepted, flushed, throttled: 0 });
    // Assess
    expect(points).toEqual([
      { name: 'ItemChangesReceived', unit: 'Count', value: 1, dimensions: { flow: 'item-write-back' } },
      { name: 'ItemWritesDeadLettered', unit: 'Count', value: 1, dimensions: { flow: 'item-write-back' } },
    ]);
  });

  it('measures nothing for a level whose announcement time is unknown or later than the write (clock skew)', async () => {
    // Prepare
    const { deps, flushQueue } = fakeItemWriteBack();
    await acceptChanges(deps, [
      { messageId: 'm-0', change: level('SKU-1', 'BER-1', 1, 1) },
      { messageId: 'm-1', change: announced('SKU-2', 1, 1, -5_000) },
    ]);
    // Act
    const flushed = await flushKeys(deps, flushQueue.take(), { maxAttempts: 3 });
    // Assess
    expect(flushed.written).toBe(2);
    expect(flushed.stockLagMs).toEqual([]);
  });
});

describe('PowertoolsBusinessMetrics', () => {
  it('keeps the dimensions of every value when a batch has more values of one metric than Powertools holds', () => {
    // Prepare
    const emf = captureEmf();
    const metrics = new PowertoolsBusinessMetrics({ stage: 'test', serviceName: 'item-write-back' });
    const lags = Array.from({ length: 250 }, (_, index) => index);
    // Act
    metrics.record(
      ...itemWriteBackMetrics({
        received: 250,
        accepted: { ...emptyBatch(), stockLagMs: lags },
        flushed: emptyBatch(),
        throttled: 0,
      }),
    );
    metrics.flush();
    // Assess
    const published = emf.metrics();
    expect(published.map((metric) => metric.dimensions)).toEqual(
      Array(published.length).fill({ stage: 'test', flow: 'item-write-back' }),
    );
    const values = published
      .filter((metric) => metric.name === 'StockWrittenLatency')
      .flatMap((metric) => (Array.isArray(metric.value) ? metric.value : [metric.value]));
    expect(values).toEqual(lags);
  });
});

describe('purchaseOrderWrittenBackMetrics', () => {
  it('counts the three-way match status written back per platform and measures from the ERP event', () => {
    // Prepare
    const event = buildCanonicalEvent(
      {
        type: 'erp.purchase-order.match-updated.v1',
        source: 'erp://sandbox',
        subject: 'purchase-order/PO-000001',
        time: '2026-11-29T10:00:00.000Z',
        entityVersion: 3,
        data: {
          sourcePurchaseOrderId: 'po_1',
          poNumber: 'PO-000001',
          matchStatus: 'price-mismatch',
          purchaseOrder: { version: 3 },
        } as never,
      },
      {
        id: '01JD0000000000000000000000',
        correlationId: 'corr-1',
        causationId: 'cause-1',
        origin: 'spendesk://acme',
      },
    );
    const write = purchaseOrderStatusWrite(event);
    if (!write) throw new Error('the match status should be written back');
    const emf = captureEmf();
    const metrics = new PowertoolsBusinessMetrics({
      stage: 'test',
      serviceName: 'purchase-order-write-back',
    });
    // Act
    metrics.record(...purchaseOrderWrittenBackMetrics(write, new Date('2026-11-29T10:00:02.250Z')));
    metrics.flush();
    // Assess
    const published = emf.metrics();
    expect(published).toEqual([
      expect.objectContaining({
        name: 'StatusWrittenBack',
        unit: 'Count',
        value: 1,
        dimensions: { stage: 'test', source: 'spendesk', status: 'price-mismatch' },
      }),
      expect.objectContaining({
        name: 'WriteBackLatency',
        unit: 'Milliseconds',
        value: 2_250,
        dimensions: { stage: 'test', source: 'spendesk' },
      }),
    ]);
    expectLowCardinality(published, ['po_1', 'PO-000001', 'corr-1', 'acme']);
  });
});

function emptyBatch() {
  return {
    failedMessageIds: [],
    recorded: 0,
    stale: 0,
    flushesScheduled: 0,
    written: 0,
    alreadyWritten: 0,
    deadLettered: 0,
    stockLagMs: [] as number[],
  };
}
