import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { runReconciliation } from '../../../functions/reconcile/run-reconciliation';
import type { ErpItemPrice, ErpStockLevel } from '../../../functions/shared/erp/erp-item-port';
import { duckdbWarehouseQuery, openLocalWarehouse } from '../../../local/warehouse/duckdb-warehouse';
import { deliver, erpEvent } from '../../support/warehouse-files';

const window = { from: new Date('2026-11-27T00:00:00Z'), to: new Date('2026-11-28T00:00:00Z') };
const at = (time: string) => `2026-11-27T${time}.000Z`;

/** A stock event as the relay publishes it: the ERP's version as entityversion, its change time as the event's. */
const stockEvent = (sku: string, locationId: string, version: number, available: number, time: string) => ({
  ...erpEvent(
    'erp.stock.changed.v1',
    `item/${sku}/stock/${locationId}`,
    version,
    { sku, locationId, available, reference: 'GR-1', changedAt: at(time) },
    `ev-${sku}-${locationId}-${version}`,
  ),
  time: at(time),
});
const priceEvent = (sku: string, currency: string, version: number, amount: string, time: string) => ({
  ...erpEvent(
    'erp.item.price-changed.v1',
    `item/${sku}/price/${currency}`,
    version,
    { sku, price: { amount, currency }, changedAt: at(time) },
    `ev-${sku}-${currency}-${version}`,
  ),
  time: at(time),
});
const level = (key: string, version: number, available: number, time: string): ErpStockLevel => {
  const [sku, locationId] = key.split('@') as [string, string];
  return { sku, locationId, available, version, updatedAt: at(time) };
};

let bucketDir: string;
let connection: DuckDBConnection;

beforeAll(async () => {
  bucketDir = mkdtempSync(path.join(tmpdir(), 'concord-run-item-reconciliation-'));
  deliver(bucketDir, '2026-11-27T10:30:00Z', [
    // TENT@BER-1 agrees; its older level was delivered too and loses to the higher version.
    stockEvent('TENT', 'BER-1', 2, 4, '10:02:00'),
    stockEvent('TENT', 'BER-1', 5, 10, '10:05:00'),
    // TENT@HAM-1: the warehouse has version 6; the ERP sold the last units at version 9.
    stockEvent('TENT', 'HAM-1', 6, 3, '10:06:00'),
    // LAMP@BER-1: the warehouse shows a level the ERP does not hold.
    stockEvent('LAMP', 'BER-1', 4, 7, '10:04:00'),
    // Prices: EUR agrees whatever the decimals; USD is behind.
    priceEvent('TENT', 'EUR', 7, '199', '10:07:00'),
    priceEvent('TENT', 'USD', 3, '209.00', '10:03:00'),
  ]);
  connection = await openLocalWarehouse(bucketDir);
});

afterAll(() => {
  connection?.closeSync();
  rmSync(bucketDir, { recursive: true, force: true });
});

describe('runReconciliation (stock levels and prices)', () => {
  it('compares the ERP levels and prices with the warehouse, classifies each difference and plans archive replays', async () => {
    // Prepare: the ERP's item register; SOCK@HAM-1 changed 30 s before the run (its event may be in the stream).
    const levels = [
      level('TENT@BER-1', 5, 10, '10:05:00'),
      level('TENT@HAM-1', 9, 0, '10:09:00'),
      level('SOCK@BER-1', 12, 40, '10:12:00'),
      level('SOCK@HAM-1', 20, 5, '23:59:00'),
      { ...level('ODD@BER-1', 13, 0, '10:13:00'), available: 'many' as unknown as number },
    ];
    const prices: ErpItemPrice[] = [
      { sku: 'TENT', currency: 'EUR', amount: '199.00', version: 7, updatedAt: at('10:07:00') },
      { sku: 'TENT', currency: 'USD', amount: '219.00', version: 8, updatedAt: at('10:08:00') },
    ];
    const asked: string[] = [];

    // Act
    const { report, plan } = await runReconciliation(
      {
        warehouse: duckdbWarehouseQuery(connection),
        erp: { listDocuments: async () => [] },
        items: {
          listStockLevels: async (range) => {
            asked.push(`levels ${range.fromIso}…${range.toIso}`);
            return levels;
          },
          findStockLevel: async (sku, locationId) => {
            asked.push(`level ${sku}@${locationId}`);
            return undefined;
          },
          listPrices: async () => prices,
          findPrice: async () => undefined,
        },
        now: () => new Date('2026-11-27T23:59:30Z'),
        newId: () => 'rec-items',
        allowedLagMs: 120_000,
      },
      window,
    );

    // Assess
    expect(
      report.mismatches.map((mismatch) => `${mismatch.class} ${mismatch.entity} ${mismatch.key}`),
    ).toEqual([
      'fields_differ item-price TENT/USD',
      'missing_in_erp stock-level LAMP@BER-1',
      'unreadable stock-level ODD@BER-1',
      'missing_in_warehouse stock-level SOCK@BER-1',
      'stale stock-level SOCK@HAM-1',
      'fields_differ stock-level TENT@HAM-1',
    ]);
    const byKey = new Map(report.mismatches.map((mismatch) => [mismatch.key, mismatch]));
    expect(byKey.get('TENT@HAM-1')?.fields).toEqual([
      { field: 'available', personal: false, erp: '0', warehouse: '3' },
      { field: 'version', personal: false, erp: '9', warehouse: '6' },
    ]);
    expect(byKey.get('TENT@HAM-1')?.records?.erp?.status).toBe('OUT_OF_STOCK');
    expect(byKey.get('TENT/USD')?.fields).toEqual([
      { field: 'amount', personal: false, erp: '219.00', warehouse: '209.00' },
      { field: 'version', personal: false, erp: '8', warehouse: '3' },
    ]);
    expect(byKey.get('ODD@BER-1')?.unreadable).toMatchObject({
      side: 'erp',
      reason: 'its available "many" is not a whole number',
    });
    // Only the warehouse-only level was read by key; TENT@BER-1 was in the listing.
    expect(asked).toEqual(['levels 2026-11-26T00:00:00.000Z…2026-11-29T00:00:00.000Z', 'level LAMP@BER-1']);
    // The unreadable level is reported as a mismatch, not counted as a level the ERP holds.
    expect(report.totals['stock-level']).toEqual({
      erp: { count: 4, sums: {} },
      warehouse: { count: 3, sums: {} },
    });
    expect(report.totals['item-price']?.saas).toBeUndefined();
    expect(plan.republish).toEqual([]);
    expect(plan.archiveReplays).toEqual([
      {
        target: 'warehouse',
        from: at('10:01:00'),
        to: at('10:14:00'),
        documents: ['item-price:TENT/USD', 'stock-level:TENT@HAM-1', 'stock-level:SOCK@BER-1'],
      },
    ]);
    expect(plan.review.map((entry) => `${entry.class} ${entry.key}`).sort()).toEqual([
      'missing_in_erp LAMP@BER-1',
      'stale SOCK@HAM-1',
      'unreadable ODD@BER-1',
    ]);
  });
});
