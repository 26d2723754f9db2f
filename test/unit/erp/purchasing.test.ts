import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type OutboxEntry, toCanonicalEvent } from '../../../functions/erp-outbox-relay/relay';
import { staticErpCredentials } from '../../../functions/shared/erp/erp-credentials';
import type { PurchaseOrderRequest } from '../../../functions/shared/erp/erp-purchasing-port';
import { HttpErpPurchasingConnector } from '../../../functions/shared/erp/http-erp-purchasing-connector';
import { HttpErpVendorConnector } from '../../../functions/shared/erp/http-erp-vendor-connector';
import { validateCanonicalEvent } from '../../../functions/shared/events/envelope';
import { staticPlatformCredentials } from '../../../functions/shared/secrets/platform-credentials';
import { purchaseOrderStatusWrite } from '../../../functions/write-back/purchase-orders/purchase-order-status';
import { SpendeskPurchaseOrderClient } from '../../../functions/write-back/purchase-orders/spendesk-purchase-order-client';
import { type ErpSandbox, startErpSandbox } from '../../../local/erp-sandbox/erp-sandbox-server';

/** The contract a real purchasing connector would run: the ERP sandbox over HTTP, as the adapter reaches it. */
describe('ERP purchasing (sandbox purchasing.ts through HttpErpPurchasingConnector)', () => {
  let erp: ErpSandbox;
  let dir: string;
  let purchasing: HttpErpPurchasingConnector;
  let vendors: HttpErpVendorConnector;
  let keys = 0;

  const key = () => {
    keys += 1;
    return `test:${keys}`;
  };

  async function admin(method: string, route: string, body: unknown) {
    const response = await fetch(`${erp.url}${route}`, {
      method,
      headers: { authorization: `Bearer ${erp.credentials.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  function request(id: string, overrides: Partial<PurchaseOrderRequest> = {}): PurchaseOrderRequest {
    return {
      sourcePurchaseOrderId: id,
      sourceSupplierId: 'sup-1',
      costCentre: 'CC-1000',
      currency: 'EUR',
      lines: [
        { description: 'Chair', quantity: 4, unitPrice: '250.00' },
        { description: 'Desk', quantity: 2, unitPrice: '400.00' },
      ],
      channel: 'spendesk://acme',
      ...overrides,
    };
  }

  async function released(id: string, overrides: Partial<PurchaseOrderRequest> = {}) {
    const order = await purchasing.createPurchaseOrder(request(id, overrides), key());
    return purchasing.releasePurchaseOrder(order.poNumber, key());
  }

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'concord-purchasing-'));
    erp = await startErpSandbox({ dataDir: dir, port: 0 });
    const options = {
      baseUrl: erp.url,
      credentials: staticErpCredentials(erp.credentials.apiKeys[0] as string),
      timeoutMs: 2000,
    };
    purchasing = new HttpErpPurchasingConnector(options);
    vendors = new HttpErpVendorConnector(options);
    await vendors.createVendor({ sourceSupplierId: 'sup-1', fields: { legalName: 'Nordlicht GmbH' } }, key());
    const blocked = await vendors.createVendor(
      { sourceSupplierId: 'sup-blocked', fields: { legalName: 'Grau GmbH' } },
      key(),
    );
    await admin('PUT', `/_admin/vendors/${blocked.vendorNumber}/block`, {
      blocked: true,
      reason: 'sanctions',
    });
  });

  afterAll(async () => {
    await erp.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['an unknown supplier', 'vendor_unknown', { sourceSupplierId: 'sup-none' }],
    ['a blocked vendor', 'vendor_blocked', { sourceSupplierId: 'sup-blocked' }],
    ['an unknown cost centre', 'cost_centre_unknown', { costCentre: 'CC-4711' }],
    ['a closed cost centre', 'cost_centre_closed', { costCentre: 'CC-9000' }],
    ['another currency than the budget', 'currency_mismatch', { currency: 'USD' }],
    ['more than the budget available', 'budget_exceeded', { costCentre: 'CC-3000', total: '5000.01' }],
  ])('answers the check of an order to %s with the verdict %s', async (_case, verdict, overrides) => {
    // Act
    const check = await purchasing.checkPurchaseOrder({
      sourceSupplierId: 'sup-1',
      costCentre: 'CC-1000',
      currency: 'EUR',
      total: '100.00',
      ...overrides,
    });
    // Assess
    expect(check.verdict).toBe(verdict);
  });

  it('refuses to book an order to a blocked vendor, by name', async () => {
    // Act
    const attempt = purchasing.createPurchaseOrder(
      request('po-blocked', { sourceSupplierId: 'sup-blocked' }),
      key(),
    );
    // Assess
    await expect(attempt).rejects.toMatchObject({ name: 'ErpRefusedError', code: 'vendor_blocked' });
    expect(await purchasing.findPurchaseOrder('po-blocked')).toBeUndefined();
  });

  it('books one order per platform id and commits its budget only on release', async () => {
    // Act
    const first = await purchasing.createPurchaseOrder(request('po-once'), key());
    const again = await purchasing.createPurchaseOrder(request('po-once'), key());
    const budgetBooked = await (
      await fetch(`${erp.url}/cost-centres/CC-1000/budget`, {
        headers: { authorization: `Bearer ${erp.credentials.apiKeys[0]}` },
      })
    ).json();
    const order = await purchasing.releasePurchaseOrder(first.poNumber, key());
    const budgetReleased = await (
      await fetch(`${erp.url}/cost-centres/CC-1000/budget`, {
        headers: { authorization: `Bearer ${erp.credentials.apiKeys[0]}` },
      })
    ).json();
    // Assess
    expect(again.poNumber).toBe(first.poNumber);
    expect(order).toMatchObject({
      status: 'RELEASED',
      total: '1800.00',
      matchStatus: 'awaiting-receipt',
      version: 2,
    });
    expect(Number(budgetReleased.committed) - Number(budgetBooked.committed)).toBe(1800);
  });

  it('computes the three-way match through receipt and invoice, and a quantity mismatch when the invoice bills more than received', async () => {
    // Prepare
    const order = await released('po-match');
    // Act
    await admin('POST', `/_admin/purchase-orders/${order.poNumber}/goods-receipts`, {
      lines: [{ lineNo: 1, quantity: 4 }],
    });
    const afterReceipt = await purchasing.findPurchaseOrder('po-match');
    await admin('POST', `/_admin/purchase-orders/${order.poNumber}/supplier-invoices`, {
      supplierInvoiceRef: 'INV-1',
      currency: 'EUR',
      lines: [
        { lineNo: 1, quantity: 4, unitPrice: '250.00' },
        { lineNo: 2, quantity: 2, unitPrice: '400.00' },
      ],
    });
    const billedUnreceived = await purchasing.findPurchaseOrder('po-match');
    await admin('POST', `/_admin/purchase-orders/${order.poNumber}/goods-receipts`, {
      lines: [{ lineNo: 2, quantity: 2 }],
    });
    const afterSecondReceipt = await purchasing.findPurchaseOrder('po-match');
    // Assess
    expect(afterReceipt?.matchStatus).toBe('awaiting-invoice');
    expect(billedUnreceived?.matchStatus).toBe('quantity-mismatch');
    expect(afterSecondReceipt).toMatchObject({
      matchStatus: 'matched',
      receivedQuantity: 6,
      invoicedAmount: '1800.00',
    });
  });

  it('refuses a receipt of more than ordered, a second invoice with the same supplier number, and changes nothing', async () => {
    // Prepare
    const order = await released('po-refusals');
    await admin('POST', `/_admin/purchase-orders/${order.poNumber}/goods-receipts`, {
      lines: [{ lineNo: 1, quantity: 4 }],
    });
    const invoice = {
      supplierInvoiceRef: 'INV-9',
      currency: 'EUR',
      lines: [{ lineNo: 1, quantity: 4, unitPrice: '250.00' }],
    };
    await admin('POST', `/_admin/purchase-orders/${order.poNumber}/supplier-invoices`, invoice);
    const before = await purchasing.findPurchaseOrder('po-refusals');
    // Act
    const overReceipt = await admin('POST', `/_admin/purchase-orders/${order.poNumber}/goods-receipts`, {
      lines: [{ lineNo: 1, quantity: 1 }],
    });
    const duplicate = await admin(
      'POST',
      `/_admin/purchase-orders/${order.poNumber}/supplier-invoices`,
      invoice,
    );
    // Assess
    expect([overReceipt.status, overReceipt.body.code]).toEqual([422, 'over_receipt']);
    expect([duplicate.status, duplicate.body.code]).toEqual([409, 'duplicate_supplier_invoice']);
    expect(await purchasing.findPurchaseOrder('po-refusals')).toEqual(before);
  });

  it('cancels an order with nothing received and gives back the budget its release committed', async () => {
    // Prepare
    const budget = async () =>
      (await (
        await fetch(`${erp.url}/cost-centres/CC-2000/budget`, {
          headers: { authorization: `Bearer ${erp.credentials.apiKeys[0]}` },
        })
      ).json()) as { committed: string };
    const before = await budget();
    const order = await released('po-cancel', { costCentre: 'CC-2000' });
    // Act
    const cancelled = await purchasing.cancelPurchaseOrder(
      order.poNumber,
      { reason: 'release refused' },
      key(),
    );
    // Assess
    expect(cancelled.status).toBe('CANCELLED');
    expect(await budget()).toEqual(before);
  });

  it("announces receipts, invoices and the match through the outbox as valid events that carry the order's channel", async () => {
    // Prepare
    const order = await released('po-outbox');
    await admin('POST', `/_admin/purchase-orders/${order.poNumber}/goods-receipts`, {
      lines: [{ lineNo: 1, quantity: 2 }],
    });
    // Act
    const entries = erp.ledger
      .outbox(0)
      .filter(
        (entry) =>
          (entry.payload as { purchaseOrder?: { poNumber?: string } }).purchaseOrder?.poNumber ===
          order.poNumber,
      );
    const events = entries.map((entry) => toCanonicalEvent(entry as never, 'erp://sandbox'));
    // Assess
    expect(events.map((event) => event.type)).toEqual([
      'erp.goods-receipt.recorded.v1',
      'erp.purchase-order.match-updated.v1',
    ]);
    for (const event of events) expect(validateCanonicalEvent(event)).toEqual([]);
    expect(events[1]).toMatchObject({
      origin: 'spendesk://acme',
      subject: 'purchase-order/po-outbox',
      entityversion: 3,
      data: { matchStatus: 'awaiting-invoice', purchaseOrder: { receivedQuantity: 2, status: 'RELEASED' } },
    });
  });

  it('writes the match back to the Spendesk stand-in, where a write delivered late never turns a newer status back', async () => {
    // Prepare
    const order = await released('po-write-back');
    await admin('POST', `/_admin/purchase-orders/${order.poNumber}/goods-receipts`, {
      lines: [{ lineNo: 1, quantity: 4 }],
    });
    const [receiptMatch] = (erp.ledger.outbox(0) as unknown as OutboxEntry[])
      .filter(
        (entry) =>
          entry.type === 'purchase-order.match-updated' &&
          (entry.payload as { purchaseOrder: { poNumber: string } }).purchaseOrder.poNumber ===
            order.poNumber,
      )
      .map((entry) => purchaseOrderStatusWrite(toCanonicalEvent(entry as never, 'erp://sandbox')));
    const client = new SpendeskPurchaseOrderClient({
      apiUrl: `${erp.url}/spendesk/v1`,
      apiToken: staticPlatformCredentials(erp.credentials.platforms.spendesk.apiToken),
    });
    // Act
    await client.write(receiptMatch?.status as never);
    await client.write({
      purchaseOrderId: 'po-write-back',
      erpStatus: 'created',
      poNumber: order.poNumber,
      erpVersion: 2,
    });
    const shown = await (
      await fetch(`${erp.url}/spendesk/v1/purchase-orders/po-write-back/erp-status`, {
        headers: { authorization: `Bearer ${erp.credentials.platforms.spendesk.apiToken}` },
      })
    ).json();
    // Assess
    expect(receiptMatch?.platform).toBe('spendesk');
    expect(shown).toMatchObject({
      erpStatus: 'awaiting-invoice',
      poNumber: order.poNumber,
      erpVersion: 3,
      writes: 2,
    });
  });

  it('rejects a write-back whose token the stand-in refuses twice as unavailable, for Lambda to retry until the secret is fixed', async () => {
    // Prepare
    const client = new SpendeskPurchaseOrderClient({
      apiUrl: `${erp.url}/spendesk/v1`,
      apiToken: staticPlatformCredentials('wrong-token-of-sixteen'),
    });
    // Act
    const attempt = client.write({
      purchaseOrderId: 'po-x',
      erpStatus: 'created',
      poNumber: 'PO-1',
      erpVersion: 1,
    });
    // Assess
    await expect(attempt).rejects.toMatchObject({
      name: 'PlatformUnavailableError',
      message: expect.stringContaining('read twice'),
    });
  });
});
