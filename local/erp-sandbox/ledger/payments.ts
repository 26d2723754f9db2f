/** The ledger's payments and refunds: each booked once per external reference against one customer invoice. */
import { formatDecimal, parseDecimal } from '../../../functions/shared/decimal';
import { RefusalError } from '../erp-errors';
import type { InvoiceRow, Invoices } from './invoices';
import type { DocumentRange, LedgerDatabase, LedgerDocument } from './ledger-database';

/** A payment or refund as the `payments` table holds it; `kind` is APPLIED or REFUND. */
export interface PaymentRow {
  id: string;
  external_ref: string;
  invoice_number: string;
  kind: string;
  amount: string;
  currency: string;
  created_at: string;
}

/** A payment or refund as the ERP answers it, with its invoice's status after it. */
export interface PaymentView {
  id: string;
  externalRef: string;
  invoiceNumber: string;
  kind: string;
  amount: string;
  currency: string;
  invoiceStatus: string;
  createdAt: string;
}

/** A payment to apply: to the invoice named, or else to the newest open invoice of the platform order. */
export interface ApplyPaymentRequest {
  externalRef: string;
  orderExternalRef?: string;
  invoiceNumber?: string;
  amount: string;
  currency: string;
}

/** A refund of (part of) an applied payment, named by that payment's external reference. */
export interface RefundRequest {
  externalRef: string;
  paymentExternalRef: string;
  amount: string;
  currency: string;
}

const schema = `
CREATE TABLE IF NOT EXISTS payments (id TEXT PRIMARY KEY, external_ref TEXT NOT NULL, invoice_number TEXT NOT NULL, kind TEXT NOT NULL, amount TEXT NOT NULL,
  currency TEXT NOT NULL, created_at TEXT NOT NULL, UNIQUE (external_ref, kind));`;

/** Payments over the ledger database; each call runs in the caller's transaction. */
/**
 * A request's amount in units; one that is not a decimal string with at most 4 decimals is the caller's mistake, so a
 * 422 refusal naming it, not the RangeError parseDecimal throws (which the server would answer as its own failure).
 */
function requestedAmount(value: unknown): bigint {
  if (typeof value !== 'string')
    throw new RefusalError('invalid_amount', 'amount must be a decimal string such as "10.00"', 422);
  try {
    return parseDecimal(value);
  } catch (error) {
    throw new RefusalError(
      'invalid_amount',
      `amount "${value}" is not a decimal amount with at most 4 decimals`,
      422,
      { cause: error },
    );
  }
}

export class Payments {
  constructor(
    private readonly books: LedgerDatabase,
    private readonly invoices: Invoices,
  ) {
    books.db.exec(schema);
  }

  private view(row: PaymentRow): PaymentView {
    return {
      id: row.id,
      externalRef: row.external_ref,
      invoiceNumber: row.invoice_number,
      kind: row.kind,
      amount: row.amount,
      currency: row.currency,
      // The invoice's status now: callers report it without a second round trip (and without a race).
      invoiceStatus: (this.invoices.find(row.invoice_number) as InvoiceRow).status,
      createdAt: row.created_at,
    };
  }

  private byExternalRef(externalRef: string, kind: 'APPLIED' | 'REFUND'): PaymentRow | undefined {
    return this.books.db
      .prepare('SELECT * FROM payments WHERE external_ref = ? AND kind = ?')
      .get(externalRef, kind) as PaymentRow | undefined;
  }

  private book(
    kind: 'APPLIED' | 'REFUND',
    request: { externalRef: string; currency: string },
    invoiceNumber: string,
    amount: bigint,
    actor: string,
  ): PaymentView {
    const id = this.books.next('payment', 'PAY');
    this.books.db
      .prepare(
        'INSERT INTO payments (id, external_ref, invoice_number, kind, amount, currency, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        id,
        request.externalRef,
        invoiceNumber,
        kind,
        formatDecimal(amount),
        request.currency,
        this.books.now(),
      );
    this.books.audit(actor, kind === 'APPLIED' ? 'apply' : 'refund', 'payment', id, request);
    return this.view(this.books.db.prepare('SELECT * FROM payments WHERE id = ?').get(id) as PaymentRow);
  }

  /**
   * Applies a payment to an open invoice, once per external reference (a repeat answers the first booking).
   * Refuses when no invoice is open (409), or on another currency, a non-positive amount or an overpayment (422).
   */
  apply(request: ApplyPaymentRequest, actor: string): PaymentView {
    const existing = this.byExternalRef(request.externalRef, 'APPLIED');
    if (existing) return this.view(existing);
    const amount = requestedAmount(request.amount);
    const invoice = request.invoiceNumber
      ? this.invoices.find(request.invoiceNumber)
      : this.invoices.findOpenByExternalRef(request.orderExternalRef ?? '');
    if (!invoice || invoice.status === 'PAID')
      throw new RefusalError(
        'no_open_invoice',
        `No open invoice for ${request.invoiceNumber ?? request.orderExternalRef}`,
        409,
      );
    if (invoice.currency !== request.currency)
      throw new RefusalError('currency_mismatch', `Invoice ${invoice.number} is in ${invoice.currency}`, 422);
    const remaining = parseDecimal(invoice.amount) - parseDecimal(invoice.paid_amount);
    if (amount <= 0n) throw new RefusalError('invalid_amount', 'A payment must be positive', 422);
    if (amount > remaining)
      throw new RefusalError(
        'overpayment',
        `Payment ${request.amount} exceeds the open balance ${formatDecimal(remaining)} of ${invoice.number}`,
        422,
      );
    const paid = parseDecimal(invoice.paid_amount) + amount;
    this.invoices.setPaid(
      invoice.number,
      formatDecimal(paid),
      paid === parseDecimal(invoice.amount) ? 'PAID' : 'PARTIALLY_PAID',
    );
    return this.book('APPLIED', request, invoice.number, amount, actor);
  }

  /**
   * Refunds (part of) an applied payment, once per external reference, reopening its invoice by the amount.
   * Refuses an unknown payment (409) and refunds beyond what the invoice's refunds leave of it (422).
   */
  refund(request: RefundRequest, actor: string): PaymentView {
    const existing = this.byExternalRef(request.externalRef, 'REFUND');
    if (existing) return this.view(existing);
    const amount = requestedAmount(request.amount);
    const payment = this.byExternalRef(request.paymentExternalRef, 'APPLIED');
    if (!payment)
      throw new RefusalError('unknown_payment', `No applied payment ${request.paymentExternalRef}`, 409);
    // Refunds are counted per invoice, not per payment: the cap is what was paid by this payment, less every refund.
    const refunded = (
      this.books.db
        .prepare("SELECT amount FROM payments WHERE kind = 'REFUND' AND invoice_number = ?")
        .all(payment.invoice_number) as { amount: string }[]
    ).reduce((sum, row) => sum + parseDecimal(row.amount), 0n);
    if (amount <= 0n || amount + refunded > parseDecimal(payment.amount))
      throw new RefusalError('refund_exceeds_payment', `Refund ${request.amount} exceeds what was paid`, 422);
    const invoice = this.invoices.find(payment.invoice_number) as InvoiceRow;
    const paid = parseDecimal(invoice.paid_amount) - amount;
    this.invoices.setPaid(invoice.number, formatDecimal(paid), paid === 0n ? 'OPEN' : 'PARTIALLY_PAID');
    return this.book('REFUND', request, invoice.number, amount, actor);
  }

  /** The payments and refunds booked in the range, oldest first, as listed documents (status is the kind). */
  documents(range: DocumentRange): LedgerDocument[] {
    const rows = this.books.db
      .prepare('SELECT * FROM payments WHERE created_at >= ? AND created_at < ? ORDER BY created_at')
      .all(range.from, range.to) as PaymentRow[];
    return rows
      .filter((row) => !range.externalRef || row.external_ref === range.externalRef)
      .map((row) => ({
        type: 'payment',
        number: row.id,
        externalRef: row.external_ref,
        status: row.kind,
        currency: row.currency,
        amount: row.amount,
        createdAt: row.created_at,
        updatedAt: row.created_at,
      }));
  }
}
