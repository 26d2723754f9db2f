import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { staticErpCredentials } from '../../../functions/shared/erp/erp-credentials';
import { HttpErpPurchasingConnector } from '../../../functions/shared/erp/http-erp-purchasing-connector';
import { HttpErpVendorConnector } from '../../../functions/shared/erp/http-erp-vendor-connector';
import { type ErpSandbox, startErpSandbox } from '../../../local/erp-sandbox/erp-sandbox-server';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('ERP purchase-order listing by change window (what a reconciliation reads)', () => {
  let erp: ErpSandbox;
  let dir: string;
  let purchasing: HttpErpPurchasingConnector;
  let between: { fromIso: string; toIso: string };
  let keys = 0;
  const key = () => `po-listing-test-${++keys}`;
  const order = (sourcePurchaseOrderId: string) => ({
    sourcePurchaseOrderId,
    sourceSupplierId: 'sup-1',
    costCentre: 'CC-1000',
    currency: 'EUR',
    lines: [{ description: 'Chair', quantity: 2, unitPrice: '50.00' }],
  });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'concord-po-listing-'));
    erp = await startErpSandbox({ dataDir: dir, port: 0 });
    const connection = {
      baseUrl: erp.url,
      credentials: staticErpCredentials(erp.credentials.apiKeys[0] as string),
    };
    purchasing = new HttpErpPurchasingConnector(connection);
    await new HttpErpVendorConnector(connection).createVendor(
      { sourceSupplierId: 'sup-1', fields: { legalName: 'Nordlicht GmbH' } },
      key(),
    );
    // Before the window: two released orders. In it: a goods receipt against the first, and a third order.
    const received = await purchasing.createPurchaseOrder(order('po-received'), key());
    await purchasing.releasePurchaseOrder(received.poNumber, key());
    const quiet = await purchasing.createPurchaseOrder(order('po-quiet'), key());
    await purchasing.releasePurchaseOrder(quiet.poNumber, key());
    await sleep(5);
    const from = new Date().toISOString();
    await sleep(5);
    const response = await fetch(`${erp.url}/_admin/purchase-orders/${received.poNumber}/goods-receipts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${erp.credentials.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ lines: [{ lineNo: 1, quantity: 2 }] }),
    });
    if (!response.ok) throw new Error(`the goods receipt was refused: ${response.status}`);
    await purchasing.createPurchaseOrder(order('po-late'), key());
    await sleep(5);
    between = { fromIso: from, toIso: new Date().toISOString() };
  });

  afterAll(async () => {
    await erp.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the orders changed in the window, a goods receipt changing its order, and not the others', async () => {
    // Act
    const changed = await purchasing.listPurchaseOrders(between);
    const all = await purchasing.listPurchaseOrders();

    // Assess
    expect(changed.map((po) => `${po.sourcePurchaseOrderId} ${po.matchStatus}`).sort()).toEqual([
      'po-late awaiting-receipt',
      'po-received awaiting-invoice',
    ]);
    expect(all.map((po) => po.sourcePurchaseOrderId).sort()).toEqual(['po-late', 'po-quiet', 'po-received']);
  });

  it('rejects a window whose start is not before its end', async () => {
    // Act
    const listing = purchasing.listPurchaseOrders({ fromIso: between.toIso, toIso: between.fromIso });

    // Assess
    await expect(listing).rejects.toThrow(/updatedFrom must be before updatedTo/);
  });
});
