import { type ErpStep, runErpStep, stepIdempotencyKey } from '../../../functions/erp-adapter/erp-steps';
import { purchaseOrderTotal } from '../../../functions/erp-adapter/purchase-order-steps';
import {
  ErpOutcomeUnknownError,
  ErpRefusedError,
  ErpUnavailableError,
} from '../../../functions/shared/erp/erp-errors';
import type { ChangeLookup } from '../../../functions/shared/erp/erp-port';
import type {
  ErpPurchasingPort,
  PurchaseOrder,
  PurchaseOrderCheck,
  PurchaseOrderRequest,
} from '../../../functions/shared/erp/erp-purchasing-port';
import { type CanonicalEvent, validateCanonicalEvent } from '../../../functions/shared/events/envelope';
import { newId } from '../../../functions/shared/ids';
import type { MetricPoint } from '../../../functions/shared/observability/business-metrics';

/** An in-memory ERP purchasing that can lose the answer to a committed change, or never commit it. */
class FakePurchasing implements ErpPurchasingPort {
  readonly orders = new Map<string, PurchaseOrder>();
  readonly committed = new Map<string, PurchaseOrder>();
  verdict: PurchaseOrderCheck = { verdict: 'ok', reason: 'placeable', vendorNumber: 'V-000001' };
  loseNextAnswer: 'none' | 'after-commit' | 'never-committed' = 'none';
  refuseRelease = false;
  creates = 0;

  private answer(key: string, order: PurchaseOrder): PurchaseOrder {
    const lose = this.loseNextAnswer;
    this.loseNextAnswer = 'none';
    if (lose === 'never-committed') throw new ErpOutcomeUnknownError('ERP POST: timed out before the commit');
    this.committed.set(key, structuredClone(order));
    if (lose === 'after-commit') throw new ErpOutcomeUnknownError('ERP POST: 502 after the commit');
    return order;
  }

  async checkPurchaseOrder(): Promise<PurchaseOrderCheck> {
    return this.verdict;
  }

  async createPurchaseOrder(request: PurchaseOrderRequest, key: string): Promise<PurchaseOrder> {
    const prior = this.committed.get(key);
    if (prior) return prior;
    const existing = this.orders.get(request.sourcePurchaseOrderId);
    if (existing) return existing;
    if (this.loseNextAnswer === 'never-committed') return this.answer(key, undefined as never);
    this.creates += 1;
    const now = new Date().toISOString();
    const order: PurchaseOrder = {
      poNumber: `PO-${String(this.creates).padStart(6, '0')}`,
      sourcePurchaseOrderId: request.sourcePurchaseOrderId,
      vendorNumber: 'V-000001',
      sourceSupplierId: request.sourceSupplierId,
      costCentre: request.costCentre,
      currency: request.currency,
      total: purchaseOrderTotal(request.lines),
      status: 'OPEN',
      matchStatus: 'awaiting-receipt',
      receivedQuantity: 0,
      invoicedAmount: '0.00',
      ...(request.channel ? { channel: request.channel } : {}),
      lines: request.lines.map((line, index) => ({
        ...line,
        lineNo: index + 1,
        lineTotal: purchaseOrderTotal([line]),
        receivedQuantity: 0,
        invoicedQuantity: 0,
        invoicedUnitPrices: [],
      })),
      version: 1,
      createdAt: now,
      updatedAt: now,
    };
    this.orders.set(order.sourcePurchaseOrderId, order);
    return this.answer(key, order);
  }

  private byNumber(poNumber: string): PurchaseOrder {
    const order = [...this.orders.values()].find((candidate) => candidate.poNumber === poNumber);
    if (!order) throw new ErpRefusedError('not_found', `No ${poNumber}`);
    return order;
  }

  async releasePurchaseOrder(poNumber: string, key: string): Promise<PurchaseOrder> {
    if (this.refuseRelease) throw new ErpRefusedError('budget_exceeded', 'CC-1000 has 10.00 EUR available');
    const order = this.byNumber(poNumber);
    if (order.status === 'OPEN') Object.assign(order, { status: 'RELEASED', version: order.version + 1 });
    return this.answer(key, order);
  }

  async cancelPurchaseOrder(poNumber: string, _request: { reason: string }, key: string) {
    const order = this.byNumber(poNumber);
    if (order.status !== 'CANCELLED')
      Object.assign(order, { status: 'CANCELLED', version: order.version + 1 });
    return this.answer(key, order);
  }

  async findPurchaseOrder(sourcePurchaseOrderId: string) {
    return this.orders.get(sourcePurchaseOrderId);
  }

  async listPurchaseOrders() {
    return [...this.orders.values()];
  }

  async lookupChange(key: string): Promise<ChangeLookup> {
    const found = this.committed.get(key);
    return found ? { state: 'committed', result: found } : { state: 'absent' };
  }
}

const order = {
  sourcePurchaseOrderId: 'po_1',
  sourceSupplierId: 'sup-1',
  costCentre: 'CC-1000',
  currency: 'EUR',
  lines: [
    { description: 'Chair', sku: 'CHAIR-ERG-02', quantity: 6, unitPrice: '240.00' },
    { description: 'Monitor arm', quantity: 5, unitPrice: '90.00' },
  ],
};

function step(operation: ErpStep['operation'], input: Record<string, unknown>): ErpStep {
  return {
    operation,
    flow: 'procure-to-pay',
    businessKey: 'purchase-order/po_1',
    entityVersion: 1_764_000_000_000,
    correlationId: newId(),
    causationId: newId(),
    origin: 'spendesk://acme',
    input,
  };
}

describe('procure-to-pay steps (purchase-order-steps) with an in-memory ERP purchasing', () => {
  let purchasing: FakePurchasing;
  let published: CanonicalEvent[];
  let deps: Parameters<typeof runErpStep>[1];

  beforeEach(() => {
    purchasing = new FakePurchasing();
    published = [];
    deps = {
      erp: purchasing as never,
      purchasing,
      publish: async (events) => {
        published.push(...events);
      },
      erpSourceUri: 'erp://sandbox',
      now: () => new Date('2026-11-23T09:13:00Z'),
      resolution: { lookups: 2, pauseMs: 1 },
    };
  });

  it('answers the ERP refusal as a verdict, so the workflow refuses visibly without an error', async () => {
    // Prepare
    purchasing.verdict = {
      verdict: 'vendor_blocked',
      reason: 'Vendor V-000001 is blocked: sanctions',
      vendorNumber: 'V-000001',
    };
    // Act
    const result = await runErpStep(step('checkPurchaseOrder', order), deps);
    // Assess
    expect(result).toMatchObject({ verdict: 'vendor_blocked', reason: expect.stringContaining('sanctions') });
  });

  it('answers an order the ERP already holds with its number instead of checking it against the rest of the budget', async () => {
    // Prepare
    await runErpStep(step('createPurchaseOrder', order), deps);
    purchasing.verdict = { verdict: 'budget_exceeded', reason: 'spent' };
    // Act
    const result = await runErpStep(step('checkPurchaseOrder', order), deps);
    // Assess
    expect(result).toEqual({
      verdict: 'ok',
      reason: 'already booked',
      poNumber: 'PO-000001',
      status: 'OPEN',
    });
  });

  it('books one order when the answer to its creation is lost after the ERP committed it', async () => {
    // Prepare
    purchasing.loseNextAnswer = 'after-commit';
    // Act
    const result = await runErpStep(step('createPurchaseOrder', order), deps);
    // Assess
    expect(result).toMatchObject({ poNumber: 'PO-000001', status: 'OPEN', total: '1890.00' });
    expect(purchasing.creates).toBe(1);
    expect(purchasing.orders.get('po_1')?.channel).toBe('spendesk://acme');
  });

  it('rejects a lost creation the ERP confirms it never committed as safe to retry, booking nothing', async () => {
    // Prepare
    purchasing.loseNextAnswer = 'never-committed';
    // Act
    const attempt = runErpStep(step('createPurchaseOrder', order), deps);
    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ErpUnavailableError);
    expect(purchasing.orders.size).toBe(0);
  });

  it('announces a released order with its PO number, origin and a snapshot valid against the schema', async () => {
    // Prepare
    await runErpStep(step('createPurchaseOrder', order), deps);
    // Act
    const result = await runErpStep(step('releasePurchaseOrder', { poNumber: 'PO-000001' }), deps);
    // Assess
    expect(result).toMatchObject({ poNumber: 'PO-000001', status: 'RELEASED', version: 2 });
    expect(published.map((event) => event.type)).toEqual(['erp.purchase-order.released.v1']);
    expect(validateCanonicalEvent(published[0] as CanonicalEvent)).toEqual([]);
    expect(published[0]).toMatchObject({
      subject: 'purchase-order/po_1',
      origin: 'spendesk://acme',
      data: { poNumber: 'PO-000001', purchaseOrder: { status: 'RELEASED', lineCount: 2, version: 2 } },
    });
  });

  it('announces the same released event again when the release is repeated, so consumers deduplicate it', async () => {
    // Prepare
    await runErpStep(step('createPurchaseOrder', order), deps);
    const release = step('releasePurchaseOrder', { poNumber: 'PO-000001' });
    // Act
    await runErpStep(release, deps);
    await runErpStep(release, deps);
    // Assess
    expect(published).toHaveLength(2);
    expect(published[0]?.id).toBe(published[1]?.id);
    expect(stepIdempotencyKey(release)).toBe(
      'procure-to-pay:releasePurchaseOrder:purchase-order/po_1:1764000000000',
    );
  });

  it('announces a refusal after compensation with the cancelled order, as the warehouse must see it', async () => {
    // Prepare
    await runErpStep(step('createPurchaseOrder', order), deps);
    purchasing.refuseRelease = true;
    await expect(
      runErpStep(step('releasePurchaseOrder', { poNumber: 'PO-000001' }), deps),
    ).rejects.toMatchObject({
      name: 'ErpRefusedError',
      code: 'budget_exceeded',
    });
    await runErpStep(step('cancelPurchaseOrder', { poNumber: 'PO-000001', reason: 'release refused' }), deps);
    // Act
    await runErpStep(
      step('emitPurchaseOrderRefused', {
        sourcePurchaseOrderId: 'po_1',
        poNumber: 'PO-000001',
        reasonCode: 'ErpRefusedError',
        reason: 'CC-1000 has 10.00 EUR available',
        failedStep: 'Release',
        compensated: ['CancelPurchaseOrder'],
      }),
      deps,
    );
    // Assess
    const refused = published.find(
      (event) => event.type === 'erp.purchase-order.refused.v1',
    ) as CanonicalEvent;
    expect(validateCanonicalEvent(refused)).toEqual([]);
    expect(refused.data).toMatchObject({
      poNumber: 'PO-000001',
      compensated: ['CancelPurchaseOrder'],
      purchaseOrder: { status: 'CANCELLED', version: 2 },
    });
  });

  it('counts a released order, and a refused one under its verdict or error class, else other', async () => {
    // Prepare
    const recorded: MetricPoint[] = [];
    deps.metrics = { record: (...points) => void recorded.push(...points) };
    await runErpStep(step('createPurchaseOrder', order), deps);
    const refusal = (reasonCode: string) =>
      step('emitPurchaseOrderRefused', {
        sourcePurchaseOrderId: 'po_2',
        reasonCode,
        reason: 'refused',
        compensated: [],
      });
    // Act
    await runErpStep(step('releasePurchaseOrder', { poNumber: 'PO-000001' }), deps);
    await runErpStep(refusal('vendor_blocked'), deps);
    await runErpStep(refusal('ErpRefusedError'), deps);
    await runErpStep(refusal('blocked by po_2'), deps);
    // Assess
    const flow = 'procure-to-pay';
    expect(recorded).toEqual([
      { name: 'PurchaseOrdersReleased', unit: 'Count', value: 1, dimensions: { flow } },
      {
        name: 'PurchaseOrdersRefused',
        unit: 'Count',
        value: 1,
        dimensions: { flow, reason: 'vendor_blocked' },
      },
      {
        name: 'PurchaseOrdersRefused',
        unit: 'Count',
        value: 1,
        dimensions: { flow, reason: 'ErpRefusedError' },
      },
      { name: 'PurchaseOrdersRefused', unit: 'Count', value: 1, dimensions: { flow, reason: 'other' } },
    ]);
  });

  it('measures a released order from its ingest to the release, and times no refusal', async () => {
    // Prepare
    const recorded: MetricPoint[] = [];
    const ingestedAt = Date.parse('2026-11-23T09:12:48.500Z');
    deps.metrics = { record: (...points) => void recorded.push(...points) };
    const fromIngest = (operation: ErpStep['operation'], input: Record<string, unknown>) => ({
      ...step(operation, input),
      causationId: newId(ingestedAt),
    });
    await runErpStep(fromIngest('createPurchaseOrder', order), deps);
    // Act
    await runErpStep(fromIngest('releasePurchaseOrder', { poNumber: 'PO-000001' }), deps);
    await runErpStep(
      fromIngest('emitPurchaseOrderRefused', {
        sourcePurchaseOrderId: 'po_2',
        reasonCode: 'vendor_blocked',
        reason: 'refused',
        compensated: [],
      }),
      deps,
    );
    // Assess
    expect(recorded.filter((point) => point.unit === 'Milliseconds')).toEqual([
      {
        name: 'PurchaseOrderReleasedLatency',
        unit: 'Milliseconds',
        value: 11_500,
        dimensions: { flow: 'procure-to-pay' },
      },
    ]);
  });

  it('rejects a step whose lines are not a list of priced quantities, changing nothing', async () => {
    // Act
    const attempt = runErpStep(
      step('createPurchaseOrder', {
        ...order,
        lines: [{ description: 'Chair', quantity: 0, unitPrice: '1.00' }],
      }),
      deps,
    );
    // Assess
    await expect(attempt).rejects.toMatchObject({ name: 'ErpRefusedError', code: 'invalid_step_input' });
    expect(purchasing.orders.size).toBe(0);
  });
});
