import { formatDecimal } from '../../functions/shared/decimal';
import { NotFoundError } from '../../local/erp-sandbox/erp-errors';
import type { CreateOrderRequest } from '../../local/erp-sandbox/ledger/sales-orders';
import { openTestBooks, type TestBooks, thrownBy } from './erp-ledger-books';

describe('SalesOrders', () => {
  let erp: TestBooks;

  beforeEach(() => {
    erp = openTestBooks();
  });

  afterEach(() => erp.close());

  const order = (overrides: Partial<CreateOrderRequest> = {}) =>
    erp.books.transaction(() =>
      erp.orders.create(
        {
          externalRef: 'shop-1',
          customerNumber: 'C-000001',
          currency: 'USD',
          lines: [{ sku: 'USD-A', quantity: 2 }],
          ...overrides,
        },
        'shop',
      ),
    );
  const reserve = (quantity: number) =>
    erp.books.transaction(
      () =>
        erp.stock.reserve({ orderRef: 'shop-1', lines: [{ sku: 'USD-A', quantity }] }, 'shop').reservationId,
    );

  it('books a priced order on its reservation, whose stock leaves the warehouse', () => {
    // Prepare
    const reservationId = reserve(2);
    // Act
    const booked = order({ reservationId, channel: 'web' });
    // Assess
    expect(booked).toMatchObject({
      number: 'SO-000001',
      externalRef: 'shop-1',
      status: 'ACCEPTED',
      subtotal: '20.10',
      tax: '1.61',
      total: '21.71',
      reservationId,
      channel: 'web',
      version: 1,
    });
    const item = erp.stock.item('USD-A');
    expect([item.stock_on_hand, item.reserved]).toEqual([8, 0]);
  });

  it('rejects a second order for the same external reference with 409 and books nothing', () => {
    // Prepare
    order();
    // Act
    const error = thrownBy(() => order({ lines: [{ sku: 'USD-B', quantity: 1 }] }));
    // Assess
    expect(error).toMatchObject({ code: 'duplicate_order', status: 409 });
    expect(erp.count('sales_orders')).toBe(1);
  });

  it('rejects an order of a blocked customer with 409', () => {
    // Act
    const error = thrownBy(() => order({ customerNumber: 'C-000003' }));
    // Assess
    expect(error).toMatchObject({ code: 'customer_blocked', status: 409 });
    expect(erp.count('sales_orders')).toBe(0);
  });

  it('rejects an order on a reservation no longer active and keeps the reservation released', () => {
    // Prepare
    const reservationId = reserve(1);
    erp.books.transaction(() => erp.stock.release(reservationId, 'shop'));
    // Act
    const error = thrownBy(() => order({ reservationId }));
    // Assess
    expect(error).toMatchObject({ code: 'reservation_not_active', status: 409 });
    expect(erp.count('sales_orders')).toBe(0);
    expect(erp.stock.item('USD-A').stock_on_hand).toBe(10);
  });

  it('finds an order by external reference, and fails with NotFoundError for none', () => {
    // Prepare
    order();
    // Act
    const found = erp.orders.byExternalRef('shop-1');
    const missing = thrownBy(() => erp.orders.byExternalRef('shop-2'));
    // Assess
    expect(found.number).toBe('SO-000001');
    expect(missing).toBeInstanceOf(NotFoundError);
  });

  it('reprices amended lines and counts the change in the version', () => {
    // Prepare
    const { number } = order();
    // Act
    const amended = erp.books.transaction(() =>
      erp.orders.amend(number, { lines: [{ sku: 'USD-B', quantity: 1 }] }, 'shop'),
    );
    // Assess
    expect(amended).toMatchObject({ subtotal: '2.50', tax: '0.48', total: '2.98', version: 2 });
  });

  it('returns the reserved goods of a cancelled order to the shelf, once', () => {
    // Prepare
    const { number } = order({ reservationId: reserve(2) });
    // Act
    const cancelled = erp.books.transaction(() => erp.orders.cancel(number, { reason: 'customer' }, 'shop'));
    const again = erp.books.transaction(() => erp.orders.cancel(number, {}, 'shop'));
    // Assess
    expect(cancelled).toMatchObject({ status: 'CANCELLED', version: 2 });
    expect(again.version).toBe(2);
    expect(erp.stock.item('USD-A').stock_on_hand).toBe(10);
  });

  it('cancels an order booked without a reservation without touching stock', () => {
    // Prepare
    const { number } = order();
    // Act
    erp.books.transaction(() => erp.orders.cancel(number, {}, 'shop'));
    // Assess
    expect(erp.stock.item('USD-A').stock_on_hand).toBe(10);
  });

  it('rejects cancelling or amending an invoiced order with 409', () => {
    // Prepare
    const { number } = order();
    erp.books.transaction(() => erp.invoices.post(number, 'finance'));
    // Act
    const cancel = thrownBy(() => erp.orders.cancel(number, {}, 'shop'));
    const amend = thrownBy(() =>
      erp.orders.amend(number, { lines: [{ sku: 'USD-A', quantity: 1 }] }, 'shop'),
    );
    // Assess
    expect(cancel).toMatchObject({ code: 'not_cancellable', status: 409 });
    expect(amend).toMatchObject({ code: 'not_amendable', status: 409 });
  });

  it('announces a credit-hold release in the outbox with the new version and the channel', () => {
    // Prepare
    const { number } = order({ creditHold: true, channel: 'b2b' });
    // Act
    const released = erp.books.transaction(() => erp.orders.releaseCreditHold(number, 'finance'));
    // Assess
    expect(released).toMatchObject({ status: 'ACCEPTED', version: 2 });
    expect(erp.books.outbox()).toEqual([
      expect.objectContaining({
        type: 'order.credit-released',
        payload: {
          orderNumber: number,
          externalRef: 'shop-1',
          customerNumber: 'C-000001',
          releasedBy: 'finance',
          version: 2,
          channel: 'b2b',
        },
      }),
    ]);
  });

  it('rejects releasing a cancelled order from credit hold with 409', () => {
    // Prepare
    const { number } = order({ creditHold: true });
    erp.books.transaction(() => erp.orders.cancel(number, {}, 'shop'));
    // Act
    const error = thrownBy(() => erp.orders.releaseCreditHold(number, 'finance'));
    // Assess
    expect(error).toMatchObject({ code: 'not_on_hold', status: 409 });
    expect(erp.books.outbox()).toEqual([]);
  });

  it('corrects a total by hand without announcing it, leaving only an audit record', () => {
    // Prepare
    const { number } = order();
    // Act
    const adjusted = erp.books.transaction(() => erp.orders.adjustTotal(number, '19.9', 'finance'));
    // Assess
    expect(adjusted).toMatchObject({ total: '19.90', version: 2 });
    expect(erp.books.outbox()).toEqual([]);
    expect(erp.books.auditTrail(1)[0]).toMatchObject({
      action: 'adjust-total',
      detail: { from: '21.71', to: '19.9' },
    });
  });

  it('counts only accepted orders as open exposure', () => {
    // Prepare
    order({ externalRef: 'accepted' });
    order({ externalRef: 'held', creditHold: true });
    const { number: cancelled } = order({ externalRef: 'cancelled' });
    erp.books.transaction(() => erp.orders.cancel(cancelled, {}, 'shop'));
    const { number: invoiced } = order({ externalRef: 'invoiced' });
    erp.books.transaction(() => erp.invoices.post(invoiced, 'finance'));
    // Act
    const open = erp.orders.openTotal('C-000001');
    // Assess
    expect(formatDecimal(open)).toBe('21.71');
  });
});
