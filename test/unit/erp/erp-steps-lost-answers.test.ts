import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type ErpStep, runErpStep, stepIdempotencyKey } from '../../../functions/erp-adapter/erp-steps';
import { staticErpCredentials } from '../../../functions/shared/erp/erp-credentials';
import { ErpOutcomeUnknownError, ErpUnavailableError } from '../../../functions/shared/erp/erp-errors';
import { HttpErpConnector } from '../../../functions/shared/erp/http-erp-connector';
import type { CanonicalEvent } from '../../../functions/shared/events/envelope';
import { newId } from '../../../functions/shared/ids';
import { type ErpSandbox, startErpSandbox } from '../../../local/erp-sandbox/erp-sandbox-server';
import { ErpSandboxAdmin, type FaultRequest } from '../../../local/erp-sandbox/sandbox-admin';

/** ERP steps whose answer is lost after the ERP committed them, against the real sandbox and its after-commit faults. */
describe('runErpStep with lost answers', () => {
  let erp: ErpSandbox;
  let dir: string;
  let connector: HttpErpConnector;
  let admin: ErpSandboxAdmin;
  let published: CanonicalEvent[];
  const deps = () => ({
    erp: connector,
    publish: async (events: readonly CanonicalEvent[]) => {
      published.push(...events);
    },
    erpSourceUri: 'erp://sandbox',
    now: () => new Date(),
    resolution: { lookups: 2, pauseMs: 10 },
  });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'concord-erp-steps-'));
    erp = await startErpSandbox({ dataDir: dir, port: 0 });
    connector = new HttpErpConnector({
      baseUrl: erp.url,
      credentials: staticErpCredentials(erp.credentials.apiKeys[0] as string),
      timeoutMs: 300,
    });
    admin = new ErpSandboxAdmin(erp.url, erp.credentials.adminToken);
  });

  afterAll(async () => {
    await erp.close();
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    published = [];
  });

  afterEach(async () => {
    await admin.clearFaults();
  });

  async function fault(body: FaultRequest): Promise<void> {
    await admin.addFault(body);
  }

  function step(
    operation: ErpStep['operation'],
    sourceOrderId: string,
    input: Record<string, unknown>,
  ): ErpStep {
    return {
      operation,
      flow: 'order-to-cash',
      businessKey: `order/${sourceOrderId}`,
      entityVersion: 1,
      correlationId: `corr-${sourceOrderId}`,
      causationId: newId(),
      origin: 'shopify://acme.myshopify.com',
      input,
    };
  }

  const orderInput = (sourceOrderId: string) => ({
    externalRef: sourceOrderId,
    customerNumber: 'C-000001',
    currency: 'USD',
    lines: [{ sku: 'CAP-WOOL-OS', quantity: 1 }],
  });

  it('continues with the committed order when the answer to its creation is lost, announcing it once', async () => {
    // Prepare
    await fault({ route: '/sales-orders', kind: '5xx-after-commit', rate: 1, times: 1 });
    const create = step('createSalesOrder', 'lost-1', orderInput('lost-1'));
    // Act
    const result = await runErpStep(create, deps());
    const again = await runErpStep(create, deps());
    // Assess
    expect(result).toMatchObject({ status: 'ACCEPTED', erpOrderNumber: again.erpOrderNumber });
    expect(published.map((event) => event.type)).toEqual(['erp.order.accepted.v1', 'erp.order.accepted.v1']);
    expect(published[0]?.id).toBe(published[1]?.id);
    expect((await connector.listDocuments({ type: 'sales-order', externalRef: 'lost-1' })).length).toBe(1);
  });

  it('announces an invoice whose answer was lost in a reset', async () => {
    // Prepare
    const order = await runErpStep(step('createSalesOrder', 'lost-2', orderInput('lost-2')), deps());
    await fault({ route: '/invoices', kind: 'reset-after-commit', rate: 1, times: 1 });
    // Act
    const invoice = await runErpStep(
      step('postInvoice', 'lost-2', {
        erpOrderNumber: order.erpOrderNumber,
        sourceOrderId: 'lost-2',
        customerNumber: 'C-000001',
      }),
      deps(),
    );
    // Assess
    expect(invoice).toMatchObject({ invoiceNumber: expect.any(String), status: 'OPEN' });
    expect(published.map((event) => event.type)).toEqual(['erp.order.accepted.v1', 'erp.invoice.posted.v1']);
  });

  it('fails as ErpUnavailableError only when the ERP confirms it never committed the change', async () => {
    // Prepare
    await fault({ route: '/reservations', kind: '5xx', rate: 1, times: 1 });
    // Act
    const failure = await runErpStep(
      step('reserveInventory', 'lost-3', {
        orderRef: 'lost-3',
        lines: [{ sku: 'CAP-WOOL-OS', quantity: 1 }],
      }),
      deps(),
    ).catch((error: unknown) => error);
    // Assess
    expect(failure).toBeInstanceOf(ErpUnavailableError);
    expect((failure as Error).message).toContain('confirms it holds no change');
  });

  it('fails as ErpOutcomeUnknownError when the ERP cannot be read after a lost answer, and announces nothing', async () => {
    // Prepare
    await fault({ route: '/sales-orders', kind: '5xx-after-commit', rate: 1, times: 1 });
    await fault({ route: '/idempotency-keys/*', kind: '5xx', rate: 1 });
    // Act
    const failure = await runErpStep(step('createSalesOrder', 'lost-4', orderInput('lost-4')), deps()).catch(
      (error: unknown) => error,
    );
    // Assess
    expect(failure).toBeInstanceOf(ErpOutcomeUnknownError);
    expect(published).toEqual([]);
  });

  it('announces an amendment whose answer was lost when the retry finds the lines already changed', async () => {
    // Prepare: the amendment commits, its answer and the reads after it are lost
    await runErpStep(step('createSalesOrder', 'lost-5', orderInput('lost-5')), deps());
    const amend = step('amendSalesOrder', 'lost-5', {
      sourceOrderId: 'lost-5',
      lines: [{ sku: 'CAP-WOOL-OS', quantity: 3 }],
    });
    await fault({
      route: '/sales-orders/*/amend',
      kind: 'timeout-after-commit',
      rate: 1,
      times: 1,
      latencyMs: 500,
    });
    await fault({ route: '/idempotency-keys/*', kind: '5xx', rate: 1, times: 2 });
    const lost = await runErpStep(amend, deps()).catch((error: unknown) => error);
    // Act
    const retried = await runErpStep(amend, deps());
    // Assess
    expect(lost).toBeInstanceOf(ErpOutcomeUnknownError);
    expect(retried).toMatchObject({ total: expect.any(String) });
    expect(published.map((event) => event.type)).toEqual(['erp.order.accepted.v1', 'erp.order.amended.v1']);
  });

  it('keys a refund by its refund id, so two partial refunds in the same second are both booked', async () => {
    // Prepare
    const order = await runErpStep(step('createSalesOrder', 'lost-6', orderInput('lost-6')), deps());
    await runErpStep(
      step('postInvoice', 'lost-6', {
        erpOrderNumber: order.erpOrderNumber,
        sourceOrderId: 'lost-6',
        customerNumber: 'C-000001',
      }),
      deps(),
    );
    const payment = (input: Record<string, unknown>, operation: 'applyPayment' | 'refund'): ErpStep => ({
      ...step(operation, 'lost-6', input),
      flow: 'payment-application',
      businessKey: 'payment/pi_lost6',
      entityVersion: 1_764_000_000,
    });
    await runErpStep(
      payment(
        { paymentId: 'pi_lost6', sourceOrderId: 'lost-6', amount: '21.55', currency: 'USD' },
        'applyPayment',
      ),
      deps(),
    );
    const refund = (refundRef: string) =>
      payment({ paymentId: 'pi_lost6', refundRef, amount: '1.00', currency: 'USD' }, 'refund');
    // Act
    await runErpStep(refund('re_1'), deps());
    await runErpStep(refund('re_2'), deps());
    // Assess
    expect(stepIdempotencyKey(refund('re_1'))).not.toBe(stepIdempotencyKey(refund('re_2')));
    const refunds = (await connector.listDocuments({ type: 'payment' })).filter((doc) =>
      doc.externalRef.startsWith('re_'),
    );
    expect(refunds.map((doc) => doc.externalRef).sort()).toEqual(['re_1', 're_2']);
  });
});
