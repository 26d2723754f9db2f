/** The item kinds of record reconciliation: the ERP's stock levels and list prices against the `stock_levels` and `item_prices` models; no platform owns them. */
import { formatDecimal, parseDecimal } from '../shared/decimal';
import type { ErpItemPort, ErpItemPrice, ErpStockLevel } from '../shared/erp/erp-item-port';
import type { MasterErpFact, MasterFieldSpec } from './master-reconciliation';
import {
  type ErpMasterKind,
  isoOf,
  masterModelSql,
  versionOf,
  type WarehouseMasterKind,
} from './master-sources';
import { required, UnreadableRowError } from './reconcile-sources';

/** A level is compared on the units available (and, as every record kind, on its version). */
export const stockLevelFields: readonly MasterFieldSpec[] = [{ name: 'available', personal: false }];

/** A price is compared on its amount (the currency is in its key). */
export const itemPriceFields: readonly MasterFieldSpec[] = [{ name: 'amount', personal: false }];

/** A level's key: the ERP's SKU and location, neither of which may hold an `@` (item-master.ts's patterns). */
export function stockLevelKey(sku: string, locationId: string): string {
  return `${sku}@${locationId}`;
}

/** A price's key: the SKU and the ISO 4217 currency. */
export function itemPriceKey(sku: string, currency: string): string {
  return `${sku}/${currency}`;
}

/** The two parts of a key; undefined when it has not exactly two non-empty parts. */
function partsOf(key: string, separator: string): [string, string] | undefined {
  const at = key.indexOf(separator);
  if (at <= 0 || at === key.length - 1 || key.indexOf(separator, at + 1) !== -1) return undefined;
  return [key.slice(0, at), key.slice(at + 1)];
}

/** A level's status, alike on both sides: whether the shop may sell it there. */
function stockStatus(available: number): string {
  return available > 0 ? 'IN_STOCK' : 'OUT_OF_STOCK';
}

/** A whole number of units; the ERP or the warehouse answering anything else is a row to read by hand. */
function unitsOf(value: unknown, name: string): number {
  const text = value === null || value === undefined ? '' : String(value);
  if (!/^-?\d+$/.test(text))
    throw new UnreadableRowError(text ? `its ${name} "${text}" is not a whole number` : `it has no ${name}`);
  return Number(text);
}

/** An amount in one form whatever its writer ("0.9", "0.90" and "0.9000" are one price). */
function amountOf(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '') throw new UnreadableRowError(`it has no ${name}`);
  try {
    return formatDecimal(parseDecimal(value));
  } catch {
    throw new UnreadableRowError(`its ${name} "${value}" is not a decimal amount`);
  }
}

const text = (value: unknown) => (value === undefined || value === null ? null : String(value));

/** The ERP's stock levels through its item port. */
export function stockLevelErpKind(
  items: Pick<ErpItemPort, 'listStockLevels' | 'findStockLevel'>,
): ErpMasterKind<ErpStockLevel> {
  return {
    entity: 'stock-level',
    listChanged: (range) => items.listStockLevels(range),
    async find(key) {
      const parts = partsOf(key, '@');
      return parts ? items.findStockLevel(...parts) : undefined;
    },
    factOf(level): MasterErpFact {
      if (!level.sku) throw new UnreadableRowError('it has no sku');
      if (!level.locationId) throw new UnreadableRowError('it has no locationId');
      const key = stockLevelKey(level.sku, level.locationId);
      const available = unitsOf(level.available, 'available');
      return {
        entity: 'stock-level',
        key,
        number: key,
        version: versionOf(level.version, 'version'),
        status: stockStatus(available),
        fields: { available: String(available) },
        updatedAt: isoOf(level.updatedAt, 'updatedAt'),
      };
    },
    rowOf(level) {
      const key = level.sku && level.locationId ? stockLevelKey(level.sku, level.locationId) : null;
      return {
        number: key,
        key,
        available: text(level.available),
        version: text(level.version),
        updatedAt: text(level.updatedAt),
      };
    },
  };
}

/** The ERP's list prices through its item port. */
export function itemPriceErpKind(
  items: Pick<ErpItemPort, 'listPrices' | 'findPrice'>,
): ErpMasterKind<ErpItemPrice> {
  return {
    entity: 'item-price',
    listChanged: (range) => items.listPrices(range),
    async find(key) {
      const parts = partsOf(key, '/');
      return parts ? items.findPrice(...parts) : undefined;
    },
    factOf(price): MasterErpFact {
      if (!price.sku) throw new UnreadableRowError('it has no sku');
      if (!price.currency) throw new UnreadableRowError('it has no currency');
      const key = itemPriceKey(price.sku, price.currency);
      return {
        entity: 'item-price',
        key,
        number: key,
        version: versionOf(price.version, 'version'),
        status: 'LISTED',
        fields: { amount: amountOf(price.amount, 'amount') },
        updatedAt: isoOf(price.updatedAt, 'updatedAt'),
      };
    },
    rowOf(price) {
      const key = price.sku && price.currency ? itemPriceKey(price.sku, price.currency) : null;
      return {
        number: key,
        key,
        amount: text(price.amount),
        version: text(price.version),
        updatedAt: text(price.updatedAt),
      };
    },
  };
}

/**
 * The `stock_levels` model over the stock events only: each level at its highest ERP version, placed in time by
 * when the ERP changed it (the event's time), as the ERP's listing places it by its change time.
 */
export const stockLevelWarehouseKind: WarehouseMasterKind = {
  entity: 'stock-level',
  sql: `${masterModelSql('stock_levels', ['erp.stock.changed.v1'], ['item_stock_history'])}SELECT sku || '@' || location_id AS number,
  sku || '@' || location_id AS record_key, CAST(entity_version AS VARCHAR) AS version,
  CASE WHEN available > 0 THEN 'IN_STOCK' ELSE 'OUT_OF_STOCK' END AS status, changed_at AS synced_at,
  correlation_id, source_event_id, CAST(available AS VARCHAR) AS available
FROM stock_levels`,
  fieldsOf(row) {
    return { available: String(unitsOf(required(row, 'available'), 'available')) };
  },
};

/** The `item_prices` model over the price events only: each price at its highest ERP version. */
export const itemPriceWarehouseKind: WarehouseMasterKind = {
  entity: 'item-price',
  sql: `${masterModelSql('item_prices', ['erp.item.price-changed.v1'])}SELECT sku || '/' || currency AS number,
  sku || '/' || currency AS record_key, CAST(entity_version AS VARCHAR) AS version, 'LISTED' AS status,
  changed_at AS synced_at, correlation_id, source_event_id, CAST(amount AS VARCHAR) AS amount
FROM item_prices`,
  fieldsOf(row) {
    return { amount: amountOf(required(row, 'amount'), 'amount') };
  },
};
