/** The ERP sandbox's item master: items with a price per currency and stock per location, announced in the outbox. */
import { formatDecimal, parseDecimal } from '../../functions/shared/decimal';
import { NotFoundError, RefusalError } from './erp-errors';
import type { LedgerHandle } from './ledger/ledger-database';
import { type ChangeWindow, changeWindow } from './vendor-master';

/** The most lines one call may change: a large goods receipt, still one transaction of bounded size. */
export const maxLinesPerCall = 10_000;

const skuPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const locationPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,49}$/;
const currencyPattern = /^[A-Z]{3}$/;

/** An item as created or changed by the admin API. */
export interface ItemInput {
  sku: string;
  title: string;
  taxRate: string;
  /** Price per ISO 4217 currency, as decimal strings. */
  prices: Record<string, string>;
}

/** One line of a stock movement: `quantity` more (or fewer, when negative) at a location. */
export interface StockMovementLine {
  sku: string;
  locationId: string;
  quantity: number;
}

/** A stock level as the ERP books it; `version` grows with every change of any level or price. */
export interface StockLevel {
  sku: string;
  locationId: string;
  available: number;
  version: number;
  /** When the ERP last changed it (ISO 8601 UTC): what a reconciliation's change window lists by. */
  updatedAt: string;
}

/** A price as the ERP books it. */
export interface ItemPrice {
  sku: string;
  currency: string;
  amount: string;
  version: number;
  /** When the ERP last set it (ISO 8601 UTC). */
  updatedAt: string;
}

const schema = `
CREATE TABLE IF NOT EXISTS item_prices (sku TEXT NOT NULL, currency TEXT NOT NULL, amount TEXT NOT NULL, version INTEGER NOT NULL,
  updated_at TEXT NOT NULL, PRIMARY KEY (sku, currency));
CREATE TABLE IF NOT EXISTS item_stock_levels (sku TEXT NOT NULL, location_id TEXT NOT NULL, available INTEGER NOT NULL,
  version INTEGER NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (sku, location_id));
CREATE INDEX IF NOT EXISTS item_prices_updated_at ON item_prices (updated_at);
CREATE INDEX IF NOT EXISTS item_stock_levels_updated_at ON item_stock_levels (updated_at);`;

/**
 * Gives a sandbox made before levels and prices had a change time its `updated_at` column. Their rows get the
 * migration's time: the true time of their last change is lost, and a later time only makes a reconciliation look
 * at them, never hide them.
 */
function addChangeTimes(db: LedgerHandle['db']): void {
  const now = new Date().toISOString();
  for (const table of ['item_prices', 'item_stock_levels']) {
    const columns = db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[];
    if (columns.some((column) => column.name === 'updated_at')) continue;
    db.exec(`ALTER TABLE ${table} ADD COLUMN updated_at TEXT NOT NULL DEFAULT '${now}'`);
  }
}

const levelColumns = 'sku, location_id AS locationId, available, version, updated_at AS updatedAt';
const priceColumns = 'sku, currency, amount, version, updated_at AS updatedAt';

function refuse(message: string): never {
  throw new RefusalError('invalid_item_change', message, 422);
}

function listOf(value: unknown, name: string): unknown[] {
  if (!Array.isArray(value) || value.length === 0) refuse(`${name} must be a non-empty list`);
  if (value.length > maxLinesPerCall) refuse(`${name} may hold at most ${maxLinesPerCall} entries`);
  return value;
}

function decimal(value: unknown, path: string, options: { positive: boolean }): string {
  if (typeof value !== 'string') refuse(`${path} must be a decimal string`);
  let units: bigint;
  try {
    units = parseDecimal(value);
  } catch {
    refuse(`${path} "${value}" is not a decimal amount with at most 4 decimals`);
  }
  if (units < 0n || (options.positive && units === 0n)) refuse(`${path} must be above zero`);
  return formatDecimal(units);
}

function validItem(value: unknown, index: number): ItemInput {
  const item = (value ?? {}) as Record<string, unknown>;
  const at = `items[${index}]`;
  if (typeof item.sku !== 'string' || !skuPattern.test(item.sku)) refuse(`${at}.sku is not a valid SKU`);
  if (typeof item.title !== 'string' || item.title.trim() === '' || item.title.length > 255)
    refuse(`${at}.title must be 1 to 255 characters`);
  const taxRate = decimal(item.taxRate, `${at}.taxRate`, { positive: false });
  const prices = item.prices;
  if (prices === null || typeof prices !== 'object' || Object.keys(prices).length === 0)
    refuse(`${at}.prices must map at least one currency to a price`);
  const valid: Record<string, string> = {};
  for (const [currency, amount] of Object.entries(prices as Record<string, unknown>)) {
    if (!currencyPattern.test(currency)) refuse(`${at}.prices: "${currency}" is not an ISO 4217 code`);
    valid[currency] = decimal(amount, `${at}.prices.${currency}`, { positive: true });
  }
  return { sku: item.sku, title: item.title.trim(), taxRate, prices: valid };
}

function validLine(value: unknown, index: number): StockMovementLine {
  const line = (value ?? {}) as Record<string, unknown>;
  const at = `lines[${index}]`;
  if (typeof line.sku !== 'string' || !skuPattern.test(line.sku)) refuse(`${at}.sku is not a valid SKU`);
  if (typeof line.locationId !== 'string' || !locationPattern.test(line.locationId))
    refuse(`${at}.locationId is not a valid location`);
  if (!Number.isSafeInteger(line.quantity) || line.quantity === 0)
    refuse(`${at}.quantity must be a non-zero integer`);
  return { sku: line.sku, locationId: line.locationId, quantity: line.quantity as number };
}

/**
 * The `updatedFrom`/`updatedTo` window a level or price listing requires: a master of every level at every location
 * is too large to answer whole, and a listing without a window would be read as one of everything.
 */
export function requiredChangeWindow(query: URLSearchParams): ChangeWindow {
  const window = changeWindow(query);
  if (!window)
    throw new RefusalError(
      'invalid_query',
      'updatedFrom and updatedTo are required (ISO 8601 timestamps)',
      400,
    );
  return window;
}

/**
 * The item master over the ledger's database and transactions. Every change takes a new version from one counter,
 * so versions grow across the whole master: the order of two changes of a level or a price is the order of their
 * versions, which is what the write-back keeps the latest of.
 */
export class ItemMaster {
  constructor(private readonly ledger: LedgerHandle) {
    // The columns first: the schema's indexes name updated_at, which an older sandbox's tables lack.
    const existing = ledger.db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'item_stock_levels'")
      .get();
    if (existing) addChangeTimes(ledger.db);
    ledger.db.exec(schema);
  }

  private nextVersion(): number {
    const row = this.ledger.db
      .prepare(
        "INSERT INTO counters (name, value) VALUES ('item-version', 1) ON CONFLICT(name) DO UPDATE SET value = value + 1 RETURNING value",
      )
      .get() as { value: number };
    return row.value;
  }

  private requireItem(sku: string): void {
    if (!this.ledger.db.prepare('SELECT 1 FROM items WHERE sku = ?').get(sku))
      throw new RefusalError('unknown_item', `Item ${sku} does not exist`, 422);
  }

  /**
   * Creates or changes items (admin; caller's transaction): a new item gets its first price as the list price
   * order-to-cash quotes; every price that changed is announced as `item.price-changed`. Any invalid entry refuses
   * the whole call.
   */
  upsertItems(body: Record<string, unknown>, actor: string): { items: number; pricesChanged: number } {
    const items = listOf(body.items, 'items').map(validItem);
    const db = this.ledger.db;
    let pricesChanged = 0;
    for (const item of items) {
      const [currency, amount] = Object.entries(item.prices)[0] as [string, string];
      db.prepare(
        `INSERT INTO items (sku, title, unit_price, currency, tax_rate, stock_on_hand) VALUES (?, ?, ?, ?, ?, 0)
         ON CONFLICT(sku) DO UPDATE SET title = excluded.title, tax_rate = excluded.tax_rate`,
      ).run(item.sku, item.title, amount, currency, item.taxRate);
      for (const [code, price] of Object.entries(item.prices)) {
        const current = db
          .prepare('SELECT amount FROM item_prices WHERE sku = ? AND currency = ?')
          .get(item.sku, code) as { amount: string } | undefined;
        if (current?.amount === price) continue;
        pricesChanged += 1;
        this.writePrice(item.sku, code, price);
      }
      this.ledger.audit(actor, 'upsert-item', 'item', item.sku, item);
    }
    return { items: items.length, pricesChanged };
  }

  private writePrice(sku: string, currency: string, amount: string): ItemPrice {
    const version = this.nextVersion();
    const updatedAt = new Date().toISOString();
    const db = this.ledger.db;
    db.prepare(
      `INSERT INTO item_prices (sku, currency, amount, version, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(sku, currency) DO UPDATE SET amount = excluded.amount, version = excluded.version,
         updated_at = excluded.updated_at`,
    ).run(sku, currency, amount, version, updatedAt);
    // The list price order-to-cash quotes follows the price in the item's own currency.
    db.prepare('UPDATE items SET unit_price = ? WHERE sku = ? AND currency = ?').run(amount, sku, currency);
    this.ledger.emit('item.price-changed', { sku, currency, amount, version });
    return { sku, currency, amount, version, updatedAt };
  }

  /** Sets one price of an item (admin; caller's transaction) and announces it. */
  setPrice(sku: string, currency: string, body: Record<string, unknown>, actor: string): ItemPrice {
    if (!currencyPattern.test(currency)) refuse(`"${currency}" is not an ISO 4217 code`);
    this.requireItem(sku);
    const amount = decimal(body.amount, 'amount', { positive: true });
    const price = this.writePrice(sku, currency, amount);
    this.ledger.audit(actor, 'set-price', 'item', sku, { currency, amount });
    return price;
  }

  /**
   * Books a stock movement (a goods receipt, a transfer, a count correction) of many lines in the caller's
   * transaction. Each line is announced as `stock.changed` with the level after it, so a document touching the same
   * level twice announces two levels, the later with the higher version. A line that would take a level below zero,
   * or names an unknown item, refuses the whole movement.
   */
  moveStock(
    body: Record<string, unknown>,
    actor: string,
  ): { reference: string; lines: number; levels: StockLevel[] } {
    const reference = body.reference;
    if (typeof reference !== 'string' || reference.trim() === '' || reference.length > 100)
      refuse('reference must be 1 to 100 characters');
    const lines = listOf(body.lines, 'lines').map(validLine);
    const db = this.ledger.db;
    const known = db.prepare('SELECT 1 FROM items WHERE sku = ?');
    const read = db.prepare('SELECT available FROM item_stock_levels WHERE sku = ? AND location_id = ?');
    const write = db.prepare(
      `INSERT INTO item_stock_levels (sku, location_id, available, version, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(sku, location_id) DO UPDATE SET available = excluded.available, version = excluded.version,
         updated_at = excluded.updated_at`,
    );
    // One movement is one booking: its lines share the time it was booked at.
    const updatedAt = new Date().toISOString();
    const onHand = db.prepare('UPDATE items SET stock_on_hand = stock_on_hand + ? WHERE sku = ?');
    const levels = new Map<string, StockLevel>();
    lines.forEach((line, index) => {
      if (!known.get(line.sku))
        throw new RefusalError('unknown_item', `lines[${index}]: item ${line.sku} does not exist`, 422);
      const current =
        (read.get(line.sku, line.locationId) as { available: number } | undefined)?.available ?? 0;
      const available = current + line.quantity;
      if (available < 0)
        throw new RefusalError(
          'insufficient_stock',
          `lines[${index}]: ${line.sku} at ${line.locationId} has ${current}, cannot move ${line.quantity}`,
          422,
        );
      const version = this.nextVersion();
      write.run(line.sku, line.locationId, available, version, updatedAt);
      onHand.run(line.quantity, line.sku);
      this.ledger.emit('stock.changed', {
        sku: line.sku,
        locationId: line.locationId,
        available,
        version,
        reference,
      });
      levels.set(`${line.sku}@${line.locationId}`, {
        sku: line.sku,
        locationId: line.locationId,
        available,
        version,
        updatedAt,
      });
    });
    this.ledger.audit(actor, 'move-stock', 'stock-movement', reference, { lines: lines.length });
    return { reference, lines: lines.length, levels: [...levels.values()] };
  }

  /** Every stock level, by sku and location (optionally of one sku). */
  stockLevels(sku?: string): StockLevel[] {
    return this.ledger.db
      .prepare(
        `SELECT ${levelColumns} FROM item_stock_levels WHERE ? IS NULL OR sku = ? ORDER BY sku, location_id`,
      )
      .all(sku ?? null, sku ?? null) as StockLevel[];
  }

  /**
   * The stock levels last changed in a window (from inclusive, to exclusive; ISO 8601 UTC compares as text), by sku
   * and location: what a reconciliation reads as the ERP's side of a day.
   */
  stockLevelsChanged(window: ChangeWindow): StockLevel[] {
    return this.ledger.db
      .prepare(
        `SELECT ${levelColumns} FROM item_stock_levels WHERE updated_at >= ? AND updated_at < ?
         ORDER BY sku, location_id`,
      )
      .all(window.from, window.to) as StockLevel[];
  }

  /** The prices last set in a window (from inclusive, to exclusive), by sku and currency. */
  pricesChanged(window: ChangeWindow): ItemPrice[] {
    return this.ledger.db
      .prepare(
        `SELECT ${priceColumns} FROM item_prices WHERE updated_at >= ? AND updated_at < ? ORDER BY sku, currency`,
      )
      .all(window.from, window.to) as ItemPrice[];
  }

  /** One level; NotFoundError when the ERP has none for the sku at the location. */
  stockLevel(sku: string, locationId: string): StockLevel {
    const level = this.ledger.db
      .prepare(`SELECT ${levelColumns} FROM item_stock_levels WHERE sku = ? AND location_id = ?`)
      .get(sku, locationId) as StockLevel | undefined;
    if (!level) throw new NotFoundError(`No stock level of ${sku} at ${locationId}`);
    return level;
  }

  /** One price; NotFoundError when the item has none in the currency. */
  price(sku: string, currency: string): ItemPrice {
    const price = this.ledger.db
      .prepare(`SELECT ${priceColumns} FROM item_prices WHERE sku = ? AND currency = ?`)
      .get(sku, currency) as ItemPrice | undefined;
    if (!price) throw new NotFoundError(`No ${currency} price of ${sku}`);
    return price;
  }
}
