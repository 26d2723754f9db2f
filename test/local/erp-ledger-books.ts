/** Test fixture: the ERP sandbox ledger's aggregate modules wired over a fresh database in a temporary directory. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CustomerAccounts } from '../../local/erp-sandbox/ledger/customer-accounts';
import { Invoices } from '../../local/erp-sandbox/ledger/invoices';
import { LedgerDatabase } from '../../local/erp-sandbox/ledger/ledger-database';
import { Payments } from '../../local/erp-sandbox/ledger/payments';
import { SalesOrders } from '../../local/erp-sandbox/ledger/sales-orders';
import { WarehouseStock } from '../../local/erp-sandbox/ledger/warehouse-stock';

/** The aggregates over one database, seeded with the customers and items below; `close` removes the directory. */
export interface TestBooks {
  dir: string;
  books: LedgerDatabase;
  customers: CustomerAccounts;
  stock: WarehouseStock;
  orders: SalesOrders;
  invoices: Invoices;
  payments: Payments;
  /** Counts the rows of a table (to show that a refusal changed nothing). */
  count(table: string): number;
  close(): void;
}

/** A healthy USD account (limit 1000, NET30), one on credit hold, one blocked, and a EUR account (NET0). */
export const testCustomers = [
  {
    customerNumber: 'C-000001',
    crmId: 'crm-1',
    name: 'Healthy',
    email: 'ap@healthy.example',
    creditLimit: '1000.00',
    paymentTerms: 'NET30',
    currency: 'USD',
  },
  {
    customerNumber: 'C-000002',
    name: 'On hold',
    creditLimit: '1000.00',
    paymentTerms: 'NET30',
    currency: 'USD',
    creditHold: true,
  },
  {
    customerNumber: 'C-000003',
    name: 'Blocked',
    creditLimit: '1000.00',
    paymentTerms: 'NET30',
    currency: 'USD',
    blocked: true,
  },
  { customerNumber: 'C-000004', name: 'Euro', creditLimit: '500.00', paymentTerms: 'NET0', currency: 'EUR' },
];

/** Two USD items (8% and 19% tax) with 10 and 3 in stock, and a EUR item. */
export const testItems = [
  { sku: 'USD-A', title: 'A', unitPrice: '10.05', currency: 'USD', taxRate: '0.08', stockOnHand: 10 },
  { sku: 'USD-B', title: 'B', unitPrice: '2.50', currency: 'USD', taxRate: '0.19', stockOnHand: 3 },
  { sku: 'EUR-C', title: 'C', unitPrice: '7.00', currency: 'EUR', taxRate: '0.19', stockOnHand: 5 },
];

/** Opens the aggregates as the ErpLedger facade wires them, over a new data directory. */
export function openTestBooks(): TestBooks {
  const dir = mkdtempSync(path.join(tmpdir(), 'concord-erp-ledger-'));
  const books = new LedgerDatabase(dir);
  const wired: Partial<TestBooks> = {};
  const customers = new CustomerAccounts(
    books,
    (customerNumber) =>
      (wired.orders as SalesOrders).openTotal(customerNumber) +
      (wired.invoices as Invoices).openBalance(customerNumber),
  );
  const stock = new WarehouseStock(books);
  const orders = new SalesOrders(books, customers, stock);
  const invoices = new Invoices(books, orders, customers);
  const payments = new Payments(books, invoices);
  Object.assign(wired, { orders, invoices });
  books.transaction(() => {
    customers.seed(testCustomers);
    stock.seed(testItems);
  });
  return {
    dir,
    books,
    customers,
    stock,
    orders,
    invoices,
    payments,
    count: (table) => (books.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n,
    close() {
      books.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** What `act` threw (undefined when it returned): lets a test assert a refusal's code and status. */
export function thrownBy(act: () => unknown): unknown {
  try {
    act();
  } catch (error) {
    return error;
  }
  return undefined;
}
