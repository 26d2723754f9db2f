/**
 * The ERP port: business capabilities Concord needs from an ERP, not its low-level objects. The sandbox connector
 * implements it over HTTP; a real ERP connector plugs in here and must pass the same contract tests.
 */

/** A money amount: decimal string and ISO 4217 currency. */
export interface Money {
  amount: string;
  currency: string;
}

/** One requested line. */
export interface LineRequest {
  sku: string;
  quantity: number;
}

/** A line priced by the ERP (the ERP owns prices and tax rates). */
export interface PricedLine extends LineRequest {
  unitPrice: string;
  taxRate: string;
  lineTotal: string;
  tax: string;
  available: number;
}

/** The ERP's credit decision for an amount. */
export interface CreditDecision {
  decision: 'approved' | 'hold' | 'rejected';
  customerNumber: string;
  availableCredit: string;
  reason?: string;
}

/** Availability, price and tax for a set of lines. */
export interface Quote {
  currency: string;
  lines: PricedLine[];
  subtotal: string;
  tax: string;
  total: string;
  allAvailable: boolean;
}

/** Stock set aside for an order. */
export interface Reservation {
  reservationId: string;
  orderRef: string;
  status: 'ACTIVE' | 'RELEASED' | 'CONSUMED';
  lines: LineRequest[];
}

/** A sales order document. */
export interface SalesOrder {
  number: string;
  externalRef: string;
  customerNumber: string;
  status: 'CREDIT_HOLD' | 'ACCEPTED' | 'SHIPPED' | 'INVOICED' | 'CANCELLED';
  currency: string;
  lines: PricedLine[];
  subtotal: string;
  tax: string;
  total: string;
  reservationId?: string;
  /** Where the order came from (the SaaS source URI), so that status can be written back there. */
  channel?: string;
  version: number;
}

/** An invoice document. */
export interface Invoice {
  number: string;
  orderNumber: string;
  externalRef: string;
  currency: string;
  amount: string;
  tax: string;
  paidAmount: string;
  status: 'OPEN' | 'PARTIALLY_PAID' | 'PAID';
  dueDate: string;
}

/** A payment applied to (or refunded from) an invoice. */
export interface PaymentDocument {
  id: string;
  externalRef: string;
  invoiceNumber: string;
  kind: 'APPLIED' | 'REFUND';
  amount: string;
  currency: string;
  /** The invoice's status after this document. */
  invoiceStatus: Invoice['status'];
}

/** A customer account as the ERP holds it. */
export interface CustomerAccount {
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

/** Any ERP document, as listed for reconciliation. */
export interface ErpDocument {
  type: 'sales-order' | 'invoice' | 'payment';
  number: string;
  externalRef: string;
  status: string;
  currency: string;
  amount: string;
  createdAt: string;
  updatedAt: string;
}

/**
 * What the ERP holds under an idempotency key: the committed change's answer, nothing (it was never committed and
 * no request with that key is still being processed), or a request with that key still in flight.
 */
export type ChangeLookup =
  | { state: 'committed'; result: unknown }
  | { state: 'absent' }
  | { state: 'in-flight' };

/** The ERP's business capabilities. Every mutating call carries an idempotency key. */
export interface ErpPort {
  checkCredit(request: { customerNumber: string; amount: string; currency: string }): Promise<CreditDecision>;
  quote(request: { customerNumber: string; currency: string; lines: LineRequest[] }): Promise<Quote>;
  reserveInventory(
    request: { orderRef: string; lines: LineRequest[] },
    idempotencyKey: string,
  ): Promise<Reservation>;
  releaseInventory(reservationId: string, idempotencyKey: string): Promise<Reservation>;
  createSalesOrder(
    request: {
      externalRef: string;
      customerNumber: string;
      currency: string;
      lines: LineRequest[];
      reservationId?: string;
      creditHold?: boolean;
      channel?: string;
    },
    idempotencyKey: string,
  ): Promise<SalesOrder>;
  amendSalesOrder(
    number: string,
    request: { lines: LineRequest[] },
    idempotencyKey: string,
  ): Promise<SalesOrder>;
  cancelSalesOrder(number: string, request: { reason: string }, idempotencyKey: string): Promise<SalesOrder>;
  releaseCreditHold(number: string, idempotencyKey: string): Promise<SalesOrder>;
  postInvoice(orderNumber: string, idempotencyKey: string): Promise<Invoice>;
  applyPayment(
    request: {
      externalRef: string;
      orderExternalRef?: string;
      invoiceNumber?: string;
      amount: string;
      currency: string;
    },
    idempotencyKey: string,
  ): Promise<PaymentDocument>;
  refund(
    request: { externalRef: string; paymentExternalRef: string; amount: string; currency: string },
    idempotencyKey: string,
  ): Promise<PaymentDocument>;
  upsertCustomer(
    request: {
      customerNumber?: string;
      crmId: string;
      fields: Partial<Pick<CustomerAccount, 'name' | 'email' | 'phone'>>;
    },
    idempotencyKey: string,
  ): Promise<CustomerAccount>;
  /**
   * Reads what became of a change sent under `idempotencyKey` whose answer was lost. `absent` must mean that no
   * request with that key can still commit: an ERP that cannot promise it answers `in-flight` instead.
   */
  lookupChange(idempotencyKey: string): Promise<ChangeLookup>;
  findSalesOrder(externalRef: string): Promise<SalesOrder | undefined>;
  findCustomer(query: { email?: string; crmId?: string }): Promise<CustomerAccount | undefined>;
  listDocuments(query: {
    type?: ErpDocument['type'];
    fromIso?: string;
    toIso?: string;
    externalRef?: string;
  }): Promise<ErpDocument[]>;
}
