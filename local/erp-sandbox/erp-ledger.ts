/**
 * The ERP sandbox's books: customers with credit, items with stock, sales orders with their allowed transitions,
 * invoices, payments, an audit of every change and an outbox of business events. SQLite, one transaction per call.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { formatDecimal, parseDecimal } from '../../functions/shared/decimal';
import { seedCatalogue } from './seed-catalogue';

/** A business refusal: the HTTP layer answers 409/422 with this code. */
export class RefusalError extends Error {
  override readonly name = 'RefusalError';
  constructor(
    readonly code: string,
    message: string,
    readonly status = 409,
  ) {
    super(message);
  }
}

/** A missing document (404). */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
}

interface CustomerRow {
  customer_number: string;
  crm_id: string | null;
  name: string;
  email: string | null;
  phone: string | null;
  credit_limit: string;
  payment_terms: string;
  credit_hold: number;
  blocked: number;
  currency: string;
}

interface ItemRow {
  sku: string;
  title: string;
  unit_price: string;
  currency: string;
  tax_rate: string;
  stock_on_hand: number;
  reserved: number;
}

interface OrderRow {
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

interface InvoiceRow {
  number: string;
  order_number: string;
  external_ref: string;
  currency: string;
  amount: string;
  tax: string;
  paid_amount: string;
  status: string;
  due_date: string;
  created_at: string;
  updated_at: string;
}

interface PaymentRow {
  id: string;
  external_ref: string;
  invoice_number: string;
  kind: string;
  amount: string;
  currency: string;
  created_at: string;
}

type Line = { sku: string; quantity: number };

const schema = `
CREATE TABLE IF NOT EXISTS customers (customer_number TEXT PRIMARY KEY, crm_id TEXT UNIQUE, name TEXT NOT NULL, email TEXT, phone TEXT,
  credit_limit TEXT NOT NULL, payment_terms TEXT NOT NULL, credit_hold INTEGER NOT NULL DEFAULT 0, blocked INTEGER NOT NULL DEFAULT 0, currency TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items (sku TEXT PRIMARY KEY, title TEXT NOT NULL, unit_price TEXT NOT NULL, currency TEXT NOT NULL, tax_rate TEXT NOT NULL,
  stock_on_hand INTEGER NOT NULL, reserved INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS reservations (id TEXT PRIMARY KEY, order_ref TEXT NOT NULL, lines TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sales_orders (number TEXT PRIMARY KEY, external_ref TEXT NOT NULL UNIQUE, customer_number TEXT NOT NULL, status TEXT NOT NULL,
  currency TEXT NOT NULL, lines TEXT NOT NULL, subtotal TEXT NOT NULL, tax TEXT NOT NULL, total TEXT NOT NULL, reservation_id TEXT, version INTEGER NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS invoices (number TEXT PRIMARY KEY, order_number TEXT NOT NULL UNIQUE, external_ref TEXT NOT NULL, currency TEXT NOT NULL,
  amount TEXT NOT NULL, tax TEXT NOT NULL, paid_amount TEXT NOT NULL, status TEXT NOT NULL, due_date TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS payments (id TEXT PRIMARY KEY, external_ref TEXT NOT NULL, invoice_number TEXT NOT NULL, kind TEXT NOT NULL, amount TEXT NOT NULL,
  currency TEXT NOT NULL, created_at TEXT NOT NULL, UNIQUE (external_ref, kind));
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS idempotency (key TEXT PRIMARY KEY, request_hash TEXT NOT NULL, status INTEGER NOT NULL, body TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audit (seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, entity TEXT NOT NULL,
  entity_id TEXT NOT NULL, detail TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, type TEXT NOT NULL, payload TEXT NOT NULL);`;

function money(units: bigint): string {
  return formatDecimal(units);
}

/** The sandbox's books over one SQLite database. */
export class ErpLedger {
  readonly db: Database.Database;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.db = new Database(path.join(dataDir, 'erp-sandbox.db'));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(schema);
    this.migrate();
    const seeded = this.db.prepare('SELECT COUNT(*) AS n FROM items').get() as { n: number };
    if (seeded.n === 0) this.seed();
  }

  /** Columns added after a data directory was first created. */
  private migrate(): void {
    const columns = this.db.prepare('PRAGMA table_info(sales_orders)').all() as { name: string }[];
    if (!columns.some((column) => column.name === 'channel'))
      this.db.exec('ALTER TABLE sales_orders ADD COLUMN channel TEXT');
  }

  close(): void {
    this.db.close();
  }

  private seed(): void {
    this.db.transaction(() => {
      for (const customer of seedCatalogue.customers) {
        this.db
          .prepare(
            'INSERT INTO customers (customer_number, crm_id, name, email, phone, credit_limit, payment_terms, credit_hold, blocked, currency) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
          )
          .run(
            customer.customerNumber,
            customer.crmId ?? null,
            customer.name,
            customer.email ?? null,
            null,
            customer.creditLimit,
            customer.paymentTerms,
            customer.creditHold ? 1 : 0,
            customer.blocked ? 1 : 0,
            customer.currency,
          );
      }
      // New accounts are numbered after the seeded ones.
      this.db
        .prepare("INSERT INTO counters (name, value) VALUES ('customer', ?)")
        .run(seedCatalogue.customers.length);
      for (const item of seedCatalogue.items) {
        this.db
          .prepare(
            'INSERT INTO items (sku, title, unit_price, currency, tax_rate, stock_on_hand) VALUES (?, ?, ?, ?, ?, ?)',
          )
          .run(item.sku, item.title, item.unitPrice, item.currency, item.taxRate, item.stockOnHand);
      }
    })();
  }

  /** Runs a mutation in one transaction, with its audit record. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  private now(): string {
    return new Date().toISOString();
  }

  private next(counter: string, prefix: string): string {
    this.db
      .prepare(
        'INSERT INTO counters (name, value) VALUES (?, 1) ON CONFLICT(name) DO UPDATE SET value = value + 1',
      )
      .run(counter);
    const { value } = this.db.prepare('SELECT value FROM counters WHERE name = ?').get(counter) as {
      value: number;
    };
    return `${prefix}-${String(value).padStart(6, '0')}`;
  }

  audit(actor: string, action: string, entity: string, entityId: string, detail: unknown): void {
    this.db
      .prepare('INSERT INTO audit (at, actor, action, entity, entity_id, detail) VALUES (?, ?, ?, ?, ?, ?)')
      .run(this.now(), actor, action, entity, entityId, JSON.stringify(detail));
  }

  /** Appends a business event to the outbox, in the caller's transaction (the item master announces through it). */
  emit(type: string, payload: unknown): void {
    this.db
      .prepare('INSERT INTO outbox (at, type, payload) VALUES (?, ?, ?)')
      .run(this.now(), type, JSON.stringify(payload));
  }

  private customer(customerNumber: string): CustomerRow {
    const row = this.db.prepare('SELECT * FROM customers WHERE customer_number = ?').get(customerNumber) as
      | CustomerRow
      | undefined;
    if (!row) throw new RefusalError('unknown_customer', `Customer ${customerNumber} does not exist`, 422);
    return row;
  }

  private customerView(row: CustomerRow) {
    return {
      customerNumber: row.customer_number,
      ...(row.crm_id ? { crmId: row.crm_id } : {}),
      name: row.name,
      ...(row.email ? { email: row.email } : {}),
      ...(row.phone ? { phone: row.phone } : {}),
      creditLimit: row.credit_limit,
      paymentTerms: row.payment_terms,
      creditHold: row.credit_hold === 1,
      currency: row.currency,
    };
  }

  /** Open exposure: accepted orders not yet invoiced plus unpaid invoice balances. */
  private exposure(customerNumber: string): bigint {
    const orders = this.db
      .prepare(
        "SELECT total FROM sales_orders WHERE customer_number = ? AND status IN ('ACCEPTED', 'SHIPPED')",
      )
      .all(customerNumber) as { total: string }[];
    const invoices = this.db
      .prepare(
        "SELECT amount, paid_amount FROM invoices i JOIN sales_orders o ON o.number = i.order_number WHERE o.customer_number = ? AND i.status != 'PAID'",
      )
      .all(customerNumber) as { amount: string; paid_amount: string }[];
    return (
      orders.reduce((sum, row) => sum + parseDecimal(row.total), 0n) +
      invoices.reduce((sum, row) => sum + parseDecimal(row.amount) - parseDecimal(row.paid_amount), 0n)
    );
  }

  checkCredit(request: { customerNumber: string; amount: string; currency: string }) {
    const customer = this.customer(request.customerNumber);
    if (customer.currency !== request.currency)
      throw new RefusalError(
        'currency_mismatch',
        `Customer ${customer.customer_number} is billed in ${customer.currency}`,
        422,
      );
    const available = parseDecimal(customer.credit_limit) - this.exposure(customer.customer_number);
    const base = { customerNumber: customer.customer_number, availableCredit: money(available) };
    if (customer.blocked) return { ...base, decision: 'rejected', reason: 'account blocked' };
    if (customer.credit_hold) return { ...base, decision: 'hold', reason: 'account on credit hold' };
    if (parseDecimal(request.amount) > available)
      return { ...base, decision: 'hold', reason: 'credit limit exceeded' };
    return { ...base, decision: 'approved' };
  }

  private item(sku: string): ItemRow {
    const row = this.db.prepare('SELECT * FROM items WHERE sku = ?').get(sku) as ItemRow | undefined;
    if (!row) throw new RefusalError('unknown_sku', `Item ${sku} does not exist`, 422);
    return row;
  }

  private price(currency: string, lines: Line[]) {
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
        lineTotal: money(net),
        tax: money(tax),
        available: item.stock_on_hand - item.reserved,
      };
    });
    const subtotal = priced.reduce((sum, line) => sum + parseDecimal(line.lineTotal), 0n);
    const tax = priced.reduce((sum, line) => sum + parseDecimal(line.tax), 0n);
    return { lines: priced, subtotal: money(subtotal), tax: money(tax), total: money(subtotal + tax) };
  }

  quote(request: { customerNumber: string; currency: string; lines: Line[] }) {
    this.customer(request.customerNumber);
    const priced = this.price(request.currency, request.lines);
    return {
      currency: request.currency,
      ...priced,
      allAvailable: priced.lines.every((line) => line.available >= line.quantity),
    };
  }

  reserve(request: { orderRef: string; lines: Line[] }, actor: string) {
    for (const line of request.lines ?? []) {
      const item = this.item(line.sku);
      if (item.stock_on_hand - item.reserved < line.quantity) {
        throw new RefusalError(
          'out_of_stock',
          `Only ${item.stock_on_hand - item.reserved} of ${item.sku} available, ${line.quantity} requested`,
          409,
        );
      }
    }
    const id = this.next('reservation', 'RES');
    for (const line of request.lines)
      this.db.prepare('UPDATE items SET reserved = reserved + ? WHERE sku = ?').run(line.quantity, line.sku);
    this.db
      .prepare('INSERT INTO reservations (id, order_ref, lines, status, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(id, request.orderRef, JSON.stringify(request.lines), 'ACTIVE', this.now());
    this.audit(actor, 'reserve', 'reservation', id, request);
    return { reservationId: id, orderRef: request.orderRef, status: 'ACTIVE', lines: request.lines };
  }

  release(reservationId: string, actor: string) {
    const row = this.db.prepare('SELECT * FROM reservations WHERE id = ?').get(reservationId) as
      | { id: string; order_ref: string; lines: string; status: string }
      | undefined;
    if (!row) throw new NotFoundError(`Reservation ${reservationId} does not exist`);
    const lines = JSON.parse(row.lines) as Line[];
    if (row.status === 'ACTIVE') {
      for (const line of lines)
        this.db
          .prepare('UPDATE items SET reserved = reserved - ? WHERE sku = ?')
          .run(line.quantity, line.sku);
      this.db.prepare("UPDATE reservations SET status = 'RELEASED' WHERE id = ?").run(reservationId);
      this.audit(actor, 'release', 'reservation', reservationId, {});
    }
    return {
      reservationId,
      orderRef: row.order_ref,
      status: row.status === 'ACTIVE' ? 'RELEASED' : row.status,
      lines,
    };
  }

  private orderView(row: OrderRow) {
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

  private order(number: string): OrderRow {
    const row = this.db.prepare('SELECT * FROM sales_orders WHERE number = ?').get(number) as
      | OrderRow
      | undefined;
    if (!row) throw new NotFoundError(`Sales order ${number} does not exist`);
    return row;
  }

  orderByExternalRef(externalRef: string) {
    const row = this.db.prepare('SELECT * FROM sales_orders WHERE external_ref = ?').get(externalRef) as
      | OrderRow
      | undefined;
    if (!row) throw new NotFoundError(`No sales order for ${externalRef}`);
    return this.orderView(row);
  }

  createOrder(
    request: {
      externalRef: string;
      customerNumber: string;
      currency: string;
      lines: Line[];
      reservationId?: string;
      creditHold?: boolean;
      channel?: string;
    },
    actor: string,
  ) {
    if (!request.externalRef) throw new RefusalError('missing_external_ref', 'externalRef is required', 422);
    if (this.db.prepare('SELECT 1 FROM sales_orders WHERE external_ref = ?').get(request.externalRef)) {
      throw new RefusalError(
        'duplicate_order',
        `A sales order for ${request.externalRef} already exists`,
        409,
      );
    }
    const customer = this.customer(request.customerNumber);
    if (customer.blocked)
      throw new RefusalError('customer_blocked', `Customer ${customer.customer_number} is blocked`, 409);
    const priced = this.price(request.currency, request.lines);
    if (request.reservationId) {
      const reservation = this.db
        .prepare('SELECT * FROM reservations WHERE id = ?')
        .get(request.reservationId) as { status: string; lines: string } | undefined;
      if (reservation?.status !== 'ACTIVE')
        throw new RefusalError(
          'reservation_not_active',
          `Reservation ${request.reservationId} is not active`,
          409,
        );
      // The reserved stock leaves the warehouse with the order.
      for (const line of JSON.parse(reservation.lines) as Line[])
        this.db
          .prepare(
            'UPDATE items SET reserved = reserved - ?, stock_on_hand = stock_on_hand - ? WHERE sku = ?',
          )
          .run(line.quantity, line.quantity, line.sku);
      this.db.prepare("UPDATE reservations SET status = 'CONSUMED' WHERE id = ?").run(request.reservationId);
    }
    const number = this.next('sales-order', 'SO');
    const now = this.now();
    const status = request.creditHold ? 'CREDIT_HOLD' : 'ACCEPTED';
    this.db
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
    this.audit(actor, 'create', 'sales-order', number, request);
    return this.orderView(this.order(number));
  }

  amendOrder(number: string, request: { lines: Line[] }, actor: string) {
    const row = this.order(number);
    if (row.status !== 'ACCEPTED' && row.status !== 'CREDIT_HOLD')
      throw new RefusalError(
        'not_amendable',
        `Sales order ${number} is ${row.status} and can no longer be amended`,
        409,
      );
    const priced = this.price(row.currency, request.lines);
    this.db
      .prepare(
        'UPDATE sales_orders SET lines = ?, subtotal = ?, tax = ?, total = ?, version = version + 1, updated_at = ? WHERE number = ?',
      )
      .run(JSON.stringify(priced.lines), priced.subtotal, priced.tax, priced.total, this.now(), number);
    this.audit(actor, 'amend', 'sales-order', number, request);
    return this.orderView(this.order(number));
  }

  cancelOrder(number: string, request: { reason?: string }, actor: string) {
    const row = this.order(number);
    if (row.status === 'CANCELLED') return this.orderView(row);
    if (row.status === 'INVOICED')
      throw new RefusalError(
        'not_cancellable',
        `Sales order ${number} is invoiced: credit it instead of cancelling`,
        409,
      );
    if (row.reservation_id) {
      // Goods not shipped go back on the shelf.
      for (const line of JSON.parse(row.lines) as Line[])
        this.db
          .prepare('UPDATE items SET stock_on_hand = stock_on_hand + ? WHERE sku = ?')
          .run(line.quantity, line.sku);
    }
    this.db
      .prepare(
        "UPDATE sales_orders SET status = 'CANCELLED', version = version + 1, updated_at = ? WHERE number = ?",
      )
      .run(this.now(), number);
    this.audit(actor, 'cancel', 'sales-order', number, request);
    return this.orderView(this.order(number));
  }

  /** Finance sets a customer's credit limit (admin). */
  setCreditLimit(customerNumber: string, creditLimit: unknown, actor: string) {
    if (typeof creditLimit !== 'string' || !/^\d{1,12}(\.\d{1,2})?$/.test(creditLimit))
      throw new RefusalError(
        'invalid_credit_limit',
        'creditLimit must be a decimal string such as "25000.00"',
        422,
      );
    const customer = this.customer(customerNumber);
    this.db
      .prepare('UPDATE customers SET credit_limit = ? WHERE customer_number = ?')
      .run(money(parseDecimal(creditLimit)), customer.customer_number);
    this.audit(actor, 'set-credit-limit', 'customer', customer.customer_number, { creditLimit });
    return this.customerView(this.customer(customer.customer_number));
  }

  /** The warehouse books a goods receipt: stock on hand grows (admin). */
  receiveStock(sku: string, quantity: unknown, actor: string) {
    if (!Number.isInteger(quantity) || (quantity as number) < 1)
      throw new RefusalError('invalid_quantity', 'quantity must be a positive integer', 422);
    const item = this.item(sku);
    this.db
      .prepare('UPDATE items SET stock_on_hand = stock_on_hand + ? WHERE sku = ?')
      .run(quantity, item.sku);
    this.audit(actor, 'receive-stock', 'item', item.sku, { quantity });
    const updated = this.item(item.sku);
    return { sku: updated.sku, stockOnHand: updated.stock_on_hand, reserved: updated.reserved };
  }

  /**
   * A finance user corrects a sales order's total by hand, as a manual adjustment in a real ERP: no event and no
   * outbox entry announce it — the kind of change only reconciliation finds (admin).
   */
  adjustOrderTotal(number: string, total: unknown, actor: string) {
    if (typeof total !== 'string' || !/^\d{1,12}(\.\d{1,2})?$/.test(total))
      throw new RefusalError('invalid_total', 'total must be a decimal string such as "199.00"', 422);
    const row = this.order(number);
    this.db
      .prepare('UPDATE sales_orders SET total = ?, version = version + 1, updated_at = ? WHERE number = ?')
      .run(money(parseDecimal(total)), this.now(), number);
    this.audit(actor, 'adjust-total', 'sales-order', number, { from: row.total, to: total });
    return this.orderView(this.order(number));
  }

  releaseCreditHold(number: string, actor: string) {
    const row = this.order(number);
    if (row.status === 'ACCEPTED') return this.orderView(row);
    if (row.status !== 'CREDIT_HOLD')
      throw new RefusalError(
        'not_on_hold',
        `Sales order ${number} is ${row.status}, not on credit hold`,
        409,
      );
    this.db
      .prepare(
        "UPDATE sales_orders SET status = 'ACCEPTED', version = version + 1, updated_at = ? WHERE number = ?",
      )
      .run(this.now(), number);
    this.audit(actor, 'release-credit-hold', 'sales-order', number, {});
    const view = this.orderView(this.order(number));
    this.emit('order.credit-released', {
      orderNumber: number,
      externalRef: row.external_ref,
      customerNumber: row.customer_number,
      releasedBy: actor,
      version: view.version,
      ...(row.channel ? { channel: row.channel } : {}),
    });
    return view;
  }

  private invoiceView(row: InvoiceRow) {
    return {
      number: row.number,
      orderNumber: row.order_number,
      externalRef: row.external_ref,
      currency: row.currency,
      amount: row.amount,
      tax: row.tax,
      paidAmount: row.paid_amount,
      status: row.status,
      dueDate: row.due_date,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  postInvoice(orderNumber: string, actor: string) {
    const order = this.order(orderNumber);
    if (order.status === 'CREDIT_HOLD')
      throw new RefusalError('on_credit_hold', `Sales order ${orderNumber} is on credit hold`, 409);
    if (order.status === 'INVOICED')
      throw new RefusalError('already_invoiced', `Sales order ${orderNumber} is already invoiced`, 409);
    if (order.status === 'CANCELLED')
      throw new RefusalError('order_cancelled', `Sales order ${orderNumber} is cancelled`, 409);
    const customer = this.customer(order.customer_number);
    const days = Number(/NET(\d+)/.exec(customer.payment_terms)?.[1] ?? 0);
    const now = new Date();
    const number = this.next('invoice', 'INV');
    this.db
      .prepare(
        'INSERT INTO invoices (number, order_number, external_ref, currency, amount, tax, paid_amount, status, due_date, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        number,
        orderNumber,
        order.external_ref,
        order.currency,
        order.total,
        order.tax,
        '0.00',
        'OPEN',
        new Date(now.getTime() + days * 86_400_000).toISOString().slice(0, 10),
        now.toISOString(),
        now.toISOString(),
      );
    this.db
      .prepare(
        "UPDATE sales_orders SET status = 'INVOICED', version = version + 1, updated_at = ? WHERE number = ?",
      )
      .run(now.toISOString(), orderNumber);
    this.audit(actor, 'post', 'invoice', number, { orderNumber });
    return this.invoiceView(
      this.db.prepare('SELECT * FROM invoices WHERE number = ?').get(number) as InvoiceRow,
    );
  }

  private paymentView(row: PaymentRow) {
    return {
      id: row.id,
      externalRef: row.external_ref,
      invoiceNumber: row.invoice_number,
      kind: row.kind,
      amount: row.amount,
      currency: row.currency,
      // The invoice's status now: callers report it without a second round trip (and without a race).
      invoiceStatus: (
        this.db.prepare('SELECT status FROM invoices WHERE number = ?').get(row.invoice_number) as {
          status: string;
        }
      ).status,
      createdAt: row.created_at,
    };
  }

  applyPayment(
    request: {
      externalRef: string;
      orderExternalRef?: string;
      invoiceNumber?: string;
      amount: string;
      currency: string;
    },
    actor: string,
  ) {
    const existing = this.db
      .prepare("SELECT * FROM payments WHERE external_ref = ? AND kind = 'APPLIED'")
      .get(request.externalRef) as PaymentRow | undefined;
    if (existing) return this.paymentView(existing);
    const invoice = (
      request.invoiceNumber
        ? this.db.prepare('SELECT * FROM invoices WHERE number = ?').get(request.invoiceNumber)
        : this.db
            .prepare(
              "SELECT * FROM invoices WHERE external_ref = ? AND status != 'PAID' ORDER BY created_at DESC LIMIT 1",
            )
            .get(request.orderExternalRef ?? '')
    ) as InvoiceRow | undefined;
    if (!invoice || invoice.status === 'PAID')
      throw new RefusalError(
        'no_open_invoice',
        `No open invoice for ${request.invoiceNumber ?? request.orderExternalRef}`,
        409,
      );
    if (invoice.currency !== request.currency)
      throw new RefusalError('currency_mismatch', `Invoice ${invoice.number} is in ${invoice.currency}`, 422);
    const remaining = parseDecimal(invoice.amount) - parseDecimal(invoice.paid_amount);
    const amount = parseDecimal(request.amount);
    if (amount <= 0n) throw new RefusalError('invalid_amount', 'A payment must be positive', 422);
    if (amount > remaining)
      throw new RefusalError(
        'overpayment',
        `Payment ${request.amount} exceeds the open balance ${money(remaining)} of ${invoice.number}`,
        422,
      );
    const paid = parseDecimal(invoice.paid_amount) + amount;
    this.db
      .prepare('UPDATE invoices SET paid_amount = ?, status = ?, updated_at = ? WHERE number = ?')
      .run(
        money(paid),
        paid === parseDecimal(invoice.amount) ? 'PAID' : 'PARTIALLY_PAID',
        this.now(),
        invoice.number,
      );
    const id = this.next('payment', 'PAY');
    this.db
      .prepare(
        'INSERT INTO payments (id, external_ref, invoice_number, kind, amount, currency, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(id, request.externalRef, invoice.number, 'APPLIED', money(amount), request.currency, this.now());
    this.audit(actor, 'apply', 'payment', id, request);
    return this.paymentView(this.db.prepare('SELECT * FROM payments WHERE id = ?').get(id) as PaymentRow);
  }

  refund(
    request: { externalRef: string; paymentExternalRef: string; amount: string; currency: string },
    actor: string,
  ) {
    const existing = this.db
      .prepare("SELECT * FROM payments WHERE external_ref = ? AND kind = 'REFUND'")
      .get(request.externalRef) as PaymentRow | undefined;
    if (existing) return this.paymentView(existing);
    const payment = this.db
      .prepare("SELECT * FROM payments WHERE external_ref = ? AND kind = 'APPLIED'")
      .get(request.paymentExternalRef) as PaymentRow | undefined;
    if (!payment)
      throw new RefusalError('unknown_payment', `No applied payment ${request.paymentExternalRef}`, 409);
    const refunded = (
      this.db
        .prepare("SELECT amount FROM payments WHERE kind = 'REFUND' AND invoice_number = ?")
        .all(payment.invoice_number) as { amount: string }[]
    ).reduce((sum, row) => sum + parseDecimal(row.amount), 0n);
    const amount = parseDecimal(request.amount);
    if (amount <= 0n || amount + refunded > parseDecimal(payment.amount))
      throw new RefusalError('refund_exceeds_payment', `Refund ${request.amount} exceeds what was paid`, 422);
    const invoice = this.db
      .prepare('SELECT * FROM invoices WHERE number = ?')
      .get(payment.invoice_number) as InvoiceRow;
    const paid = parseDecimal(invoice.paid_amount) - amount;
    this.db
      .prepare('UPDATE invoices SET paid_amount = ?, status = ?, updated_at = ? WHERE number = ?')
      .run(money(paid), paid === 0n ? 'OPEN' : 'PARTIALLY_PAID', this.now(), invoice.number);
    const id = this.next('payment', 'PAY');
    this.db
      .prepare(
        'INSERT INTO payments (id, external_ref, invoice_number, kind, amount, currency, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(id, request.externalRef, invoice.number, 'REFUND', money(amount), request.currency, this.now());
    this.audit(actor, 'refund', 'payment', id, request);
    return this.paymentView(this.db.prepare('SELECT * FROM payments WHERE id = ?').get(id) as PaymentRow);
  }

  findCustomer(query: { email?: string; crmId?: string }) {
    const row = (
      query.crmId
        ? this.db.prepare('SELECT * FROM customers WHERE crm_id = ?').get(query.crmId)
        : this.db.prepare('SELECT * FROM customers WHERE lower(email) = lower(?)').get(query.email ?? '')
    ) as CustomerRow | undefined;
    if (!row) throw new NotFoundError(`No customer for ${query.crmId ?? query.email}`);
    return this.customerView(row);
  }

  upsertCustomer(
    request: {
      customerNumber?: string;
      crmId: string;
      fields: { name?: string; email?: string; phone?: string };
    },
    actor: string,
  ) {
    const row = (
      request.customerNumber
        ? this.db.prepare('SELECT * FROM customers WHERE customer_number = ?').get(request.customerNumber)
        : this.db.prepare('SELECT * FROM customers WHERE crm_id = ?').get(request.crmId)
    ) as CustomerRow | undefined;
    const fields = request.fields ?? {};
    if (!row) {
      const number = this.next('customer', 'C');
      // A new account starts with a small limit and standard terms: finance raises it.
      this.db
        .prepare(
          "INSERT INTO customers (customer_number, crm_id, name, email, phone, credit_limit, payment_terms, currency) VALUES (?, ?, ?, ?, ?, '1000.00', 'NET30', 'USD')",
        )
        .run(number, request.crmId, fields.name ?? request.crmId, fields.email ?? null, fields.phone ?? null);
      this.audit(actor, 'create', 'customer', number, request);
      return this.customerView(this.customer(number));
    }
    this.db
      .prepare(
        'UPDATE customers SET crm_id = ?, name = COALESCE(?, name), email = COALESCE(?, email), phone = COALESCE(?, phone) WHERE customer_number = ?',
      )
      .run(
        request.crmId,
        fields.name ?? null,
        fields.email ?? null,
        fields.phone ?? null,
        row.customer_number,
      );
    this.audit(actor, 'update', 'customer', row.customer_number, request);
    return this.customerView(this.customer(row.customer_number));
  }

  documents(query: { type?: string; from?: string; to?: string; externalRef?: string }) {
    const from = query.from ?? '';
    const to = query.to ?? '9999';
    const ref = query.externalRef;
    const documents: {
      type: string;
      number: string;
      externalRef: string;
      status: string;
      currency: string;
      amount: string;
      createdAt: string;
      updatedAt: string;
    }[] = [];
    if (!query.type || query.type === 'sales-order') {
      for (const row of this.db
        .prepare('SELECT * FROM sales_orders WHERE created_at >= ? AND created_at < ? ORDER BY created_at')
        .all(from, to) as OrderRow[]) {
        if (!ref || row.external_ref === ref)
          documents.push({
            type: 'sales-order',
            number: row.number,
            externalRef: row.external_ref,
            status: row.status,
            currency: row.currency,
            amount: row.total,
            createdAt: row.created_at,
            updatedAt: row.updated_at,
          });
      }
    }
    if (!query.type || query.type === 'invoice') {
      for (const row of this.db
        .prepare('SELECT * FROM invoices WHERE created_at >= ? AND created_at < ? ORDER BY created_at')
        .all(from, to) as InvoiceRow[]) {
        if (!ref || row.external_ref === ref)
          documents.push({
            type: 'invoice',
            number: row.number,
            externalRef: row.external_ref,
            status: row.status,
            currency: row.currency,
            amount: row.amount,
            createdAt: row.created_at,
            updatedAt: row.updated_at,
          });
      }
    }
    if (!query.type || query.type === 'payment') {
      for (const row of this.db
        .prepare('SELECT * FROM payments WHERE created_at >= ? AND created_at < ? ORDER BY created_at')
        .all(from, to) as PaymentRow[]) {
        if (!ref || row.external_ref === ref)
          documents.push({
            type: 'payment',
            number: row.id,
            externalRef: row.external_ref,
            status: row.kind,
            currency: row.currency,
            amount: row.amount,
            createdAt: row.created_at,
            updatedAt: row.created_at,
          });
      }
    }
    return documents;
  }

  auditTrail(limit = 100) {
    return (
      this.db.prepare('SELECT * FROM audit ORDER BY seq DESC LIMIT ?').all(limit) as { detail: string }[]
    ).map((row) => ({ ...row, detail: JSON.parse(row.detail) }));
  }

  outbox(afterSeq = 0) {
    return (
      this.db.prepare('SELECT * FROM outbox WHERE seq > ? ORDER BY seq LIMIT 500').all(afterSeq) as {
        payload: string;
      }[]
    ).map((row) => ({ ...row, payload: JSON.parse(row.payload) }));
  }
}
