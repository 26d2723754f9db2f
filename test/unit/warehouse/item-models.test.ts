import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { itemMappers } from '../../../functions/erp-outbox-relay/item-mappers';
import type { CanonicalEvent } from '../../../functions/shared/events/envelope';
import { modelsSince } from '../../../functions/shared/warehouse/models';
import { openLocalWarehouse, queryObjects } from '../../../local/warehouse/duckdb-warehouse';
import { deliver, erpEvent } from '../../support/warehouse-files';

const at = (minutes: number) => new Date(Date.UTC(2026, 10, 27, 9, minutes)).toISOString();

/** A stock event as the relay makes it: the ERP's item version as entity version, the booking time as time. */
function stock(
  version: number,
  minutes: number,
  sku: string,
  locationId: string,
  available: number,
  reference: string,
) {
  return {
    ...erpEvent(
      'erp.stock.changed.v1',
      `item/${sku}/stock/${locationId}`,
      version,
      { sku, locationId, available, reference, changedAt: at(minutes) },
      `ev-stock-${version}`,
    ),
    time: at(minutes),
  };
}

function price(version: number, minutes: number, sku: string, currency: string, amount: string) {
  return {
    ...erpEvent(
      'erp.item.price-changed.v1',
      `item/${sku}/price/${currency}`,
      version,
      { sku, price: { amount, currency }, changedAt: at(minutes) },
      `ev-price-${version}`,
    ),
    time: at(minutes),
  };
}

const received = stock(9, 9, 'TENT-2P', 'BER-1', 7, 'GR-2');
const repriced = price(6, 6, 'TENT-2P', 'EUR', '189.00');

let bucketDir: string;
let connection: DuckDBConnection;

beforeAll(async () => {
  bucketDir = mkdtempSync(path.join(tmpdir(), 'concord-warehouse-items-'));
  // The latest level (version 9) and price (version 6) arrive before the changes they follow, and twice; a count of
  // TENT-2P at HAM-1 and a level with a version tie (which the ERP never makes) complete the picture.
  deliver(bucketDir, '2026-11-27T10:05:00Z', [
    received,
    stock(3, 3, 'TENT-2P', 'BER-1', 10, 'GR-1'),
    stock(4, 4, 'TENT-2P', 'HAM-1', 20, 'COUNT-1'),
    repriced,
    price(8, 8, 'TENT-2P', 'USD', '209.50'),
    stock(11, 12, 'LAMP-1', 'BER-1', 2, 'GR-3'),
  ]);
  deliver(bucketDir, '2026-11-27T10:10:00Z', [
    stock(5, 5, 'TENT-2P', 'BER-1', 12, 'TR-1'),
    received,
    price(2, 2, 'TENT-2P', 'EUR', '199.00'),
    repriced,
    price(10, 10, 'STOVE-1', 'EUR', '49.9'),
    { ...stock(11, 11, 'LAMP-1', 'BER-1', 3, 'GR-3'), id: 'ev-stock-11-earlier' },
  ]);
  connection = await openLocalWarehouse(bucketDir);
});

afterAll(() => {
  connection?.closeSync();
  rmSync(bucketDir, { recursive: true, force: true });
});

const rows = (sql: string) => queryObjects(connection, sql);

describe('item_stock_history warehouse model', () => {
  it('keeps every announced level once, however often it was delivered', async () => {
    // Act
    const history = await rows(
      "select entity_version, available, reference from item_stock_history where sku = 'TENT-2P' and location_id = 'BER-1' order by entity_version",
    );

    // Assess
    expect(history).toEqual([
      { entity_version: '3', available: '10', reference: 'GR-1' },
      { entity_version: '5', available: '12', reference: 'TR-1' },
      { entity_version: '9', available: '7', reference: 'GR-2' },
    ]);
  });
});

describe('stock_levels warehouse model', () => {
  it('gives each sku and location the level of its highest entity version, not of its latest arrival', async () => {
    // Act
    const levels = await rows(
      'select sku, location_id, available, reference, changed_at, entity_version from stock_levels order by sku, location_id',
    );

    // Assess
    expect(levels).toEqual([
      {
        sku: 'LAMP-1',
        location_id: 'BER-1',
        available: '2',
        reference: 'GR-3',
        changed_at: '2026-11-27 09:12:00',
        entity_version: '11',
      },
      {
        sku: 'TENT-2P',
        location_id: 'BER-1',
        available: '7',
        reference: 'GR-2',
        changed_at: '2026-11-27 09:09:00',
        entity_version: '9',
      },
      {
        sku: 'TENT-2P',
        location_id: 'HAM-1',
        available: '20',
        reference: 'COUNT-1',
        changed_at: '2026-11-27 09:04:00',
        entity_version: '4',
      },
    ]);
  });

  it('breaks a tie of entity versions, which the ERP never makes, by the later change', async () => {
    // Act
    const level = await rows("select available, event_id from stock_levels where sku = 'LAMP-1'");

    // Assess
    expect(level).toEqual([{ available: '2', event_id: 'ev-stock-11' }]);
  });

  it('carries the lineage of the announcement it took the level from, loaded when first delivered', async () => {
    // Act
    const [level] = await rows(
      "select correlation_id, source_event_id, event_id, loaded_at from stock_levels where sku = 'TENT-2P' and location_id = 'BER-1'",
    );

    // Assess
    expect(level).toEqual({
      correlation_id: 'corr-item/TENT-2P/stock/BER-1',
      source_event_id: 'saas-item/TENT-2P/stock/BER-1',
      event_id: 'ev-stock-9',
      loaded_at: '2026-11-27 10:05:00',
    });
  });

  it('answers the same levels when read over the partitions since a day', async () => {
    // Prepare
    const sql = 'select sku, location_id, available, event_id from stock_levels order by sku, location_id';

    // Act
    const bounded = await rows(`${modelsSince('2026-11-27')}${sql}`);
    const later = await rows(`${modelsSince('2026-11-28')}${sql}`);

    // Assess
    expect(bounded).toEqual(await rows(sql));
    expect(later).toEqual([]);
  });
});

describe('item_prices warehouse model', () => {
  it('gives each sku and currency the price of its highest entity version, as a decimal', async () => {
    // Act
    const prices = await rows(
      'select sku, currency, amount, entity_version, event_id from item_prices order by sku, currency',
    );

    // Assess
    expect(prices).toEqual([
      { sku: 'STOVE-1', currency: 'EUR', amount: '49.9000', entity_version: '10', event_id: 'ev-price-10' },
      { sku: 'TENT-2P', currency: 'EUR', amount: '189.0000', entity_version: '6', event_id: 'ev-price-6' },
      { sku: 'TENT-2P', currency: 'USD', amount: '209.5000', entity_version: '8', event_id: 'ev-price-8' },
    ]);
  });
});

describe('items warehouse model', () => {
  it("sums each item's current levels over its locations and names its latest change", async () => {
    // Act
    const snapshot = await rows(
      'select sku, available, stock_changed_at, price_changed_at, updated_at, entity_version, event_id from items order by sku',
    );

    // Assess
    expect(snapshot).toEqual([
      {
        sku: 'LAMP-1',
        available: '2',
        stock_changed_at: '2026-11-27 09:12:00',
        price_changed_at: null,
        updated_at: '2026-11-27 09:12:00',
        entity_version: '11',
        event_id: 'ev-stock-11',
      },
      {
        sku: 'STOVE-1',
        available: null,
        stock_changed_at: null,
        price_changed_at: '2026-11-27 09:10:00',
        updated_at: '2026-11-27 09:10:00',
        entity_version: '10',
        event_id: 'ev-price-10',
      },
      {
        sku: 'TENT-2P',
        available: '27',
        stock_changed_at: '2026-11-27 09:09:00',
        price_changed_at: '2026-11-27 09:08:00',
        updated_at: '2026-11-27 09:09:00',
        entity_version: '9',
        event_id: 'ev-stock-9',
      },
    ]);
  });
});

describe("item warehouse models over the relay's own events", () => {
  it('reads the levels and prices exactly as the outbox relay announces them', async () => {
    // Prepare: the relay's mappers make the events, so a field renamed on either side fails here.
    const dir = mkdtempSync(path.join(tmpdir(), 'concord-warehouse-relayed-items-'));
    const entry = (seq: number, type: string, payload: Record<string, unknown>): CanonicalEvent => {
      const map = itemMappers[type];
      if (!map) throw new Error(`the relay has no mapper for ${type}`);
      return map({ seq, at: at(seq), type, payload }, 'erp://sandbox');
    };
    deliver(dir, '2026-11-27T10:05:00Z', [
      entry(2, 'stock.changed', {
        sku: 'MAP-1',
        locationId: 'HAM-1',
        available: 40,
        version: 2,
        reference: 'GR-9',
      }),
      entry(1, 'stock.changed', {
        sku: 'MAP-1',
        locationId: 'HAM-1',
        available: 25,
        version: 1,
        reference: 'GR-8',
      }),
      entry(3, 'item.price-changed', { sku: 'MAP-1', currency: 'EUR', amount: '12.5', version: 3 }),
    ] as unknown as ReturnType<typeof erpEvent>[]);
    const relayed = await openLocalWarehouse(dir);

    try {
      // Act
      const levels = await queryObjects(
        relayed,
        'select sku, location_id, available, reference from stock_levels',
      );
      const prices = await queryObjects(relayed, 'select sku, currency, amount from item_prices');
      const snapshot = await queryObjects(relayed, 'select sku, available, entity_version from items');

      // Assess
      expect(levels).toEqual([{ sku: 'MAP-1', location_id: 'HAM-1', available: '40', reference: 'GR-9' }]);
      expect(prices).toEqual([{ sku: 'MAP-1', currency: 'EUR', amount: '12.5000' }]);
      expect(snapshot).toEqual([{ sku: 'MAP-1', available: '40', entity_version: '3' }]);
    } finally {
      relayed.closeSync();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
