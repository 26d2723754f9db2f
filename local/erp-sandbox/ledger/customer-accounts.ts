/** The ledger's customer accounts: master data, credit limit and terms, and the credit check against open exposure. */
import { formatDecimal, parseDecimal } from '../../../functions/shared/decimal';
import { NotFoundError, RefusalError } from '../erp-errors';
import type { SeedCustomer } from '../seed-catalogue';
import type { LedgerDatabase } from './ledger-database';

/** A customer as the `customers` table holds it. */
export interface CustomerRow {
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

/** A customer as the ERP answers it (optional fields left out when empty). */
export interface CustomerView {
  customerNumber: string;
  crmId?: string;
  name: string;
  email?: string;
  phone?: string;
  creditLimit: string;
  paymentTerms: string;
  creditHold: boolean;
  currency: string;
}

/** The answer of a credit check: approved, or on hold / rejected with a reason, and the credit left. */
export interface CreditDecision {
  customerNumber: string;
  availableCredit: string;
  decision: 'approved' | 'hold' | 'rejected';
  reason?: string;
}

const schema = `
CREATE TABLE IF NOT EXISTS customers (customer_number TEXT PRIMARY KEY, crm_id TEXT UNIQUE, name TEXT NOT NULL, email TEXT, phone TEXT,
  credit_limit TEXT NOT NULL, payment_terms TEXT NOT NULL, credit_hold INTEGER NOT NULL DEFAULT 0, blocked INTEGER NOT NULL DEFAULT 0, currency TEXT NOT NULL);`;

const decimalInput = /^\d{1,12}(\.\d{1,2})?$/;

/**
 * Customer accounts over the ledger database; each call runs in the caller's transaction. The credit check needs the
 * customer's open exposure, which orders and invoices hold: it is passed in rather than read here.
 */
/**
 * Refuses (422) an account change without the CRM id it is for, or with fields that are not an object of texts: the
 * request's mistake, answered as a refusal rather than as the database's NOT NULL failure.
 */
function validCustomer(request: { customerNumber?: unknown; crmId?: unknown; fields?: unknown }): void {
  const refuse = (message: string): never => {
    throw new RefusalError('invalid_customer', message, 422);
  };
  if (typeof request.crmId !== 'string' || request.crmId.trim() === '')
    refuse('crmId must be a non-empty string');
  if (request.customerNumber !== undefined && typeof request.customerNumber !== 'string')
    refuse('customerNumber must be a string');
  if (request.fields === undefined) return;
  if (request.fields === null || typeof request.fields !== 'object' || Array.isArray(request.fields))
    refuse('fields must be an object');
  for (const name of ['name', 'email', 'phone'] as const) {
    const value = (request.fields as Record<string, unknown>)[name];
    if (value !== undefined && typeof value !== 'string') refuse(`fields.${name} must be a string`);
  }
}

export class CustomerAccounts {
  constructor(
    private readonly books: LedgerDatabase,
    /** Accepted orders not yet invoiced plus unpaid invoice balances, in scaled decimal units. */
    private readonly exposure: (customerNumber: string) => bigint,
  ) {
    books.db.exec(schema);
  }

  /** Books the seed catalogue's customers and numbers new accounts after them. */
  seed(customers: readonly SeedCustomer[]): void {
    for (const customer of customers) {
      this.books.db
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
    this.books.startCounter('customer', customers.length);
  }

  /** The account; a 422 refusal (`unknown_customer`) when there is none, as an order naming it cannot be taken. */
  row(customerNumber: string): CustomerRow {
    const row = this.books.db
      .prepare('SELECT * FROM customers WHERE customer_number = ?')
      .get(customerNumber) as CustomerRow | undefined;
    if (!row) throw new RefusalError('unknown_customer', `Customer ${customerNumber} does not exist`, 422);
    return row;
  }

  /** The account as the ERP answers it. */
  view(row: CustomerRow): CustomerView {
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

  /** Decides whether `amount` fits the customer's credit: blocked accounts are rejected, held ones put on hold. */
  checkCredit(request: { customerNumber: string; amount: string; currency: string }): CreditDecision {
    const customer = this.row(request.customerNumber);
    if (customer.currency !== request.currency)
      throw new RefusalError(
        'currency_mismatch',
        `Customer ${customer.customer_number} is billed in ${customer.currency}`,
        422,
      );
    const available = parseDecimal(customer.credit_limit) - this.exposure(customer.customer_number);
    const base = { customerNumber: customer.customer_number, availableCredit: formatDecimal(available) };
    if (customer.blocked) return { ...base, decision: 'rejected', reason: 'account blocked' };
    if (customer.credit_hold) return { ...base, decision: 'hold', reason: 'account on credit hold' };
    if (parseDecimal(request.amount) > available)
      return { ...base, decision: 'hold', reason: 'credit limit exceeded' };
    return { ...base, decision: 'approved' };
  }

  /** The account a CRM id (or else an e-mail, case-insensitive) belongs to; NotFoundError when none. */
  find(query: { email?: string; crmId?: string }): CustomerView {
    const row = (
      query.crmId
        ? this.books.db.prepare('SELECT * FROM customers WHERE crm_id = ?').get(query.crmId)
        : this.books.db
            .prepare('SELECT * FROM customers WHERE lower(email) = lower(?)')
            .get(query.email ?? '')
    ) as CustomerRow | undefined;
    if (!row) throw new NotFoundError(`No customer for ${query.crmId ?? query.email}`);
    return this.view(row);
  }

  /** Creates the account of a CRM id, or updates the fields given of the one found by number or CRM id. */
  upsert(
    request: {
      customerNumber?: string;
      crmId: string;
      fields: { name?: string; email?: string; phone?: string };
    },
    actor: string,
  ): CustomerView {
    validCustomer(request);
    const row = (
      request.customerNumber
        ? this.books.db
            .prepare('SELECT * FROM customers WHERE customer_number = ?')
            .get(request.customerNumber)
        : this.books.db.prepare('SELECT * FROM customers WHERE crm_id = ?').get(request.crmId)
    ) as CustomerRow | undefined;
    const fields = request.fields ?? {};
    if (!row) {
      const number = this.books.next('customer', 'C');
      // A new account starts with a small limit and standard terms: finance raises it.
      this.books.db
        .prepare(
          "INSERT INTO customers (customer_number, crm_id, name, email, phone, credit_limit, payment_terms, currency) VALUES (?, ?, ?, ?, ?, '1000.00', 'NET30', 'USD')",
        )
        .run(number, request.crmId, fields.name ?? request.crmId, fields.email ?? null, fields.phone ?? null);
      this.books.audit(actor, 'create', 'customer', number, request);
      return this.view(this.row(number));
    }
    this.books.db
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
    this.books.audit(actor, 'update', 'customer', row.customer_number, request);
    return this.view(this.row(row.customer_number));
  }

  /** Finance sets a customer's credit limit (admin); a 422 refusal unless it is a decimal string. */
  setCreditLimit(customerNumber: string, creditLimit: unknown, actor: string): CustomerView {
    if (typeof creditLimit !== 'string' || !decimalInput.test(creditLimit))
      throw new RefusalError(
        'invalid_credit_limit',
        'creditLimit must be a decimal string such as "25000.00"',
        422,
      );
    const customer = this.row(customerNumber);
    this.books.db
      .prepare('UPDATE customers SET credit_limit = ? WHERE customer_number = ?')
      .run(formatDecimal(parseDecimal(creditLimit)), customer.customer_number);
    this.books.audit(actor, 'set-credit-limit', 'customer', customer.customer_number, { creditLimit });
    return this.view(this.row(customer.customer_number));
  }
}
