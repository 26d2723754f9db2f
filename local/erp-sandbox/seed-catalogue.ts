/** The sandbox's starting books: customers in different credit situations and items with stock, prices and tax. */

/** A customer the sandbox starts with. */
export interface SeedCustomer {
  customerNumber: string;
  crmId?: string;
  name: string;
  email?: string;
  creditLimit: string;
  paymentTerms: string;
  currency: string;
  creditHold?: boolean;
  blocked?: boolean;
}

/** An item the sandbox starts with, in its one list-price currency. */
export interface SeedItem {
  sku: string;
  title: string;
  unitPrice: string;
  currency: string;
  taxRate: string;
  stockOnHand: number;
}

/** Customers: a healthy account, one near its limit, one on credit hold, one blocked, one in another currency. */
export const seedCatalogue: { customers: readonly SeedCustomer[]; items: readonly SeedItem[] } = {
  customers: [
    {
      customerNumber: 'C-000001',
      crmId: '98134501',
      name: 'Jane Doe',
      email: 'jane.doe@example.com',
      creditLimit: '10000.00',
      paymentTerms: 'NET30',
      currency: 'USD',
    },
    {
      customerNumber: 'C-000002',
      crmId: '98134502',
      name: 'Globex Corporation',
      email: 'ap@globex.example',
      creditLimit: '250.00',
      paymentTerms: 'NET15',
      currency: 'USD',
    },
    {
      customerNumber: 'C-000003',
      crmId: '98134503',
      name: 'Initech LLC',
      email: 'billing@initech.example',
      creditLimit: '50000.00',
      paymentTerms: 'NET60',
      currency: 'USD',
      creditHold: true,
    },
    {
      customerNumber: 'C-000004',
      name: 'Blocked Trading Co',
      creditLimit: '0.00',
      paymentTerms: 'PREPAID',
      currency: 'USD',
      blocked: true,
    },
    {
      customerNumber: 'C-000005',
      crmId: '98134505',
      name: 'Acme GmbH',
      email: 'einkauf@acme.example',
      creditLimit: '20000.00',
      paymentTerms: 'NET30',
      currency: 'EUR',
    },
  ],
  items: [
    {
      sku: 'TR-42-SLATE',
      title: 'Trail Runner 42 Slate',
      unitPrice: '89.99',
      currency: 'USD',
      taxRate: '0.08',
      stockOnHand: 500,
    },
    {
      sku: 'SOCK-MER-M',
      title: 'Merino Socks M',
      unitPrice: '39.99',
      currency: 'USD',
      taxRate: '0.08',
      stockOnHand: 1000,
    },
    {
      sku: 'JKT-RAIN-L',
      title: 'Rain Shell L',
      unitPrice: '219.00',
      currency: 'USD',
      taxRate: '0.08',
      stockOnHand: 120,
    },
    {
      sku: 'BTL-STEEL-1L',
      title: 'Steel Bottle 1 L',
      unitPrice: '24.50',
      currency: 'USD',
      taxRate: '0.08',
      stockOnHand: 800,
    },
    {
      sku: 'CAP-WOOL-OS',
      title: 'Wool Cap',
      unitPrice: '19.95',
      currency: 'USD',
      taxRate: '0.08',
      stockOnHand: 300,
    },
    {
      sku: 'TENT-2P',
      title: 'Two-person Tent',
      unitPrice: '349.00',
      currency: 'USD',
      taxRate: '0.08',
      stockOnHand: 2,
    },
    {
      sku: 'TR-42-SLATE-EU',
      title: 'Trail Runner 42 Slate (EU)',
      unitPrice: '84.00',
      currency: 'EUR',
      taxRate: '0.19',
      stockOnHand: 200,
    },
  ],
};
