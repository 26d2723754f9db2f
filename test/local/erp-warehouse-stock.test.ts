import { NotFoundError } from '../../local/erp-sandbox/erp-errors';
import { openTestBooks, type TestBooks, thrownBy } from './erp-ledger-books';

describe('WarehouseStock', () => {
  let erp: TestBooks;

  beforeEach(() => {
    erp = openTestBooks();
  });

  afterEach(() => erp.close());

  const level = (sku: string) => {
    const item = erp.stock.item(sku);
    return { onHand: item.stock_on_hand, reserved: item.reserved };
  };

  it('prices lines at list price with tax per line rounded half up to cents', () => {
    // Act
    const priced = erp.stock.price('USD', [
      { sku: 'USD-A', quantity: 3 },
      { sku: 'USD-B', quantity: 1 },
    ]);
    // Assess
    expect(priced).toEqual({
      lines: [
        {
          sku: 'USD-A',
          quantity: 3,
          unitPrice: '10.05',
          taxRate: '0.08',
          lineTotal: '30.15',
          tax: '2.41',
          available: 10,
        },
        {
          sku: 'USD-B',
          quantity: 1,
          unitPrice: '2.50',
          taxRate: '0.19',
          lineTotal: '2.50',
          tax: '0.48',
          available: 3,
        },
      ],
      subtotal: '32.65',
      tax: '2.89',
      total: '35.54',
    });
  });

  it.each([
    ['no lines', [], 'no_lines'],
    ['a fractional quantity', [{ sku: 'USD-A', quantity: 1.5 }], 'invalid_quantity'],
    ['a zero quantity', [{ sku: 'USD-A', quantity: 0 }], 'invalid_quantity'],
    ['an unknown item', [{ sku: 'NOPE', quantity: 1 }], 'unknown_sku'],
    ['an item priced in another currency', [{ sku: 'EUR-C', quantity: 1 }], 'currency_mismatch'],
  ])('rejects pricing %s with 422', (_case, lines, code) => {
    // Act
    const error = thrownBy(() => erp.stock.price('USD', lines));
    // Assess
    expect(error).toMatchObject({ name: 'RefusalError', code, status: 422 });
  });

  it('reserves stock for every line, taking it from what is available', () => {
    // Act
    const reservation = erp.books.transaction(() =>
      erp.stock.reserve({ orderRef: 'shop-1', lines: [{ sku: 'USD-A', quantity: 4 }] }, 'shop'),
    );
    // Assess
    expect(reservation).toEqual({
      reservationId: 'RES-000001',
      orderRef: 'shop-1',
      status: 'ACTIVE',
      lines: [{ sku: 'USD-A', quantity: 4 }],
    });
    expect(level('USD-A')).toEqual({ onHand: 10, reserved: 4 });
    expect(erp.stock.price('USD', [{ sku: 'USD-A', quantity: 1 }]).lines[0]?.available).toBe(6);
  });

  it('rejects a reservation with a short line whole, with 409, and changes nothing', () => {
    // Act
    const error = thrownBy(() =>
      erp.books.transaction(() =>
        erp.stock.reserve(
          {
            orderRef: 'shop-1',
            lines: [
              { sku: 'USD-A', quantity: 2 },
              { sku: 'USD-B', quantity: 4 },
            ],
          },
          'shop',
        ),
      ),
    );
    // Assess
    expect(error).toMatchObject({
      code: 'out_of_stock',
      status: 409,
      message: 'Only 3 of USD-B available, 4 requested',
    });
    expect(level('USD-A')).toEqual({ onHand: 10, reserved: 0 });
    expect(erp.count('reservations')).toBe(0);
  });

  it('frees a released reservation once, however often it is released', () => {
    // Prepare
    const { reservationId } = erp.books.transaction(() =>
      erp.stock.reserve({ orderRef: 'shop-1', lines: [{ sku: 'USD-B', quantity: 2 }] }, 'shop'),
    );
    // Act
    const first = erp.books.transaction(() => erp.stock.release(reservationId, 'shop'));
    const again = erp.books.transaction(() => erp.stock.release(reservationId, 'shop'));
    // Assess
    expect(first.status).toBe('RELEASED');
    expect(again.status).toBe('RELEASED');
    expect(level('USD-B')).toEqual({ onHand: 3, reserved: 0 });
    expect(erp.books.auditTrail().filter((entry) => entry.action === 'release')).toHaveLength(1);
  });

  it('fails with NotFoundError to release an unknown reservation', () => {
    // Act
    const error = thrownBy(() => erp.stock.release('RES-424242', 'shop'));
    // Assess
    expect(error).toBeInstanceOf(NotFoundError);
  });

  it('ships consumed reservations out of the warehouse and rejects consuming one twice', () => {
    // Prepare
    const { reservationId } = erp.books.transaction(() =>
      erp.stock.reserve({ orderRef: 'shop-1', lines: [{ sku: 'USD-A', quantity: 3 }] }, 'shop'),
    );
    // Act
    erp.books.transaction(() => erp.stock.consumeReservation(reservationId));
    const twice = thrownBy(() => erp.books.transaction(() => erp.stock.consumeReservation(reservationId)));
    // Assess
    expect(level('USD-A')).toEqual({ onHand: 7, reserved: 0 });
    expect(twice).toMatchObject({ code: 'reservation_not_active', status: 409 });
  });

  it('books a goods receipt and rejects a quantity that is not a positive integer', () => {
    // Act
    const received = erp.books.transaction(() => erp.stock.receiveStock('USD-B', 7, 'warehouse'));
    const refused = thrownBy(() =>
      erp.books.transaction(() => erp.stock.receiveStock('USD-B', '7', 'warehouse')),
    );
    // Assess
    expect(received).toEqual({ sku: 'USD-B', stockOnHand: 10, reserved: 0 });
    expect(refused).toMatchObject({ code: 'invalid_quantity', status: 422 });
    expect(level('USD-B')).toEqual({ onHand: 10, reserved: 0 });
  });
});
