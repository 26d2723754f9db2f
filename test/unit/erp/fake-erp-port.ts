/**
 * An in-memory ErpPort with the sandbox's rules that the adapter relies on: one change per idempotency key (a repeat
 * answers the committed result), ERP-owned prices and tax, stock that refuses an over-reservation, and faults on
 * demand: a refusal or throttle before committing, an answer lost after committing, a lookup that cannot tell.
 */
import { formatDecimal, parseDecimal } from '../../../functions/shared/decimal';
import { ErpOutcomeUnknownError, ErpRefusedError } from '../../../functions/shared/erp/erp-errors';
import type {
  ChangeLookup,
  CreditDecision,
  CustomerAccount,
  ErpDocument,
  ErpPort,
  Invoice,
  LineRequest,
  PaymentDocument,
  PricedLine,
  Quote,
  Reservation,
  SalesOrder,
} from '../../../functions/shared/erp/erp-port';

/** A port method that changes the ERP, and so takes an idempotency key. */
export type ChangeMethod =
  | 'reserveInventory'
  | 'releaseInventory'
  | 'createSalesOrder'
  | 'amendSalesOrder'
  | 'cancelSalesOrder'
  | 'releaseCreditHold'
  | 'postInvoice'
  | 'applyPayment'
  | 'refund'
  | 'upsertCustomer';

/** One call the adapter made, for assertions on what reached the ERP. */
export interface RecordedCall {
  method: keyof ErpPort;
  args: unknown[];
}

const unitPrice = '10.00';
const taxPercent = 19n;

/** The ERP, in memory. Every price is 10.00 with 19 % tax; every SKU starts with 100 in stock. */
export class FakeErpPort implements ErpPort {
  readonly calls: RecordedCall[] = [];
  readonly customers: CustomerAccount[] = [];
  readonly orders = new Map<string, SalesOrder>();
  readonly invoices = new Map<string, Invoice>();
  readonly payments: PaymentDocument[] = [];
  readonly reservations = new Map<string, Reservation>();
  readonly stock = new Map<string, number>();
  /** What each idempotency key committed. */
  readonly committed = new Map<string, unknown>();
  /** What lookupChange answers for a key it holds nothing under: `absent`, unless told otherwise. */
  lookupWhenUncommitted: ChangeLookup | Error = { state: 'absent' };
  private readonly faults = new Map<ChangeMethod, Error>();
  private readonly lostAnswers = new Set<ChangeMethod>();
  private sequence = 0;

  /** The next call of `method` fails with `error` and commits nothing (a refusal, a throttle, an ERP that is down). */
  failNext(method: ChangeMethod, error: Error): void {
    this.faults.set(method, error);
  }

  /** The next call of `method` commits, then its answer is lost (ErpOutcomeUnknownError). */
  loseNextAnswer(method: ChangeMethod): void {
    this.lostAnswers.add(method);
  }

  /** Opens an account directly, as data the ERP already holds. */
  addCustomer(account: Partial<CustomerAccount> & { customerNumber: string }): CustomerAccount {
    const full: CustomerAccount = {
      name: 'Ada Lovelace',
      creditLimit: '1000.00',
      paymentTerms: 'NET30',
      creditHold: false,
      currency: 'EUR',
      ...account,
    };
    this.customers.push(full);
    return full;
  }

  /** How many calls of `method` reached the ERP. */
  callsOf(method: keyof ErpPort): RecordedCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  /** Calls that change the ERP: none may happen for a refused input. */
  changeCalls(): RecordedCall[] {
    const reads: (keyof ErpPort)[] = [
      'checkCredit',
      'quote',
      'lookupChange',
      'findSalesOrder',
      'findCustomer',
      'listDocuments',
    ];
    return this.calls.filter((call) => !reads.includes(call.method));
  }

  private record(method: keyof ErpPort, args: unknown[]): void {
    this.calls.push({ method, args });
  }

  private async change<T>(method: ChangeMethod, key: string, args: unknown[], apply: () => T): Promise<T> {
    this.record(method, [...args, key]);
    const fault = this.faults.get(method);
    if (fault) {
      this.faults.delete(method);
      throw fault;
    }
    if (this.committed.has(key)) return this.committed.get(key) as T;
    const result = structuredClone(apply());
    this.committed.set(key, result);
    if (this.lostAnswers.delete(method))
      throw new ErpOutcomeUnknownError(
        `ERP ${method}: no answer (ECONNRESET); the ERP may have committed it`,
      );
    return result;
  }

  private next(prefix: string): string {
    this.sequence += 1;
    return `${prefix}-${String(this.sequence).padStart(6, '0')}`;
  }

  private price(lines: readonly LineRequest[]): PricedLine[] {
    return lines.map((line) => {
      const total = BigInt(line.quantity) * parseDecimal(unitPrice);
      return {
        sku: line.sku,
        quantity: line.quantity,
        unitPrice,
        taxRate: '0.19',
        lineTotal: formatDecimal(total),
        tax: formatDecimal((total * taxPercent) / 100n),
        available: this.stock.get(line.sku) ?? 100,
      };
    });
  }

  private totals(lines: readonly PricedLine[]) {
    const subtotal = lines.reduce((sum, line) => sum + parseDecimal(line.lineTotal), 0n);
    const tax = lines.reduce((sum, line) => sum + parseDecimal(line.tax), 0n);
    return {
      subtotal: formatDecimal(subtotal),
      tax: formatDecimal(tax),
      total: formatDecimal(subtotal + tax),
    };
  }

  private customer(customerNumber: string): CustomerAccount {
    const account = this.customers.find((candidate) => candidate.customerNumber === customerNumber);
    if (!account) throw new ErpRefusedError('unknown_customer', `No customer ${customerNumber}`);
    return account;
  }

  private order(number: string): SalesOrder {
    const order = [...this.orders.values()].find((candidate) => candidate.number === number);
    if (!order) throw new ErpRefusedError('not_found', `No sales order ${number}`);
    return order;
  }

  async checkCredit(request: {
    customerNumber: string;
    amount: string;
    currency: string;
  }): Promise<CreditDecision> {
    this.record('checkCredit', [request]);
    const account = this.customer(request.customerNumber);
    const fits = parseDecimal(request.amount) <= parseDecimal(account.creditLimit);
    return {
      decision: account.creditHold ? 'rejected' : fits ? 'approved' : 'hold',
      customerNumber: account.customerNumber,
      availableCredit: account.creditLimit,
      ...(fits ? {} : { reason: 'credit limit exceeded' }),
    };
  }

  async quote(request: { customerNumber: string; currency: string; lines: LineRequest[] }): Promise<Quote> {
    this.record('quote', [request]);
    const lines = this.price(request.lines);
    return {
      currency: request.currency,
      lines,
      ...this.totals(lines),
      allAvailable: lines.every((line) => line.available >= line.quantity),
    };
  }

  reserveInventory(request: { orderRef: string; lines: LineRequest[] }, key: string): Promise<Reservation> {
    return this.change('reserveInventory', key, [request], () => {
      for (const line of request.lines)
        if ((this.stock.get(line.sku) ?? 100) < line.quantity)
          throw new ErpRefusedError(
            'out_of_stock',
            `Only ${this.stock.get(line.sku)} of ${line.sku} available`,
          );
      for (const line of request.lines)
        this.stock.set(line.sku, (this.stock.get(line.sku) ?? 100) - line.quantity);
      const reservation: Reservation = {
        reservationId: this.next('RES'),
        orderRef: request.orderRef,
        status: 'ACTIVE',
        lines: request.lines,
      };
      this.reservations.set(reservation.reservationId, reservation);
      return reservation;
    });
  }

  releaseInventory(reservationId: string, key: string): Promise<Reservation> {
    return this.change('releaseInventory', key, [reservationId], () => {
      const reservation = this.reservations.get(reservationId);
      if (!reservation) throw new ErpRefusedError('not_found', `No reservation ${reservationId}`);
      for (const line of reservation.lines)
        this.stock.set(line.sku, (this.stock.get(line.sku) ?? 100) + line.quantity);
      reservation.status = 'RELEASED';
      return reservation;
    });
  }

  createSalesOrder(request: Parameters<ErpPort['createSalesOrder']>[0], key: string): Promise<SalesOrder> {
    return this.change('createSalesOrder', key, [request], () => {
      this.customer(request.customerNumber);
      const lines = this.price(request.lines);
      const order: SalesOrder = {
        number: this.next('SO'),
        externalRef: request.externalRef,
        customerNumber: request.customerNumber,
        status: request.creditHold ? 'CREDIT_HOLD' : 'ACCEPTED',
        currency: request.currency,
        lines,
        ...this.totals(lines),
        ...(request.reservationId ? { reservationId: request.reservationId } : {}),
        ...(request.channel ? { channel: request.channel } : {}),
        version: 1,
      };
      this.orders.set(order.externalRef, order);
      return order;
    });
  }

  amendSalesOrder(number: string, request: { lines: LineRequest[] }, key: string): Promise<SalesOrder> {
    return this.change('amendSalesOrder', key, [number, request], () => {
      const current = this.order(number);
      const lines = this.price(request.lines);
      const amended: SalesOrder = { ...current, lines, ...this.totals(lines), version: current.version + 1 };
      this.orders.set(amended.externalRef, amended);
      return amended;
    });
  }

  cancelSalesOrder(number: string, request: { reason: string }, key: string): Promise<SalesOrder> {
    return this.change('cancelSalesOrder', key, [number, request], () => {
      const current = this.order(number);
      if (current.status === 'INVOICED')
        throw new ErpRefusedError('not_cancellable', `Sales order ${number} is invoiced`);
      const cancelled: SalesOrder = { ...current, status: 'CANCELLED', version: current.version + 1 };
      this.orders.set(cancelled.externalRef, cancelled);
      return cancelled;
    });
  }

  releaseCreditHold(number: string, key: string): Promise<SalesOrder> {
    return this.change('releaseCreditHold', key, [number], () => {
      const released: SalesOrder = { ...this.order(number), status: 'ACCEPTED' };
      this.orders.set(released.externalRef, released);
      return released;
    });
  }

  postInvoice(orderNumber: string, key: string): Promise<Invoice> {
    return this.change('postInvoice', key, [orderNumber], () => {
      const order = this.order(orderNumber);
      if (order.status !== 'ACCEPTED')
        throw new ErpRefusedError('not_invoiceable', `Sales order ${orderNumber} is ${order.status}`);
      const invoice: Invoice = {
        number: this.next('INV'),
        orderNumber,
        externalRef: order.externalRef,
        currency: order.currency,
        amount: order.total,
        tax: order.tax,
        paidAmount: '0.00',
        status: 'OPEN',
        dueDate: '2026-12-30',
      };
      this.invoices.set(invoice.number, invoice);
      this.orders.set(order.externalRef, { ...order, status: 'INVOICED' });
      return invoice;
    });
  }

  private invoiceFor(invoiceNumber: string | undefined, orderExternalRef: string | undefined): Invoice {
    const invoice = invoiceNumber
      ? this.invoices.get(invoiceNumber)
      : [...this.invoices.values()].find((candidate) => candidate.externalRef === orderExternalRef);
    if (!invoice)
      throw new ErpRefusedError('invoice_not_found', `No invoice for ${invoiceNumber ?? orderExternalRef}`);
    return invoice;
  }

  private book(invoice: Invoice, externalRef: string, kind: PaymentDocument['kind'], amount: string) {
    const paid = parseDecimal(invoice.paidAmount) + (kind === 'APPLIED' ? 1n : -1n) * parseDecimal(amount);
    invoice.paidAmount = formatDecimal(paid);
    invoice.status = paid >= parseDecimal(invoice.amount) ? 'PAID' : paid > 0n ? 'PARTIALLY_PAID' : 'OPEN';
    const document: PaymentDocument = {
      id: this.next('PAY'),
      externalRef,
      invoiceNumber: invoice.number,
      kind,
      amount,
      currency: invoice.currency,
      invoiceStatus: invoice.status,
    };
    this.payments.push(document);
    return document;
  }

  applyPayment(request: Parameters<ErpPort['applyPayment']>[0], key: string): Promise<PaymentDocument> {
    return this.change('applyPayment', key, [request], () =>
      this.book(
        this.invoiceFor(request.invoiceNumber, request.orderExternalRef),
        request.externalRef,
        'APPLIED',
        request.amount,
      ),
    );
  }

  refund(request: Parameters<ErpPort['refund']>[0], key: string): Promise<PaymentDocument> {
    return this.change('refund', key, [request], () => {
      const payment = this.payments.find((candidate) => candidate.externalRef === request.paymentExternalRef);
      if (!payment)
        throw new ErpRefusedError('payment_not_found', `No payment ${request.paymentExternalRef}`);
      const invoice = this.invoiceFor(payment.invoiceNumber, undefined);
      return this.book(invoice, request.externalRef, 'REFUND', request.amount);
    });
  }

  upsertCustomer(request: Parameters<ErpPort['upsertCustomer']>[0], key: string): Promise<CustomerAccount> {
    return this.change('upsertCustomer', key, [request], () => {
      const existing = this.customers.find((candidate) => candidate.crmId === request.crmId);
      if (existing) {
        Object.assign(existing, request.fields);
        return existing;
      }
      return this.addCustomer({
        customerNumber: this.next('C'),
        crmId: request.crmId,
        ...Object.fromEntries(Object.entries(request.fields).filter(([, value]) => value !== undefined)),
      });
    });
  }

  async lookupChange(key: string): Promise<ChangeLookup> {
    this.record('lookupChange', [key]);
    if (this.committed.has(key))
      return { state: 'committed', result: structuredClone(this.committed.get(key)) };
    if (this.lookupWhenUncommitted instanceof Error) throw this.lookupWhenUncommitted;
    return this.lookupWhenUncommitted;
  }

  async findSalesOrder(externalRef: string): Promise<SalesOrder | undefined> {
    this.record('findSalesOrder', [externalRef]);
    return this.orders.get(externalRef);
  }

  async findCustomer(query: { email?: string; crmId?: string }): Promise<CustomerAccount | undefined> {
    this.record('findCustomer', [query]);
    return this.customers.find(
      (account) =>
        (query.email !== undefined && account.email === query.email) ||
        (query.crmId !== undefined && account.crmId === query.crmId),
    );
  }

  async listDocuments(query: Parameters<ErpPort['listDocuments']>[0]): Promise<ErpDocument[]> {
    this.record('listDocuments', [query]);
    const invoices: ErpDocument[] = [...this.invoices.values()].map((invoice) => ({
      type: 'invoice',
      number: invoice.number,
      externalRef: invoice.externalRef,
      status: invoice.status,
      currency: invoice.currency,
      amount: invoice.amount,
      createdAt: '2026-11-20T15:00:00.000Z',
      updatedAt: '2026-11-20T15:00:00.000Z',
    }));
    return invoices.filter(
      (doc) =>
        (query.type === undefined || doc.type === query.type) &&
        (query.externalRef === undefined || doc.externalRef === query.externalRef),
    );
  }
}
