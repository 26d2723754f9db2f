import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseDecimal } from '../../functions/shared/decimal';
import { NotFoundError } from '../../local/erp-sandbox/erp-errors';
import { CustomerAccounts } from '../../local/erp-sandbox/ledger/customer-accounts';
import { LedgerDatabase } from '../../local/erp-sandbox/ledger/ledger-database';
import { testCustomers, thrownBy } from './erp-ledger-books';

describe('CustomerAccounts', () => {
  let dir: string;
  let books: LedgerDatabase;
  let customers: CustomerAccounts;
  // The open exposure orders and invoices would report: a stand-in the tests set.
  let exposure: Record<string, string>;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'concord-customer-accounts-'));
    books = new LedgerDatabase(dir);
    exposure = {};
    customers = new CustomerAccounts(books, (customerNumber) =>
      parseDecimal(exposure[customerNumber] ?? '0'),
    );
    books.transaction(() => customers.seed(testCustomers));
  });

  afterEach(() => {
    books.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('approves an amount within the limit less the open exposure', () => {
    // Prepare
    exposure['C-000001'] = '300.00';
    // Act
    const decision = customers.checkCredit({ customerNumber: 'C-000001', amount: '700.00', currency: 'USD' });
    // Assess
    expect(decision).toEqual({ customerNumber: 'C-000001', availableCredit: '700.00', decision: 'approved' });
  });

  it('holds an amount beyond the credit left', () => {
    // Prepare
    exposure['C-000001'] = '300.00';
    // Act
    const decision = customers.checkCredit({ customerNumber: 'C-000001', amount: '700.01', currency: 'USD' });
    // Assess
    expect(decision).toEqual({
      customerNumber: 'C-000001',
      availableCredit: '700.00',
      decision: 'hold',
      reason: 'credit limit exceeded',
    });
  });

  it('holds an account on credit hold and rejects a blocked one, whatever the amount', () => {
    // Prepare
    const request = { amount: '1.00', currency: 'USD' };
    // Act
    const held = customers.checkCredit({ ...request, customerNumber: 'C-000002' });
    const blocked = customers.checkCredit({ ...request, customerNumber: 'C-000003' });
    // Assess
    expect(held).toMatchObject({ decision: 'hold', reason: 'account on credit hold' });
    expect(blocked).toMatchObject({ decision: 'rejected', reason: 'account blocked' });
  });

  it('rejects a check in another currency and an unknown customer with 422', () => {
    // Act
    const currency = thrownBy(() =>
      customers.checkCredit({ customerNumber: 'C-000004', amount: '1.00', currency: 'USD' }),
    );
    const unknown = thrownBy(() =>
      customers.checkCredit({ customerNumber: 'C-999999', amount: '1.00', currency: 'USD' }),
    );
    // Assess
    expect(currency).toMatchObject({ name: 'RefusalError', code: 'currency_mismatch', status: 422 });
    expect(unknown).toMatchObject({ name: 'RefusalError', code: 'unknown_customer', status: 422 });
  });

  it('opens a new CRM account with a small limit and standard terms, numbered after the seeded ones', () => {
    // Act
    const created = books.transaction(() =>
      customers.upsert({ crmId: 'crm-9', fields: { name: 'Initech', email: 'AP@Initech.example' } }, 'crm'),
    );
    // Assess
    expect(created).toEqual({
      customerNumber: 'C-000005',
      crmId: 'crm-9',
      name: 'Initech',
      email: 'AP@Initech.example',
      creditLimit: '1000.00',
      paymentTerms: 'NET30',
      creditHold: false,
      currency: 'USD',
    });
    expect(books.auditTrail(1)[0]).toMatchObject({ action: 'create', entity_id: 'C-000005' });
  });

  it('updates only the fields given of the account a CRM id belongs to', () => {
    // Act
    const updated = books.transaction(() =>
      customers.upsert({ crmId: 'crm-1', fields: { phone: '+1 555' } }, 'crm'),
    );
    // Assess
    expect(updated).toMatchObject({
      customerNumber: 'C-000001',
      name: 'Healthy',
      email: 'ap@healthy.example',
      phone: '+1 555',
    });
  });

  it('finds an account by e-mail whatever its case, and fails with NotFoundError for none', () => {
    // Act
    const found = customers.find({ email: 'AP@HEALTHY.example' });
    const missing = thrownBy(() => customers.find({ crmId: 'crm-none' }));
    // Assess
    expect(found.customerNumber).toBe('C-000001');
    expect(missing).toBeInstanceOf(NotFoundError);
  });

  it('sets a credit limit as a two-decimal amount', () => {
    // Act
    const view = books.transaction(() => customers.setCreditLimit('C-000001', '2500.5', 'finance'));
    // Assess
    expect(view.creditLimit).toBe('2500.50');
  });

  it('rejects a credit limit that is not a decimal string and changes nothing', () => {
    // Act
    const error = thrownBy(() =>
      books.transaction(() => customers.setCreditLimit('C-000001', 2500, 'finance')),
    );
    // Assess
    expect(error).toMatchObject({ code: 'invalid_credit_limit', status: 422 });
    expect(customers.row('C-000001').credit_limit).toBe('1000.00');
    expect(books.auditTrail()).toEqual([]);
  });
});
