/** The ledger's warehouse: items with list price, tax and stock, reservations against it, and line pricing. */
import { formatDecimal, parseDecimal } from '../../../functions/shared/decimal';
import { NotFoundError, RefusalError } from '../erp-errors';
import type { SeedItem } from '../seed-catalogue';
import type { LedgerDatabase } from './ledger-database';

/** An item as the `items` table holds it: `reserved` is held for orders not yet booked. */
export interface ItemRow {
  sku: string;
  title: string;
  unit_price: string;
  currency: string;
  tax_rate: string;
  stock_on_hand: number;
  reserved: number;
}

/** A requested line: an item and how many. */
export interface Line {
  sku: string;
  quantity: number;
}

/** A line priced from the item master, with the stock still free for it. */
export interface PricedLine {
  sku: string;
  quantity: number;
  unitPrice: string;
  taxRate: string;
  lineTotal: string;
  tax: string;
  available: number;
}

/** Lines priced in one currency, with their totals. */
export interface PricedLines {
  lines: PricedLine[];
  subtotal: string;
  tax: string;
  total: string;
}

/** A reservation as the ERP answers it. */
export interface ReservationView {
  reservationId: string;
  orderRef: string;
  status: string;
  lines: Line[];
}

/** An item's stock after a goods receipt. */
export interface StockView {
  sku: string;
  stockOnHand: number;
  reserved: number;
}

const schema = `
CREATE TABLE IF NOT EXISTS items (sku TEXT PRIMARY KEY, title TEXT NOT NULL, unit_price TEXT NOT NULL, currency TEXT NOT NULL, tax_rate TEXT NOT NULL,
  stock_on_hand INTEGER NOT NULL, reserved INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS reservations (id TEXT PRIMARY KEY, order_ref TEXT NOT NULL, lines TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL);`;

/** The warehouse over the ledger database; each call runs in the caller's transaction. */
/**
 * Refuses (422) a reservation without an order reference or lines, or a line without a SKU or a positive whole
 * quantity: the request's mistake, answered as a refusal rather than failing on the missing value.
 */
function validReservation(request: { orderRef?: unknown; lines?: unknown }): void {
  const refuse = (message: string): never => {
    throw new RefusalError('invalid_reservation', message, 422);
  };
  if (typeof request.orderRef !== 'string' || request.orderRef.trim() === '')
    refuse('orderRef must be a non-empty string');
  if (!Array.isArray(request.lines) || request.lines.length === 0) refuse('lines must be a non-empty list');
  (request.lines as unknown[]).forEach((value, index) => {
    const line = (value ?? {}) as { sku?: unknown; quantity?: unknown };
    if (typeof line.sku !== 'string' || line.sku === '')
      refuse(`lines[${index}].sku must be a non-empty string`);
    if (!Number.isSafeInteger(line.quantity) || (line.quantity as number) <= 0)
      refuse(`lines[${index}].quantity must be a positive integer`);
  });
}

export class WarehouseStock {
  constructor(private readonly books: LedgerDatabase) {
    books.db.exec(schema);
  }

  /** Whether no item is booked yet: a new data directory, to be seeded. */
  isEmpty(): boolean {
    const seeded = this.books.db.prepare('SELECT COUNT(*) AS n FROM items').get() as { n: number };
    return seeded.n === 0;
  }

  /** Books the seed catalogue's items with their starting stock. */
  seed(items: readonly SeedItem[]): void {
    for (const item of items) {
      this.books.db
        .prepare(
          'INSERT INTO items (sku, title, unit_price, currency, tax_rate, stock_on_hand) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(item.sku, item.title, item.unitPrice, item.currency, item.taxRate, item.stockOnHand);
    }
  }

  /** The item; a 422 refusal (`unknown_sku`) when there is none, as a line naming it cannot be taken. */
  item(sku: string): ItemRow {
    const row = this.books.db.prepare('SELECT * FROM items WHERE sku = ?').get(sku) as ItemRow | undefined;
    if (!row) throw new RefusalError('unknown_sku', `Item ${sku} does not exist`, 422);
    return row;
  }

  /** Prices lines at list price in `currency`, tax per line rounded half up to cents; refuses empty or bad lines. */
  price(currency: string, lines: Line[]): PricedLines {
    if (!Array.isArray(lines) || lines.length === 0)
      throw new RefusalError('no_lines', 'An order needs at least one line', 422);
    const priced = lines.map((line) => {
      if (!Number.isInteger(line.quantity) || line.quantity < 1)
        throw new RefusalError('invalid_quantity', `Quantity of ${line.sku} must be a positive integer`, 422);
      const item = this.item(line.sku);
      if (item.currency !== currency)
        throw new RefusalError('currency_mismatch', `Item ${item.sku} is priced in ${item.currency}`, 422);
      const net = BigInt(line.quantity) * parseDecimal(item.unit_price);
      // Tax rounded to cents, half up, per line.
      const taxUnits = (net * parseDecimal(item.tax_rate)) / 10_000n;
      const tax = ((taxUnits + 50n) / 100n) * 100n;
      return {
        sku: item.sku,
        quantity: line.quantity,
        unitPrice: item.unit_price,
        taxRate: item.tax_rate,
        lineTotal: formatDecimal(net),
        tax: formatDecimal(tax),
        available: item.stock_on_hand - item.reserved,
      };
    });
    const subtotal = priced.reduce((sum, line) => sum + parseDecimal(line.lineTotal), 0n);
    const tax = priced.reduce((sum, line) => sum + parseDecimal(line.tax), 0n);
    return {
      lines: priced,
      subtotal: formatDecimal(subtotal),
      tax: formatDecimal(tax),
      total: formatDecimal(subtotal + tax),
    };
  }

  /** Holds stock for an order not yet booked; refuses the whole reservation if any line is short (409). */
  reserve(request: { orderRef: string; lines: Line[] }, actor: string): ReservationView {
    validReservation(request);
    for (const line of request.lines) {
      const item = this.item(line.sku);
      if (item.stock_on_hand - item.reserved < line.quantity) {
        throw new RefusalError(
          'out_of_stock',
          `Only ${item.stock_on_hand - item.reserved} of ${item.sku} available, ${line.quantity} requested`,
          409,
        );
      }
    }
    const id = this.books.next('reservation', 'RES');
    for (const line of request.lines)
      this.books.db
        .prepare('UPDATE items SET reserved = reserved + ? WHERE sku = ?')
        .run(line.quantity, line.sku);
    this.books.db
      .prepare('INSERT INTO reservations (id, order_ref, lines, status, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(id, request.orderRef, JSON.stringify(request.lines), 'ACTIVE', this.books.now());
    this.books.audit(actor, 'reserve', 'reservation', id, request);
    return { reservationId: id, orderRef: request.orderRef, status: 'ACTIVE', lines: request.lines };
  }

  /** Frees an active reservation's stock; releasing one already released or consumed changes nothing. */
  release(reservationId: string, actor: string): ReservationView {
    const row = this.books.db.prepare('SELECT * FROM reservations WHERE id = ?').get(reservationId) as
      | { id: string; order_ref: string; lines: string; status: string }
      | undefined;
    if (!row) throw new NotFoundError(`Reservation ${reservationId} does not exist`);
    const lines = JSON.parse(row.lines) as Line[];
    if (row.status === 'ACTIVE') {
      for (const line of lines)
        this.books.db
          .prepare('UPDATE items SET reserved = reserved - ? WHERE sku = ?')
          .run(line.quantity, line.sku);
      this.books.db.prepare("UPDATE reservations SET status = 'RELEASED' WHERE id = ?").run(reservationId);
      this.books.audit(actor, 'release', 'reservation', reservationId, {});
    }
    return {
      reservationId,
      orderRef: row.order_ref,
      status: row.status === 'ACTIVE' ? 'RELEASED' : row.status,
      lines,
    };
  }

  /** The reserved stock leaves the warehouse with the order booked on it; refuses unless the reservation is active. */
  consumeReservation(reservationId: string): void {
    const reservation = this.books.db.prepare('SELECT * FROM reservations WHERE id = ?').get(reservationId) as
      | { status: string; lines: string }
      | undefined;
    if (reservation?.status !== 'ACTIVE')
      throw new RefusalError('reservation_not_active', `Reservation ${reservationId} is not active`, 409);
    for (const line of JSON.parse(reservation.lines) as Line[])
      this.books.db
        .prepare('UPDATE items SET reserved = reserved - ?, stock_on_hand = stock_on_hand - ? WHERE sku = ?')
        .run(line.quantity, line.quantity, line.sku);
    this.books.db.prepare("UPDATE reservations SET status = 'CONSUMED' WHERE id = ?").run(reservationId);
  }

  /** Goods taken for an order that is not shipped go back on the shelf. */
  restock(lines: readonly Line[]): void {
    for (const line of lines)
      this.books.db
        .prepare('UPDATE items SET stock_on_hand = stock_on_hand + ? WHERE sku = ?')
        .run(line.quantity, line.sku);
  }

  /** The warehouse books a goods receipt: stock on hand grows (admin); refuses a quantity below one (422). */
  receiveStock(sku: string, quantity: unknown, actor: string): StockView {
    if (!Number.isInteger(quantity) || (quantity as number) < 1)
      throw new RefusalError('invalid_quantity', 'quantity must be a positive integer', 422);
    const item = this.item(sku);
    this.books.db
      .prepare('UPDATE items SET stock_on_hand = stock_on_hand + ? WHERE sku = ?')
      .run(quantity, item.sku);
    this.books.audit(actor, 'receive-stock', 'item', item.sku, { quantity });
    const updated = this.item(item.sku);
    return { sku: updated.sku, stockOnHand: updated.stock_on_hand, reserved: updated.reserved };
  }
}
