/**
 * The ERP sandbox's books as one facade: customers, warehouse stock, sales orders, invoices and payments, each an
 * aggregate module under ledger/ over one SQLite database, plus the audit and outbox every change writes.
 */
import type Database from 'better-sqlite3';
import { type CreditDecision, CustomerAccounts, type CustomerView } from './ledger/customer-accounts';
import { IdempotencyKeys } from './ledger/idempotency-keys';
import { Invoices, type InvoiceView } from './ledger/invoices';
import {
  type AuditEntry,
  LedgerDatabase,
  type LedgerDocument,
  type LedgerHandle,
  type OutboxEntry,
} from './ledger/ledger-database';
import { type ApplyPaymentRequest, Payments, type PaymentView, type RefundRequest } from './ledger/payments';
import { type CreateOrderRequest, type OrderView, type QuoteView, SalesOrders } from './ledger/sales-orders';
import { type Line, type ReservationView, type StockView, WarehouseStock } from './ledger/warehouse-stock';
import { seedCatalogue } from './seed-catalogue';

// Callers written before the split import the sandbox's errors from here; they live in erp-errors.ts.
export { NotFoundError, RefusalError } from './erp-errors';

/**
 * The sandbox's books under a data directory: opens (and on first use seeds) the database and wires the aggregates.
 * The HTTP routes call it; the other masters (items, vendors, employees, purchasing) write through it as their
 * {@link LedgerHandle}, so that one transaction spans them.
 */
export class ErpLedger implements LedgerHandle {
  /** The database handle every aggregate shares. */
  readonly books: LedgerDatabase;
  /** Customer accounts and the credit check. */
  readonly customers: CustomerAccounts;
  /** Items, stock and reservations. */
  readonly stock: WarehouseStock;
  /** Sales orders. */
  readonly orders: SalesOrders;
  /** Customer invoices. */
  readonly invoices: Invoices;
  /** Payments and refunds. */
  readonly payments: Payments;
  /** The answers of committed changes, by Idempotency-Key. */
  readonly idempotency: IdempotencyKeys;

  constructor(dataDir: string) {
    this.books = new LedgerDatabase(dataDir);
    // Exposure spans orders and invoices, both built after the accounts: read through the fields when asked.
    this.customers = new CustomerAccounts(
      this.books,
      (customerNumber) => this.orders.openTotal(customerNumber) + this.invoices.openBalance(customerNumber),
    );
    this.stock = new WarehouseStock(this.books);
    this.orders = new SalesOrders(this.books, this.customers, this.stock);
    this.invoices = new Invoices(this.books, this.orders, this.customers);
    this.payments = new Payments(this.books, this.invoices);
    this.idempotency = new IdempotencyKeys(this.books);
    if (this.stock.isEmpty())
      this.books.transaction(() => {
        this.customers.seed(seedCatalogue.customers);
        this.stock.seed(seedCatalogue.items);
      });
  }

  /** The sandbox's one database. */
  get db(): Database.Database {
    return this.books.db;
  }

  /** Closes the database. */
  close(): void {
    this.books.close();
  }

  /** Runs `fn` in one transaction across every aggregate (nested calls join it): all of it commits, or none. */
  transaction<T>(fn: () => T): T {
    return this.books.transaction(fn);
  }

  /** Records who changed what, in the caller's transaction. */
  audit(actor: string, action: string, entity: string, entityId: string, detail: unknown): void {
    this.books.audit(actor, action, entity, entityId, detail);
  }

  /** The next number of a document counter, formatted `<prefix>-000001`, in the caller's transaction. */
  next(counter: string, prefix: string): string {
    return this.books.next(counter, prefix);
  }

  /** Appends a business event to the outbox, in the caller's transaction (the item master announces through it). */
  emit(type: string, payload: unknown): void {
    this.books.emit(type, payload);
  }

  /** Decides whether an amount fits a customer's credit. */
  checkCredit(request: { customerNumber: string; amount: string; currency: string }): CreditDecision {
    return this.customers.checkCredit(request);
  }

  /** Prices lines for a customer without booking anything. */
  quote(request: { customerNumber: string; currency: string; lines: Line[] }): QuoteView {
    return this.orders.quote(request);
  }

  /** Holds stock for an order not yet booked. */
  reserve(request: { orderRef: string; lines: Line[] }, actor: string): ReservationView {
    return this.stock.reserve(request, actor);
  }

  /** Frees a reservation's stock. */
  release(reservationId: string, actor: string): ReservationView {
    return this.stock.release(reservationId, actor);
  }

  /** The order booked for a platform order id. */
  orderByExternalRef(externalRef: string): OrderView {
    return this.orders.byExternalRef(externalRef);
  }

  /** Books a sales order once per external reference. */
  createOrder(request: CreateOrderRequest, actor: string): OrderView {
    return this.orders.create(request, actor);
  }

  /** Replaces an order's lines. */
  amendOrder(number: string, request: { lines: Line[] }, actor: string): OrderView {
    return this.orders.amend(number, request, actor);
  }

  /** Cancels an order not yet invoiced. */
  cancelOrder(number: string, request: { reason?: string }, actor: string): OrderView {
    return this.orders.cancel(number, request, actor);
  }

  /** Finance sets a customer's credit limit (admin). */
  setCreditLimit(customerNumber: string, creditLimit: unknown, actor: string): CustomerView {
    return this.customers.setCreditLimit(customerNumber, creditLimit, actor);
  }

  /** The warehouse books a goods receipt: stock on hand grows (admin). */
  receiveStock(sku: string, quantity: unknown, actor: string): StockView {
    return this.stock.receiveStock(sku, quantity, actor);
  }

  /** A finance user corrects a sales order's total by hand, unannounced (admin). */
  adjustOrderTotal(number: string, total: unknown, actor: string): OrderView {
    return this.orders.adjustTotal(number, total, actor);
  }

  /** Finance releases an order from credit hold. */
  releaseCreditHold(number: string, actor: string): OrderView {
    return this.orders.releaseCreditHold(number, actor);
  }

  /** Invoices a sales order in full. */
  postInvoice(orderNumber: string, actor: string): InvoiceView {
    return this.invoices.post(orderNumber, actor);
  }

  /** Applies a payment to an open invoice, once per external reference. */
  applyPayment(request: ApplyPaymentRequest, actor: string): PaymentView {
    return this.payments.apply(request, actor);
  }

  /** Refunds (part of) an applied payment, once per external reference. */
  refund(request: RefundRequest, actor: string): PaymentView {
    return this.payments.refund(request, actor);
  }

  /** The account of a CRM id or e-mail. */
  findCustomer(query: { email?: string; crmId?: string }): CustomerView {
    return this.customers.find(query);
  }

  /** Creates or updates the account of a CRM id. */
  upsertCustomer(
    request: {
      customerNumber?: string;
      crmId: string;
      fields: { name?: string; email?: string; phone?: string };
    },
    actor: string,
  ): CustomerView {
    return this.customers.upsert(request, actor);
  }

  /** Sales orders, invoices and payments created in [from, to), of one type and external reference when given. */
  documents(query: { type?: string; from?: string; to?: string; externalRef?: string }): LedgerDocument[] {
    const range = { from: query.from ?? '', to: query.to ?? '9999', externalRef: query.externalRef };
    return [
      ...(!query.type || query.type === 'sales-order' ? this.orders.documents(range) : []),
      ...(!query.type || query.type === 'invoice' ? this.invoices.documents(range) : []),
      ...(!query.type || query.type === 'payment' ? this.payments.documents(range) : []),
    ];
  }

  /** The latest audit records, newest first. */
  auditTrail(limit = 100): AuditEntry[] {
    return this.books.auditTrail(limit);
  }

  /** Up to 500 outbox events after `afterSeq`, oldest first. */
  outbox(afterSeq = 0): OutboxEntry[] {
    return this.books.outbox(afterSeq);
  }
}
