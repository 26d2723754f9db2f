/** The ledger's customer invoices: posted once per sales order, due by the customer's terms, paid down by payments. */
import { parseDecimal } from '../../../functions/shared/decimal';
import { RefusalError } from '../erp-errors';
import type { CustomerAccounts } from './customer-accounts';
import type { DocumentRange, LedgerDatabase, LedgerDocument } from './ledger-database';
import type { SalesOrders } from './sales-orders';

/** An invoice as the `invoices` table holds it. */
export interface InvoiceRow {
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

/** An invoice as the ERP answers it: OPEN, PARTIALLY_PAID or PAID. */
export interface InvoiceView {
  number: string;
  orderNumber: string;
  externalRef: string;
  currency: string;
  amount: string;
  tax: string;
  paidAmount: string;
  status: string;
  dueDate: string;
  createdAt: string;
  updatedAt: string;
}

const schema = `
CREATE TABLE IF NOT EXISTS invoices (number TEXT PRIMARY KEY, order_number TEXT NOT NULL UNIQUE, external_ref TEXT NOT NULL, currency TEXT NOT NULL,
  amount TEXT NOT NULL, tax TEXT NOT NULL, paid_amount TEXT NOT NULL, status TEXT NOT NULL, due_date TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);`;

/** Invoices over the ledger database; each call runs in the caller's transaction. */
export class Invoices {
  constructor(
    private readonly books: LedgerDatabase,
    private readonly orders: SalesOrders,
    private readonly customers: CustomerAccounts,
  ) {
    books.db.exec(schema);
  }

  /** The invoice as the ERP answers it. */
  view(row: InvoiceRow): InvoiceView {
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

  /** The invoice of that number, if any. */
  find(number: string): InvoiceRow | undefined {
    return this.books.db.prepare('SELECT * FROM invoices WHERE number = ?').get(number) as
      | InvoiceRow
      | undefined;
  }

  /** The newest invoice of a platform order id not yet paid in full, if any. */
  findOpenByExternalRef(externalRef: string): InvoiceRow | undefined {
    return this.books.db
      .prepare(
        "SELECT * FROM invoices WHERE external_ref = ? AND status != 'PAID' ORDER BY created_at DESC LIMIT 1",
      )
      .get(externalRef) as InvoiceRow | undefined;
  }

  /**
   * Invoices a sales order in full and moves it to INVOICED; the due date follows the customer's NETnn terms.
   * Refuses an order on credit hold, already invoiced or cancelled (409).
   */
  post(orderNumber: string, actor: string): InvoiceView {
    const order = this.orders.row(orderNumber);
    if (order.status === 'CREDIT_HOLD')
      throw new RefusalError('on_credit_hold', `Sales order ${orderNumber} is on credit hold`, 409);
    if (order.status === 'INVOICED')
      throw new RefusalError('already_invoiced', `Sales order ${orderNumber} is already invoiced`, 409);
    if (order.status === 'CANCELLED')
      throw new RefusalError('order_cancelled', `Sales order ${orderNumber} is cancelled`, 409);
    const customer = this.customers.row(order.customer_number);
    const days = Number(/NET(\d+)/.exec(customer.payment_terms)?.[1] ?? 0);
    const now = new Date();
    const number = this.books.next('invoice', 'INV');
    this.books.db
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
    this.orders.markInvoiced(orderNumber, now.toISOString());
    this.books.audit(actor, 'post', 'invoice', number, { orderNumber });
    return this.view(this.find(number) as InvoiceRow);
  }

  /** Sets what has been paid of an invoice and its status, as a payment or refund leaves it. */
  setPaid(number: string, paidAmount: string, status: 'OPEN' | 'PARTIALLY_PAID' | 'PAID'): void {
    this.books.db
      .prepare('UPDATE invoices SET paid_amount = ?, status = ?, updated_at = ? WHERE number = ?')
      .run(paidAmount, status, this.books.now(), number);
  }

  /** The customer's unpaid invoice balances: credit they use until paid (an invoice is the customer's by its order). */
  openBalance(customerNumber: string): bigint {
    const invoices = this.books.db
      .prepare(
        "SELECT amount, paid_amount FROM invoices i JOIN sales_orders o ON o.number = i.order_number WHERE o.customer_number = ? AND i.status != 'PAID'",
      )
      .all(customerNumber) as { amount: string; paid_amount: string }[];
    return invoices.reduce((sum, row) => sum + parseDecimal(row.amount) - parseDecimal(row.paid_amount), 0n);
  }

  /** The invoices created in the range, oldest first, as listed documents. */
  documents(range: DocumentRange): LedgerDocument[] {
    const rows = this.books.db
      .prepare('SELECT * FROM invoices WHERE created_at >= ? AND created_at < ? ORDER BY created_at')
      .all(range.from, range.to) as InvoiceRow[];
    return rows
      .filter((row) => !range.externalRef || row.external_ref === range.externalRef)
      .map((row) => ({
        type: 'invoice',
        number: row.number,
        externalRef: row.external_ref,
        status: row.status,
        currency: row.currency,
        amount: row.amount,
        createdAt: row.created_at,
        updatedAt: row.updated_at,
      }));
  }
}
