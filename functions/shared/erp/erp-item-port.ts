/**
 * The ERP's item register as a reconciliation reads it: stock levels per sku and location and list prices per sku and
 * currency, each with its version and change time. A port of its own beside ErpPort, so that an ERP connector without
 * an item master still implements ErpPort whole.
 */

/** A change window: from inclusive, to exclusive, as ISO 8601 timestamps. */
export interface ItemChangeWindow {
  fromIso: string;
  toIso: string;
}

/** A stock level as the ERP books it: `version` is the item master's counter, which grows with every change. */
export interface ErpStockLevel {
  sku: string;
  locationId: string;
  available: number;
  version: number;
  /** When the ERP last changed the level (ISO 8601). */
  updatedAt: string;
}

/** A list price as the ERP books it. */
export interface ErpItemPrice {
  sku: string;
  currency: string;
  /** A decimal string. */
  amount: string;
  version: number;
  /** When the ERP last set the price (ISO 8601). */
  updatedAt: string;
}

/** The ERP's item register, read only: the item write-back and the item master's own admin change it. */
export interface ErpItemPort {
  /** The stock levels whose latest change lies in the window. */
  listStockLevels(changed: ItemChangeWindow): Promise<ErpStockLevel[]>;
  /** One stock level, if the ERP books one for the sku at the location. */
  findStockLevel(sku: string, locationId: string): Promise<ErpStockLevel | undefined>;
  /** The list prices whose latest change lies in the window. */
  listPrices(changed: ItemChangeWindow): Promise<ErpItemPrice[]>;
  /** One list price, if the item has one in the currency. */
  findPrice(sku: string, currency: string): Promise<ErpItemPrice | undefined>;
}
