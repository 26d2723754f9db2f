/** The ledger's sales orders: quote, book, amend, cancel, credit-hold release and the manual total correction. */
import { formatDecimal, parseDecimal } from '../../../functions/shared/decimal';
import { NotFoundError, RefusalError } from '../erp-errors';
import type { CustomerAccounts } from './customer-accounts';
import type { DocumentRange, LedgerDatabase, LedgerDocument } from './ledger-database';
import type { Line, PricedLine, PricedLines, WarehouseStock } from './warehouse-stock';

/** A sales order as the `sales_orders` table holds it: `lines` is the priced lines as JSON. */
export interface OrderRow {
  number: string;
  external_ref: string;
  customer_number: string;
  status: string;
  currency: string;
  lines: string;
  subtotal: string;
  tax: string;
  total: string;
  reservation_id: string | null;
  channel: string | null;
  version: number;
  created_at: string;
  updated_at: string;
}

/** A sales order as the ERP answers it; `version` grows with every change. */
export interface OrderView {
  number: string;
  externalRef: string;
  customerNumber: string;
  status: string;
  currency: string;
  lines: PricedLine[];
  subtotal: string;
  tax: string;
  total: string;
  reservationId?: string;
  channel?: string;
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** A quote: lines priced now, and whether the warehouse has all of them free. */
export interface QuoteView extends PricedLines {
  currency: string;
  allAvailable: boolean;
}

/** What booking a sales order takes; `externalRef` (the platform's order id) books it once. */
export interface CreateOrderRequest {
  externalRef: string;
  customerNumber: string;
  currency: string;
  lines: Line[];
  /** A reservation whose stock the order takes; it must still be active. */
  reservationId?: string;
  /** Books the order on credit hold, to be released by finance. */
  creditHold?: boolean;
  channel?: string;
}

const schema = `
CREATE TABLE IF NOT EXISTS sales_orders (number TEXT PRIMARY KEY, external_ref TEXT NOT NULL UNIQUE, customer_number TEXT NOT NULL, status TEXT NOT NULL,
  currency TEXT NOT NULL, lines TEXT NOT NULL, subtotal TEXT NOT NULL, tax TEXT NOT NULL, total TEXT NOT NULL, reservation_id TEXT, version INTEGER NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL);`;

const decimalInput = /^\d{1,12}(\.\d{1,2})?$/;

/**
 * Sales orders over the ledger database; each call runs in the caller's transaction. An order moves ACCEPTED or
 * CREDIT_HOLD → (ACCEPTED) → INVOICED, or to CANCELLED before it is invoiced.
 */
export class SalesOrders {
  constructor(
    private readonly books: LedgerDatabase,
    private readonly customers: CustomerAccounts,
    private readonly stock: WarehouseStock,
  ) {
    books.db.exec(schema);
    this.migrate();
  }

  /** Columns added after a data directory was first created. */
  private migrate(): void {
    const columns = this.books.db.prepare('PRAGMA table_info(sales_orders)').all() as { name: string }[];
    if (!columns.some((column) => column.name === 'channel'))
      this.books.db.exec('ALTER TABLE sales_orders ADD COLUMN channel TEXT');
  }

  /** The order; NotFoundError when there is none. */
  row(number: string): OrderRow {
    const row = this.books.db.prepare('SELECT * FROM sales_orders WHERE number = ?').get(number) as
      | OrderRow
      | undefined;
    if (!row) throw new NotFoundError(`Sales order ${number} does not exist`);
    return row;
  }

  /** The order as the ERP answers it. */
  view(row: OrderRow): OrderView {
    return {
      number: row.number,
      externalRef: row.external_ref,
      customerNumber: row.customer_number,
      status: row.status,
      currency: row.currency,
      lines: JSON.parse(row.lines),
      subtotal: row.subtotal,
      tax: row.tax,
      total: row.total,
      ...(row.reservation_id ? { reservationId: row.reservation_id } : {}),
      ...(row.channel ? { channel: row.channel } : {}),
      version: row.version,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  /** The order booked for a platform order id; NotFoundError when there is none. */
  byExternalRef(externalRef: string): OrderView {
    const row = this.books.db.prepare('SELECT * FROM sales_orders WHERE external_ref = ?').get(externalRef) as
      | OrderRow
      | undefined;
    if (!row) throw new NotFoundError(`No sales order for ${externalRef}`);
    return this.view(row);
  }

  /** Prices lines for a customer without booking anything. */
  quote(request: { customerNumber: string; currency: string; lines: Line[] }): QuoteView {
    this.customers.row(request.customerNumber);
    const priced = this.stock.price(request.currency, request.lines);
    return {
      currency: request.currency,
      ...priced,
      allAvailable: priced.lines.every((line) => line.available >= line.quantity),
    };
  }

  /** Books an order once per external reference, taking a reservation's stock when it names one. */
  create(request: CreateOrderRequest, actor: string): OrderView {
    if (!request.externalRef) throw new RefusalError('missing_external_ref', 'externalRef is required', 422);
    if (this.books.db.prepare('SELECT 1 FROM sales_orders WHERE external_ref = ?').get(request.externalRef)) {
      throw new RefusalError(
        'duplicate_order',
        `A sales order for ${request.externalRef} already exists`,
        409,
      );
    }
    const customer = this.customers.row(request.customerNumber);
    if (customer.blocked)
      throw new RefusalError('customer_blocked', `Customer ${customer.customer_number} is blocked`, 409);
    const priced = this.stock.price(request.currency, request.lines);
    if (request.reservationId) this.stock.consumeReservation(request.reservationId);
    const number = this.books.next('sales-order', 'SO');
    const now = this.books.now();
    const status = request.creditHold ? 'CREDIT_HOLD' : 'ACCEPTED';
    this.books.db
      .prepare(
        'INSERT INTO sales_orders (number, external_ref, customer_number, status, currency, lines, subtotal, tax, total, reservation_id, channel, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)',
      )
      .run(
        number,
        request.externalRef,
        customer.customer_number,
        status,
        request.currency,
        JSON.stringify(priced.lines),
        priced.subtotal,
        priced.tax,
        priced.total,
        request.reservationId ?? null,
        request.channel ?? null,
        now,
        now,
      );
    this.books.audit(actor, 'create', 'sales-order', number, request);
    return this.view(this.row(number));
  }

  /** Replaces an order's lines, repriced, while it is ACCEPTED or on CREDIT_HOLD; refuses later states (409). */
  amend(number: string, request: { lines: Line[] }, actor: string): OrderView {
    const row = this.row(number);
    if (row.status !== 'ACCEPTED' && row.status !== 'CREDIT_HOLD')
      throw new RefusalError(
        'not_amendable',
        `Sales order ${number} is ${row.status} and can no longer be amended`,
        409,
      );
    const priced = this.stock.price(row.currency, request.lines);
    this.books.db
      .prepare(
        'UPDATE sales_orders SET lines = ?, subtotal = ?, tax = ?, total = ?, version = version + 1, updated_at = ? WHERE number = ?',
      )
      .run(JSON.stringify(priced.lines), priced.subtotal, priced.tax, priced.total, this.books.now(), number);
    this.books.audit(actor, 'amend', 'sales-order', number, request);
    return this.view(this.row(number));
  }

  /** Cancels an order not yet invoiced, returning its reserved goods to the shelf; cancelling twice is a no-op. */
  cancel(number: string, request: { reason?: string }, actor: string): OrderView {
    const row = this.row(number);
    if (row.status === 'CANCELLED') return this.view(row);
    if (row.status === 'INVOICED')
      throw new RefusalError(
        'not_cancellable',
        `Sales order ${number} is invoiced: credit it instead of cancelling`,
        409,
      );
    if (row.reservation_id) this.stock.restock(JSON.parse(row.lines) as Line[]);
    this.books.db
      .prepare(
        "UPDATE sales_orders SET status = 'CANCELLED', version = version + 1, updated_at = ? WHERE number = ?",
      )
      .run(this.books.now(), number);
    this.books.audit(actor, 'cancel', 'sales-order', number, request);
    return this.view(this.row(number));
  }

  /**
   * A finance user corrects a sales order's total by hand, as a manual adjustment in a real ERP: no event and no
   * outbox entry announce it — the kind of change only reconciliation finds (admin).
   */
  adjustTotal(number: string, total: unknown, actor: string): OrderView {
    if (typeof total !== 'string' || !decimalInput.test(total))
      throw new RefusalError('invalid_total', 'total must be a decimal string such as "199.00"', 422);
    const row = this.row(number);
    this.books.db
      .prepare('UPDATE sales_orders SET total = ?, version = version + 1, updated_at = ? WHERE number = ?')
      .run(formatDecimal(parseDecimal(total)), this.books.now(), number);
    this.books.audit(actor, 'adjust-total', 'sales-order', number, { from: row.total, to: total });
    return this.view(this.row(number));
  }

  /** Finance releases an order from credit hold, announced as `order.credit-released`; an accepted one is a no-op. */
  releaseCreditHold(number: string, actor: string): OrderView {
    const row = this.row(number);
    if (row.status === 'ACCEPTED') return this.view(row);
    if (row.status !== 'CREDIT_HOLD')
      throw new RefusalError(
        'not_on_hold',
        `Sales order ${number} is ${row.status}, not on credit hold`,
        409,
      );
    this.books.db
      .prepare(
        "UPDATE sales_orders SET status = 'ACCEPTED', version = version + 1, updated_at = ? WHERE number = ?",
      )
      .run(this.books.now(), number);
    this.books.audit(actor, 'release-credit-hold', 'sales-order', number, {});
    const view = this.view(this.row(number));
    this.books.emit('order.credit-released', {
      orderNumber: number,
      externalRef: row.external_ref,
      customerNumber: row.customer_number,
      releasedBy: actor,
      version: view.version,
      ...(row.channel ? { channel: row.channel } : {}),
    });
    return view;
  }

  /** Moves an order to INVOICED when its invoice is posted (the invoice checks the order's state first). */
  markInvoiced(number: string, at: string): void {
    this.books.db
      .prepare(
        "UPDATE sales_orders SET status = 'INVOICED', version = version + 1, updated_at = ? WHERE number = ?",
      )
      .run(at, number);
  }

  /** The customer's accepted and shipped orders' totals: credit they use until invoiced. */
  openTotal(customerNumber: string): bigint {
    const orders = this.books.db
      .prepare(
        "SELECT total FROM sales_orders WHERE customer_number = ? AND status IN ('ACCEPTED', 'SHIPPED')",
      )
      .all(customerNumber) as { total: string }[];
    return orders.reduce((sum, row) => sum + parseDecimal(row.total), 0n);
  }

  /** The orders created in the range, oldest first, as listed documents. */
  documents(range: DocumentRange): LedgerDocument[] {
    const rows = this.books.db
      .prepare('SELECT * FROM sales_orders WHERE created_at >= ? AND created_at < ? ORDER BY created_at')
      .all(range.from, range.to) as OrderRow[];
    return rows
      .filter((row) => !range.externalRef || row.external_ref === range.externalRef)
      .map((row) => ({
        type: 'sales-order',
        number: row.number,
        externalRef: row.external_ref,
        status: row.status,
        currency: row.currency,
        amount: row.total,
        createdAt: row.created_at,
        updatedAt: row.updated_at,
      }));
  }
}
