import { formatDecimal } from '../../functions/shared/decimal';
import { openTestBooks, type TestBooks, thrownBy } from './erp-ledger-books';

describe('Invoices', () => {
  let erp: TestBooks;

  beforeEach(() => {
    erp = openTestBooks();
  });

  afterEach(() => erp.close());

  const order = (externalRef: string, options: { creditHold?: boolean } = {}) =>
    erp.books.transaction(
      () =>
        erp.orders.create(
          {
            externalRef,
            customerNumber: 'C-000001',
            currency: 'USD',
            lines: [{ sku: 'USD-A', quantity: 2 }],
            ...options,
          },
          'shop',
        ).number,
    );

  it("invoices an order in full, due by the customer's terms, and moves the order to INVOICED", () => {
    // Prepare
    const number = order('shop-1');
    // Act
    const invoice = erp.books.transaction(() => erp.invoices.post(number, 'finance'));
    // Assess
    expect(invoice).toMatchObject({
      number: 'INV-000001',
      orderNumber: number,
      externalRef: 'shop-1',
      amount: '21.71',
      tax: '1.61',
      paidAmount: '0.00',
      status: 'OPEN',
    });
    expect(invoice.dueDate).toBe(
      new Date(Date.parse(invoice.createdAt) + 30 * 86_400_000).toISOString().slice(0, 10),
    );
    expect(erp.orders.row(number)).toMatchObject({ status: 'INVOICED', version: 2 });
  });

  it('rejects invoicing an order on credit hold, invoiced or cancelled with 409', () => {
    // Prepare
    const held = order('held', { creditHold: true });
    const invoiced = order('invoiced');
    erp.books.transaction(() => erp.invoices.post(invoiced, 'finance'));
    const cancelled = order('cancelled');
    erp.books.transaction(() => erp.orders.cancel(cancelled, {}, 'shop'));
    // Act
    const codes = [held, invoiced, cancelled].map((number) =>
      thrownBy(() => erp.invoices.post(number, 'finance')),
    );
    // Assess
    expect(codes).toEqual([
      expect.objectContaining({ code: 'on_credit_hold', status: 409 }),
      expect.objectContaining({ code: 'already_invoiced', status: 409 }),
      expect.objectContaining({ code: 'order_cancelled', status: 409 }),
    ]);
    expect(erp.count('invoices')).toBe(1);
  });

  it('counts unpaid invoice balances as open exposure', () => {
    // Prepare
    const number = order('shop-1');
    erp.books.transaction(() => erp.invoices.post(number, 'finance'));
    erp.books.transaction(() =>
      erp.payments.apply(
        { externalRef: 'pay-1', orderExternalRef: 'shop-1', amount: '20.00', currency: 'USD' },
        'psp',
      ),
    );
    // Act
    const open = erp.invoices.openBalance('C-000001');
    // Assess
    expect(formatDecimal(open)).toBe('1.71');
  });
});

describe('Payments', () => {
  let erp: TestBooks;
  let invoiceNumber: string;

  beforeEach(() => {
    erp = openTestBooks();
    // One invoice of 21.71 USD for the platform order shop-1.
    invoiceNumber = erp.books.transaction(() => {
      const { number } = erp.orders.create(
        {
          externalRef: 'shop-1',
          customerNumber: 'C-000001',
          currency: 'USD',
          lines: [{ sku: 'USD-A', quantity: 2 }],
        },
        'shop',
      );
      return erp.invoices.post(number, 'finance').number;
    });
  });

  afterEach(() => erp.close());

  const pay = (externalRef: string, amount: string, currency = 'USD') =>
    erp.books.transaction(() =>
      erp.payments.apply({ externalRef, orderExternalRef: 'shop-1', amount, currency }, 'psp'),
    );
  const refund = (externalRef: string, paymentExternalRef: string, amount: string) =>
    erp.books.transaction(() =>
      erp.payments.refund({ externalRef, paymentExternalRef, amount, currency: 'USD' }, 'psp'),
    );
  const invoice = () => erp.invoices.find(invoiceNumber);

  it("pays an order's open invoice down, reporting the invoice's status with each payment", () => {
    // Act
    const first = pay('pay-1', '10.00');
    const second = pay('pay-2', '11.71');
    // Assess
    expect(first).toMatchObject({
      id: 'PAY-000001',
      kind: 'APPLIED',
      amount: '10.00',
      invoiceStatus: 'PARTIALLY_PAID',
    });
    expect(second).toMatchObject({ id: 'PAY-000002', invoiceStatus: 'PAID' });
    expect(invoice()).toMatchObject({ paid_amount: '21.71', status: 'PAID' });
  });

  it('answers a repeated payment reference with the first booking and books it once', () => {
    // Prepare
    const first = pay('pay-1', '10.00');
    // Act
    const repeat = pay('pay-1', '10.00');
    // Assess
    expect(repeat).toEqual(first);
    expect(erp.count('payments')).toBe(1);
    expect(invoice()?.paid_amount).toBe('10.00');
  });

  it.each([
    ['an overpayment', '21.72', 'USD', 'overpayment'],
    ['a zero amount', '0.00', 'USD', 'invalid_amount'],
    ['another currency', '1.00', 'EUR', 'currency_mismatch'],
  ])('rejects %s with 422 and leaves the invoice as it was', (_case, amount, currency, code) => {
    // Act
    const error = thrownBy(() => pay('pay-1', amount, currency));
    // Assess
    expect(error).toMatchObject({ name: 'RefusalError', code, status: 422 });
    expect(invoice()).toMatchObject({ paid_amount: '0.00', status: 'OPEN' });
    expect(erp.count('payments')).toBe(0);
  });

  it('rejects a payment once the invoice is paid with 409', () => {
    // Prepare
    pay('pay-1', '21.71');
    // Act
    const error = thrownBy(() =>
      erp.payments.apply({ externalRef: 'pay-2', invoiceNumber, amount: '1.00', currency: 'USD' }, 'psp'),
    );
    // Assess
    expect(error).toMatchObject({ code: 'no_open_invoice', status: 409 });
  });

  it('reopens the invoice by what is refunded, partly then wholly', () => {
    // Prepare
    pay('pay-1', '21.71');
    // Act
    const part = refund('refund-1', 'pay-1', '1.71');
    const rest = refund('refund-2', 'pay-1', '20.00');
    // Assess
    expect(part).toMatchObject({ kind: 'REFUND', amount: '1.71', invoiceStatus: 'PARTIALLY_PAID' });
    expect(rest).toMatchObject({ kind: 'REFUND', amount: '20.00', invoiceStatus: 'OPEN' });
    expect(invoice()).toMatchObject({ paid_amount: '0.00', status: 'OPEN' });
  });

  it('rejects refunding more than was paid with 422, and an unknown payment with 409', () => {
    // Prepare
    pay('pay-1', '5.00');
    refund('refund-1', 'pay-1', '3.00');
    // Act
    const beyond = thrownBy(() => refund('refund-2', 'pay-1', '2.01'));
    const unknown = thrownBy(() => refund('refund-3', 'pay-9', '1.00'));
    // Assess
    expect(beyond).toMatchObject({ code: 'refund_exceeds_payment', status: 422 });
    expect(unknown).toMatchObject({ code: 'unknown_payment', status: 409 });
    expect(invoice()?.paid_amount).toBe('2.00');
  });
});
