/** The warehouse's item master models: stock history, current stock levels and prices, and one snapshot per SKU, from the ERP's item events. */
import { latestLineageBy, lineage, lineageSelect, text } from './model-sql';
import type { WarehouseModel } from './models';

/** The ERP's item events the models read (docs/item-sync.md). */
export const itemEventTypes = ['erp.stock.changed.v1', 'erp.item.price-changed.v1'] as const;

/**
 * Keeps, per key, the row of the latest change: the highest entity version (the ERP's item version, one counter over
 * every level and price, so it orders changes whatever order they arrived in); the later event time, then the event
 * id, only break a tie the ERP never makes, so the answer is the same on every run and both engines. A row without a
 * version loses to any that has one.
 */
function latestPer(keys: string, columns: string, from: string): string {
  return `SELECT ${columns}
FROM (
  SELECT *, row_number() OVER (
    PARTITION BY ${keys} ORDER BY entity_version DESC NULLS LAST, changed_at DESC, event_id DESC) AS recency
  FROM ${from}
) ranked
WHERE recency = 1`;
}

const stockColumns = `sku, location_id, available, reference, changed_at, ${lineageSelect}`;

/** `item_stock_history`: every stock level the ERP announced, each once (`erp_events` removed the copies). */
export const itemStockHistory: WarehouseModel = {
  name: 'item_stock_history',
  description:
    'Every stock level of an item at a location the ERP announced (goods receipt, transfer, count), each once; entity_version orders the levels of one sku and location.',
  columns: [
    { name: 'sku', type: 'string', comment: "the item's SKU in the ERP" },
    { name: 'location_id', type: 'string', comment: "the ERP's warehouse or store code" },
    { name: 'available', type: 'bigint', comment: 'units available at the location after the change' },
    {
      name: 'reference',
      type: 'string',
      comment: 'the ERP document that moved the stock (goods receipt, transfer, count)',
    },
    { name: 'changed_at', type: 'timestamp', comment: 'when the ERP booked the change' },
    ...lineage,
  ],
  sql: `SELECT ${text('sku')} AS sku, ${text('locationId')} AS location_id,
  CAST(${text('available')} AS BIGINT) AS available, ${text('reference')} AS reference,
  event_time AS changed_at, ${lineageSelect}
FROM erp_events
WHERE event_type = 'erp.stock.changed.v1'`,
};

/** `stock_levels`: the level of each sku at each location as of its latest announcement. */
export const stockLevels: WarehouseModel = {
  name: 'stock_levels',
  description:
    "Each item's stock level at each location as of the ERP's latest announcement: the highest entity version wins, not the latest arrival.",
  columns: itemStockHistory.columns,
  sql: latestPer('sku, location_id', stockColumns, 'item_stock_history'),
};

/** `item_prices`: each item's list price per currency as of its latest announcement. */
export const itemPrices: WarehouseModel = {
  name: 'item_prices',
  description:
    "Each item's list price in each currency as of the ERP's latest announcement: the highest entity version wins, not the latest arrival.",
  columns: [
    { name: 'sku', type: 'string', comment: "the item's SKU in the ERP" },
    { name: 'currency', type: 'string', comment: 'ISO 4217' },
    { name: 'amount', type: 'decimal(19,4)', comment: 'the list price' },
    { name: 'changed_at', type: 'timestamp', comment: 'when the ERP set it' },
    ...lineage,
  ],
  sql: latestPer(
    'sku, currency',
    `sku, currency, amount, changed_at, ${lineageSelect}`,
    `(
    SELECT ${text('sku')} AS sku, ${text('price.currency')} AS currency,
      CAST(${text('price.amount')} AS DECIMAL(19,4)) AS amount, event_time AS changed_at, ${lineageSelect}
    FROM erp_events
    WHERE event_type = 'erp.item.price-changed.v1'
  ) announced`,
  ),
};

/**
 * `items`: one row per SKU the ERP announced a level or a price of. The ERP announces no item record of its own (title,
 * tax rate), so the snapshot is what its levels and prices say: the units available over every location, when each
 * last changed, and the item's latest change (its highest entity version) with that change's lineage.
 */
export const items: WarehouseModel = {
  name: 'items',
  description:
    "Each item the ERP announced a stock level or a price of: units available over its locations' current levels, and its latest change.",
  columns: [
    { name: 'sku', type: 'string', comment: "the item's SKU in the ERP" },
    {
      name: 'available',
      type: 'bigint',
      comment: 'units available over every location, from stock_levels; null when no level was announced',
    },
    { name: 'stock_changed_at', type: 'timestamp', comment: 'the latest change of any of its levels' },
    { name: 'price_changed_at', type: 'timestamp', comment: 'the latest change of any of its prices' },
    { name: 'updated_at', type: 'timestamp', comment: 'the latest change of a level or a price' },
    ...lineage,
  ],
  sql: `SELECT sku, CAST(sum(available) AS BIGINT) AS available,
  max(changed_at) FILTER (WHERE kind = 'stock') AS stock_changed_at,
  max(changed_at) FILTER (WHERE kind = 'price') AS price_changed_at, max(changed_at) AS updated_at,
  ${latestLineageBy('entity_version')}
FROM (
  SELECT sku, 'stock' AS kind, available, changed_at, ${lineageSelect} FROM stock_levels
  UNION ALL
  SELECT sku, 'price' AS kind, CAST(NULL AS BIGINT) AS available, changed_at, ${lineageSelect} FROM item_prices
) current_state
GROUP BY sku`,
};
