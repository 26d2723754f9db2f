import type { PurchaseOrder } from '../../functions/shared/erp/erp-purchasing-port';
import { HttpErpPurchasingConnector } from '../../functions/shared/erp/http-erp-purchasing-connector';
import type { ErpSandbox } from '../../local/erp-sandbox/erp-sandbox-server';
import { warehouseSql } from './support/concord-cli';
import { postSpendeskWebhook, startPlatformWithErp } from './support/deployed-platform';
import { eventually } from './support/eventually';
import { ExceptionsQueueMessages, ObservedBusEvents } from './support/observed-messages';
import { spendeskFixture, spendeskPurchaseOrder, spendeskSupplierCreated } from './support/spendesk-webhooks';

const supplierId = '5b0f3c2e-6d1a-4f7e-9c31-0d2b8e4a7f10';
const blockedSupplierId = 'c4d2e6f8-0a1b-4c3d-8e5f-6a7b8c9d0e12';

/** procure-to-pay end to end: Spendesk webhooks signed by Spendesk's rule → workflow → ERP → relay → write-back → warehouse. */
describe('procure-to-pay (Spendesk → ERP purchasing → Spendesk, on the embedded runtime)', () => {
  let running: Awaited<ReturnType<typeof startPlatformWithErp>>;
  let purchasing: HttpErpPurchasingConnector;
  let adminToken: string;
  let busEvents: ObservedBusEvents;
  let exceptionsQueue: ExceptionsQueueMessages;

  /** Posts a body as Spendesk signs it, with the stage's Spendesk secret. */
  async function post(body: string): Promise<{ status: number; body: Record<string, unknown> }> {
    return postSpendeskWebhook(running.platform.apiUrl, running.secrets.spendesk?.[0] as string, body);
  }

  async function announced(
    type: string,
    subject: string,
    matches: (data: Record<string, unknown>) => boolean = () => true,
  ) {
    return busEvents.find(
      (event) => event.type === type && event.subject === subject && matches(event.data),
      60_000,
    );
  }

  async function exceptionFor(businessKey: string) {
    return exceptionsQueue.find(businessKey);
  }

  /** What the Spendesk stand-in shows for a purchase order once `matches` holds. */
  async function platformStatus(id: string, matches: (status: Record<string, unknown>) => boolean) {
    return eventually(async () => {
      const response = await fetch(`${running.erpUrl}/spendesk/v1/purchase-orders/${id}/erp-status`, {
        headers: {
          authorization: `Bearer ${(running.platform.erp as ErpSandbox).credentials.platforms.spendesk.apiToken}`,
        },
      });
      if (response.status !== 200) return undefined;
      const status = (await response.json()) as Record<string, unknown>;
      return matches(status) ? status : undefined;
    }, 60_000);
  }

  async function admin(method: string, route: string, body: unknown): Promise<Record<string, unknown>> {
    const response = await fetch(`${running.erpUrl}${route}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const answer = (await response.json()) as Record<string, unknown>;
    if (response.status !== 200)
      throw new Error(`${method} ${route} answered ${response.status}: ${JSON.stringify(answer)}`);
    return answer;
  }

  /** A supplier created at Spendesk and synced to the vendor master. */
  async function supplier(id: string, legalName: string): Promise<void> {
    await post(spendeskSupplierCreated(id, legalName));
    await eventually(() => vendorOf(id));
  }

  async function vendorOf(sourceSupplierId: string): Promise<string | undefined> {
    const response = await fetch(`${running.erpUrl}/vendors?sourceSupplierId=${sourceSupplierId}`, {
      headers: { authorization: `Bearer ${(running.platform.erp as ErpSandbox).credentials.apiKeys[0]}` },
    });
    return response.status === 200
      ? ((await response.json()) as { vendorNumber: string }).vendorNumber
      : undefined;
  }

  beforeAll(async () => {
    running = await startPlatformWithErp({ clockFactor: 10 });
    const erp = running.platform.erp as ErpSandbox;
    adminToken = erp.credentials.adminToken;
    purchasing = new HttpErpPurchasingConnector(running.erpConnection);
    busEvents = await ObservedBusEvents.observe(running.clients, 'observe-erp-purchasing', {
      source: ['concord.erp'],
      'detail-type': [
        'erp.purchase-order.released.v1',
        'erp.purchase-order.refused.v1',
        'erp.purchase-order.match-updated.v1',
        'erp.goods-receipt.recorded.v1',
        'erp.supplier-invoice.recorded.v1',
      ],
    });
    exceptionsQueue = await ExceptionsQueueMessages.open(running.clients.sqs);
    await supplier(supplierId, 'Nordlicht Office Supplies GmbH');
    await supplier(blockedSupplierId, 'Graumarkt Handels GmbH');
    const blocked = (await vendorOf(blockedSupplierId)) as string;
    await admin('PUT', `/_admin/vendors/${blocked}/block`, { blocked: true, reason: 'sanctions screening' });
  }, 120_000);

  afterAll(async () => {
    await running.stop();
  });

  afterEach(async () => {
    await running.erpAdmin.clearFaults();
  });

  it('HappyPath: a Spendesk purchase order is released in the ERP, its PO number written back, and receipt plus invoice end matched', async () => {
    // Act: the order, then the warehouse clerk's receipt and accounts payable's invoice in the ERP.
    const response = await post(JSON.stringify(spendeskFixture('purchase_orders-created.json')));
    const released = await announced(
      'erp.purchase-order.released.v1',
      'purchase-order/po_8f2d4c1a-7b3e-4e9a-a1c5-3d6f0b2e9a41',
    );
    const poNumber = released.data.poNumber as string;
    const created = await platformStatus(
      'po_8f2d4c1a-7b3e-4e9a-a1c5-3d6f0b2e9a41',
      (status) => status.erpStatus === 'created',
    );
    await admin('POST', `/_admin/purchase-orders/${poNumber}/goods-receipts`, {
      lines: [
        { lineNo: 1, quantity: 6 },
        { lineNo: 2, quantity: 5 },
      ],
    });
    const awaitingInvoice = await platformStatus(
      'po_8f2d4c1a-7b3e-4e9a-a1c5-3d6f0b2e9a41',
      (status) => status.erpStatus === 'awaiting-invoice',
    );
    await admin('POST', `/_admin/purchase-orders/${poNumber}/supplier-invoices`, {
      supplierInvoiceRef: 'NL-2026-4411',
      currency: 'EUR',
      lines: [
        { lineNo: 1, quantity: 6, unitPrice: '240.00' },
        { lineNo: 2, quantity: 5, unitPrice: '90.00' },
      ],
    });
    const matched = await platformStatus(
      'po_8f2d4c1a-7b3e-4e9a-a1c5-3d6f0b2e9a41',
      (status) => status.erpStatus === 'matched',
    );
    // Assess
    expect(response.status).toBe(202);
    expect(created).toMatchObject({ poNumber, matchStatus: 'awaiting-receipt' });
    expect(awaitingInvoice).toMatchObject({ poNumber, matchStatus: 'awaiting-invoice' });
    expect(matched).toMatchObject({ poNumber, matchStatus: 'matched' });
    expect(await purchasing.findPurchaseOrder('po_8f2d4c1a-7b3e-4e9a-a1c5-3d6f0b2e9a41')).toMatchObject({
      status: 'RELEASED',
      total: '1890.00',
      channel: 'spendesk://acme',
      matchStatus: 'matched',
      invoicedAmount: '1890.00',
    });
    await announced(
      'erp.goods-receipt.recorded.v1',
      'purchase-order/po_8f2d4c1a-7b3e-4e9a-a1c5-3d6f0b2e9a41',
    );
    await announced(
      'erp.supplier-invoice.recorded.v1',
      'purchase-order/po_8f2d4c1a-7b3e-4e9a-a1c5-3d6f0b2e9a41',
      (data) => data.supplierInvoiceRef === 'NL-2026-4411',
    );
  }, 90_000);

  it('DuplicateDelivery: the same Spendesk event again is acknowledged as a duplicate and books nothing', async () => {
    // Act
    const again = await post(JSON.stringify(spendeskFixture('purchase_orders-created.json')));
    // Assess
    expect(again.status).toBe(200);
    expect(again.body.duplicate).toBe(true);
    expect(
      (await purchasing.listPurchaseOrders()).filter(
        (order) => order.sourcePurchaseOrderId === 'po_8f2d4c1a-7b3e-4e9a-a1c5-3d6f0b2e9a41',
      ),
    ).toHaveLength(1);
  });

  it('BlockedSupplierRefused: an order to a blocked vendor is refused visibly, books nothing and is written back as refused', async () => {
    // Act
    await post(spendeskPurchaseOrder({ id: 'po_blocked_1', supplier: blockedSupplierId }));
    const exception = await exceptionFor('purchase-order/po_blocked_1');
    const status = await platformStatus('po_blocked_1', (candidate) => candidate.erpStatus === 'refused');
    // Assess
    expect(exception).toMatchObject({
      flow: 'procure-to-pay',
      outcome: 'refused',
      failedStep: 'Check',
      reasonCode: 'vendor_blocked',
      error: { Error: 'PurchaseOrderRefused', Cause: expect.stringContaining('sanctions screening') },
      compensated: [],
    });
    expect(status.reason).toContain('vendor_blocked');
    expect(await purchasing.findPurchaseOrder('po_blocked_1')).toBeUndefined();
  });

  it("BudgetExceeded: an order over its cost centre's available budget is refused and commits nothing", async () => {
    // Prepare: CC-3000 has 5,000.00 EUR; the order needs 6,000.00.
    const before = await (
      await fetch(`${running.erpUrl}/cost-centres/CC-3000/budget`, {
        headers: { authorization: `Bearer ${(running.platform.erp as ErpSandbox).credentials.apiKeys[0]}` },
      })
    ).json();
    // Act
    await post(
      spendeskPurchaseOrder({
        id: 'po_budget_1',
        costCentre: 'CC-3000',
        items: [{ description: 'Forklift rental, week', quantity: 6, unit_price: '1000.00' }],
      }),
    );
    const exception = await exceptionFor('purchase-order/po_budget_1');
    const refused = await announced('erp.purchase-order.refused.v1', 'purchase-order/po_budget_1');
    // Assess
    expect(exception).toMatchObject({ outcome: 'refused', reasonCode: 'budget_exceeded' });
    expect(refused.data).toMatchObject({ reasonCode: 'budget_exceeded', compensated: [] });
    expect(refused.data.poNumber).toBeUndefined();
    expect(await purchasing.findPurchaseOrder('po_budget_1')).toBeUndefined();
    expect(before).toMatchObject({ committed: '0.00', available: '5000.00' });
  });

  it('ErpFaultRecovered: a creation whose answer is lost after the ERP committed it is read back, and the order is booked once and released', async () => {
    // Prepare: the ERP commits the order and its gateway answers 502.
    await running.erpAdmin.addFault({
      route: '/purchase-orders',
      kind: '5xx-after-commit',
      rate: 1,
      times: 1,
    });
    // Act
    await post(spendeskPurchaseOrder({ id: 'po_fault_1' }));
    const released = await announced('erp.purchase-order.released.v1', 'purchase-order/po_fault_1');
    const faults = await running.erpAdmin.faults();
    // Assess
    expect(faults.map((fault) => fault.fired)).toEqual([1]);
    const booked = (await purchasing.listPurchaseOrders()).filter(
      (order) => order.sourcePurchaseOrderId === 'po_fault_1',
    );
    expect(booked).toHaveLength(1);
    expect(booked[0]).toMatchObject({ poNumber: released.data.poNumber, status: 'RELEASED', version: 2 });
  });

  it('PriceMismatch: an invoice at a higher unit price than ordered is visible as price-mismatch at the platform', async () => {
    // Prepare
    await post(
      spendeskPurchaseOrder({
        id: 'po_price_1',
        costCentre: 'CC-2000',
        items: [{ description: 'Toner cartridge', quantity: 10, unit_price: '45.00' }],
      }),
    );
    const released = await announced('erp.purchase-order.released.v1', 'purchase-order/po_price_1');
    const poNumber = released.data.poNumber as string;
    // Act
    await admin('POST', `/_admin/purchase-orders/${poNumber}/goods-receipts`, {
      lines: [{ lineNo: 1, quantity: 10 }],
    });
    await admin('POST', `/_admin/purchase-orders/${poNumber}/supplier-invoices`, {
      supplierInvoiceRef: 'TC-88120',
      currency: 'EUR',
      lines: [{ lineNo: 1, quantity: 10, unitPrice: '49.50' }],
    });
    const status = await platformStatus(
      'po_price_1',
      (candidate) => candidate.erpStatus === 'price-mismatch',
    );
    // Assess
    expect(status).toMatchObject({ poNumber, matchStatus: 'price-mismatch' });
    expect(await purchasing.findPurchaseOrder('po_price_1')).toMatchObject({
      matchStatus: 'price-mismatch',
      invoicedAmount: '495.00',
    });
  }, 90_000);

  it("WarehouseEqualsErp: the purchase_orders model holds the ERP's orders with their status and three-way match", async () => {
    // Prepare
    const books = (await purchasing.listPurchaseOrders()).sort((a, b) =>
      a.poNumber.localeCompare(b.poNumber),
    );
    // Act: the warehouse stream delivers every 60 local seconds (6 s here).
    const rows = await eventually(async () => {
      const { rows: parsed } = await warehouseSql(
        running.platform.runtime.options.dataDir,
        'select * from purchase_orders order by po_number',
      );
      return parsed.length === books.length &&
        parsed.every((row, index) => Number(row.erp_version) === books[index]?.version)
        ? parsed
        : undefined;
    }, 60_000);
    // Assess
    const view = (order: PurchaseOrder) => ({
      poNumber: order.poNumber,
      sourcePurchaseOrderId: order.sourcePurchaseOrderId,
      vendorNumber: order.vendorNumber,
      costCentre: order.costCentre,
      total: Number(order.total),
      status: order.status,
      matchStatus: order.matchStatus,
      receivedQuantity: order.receivedQuantity,
      invoicedAmount: Number(order.invoicedAmount),
    });
    expect(
      rows.map((row) => ({
        poNumber: row.po_number,
        sourcePurchaseOrderId: row.source_purchase_order_id,
        vendorNumber: row.vendor_number,
        costCentre: row.cost_centre,
        total: Number(row.total),
        status: row.status,
        matchStatus: row.match_status,
        receivedQuantity: Number(row.received_quantity),
        invoicedAmount: Number(row.invoiced_amount),
      })),
    ).toEqual(books.map(view));
    expect(books.map((order) => order.matchStatus).sort()).toEqual([
      'awaiting-receipt',
      'matched',
      'price-mismatch',
    ]);
  }, 90_000);
});
