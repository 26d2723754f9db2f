import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { toCanonicalEvent } from '../../../functions/erp-outbox-relay/relay';
import { ErpLedger, RefusalError } from '../../../local/erp-sandbox/erp-ledger';
import { ItemMaster } from '../../../local/erp-sandbox/item-master';

describe('ItemMaster', () => {
  let dir: string;
  let ledger: ErpLedger;
  let items: ItemMaster;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'concord-item-master-'));
    ledger = new ErpLedger(dir);
    items = new ItemMaster(ledger);
    ledger.transaction(() =>
      items.upsertItems(
        {
          items: [
            { sku: 'IM-1', title: 'Item one', taxRate: '0.19', prices: { EUR: '10.00', USD: '11' } },
            { sku: 'IM-2', title: 'Item two', taxRate: '0.19', prices: { EUR: '5' } },
          ],
        },
        'merchandising',
      ),
    );
  });

  afterEach(() => {
    ledger.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const outboxAfter = (seq: number) =>
    ledger.outbox(seq) as unknown as { seq: number; type: string; payload: Record<string, unknown> }[];

  it('gives the levels and prices of a sandbox made before they had a change time one, and lists them by it', () => {
    // Prepare: the tables as they were, with a level and a price in them.
    const oldDir = mkdtempSync(path.join(tmpdir(), 'concord-item-master-old-'));
    const old = new ErpLedger(oldDir);
    old.db.exec(`CREATE TABLE item_prices (sku TEXT NOT NULL, currency TEXT NOT NULL, amount TEXT NOT NULL,
        version INTEGER NOT NULL, PRIMARY KEY (sku, currency));
      CREATE TABLE item_stock_levels (sku TEXT NOT NULL, location_id TEXT NOT NULL, available INTEGER NOT NULL,
        version INTEGER NOT NULL, PRIMARY KEY (sku, location_id));
      INSERT INTO item_prices VALUES ('OLD-1', 'EUR', '3.00', 1);
      INSERT INTO item_stock_levels VALUES ('OLD-1', 'BER-1', 4, 2);`);
    const before = new Date(Date.now() - 1000).toISOString();

    // Act
    const migrated = new ItemMaster(old);
    const window = { from: before, to: new Date(Date.now() + 1000).toISOString() };
    const levels = migrated.stockLevelsChanged(window);
    const prices = migrated.pricesChanged(window);
    old.close();
    rmSync(oldDir, { recursive: true, force: true });

    // Assess
    expect(levels).toEqual([
      { sku: 'OLD-1', locationId: 'BER-1', available: 4, version: 2, updatedAt: expect.any(String) },
    ]);
    expect(prices).toEqual([
      { sku: 'OLD-1', currency: 'EUR', amount: '3.00', version: 1, updatedAt: expect.any(String) },
    ]);
  });

  it('books a movement in one transaction and announces the level after each line with a growing version', () => {
    // Prepare
    const before = outboxAfter(0).at(-1)?.seq ?? 0;
    // Act
    const result = ledger.transaction(() =>
      items.moveStock(
        {
          reference: 'GR-1',
          lines: [
            { sku: 'IM-1', locationId: 'BER-1', quantity: 5 },
            { sku: 'IM-1', locationId: 'BER-1', quantity: 3 },
            { sku: 'IM-2', locationId: 'HAM-1', quantity: 2 },
          ],
        },
        'warehouse',
      ),
    );
    // Assess
    const entries = outboxAfter(before);
    expect(entries.map((entry) => [entry.type, entry.payload.sku, entry.payload.available])).toEqual([
      ['stock.changed', 'IM-1', 5],
      ['stock.changed', 'IM-1', 8],
      ['stock.changed', 'IM-2', 2],
    ]);
    const versions = entries.map((entry) => entry.payload.version as number);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(result.levels).toEqual([
      { sku: 'IM-1', locationId: 'BER-1', available: 8, version: versions[1], updatedAt: expect.any(String) },
      { sku: 'IM-2', locationId: 'HAM-1', available: 2, version: versions[2], updatedAt: expect.any(String) },
    ]);
    expect(items.stockLevel('IM-1', 'BER-1')).toEqual(result.levels[0]);
  });

  it('refuses a movement that would take a level below zero, and changes nothing', () => {
    // Prepare
    const before = outboxAfter(0).at(-1)?.seq ?? 0;
    // Act
    const move = () =>
      ledger.transaction(() =>
        items.moveStock(
          {
            reference: 'GR-2',
            lines: [
              { sku: 'IM-1', locationId: 'BER-1', quantity: 4 },
              { sku: 'IM-2', locationId: 'BER-1', quantity: -1 },
            ],
          },
          'warehouse',
        ),
      );
    // Assess
    expect(move).toThrow(RefusalError);
    expect(move).toThrow('lines[1]: IM-2 at BER-1 has 0, cannot move -1');
    expect(items.stockLevels()).toEqual([]);
    expect(outboxAfter(before)).toEqual([]);
  });

  it('rejects unknown items, bad quantities and movements over the line limit', () => {
    // Act / Assess
    expect(() =>
      items.moveStock({ reference: 'X', lines: [{ sku: 'NOPE', locationId: 'BER-1', quantity: 1 }] }, 'a'),
    ).toThrow('item NOPE does not exist');
    expect(() =>
      items.moveStock({ reference: 'X', lines: [{ sku: 'IM-1', locationId: 'BER-1', quantity: 1.5 }] }, 'a'),
    ).toThrow('lines[0].quantity must be a non-zero integer');
    const lines = Array.from({ length: 10_001 }, () => ({ sku: 'IM-1', locationId: 'BER-1', quantity: 1 }));
    expect(() => items.moveStock({ reference: 'X', lines }, 'a')).toThrow('at most 10000');
  });

  it('announces a price only when it changed, and the relay makes an authoritative event of it', () => {
    // Prepare
    const before = outboxAfter(0).at(-1)?.seq ?? 0;
    // Act
    ledger.transaction(() =>
      items.upsertItems(
        { items: [{ sku: 'IM-1', title: 'Item one', taxRate: '0.19', prices: { EUR: '10', USD: '12.5' } }] },
        'merchandising',
      ),
    );
    // Assess
    const entries = outboxAfter(before);
    expect(entries.map((entry) => [entry.type, entry.payload.currency, entry.payload.amount])).toEqual([
      ['item.price-changed', 'USD', '12.50'],
    ]);
    const event = toCanonicalEvent(
      {
        ...(entries[0] as never as {
          seq: number;
          at: string;
          type: string;
          payload: Record<string, unknown>;
        }),
      },
      'erp://sandbox',
    );
    expect(event).toMatchObject({
      type: 'erp.item.price-changed.v1',
      subject: 'item/IM-1/price/USD',
      entityversion: entries[0]?.payload.version,
      data: { sku: 'IM-1', price: { amount: '12.50', currency: 'USD' } },
    });
  });

  it('relays a stock entry as erp.stock.changed.v1 and dead-letters one missing its level', () => {
    // Prepare
    const entry = { seq: 7, at: '2026-11-29T10:00:00.000Z', type: 'stock.changed' };
    const payload = { sku: 'IM-1', locationId: 'BER-1', available: 8, version: 42, reference: 'GR-1' };
    // Act
    const event = toCanonicalEvent({ ...entry, payload }, 'erp://sandbox');
    // Assess
    expect(event).toMatchObject({
      type: 'erp.stock.changed.v1',
      subject: 'item/IM-1/stock/BER-1',
      entityversion: 42,
      causationid: 'erp-outbox:7',
      data: { sku: 'IM-1', locationId: 'BER-1', available: 8, reference: 'GR-1' },
    });
    expect(() =>
      toCanonicalEvent({ ...entry, payload: { ...payload, available: undefined } }, 'erp://sandbox'),
    ).toThrow('payload.available must be a non-negative integer');
  });
});
