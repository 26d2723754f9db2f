import { type ErpStep, runErpStep } from '../../../functions/erp-adapter/erp-steps';
import { ErpOutcomeUnknownError, ErpUnavailableError } from '../../../functions/shared/erp/erp-errors';
import type {
  ChangeLookup,
  ErpPort,
  Invoice,
  PaymentDocument,
  SalesOrder,
} from '../../../functions/shared/erp/erp-port';
import { newId } from '../../../functions/shared/ids';
import { PowertoolsBusinessMetrics } from '../../../functions/shared/observability/powertools-business-metrics';
import { captureEmf, expectLowCardinality } from '../../support/emf';

const ingestedAt = Date.parse('2026-11-20T15:00:00.000Z');
const now = new Date(ingestedAt + 4_250);

const order: SalesOrder = {
  number: 'SO-1',
  externalRef: '5820741173332',
  customerNumber: 'C-1',
  status: 'ACCEPTED',
  currency: 'EUR',
  lines: [
    { sku: 'SKU-1', quantity: 1, unitPrice: '10.00', lineTotal: '10.00', tax: '1.90' },
  ] as SalesOrder['lines'],
  subtotal: '10.00',
  tax: '1.90',
  total: '11.90',
  version: 1,
};
const invoice: Invoice = {
  number: 'INV-1',
  orderNumber: 'SO-1',
  externalRef: '5820741173332',
  currency: 'EUR',
  amount: '11.90',
  tax: '1.90',
  paidAmount: '0.00',
  status: 'OPEN',
  dueDate: '2026-12-20',
};
const payment: PaymentDocument = {
  id: 'PAY-1',
  externalRef: 'pi_1',
  invoiceNumber: 'INV-1',
  kind: 'APPLIED',
  amount: '11.90',
  currency: 'EUR',
  invoiceStatus: 'PAID',
};

/** An ERP that answers every change at once, unless told to lose the answer first. */
function fakeErp(options: { lose?: boolean; lookup?: ChangeLookup } = {}): ErpPort {
  const answer =
    <T>(result: T) =>
    async () => {
      if (options.lose) throw new ErpOutcomeUnknownError('answer lost');
      return result;
    };
  return {
    createSalesOrder: answer(order),
    postInvoice: answer(invoice),
    applyPayment: answer(payment),
    refund: answer({ ...payment, kind: 'REFUND' as const }),
    upsertCustomer: answer({
      customerNumber: 'C-1',
      name: 'Ada',
      creditLimit: '0',
      paymentTerms: 'NET30',
      creditHold: false,
      currency: 'EUR',
    }),
    findCustomer: async () => ({
      customerNumber: 'C-1',
      name: 'Ada',
      creditLimit: '0',
      paymentTerms: 'NET30',
      creditHold: false,
      currency: 'EUR',
    }),
    lookupChange: async () => options.lookup ?? { state: 'in-flight' },
  } as unknown as ErpPort;
}

function step(
  operation: ErpStep['operation'],
  input: Record<string, unknown>,
  flow = 'order-to-cash',
): ErpStep {
  return {
    operation,
    flow,
    businessKey: 'order/5820741173332',
    entityVersion: 1,
    correlationId: '01KAHZ8V00000000000000CORR',
    causationId: newId(ingestedAt),
    origin: 'shopify://acme.myshopify.com',
    input,
  };
}

const orderInput = {
  externalRef: '5820741173332',
  customerNumber: 'C-1',
  currency: 'EUR',
  lines: [{ sku: 'SKU-1', quantity: 1 }],
};

/** Runs one step and returns the metrics its invocation published. */
async function metricsOfStep(erpStep: ErpStep, erp: ErpPort = fakeErp()) {
  const emf = captureEmf();
  const metrics = new PowertoolsBusinessMetrics({ stage: 'test', serviceName: 'erp-adapter' });
  const outcome = await runErpStep(erpStep, {
    erp,
    publish: async () => {},
    erpSourceUri: 'erp://sandbox',
    now: () => now,
    resolution: { lookups: 1, pauseMs: 0 },
    metrics,
  }).catch((error: Error) => error);
  metrics.flush();
  const published = emf.metrics();
  expectLowCardinality(published, [erpStep.correlationId, erpStep.causationId, '5820741173332']);
  return { outcome, published };
}

const counted = (name: string, dimensions: Record<string, string>) =>
  expect.objectContaining({
    namespace: 'Concord',
    name,
    unit: 'Count',
    value: 1,
    dimensions: { stage: 'test', ...dimensions },
  });

afterEach(() => jest.restoreAllMocks());

describe('runErpStep metrics', () => {
  it('counts a booked order and measures from its ingest to the acceptance', async () => {
    // Act
    const { published } = await metricsOfStep(step('createSalesOrder', orderInput));
    // Assess
    expect(published).toEqual([
      counted('OrdersBooked', { flow: 'order-to-cash' }),
      expect.objectContaining({
        name: 'OrderAcceptedLatency',
        unit: 'Milliseconds',
        value: 4_250,
        dimensionNames: ['stage', 'flow'],
      }),
    ]);
  });

  it('counts an order booked on credit hold, with no acceptance latency', async () => {
    // Prepare
    const erp = {
      ...fakeErp(),
      createSalesOrder: async () => ({ ...order, status: 'CREDIT_HOLD' as const }),
    };
    // Act
    const { published } = await metricsOfStep(step('createSalesOrder', orderInput), erp);
    // Assess
    expect(published).toEqual([counted('OrdersCreditHeld', { flow: 'order-to-cash' })]);
  });

  it('counts a refused order under its reason code when it is a known one, else other', async () => {
    // Act
    const known = await metricsOfStep(
      step('emitRejected', { sourceOrderId: '5820741173332', reasonCode: 'ErpRefusedError' }),
    );
    const free = await metricsOfStep(
      step('emitRejected', { sourceOrderId: '5820741173332', reasonCode: 'blocked by order 5820741173332' }),
    );
    // Assess
    expect(known.published).toEqual([
      counted('OrdersRefused', { flow: 'order-to-cash', reason: 'ErpRefusedError' }),
    ]);
    expect(free.published).toEqual([counted('OrdersRefused', { flow: 'order-to-cash', reason: 'other' })]);
  });

  it('counts a posted invoice and measures its latency', async () => {
    // Act
    const { published } = await metricsOfStep(
      step('postInvoice', { sourceOrderId: '5820741173332', erpOrderNumber: 'SO-1', customerNumber: 'C-1' }),
    );
    // Assess
    expect(published).toEqual([
      counted('InvoicesPosted', { flow: 'order-to-cash' }),
      expect.objectContaining({ name: 'InvoicePostedLatency', unit: 'Milliseconds', value: 4_250 }),
    ]);
  });

  it('counts an applied payment with its latency, and a refund apart', async () => {
    // Prepare
    const paymentInput = { paymentId: 'pi_1', invoiceNumber: 'INV-1', amount: '11.90', currency: 'EUR' };
    // Act
    const applied = await metricsOfStep(step('applyPayment', paymentInput, 'payment-application'));
    const refunded = await metricsOfStep(
      step('refund', { ...paymentInput, refundRef: 're_1' }, 'payment-application'),
    );
    // Assess
    expect(applied.published).toEqual([
      counted('PaymentsApplied', { flow: 'payment-application' }),
      expect.objectContaining({ name: 'PaymentAppliedLatency', unit: 'Milliseconds', value: 4_250 }),
    ]);
    expect(refunded.published).toEqual([counted('RefundsBooked', { flow: 'payment-application' })]);
  });

  it('counts a synced customer', async () => {
    // Act
    const { published } = await metricsOfStep(
      step('upsertCustomer', { crmContactId: 'hs-1', fields: { name: 'Ada' } }, 'customer-sync'),
    );
    // Assess
    expect(published).toEqual([counted('CustomersSynced', { flow: 'customer-sync' })]);
  });

  it('counts a lost answer found committed, then the fact it announces', async () => {
    // Act
    const { published } = await metricsOfStep(
      step('createSalesOrder', orderInput),
      fakeErp({ lose: true, lookup: { state: 'committed', result: order } }),
    );
    // Assess
    expect(published).toEqual([
      counted('LostAnswersResolved', { flow: 'order-to-cash', outcome: 'committed' }),
      counted('OrdersBooked', { flow: 'order-to-cash' }),
      expect.objectContaining({ name: 'OrderAcceptedLatency' }),
    ]);
  });

  it('counts a lost answer found absent, and nothing booked', async () => {
    // Act
    const { outcome, published } = await metricsOfStep(
      step('createSalesOrder', orderInput),
      fakeErp({ lose: true, lookup: { state: 'absent' } }),
    );
    // Assess
    expect(outcome).toBeInstanceOf(ErpUnavailableError);
    expect(published).toEqual([counted('LostAnswersResolved', { flow: 'order-to-cash', outcome: 'absent' })]);
  });

  it('counts an outcome that stays unknown', async () => {
    // Act
    const { outcome, published } = await metricsOfStep(
      step('postInvoice', { sourceOrderId: '5820741173332', erpOrderNumber: 'SO-1', customerNumber: 'C-1' }),
      fakeErp({ lose: true }),
    );
    // Assess
    expect(outcome).toBeInstanceOf(ErpOutcomeUnknownError);
    expect(published).toEqual([counted('UnknownOutcomes', { flow: 'order-to-cash' })]);
  });
});
