import { readMasterErpFacts } from '../../../functions/reconcile/master-sources';
import {
  purchaseOrderErpKind,
  purchaseOrderSaasKind,
} from '../../../functions/reconcile/purchase-order-sources';
import type { PurchaseOrder } from '../../../functions/shared/erp/erp-purchasing-port';

const order = (fields: Partial<PurchaseOrder>): PurchaseOrder => ({
  poNumber: 'PO-000001',
  sourcePurchaseOrderId: 'po-1',
  vendorNumber: 'V-1',
  sourceSupplierId: 'sup-1',
  costCentre: 'CC-1000',
  currency: 'EUR',
  total: '120.0000',
  status: 'RELEASED',
  matchStatus: 'matched',
  receivedQuantity: 1,
  invoicedAmount: '120.00',
  lines: [],
  version: 4,
  createdAt: '2026-11-27T10:00:00.000Z',
  updatedAt: '2026-11-27T10:05:00.000Z',
  ...fields,
});
const range = { from: new Date('2026-11-26T00:00:00Z'), to: new Date('2026-11-29T00:00:00Z') };

describe('purchaseOrderErpKind', () => {
  it('reads an order as its status, total in one form, currency and match, and sets aside one it cannot read', async () => {
    // Prepare
    const kind = purchaseOrderErpKind({
      listPurchaseOrders: async () => [
        order({}),
        order({ poNumber: 'PO-000002', sourcePurchaseOrderId: 'po-2', total: 'lots' }),
      ],
      findPurchaseOrder: async () => undefined,
    });

    // Act
    const read = await readMasterErpFacts(kind, range, []);

    // Assess
    expect(read.facts).toEqual([
      {
        entity: 'purchase-order',
        key: 'po-1',
        number: 'PO-000001',
        version: 4,
        status: 'RELEASED',
        fields: { status: 'RELEASED', total: '120.00', currency: 'EUR', matchStatus: 'matched' },
        updatedAt: '2026-11-27T10:05:00.000Z',
      },
    ]);
    expect(read.unreadable).toEqual([
      expect.objectContaining({
        side: 'erp',
        entity: 'purchase-order',
        key: 'po-2',
        erpDocument: 'PO-000002',
        reason: 'its total "lots" is not a decimal amount',
      }),
    ]);
  });

  it('rejects an order without its platform id as unreadable, naming the missing field', async () => {
    // Prepare
    const kind = purchaseOrderErpKind({
      listPurchaseOrders: async () => [order({ sourcePurchaseOrderId: '' })],
      findPurchaseOrder: async () => undefined,
    });

    // Act
    const read = await readMasterErpFacts(kind, range, []);

    // Assess
    expect(read.facts).toEqual([]);
    expect(read.unreadable[0]?.reason).toBe('it has no sourcePurchaseOrderId');
  });
});

describe('purchaseOrderSaasKind', () => {
  it('states the currency and the total in one form', () => {
    // Act
    const values = purchaseOrderSaasKind.valuesOf({ currency: 'EUR', total: '99.5' }, 'created');

    // Assess
    expect(values).toEqual({ currency: 'EUR', total: '99.50' });
  });

  it('rejects an approval whose currency is not ISO 4217', () => {
    // Act
    const read = () => purchaseOrderSaasKind.valuesOf({ currency: 'euro', total: '1.00' }, 'created');

    // Assess
    expect(read).toThrow('its currency "euro" is not ISO 4217');
  });
});
