import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ErpLedger } from '../../local/erp-sandbox/erp-ledger';
import { IdempotencyKeys } from '../../local/erp-sandbox/ledger/idempotency-keys';
import { LedgerDatabase } from '../../local/erp-sandbox/ledger/ledger-database';
import { seedCatalogue } from '../../local/erp-sandbox/seed-catalogue';
import { thrownBy } from './erp-ledger-books';

describe('LedgerDatabase', () => {
  let dir: string;
  let books: LedgerDatabase;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'concord-ledger-database-'));
    books = new LedgerDatabase(dir);
  });

  afterEach(() => {
    books.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('numbers documents per counter, six digits from 000001', () => {
    // Prepare
    const numbers: string[] = [];
    // Act
    books.transaction(() => {
      numbers.push(books.next('invoice', 'INV'), books.next('invoice', 'INV'), books.next('payment', 'PAY'));
    });
    // Assess
    expect(numbers).toEqual(['INV-000001', 'INV-000002', 'PAY-000001']);
  });

  it('continues a counter started at a value', () => {
    // Prepare
    books.transaction(() => books.startCounter('customer', 4));
    // Act
    const number = books.transaction(() => books.next('customer', 'C'));
    // Assess
    expect(number).toBe('C-000005');
  });

  it('rolls back the audit, outbox and counters of a transaction that throws', () => {
    // Prepare
    const failure = new RangeError('refused midway');
    // Act
    const error = thrownBy(() =>
      books.transaction(() => {
        books.next('invoice', 'INV');
        books.audit('tester', 'post', 'invoice', 'INV-000001', {});
        books.emit('invoice.posted', { number: 'INV-000001' });
        throw failure;
      }),
    );
    // Assess
    expect(error).toBe(failure);
    expect(books.auditTrail()).toEqual([]);
    expect(books.outbox()).toEqual([]);
    expect(books.transaction(() => books.next('invoice', 'INV'))).toBe('INV-000001');
  });

  it('pages the outbox after a sequence number, oldest first and 500 at most, with payloads parsed', () => {
    // Prepare
    books.transaction(() => {
      for (let n = 1; n <= 501; n++) books.emit('stock.changed', { n });
    });
    // Act
    const first = books.outbox();
    const rest = books.outbox(500);
    // Assess
    expect(first).toHaveLength(500);
    expect(first[0]).toMatchObject({ seq: 1, type: 'stock.changed', payload: { n: 1 } });
    expect(rest).toEqual([expect.objectContaining({ seq: 501, payload: { n: 501 } })]);
  });

  it('reads the audit trail newest first, limited, with its detail parsed', () => {
    // Prepare
    books.transaction(() => {
      books.audit('finance', 'set-credit-limit', 'customer', 'C-000001', { creditLimit: '5.00' });
      books.audit('warehouse', 'receive-stock', 'item', 'SKU-1', { quantity: 2 });
    });
    // Act
    const trail = books.auditTrail(1);
    // Assess
    expect(trail).toEqual([
      expect.objectContaining({
        actor: 'warehouse',
        action: 'receive-stock',
        entity: 'item',
        entity_id: 'SKU-1',
        detail: { quantity: 2 },
      }),
    ]);
  });
});

describe('IdempotencyKeys', () => {
  let dir: string;
  let books: LedgerDatabase;
  let keys: IdempotencyKeys;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'concord-idempotency-keys-'));
    books = new LedgerDatabase(dir);
    keys = new IdempotencyKeys(books);
  });

  afterEach(() => {
    books.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives back the answer recorded under a key, byte for byte', () => {
    // Prepare
    const body = '{"number":"SO-000001","total":"21.71"}';
    // Act
    books.transaction(() => keys.record('key-1', 'hash-1', 201, body));
    const committed = keys.find('key-1');
    // Assess
    expect(committed).toEqual({ requestHash: 'hash-1', status: 201, body, committedAt: expect.any(String) });
    expect(keys.find('key-2')).toBeUndefined();
  });

  it('keeps no answer of a change whose transaction failed', () => {
    // Act
    thrownBy(() =>
      books.transaction(() => {
        keys.record('key-1', 'hash-1', 201, '{}');
        throw new RangeError('the change failed after its answer was recorded');
      }),
    );
    // Assess
    expect(keys.find('key-1')).toBeUndefined();
  });
});

describe('ErpLedger', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'concord-erp-ledger-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('seeds a new data directory once and numbers new accounts after the seeded ones', () => {
    // Prepare
    const first = new ErpLedger(dir);
    first.close();
    // Act
    const reopened = new ErpLedger(dir);
    const created = reopened.transaction(() =>
      reopened.upsertCustomer({ crmId: 'crm-new', fields: { name: 'New account' } }, 'crm'),
    );
    const customers = reopened.db.prepare('SELECT COUNT(*) AS n FROM customers').get() as { n: number };
    const items = reopened.db.prepare('SELECT COUNT(*) AS n FROM items').get() as { n: number };
    reopened.close();
    // Assess
    expect(customers.n).toBe(seedCatalogue.customers.length + 1);
    expect(items.n).toBe(seedCatalogue.items.length);
    expect(created.customerNumber).toBe(`C-${String(seedCatalogue.customers.length + 1).padStart(6, '0')}`);
  });

  it('lists orders, invoices and payments of one external reference, orders first', () => {
    // Prepare
    const ledger = new ErpLedger(dir);
    const [customer] = seedCatalogue.customers.filter(
      (c) => c.currency === 'USD' && !c.blocked && !c.creditHold,
    );
    const [item] = seedCatalogue.items.filter((i) => i.currency === 'USD');
    ledger.transaction(() => {
      for (const ref of ['order-1', 'order-2']) {
        const order = ledger.createOrder(
          {
            externalRef: ref,
            customerNumber: customer?.customerNumber ?? '',
            currency: 'USD',
            lines: [{ sku: item?.sku ?? '', quantity: 1 }],
          },
          'shop',
        );
        ledger.postInvoice(order.number, 'finance');
      }
      ledger.applyPayment(
        { externalRef: 'order-1', orderExternalRef: 'order-1', amount: '1.00', currency: 'USD' },
        'psp',
      );
    });
    // Act
    const all = ledger.documents({ externalRef: 'order-1' });
    const invoices = ledger.documents({ type: 'invoice' });
    const none = ledger.documents({ from: '2000-01-01', to: '2000-01-02' });
    ledger.close();
    // Assess
    expect(all.map((document) => [document.type, document.number, document.status])).toEqual([
      ['sales-order', 'SO-000001', 'INVOICED'],
      ['invoice', 'INV-000001', 'PARTIALLY_PAID'],
      ['payment', 'PAY-000001', 'APPLIED'],
    ]);
    expect(invoices.map((document) => document.externalRef).sort()).toEqual(['order-1', 'order-2']);
    expect(none).toEqual([]);
  });
});
