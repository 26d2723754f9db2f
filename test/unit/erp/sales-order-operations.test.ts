import {
  amendSalesOrder,
  awaitSalesOrder,
  cancelSalesOrder,
  checkCredit,
  createSalesOrder,
  emitRejected,
  quote,
  releaseInventory,
  reserveInventory,
} from '../../../functions/erp-adapter/operations/sales-order-operations';
import { OrderNotYetKnownError } from '../../../functions/erp-adapter/step-errors';
import {
  ErpOutcomeUnknownError,
  ErpRefusedError,
  ErpThrottledError,
  ErpUnavailableError,
} from '../../../functions/shared/erp/erp-errors';
import { erpStepHarness } from './erp-step-harness';

const lines = [{ sku: 'CAP-WOOL-OS', quantity: 2 }];
const orderInput = { externalRef: '5820741173332', customerNumber: 'C-1', currency: 'EUR', lines };

describe('quote', () => {
  it('answers the ERP prices, tax and availability of the lines', async () => {
    // Prepare
    const { run, step } = erpStepHarness();
    // Act
    const result = await run(quote, step('quote', { customerNumber: 'C-1', currency: 'EUR', lines }));
    // Assess
    expect(result).toMatchObject({
      currency: 'EUR',
      subtotal: '20.00',
      tax: '3.80',
      total: '23.80',
      allAvailable: true,
    });
  });

  it('rejects lines that are not a list without asking the ERP', async () => {
    // Prepare
    const { erp, run, step } = erpStepHarness();
    // Act
    const result = await run(
      quote,
      step('quote', { customerNumber: 'C-1', currency: 'EUR', lines: 'CAP x2' }),
    );
    // Assess
    expect(result).toBeInstanceOf(ErpRefusedError);
    expect(result).toMatchObject({ code: 'invalid_step_input' });
    expect(erp.calls).toEqual([]);
  });
});

describe('checkCredit', () => {
  it('answers a hold as a decision the workflow branches on, not an error', async () => {
    // Prepare
    const { erp, run, step } = erpStepHarness();
    erp.addCustomer({ customerNumber: 'C-1', creditLimit: '10.00' });
    // Act
    const result = await run(
      checkCredit,
      step('checkCredit', { customerNumber: 'C-1', amount: '23.80', currency: 'EUR' }),
    );
    // Assess
    expect(result).toEqual({
      decision: 'hold',
      customerNumber: 'C-1',
      availableCredit: '10.00',
      reason: 'credit limit exceeded',
    });
  });

  it('rejects a step without an amount, naming the input', async () => {
    // Prepare
    const { erp, run, step } = erpStepHarness();
    // Act
    const result = await run(checkCredit, step('checkCredit', { customerNumber: 'C-1', currency: 'EUR' }));
    // Assess
    expect(result).toBeInstanceOf(ErpRefusedError);
    expect((result as Error).message).toBe('Step input amount must be a non-empty string');
    expect(erp.calls).toEqual([]);
  });
});

describe('reserveInventory', () => {
  it('reserves the lines once under the step key, however often the step runs', async () => {
    // Prepare
    const { erp, run, step } = erpStepHarness();
    const reserve = step('reserveInventory', { orderRef: '5820741173332', lines });
    // Act
    const first = await run(reserveInventory, reserve);
    const again = await run(reserveInventory, reserve);
    // Assess
    expect(first).toMatchObject({ status: 'ACTIVE', orderRef: '5820741173332' });
    expect(again).toEqual(first);
    expect(erp.stock.get('CAP-WOOL-OS')).toBe(98);
    expect(erp.callsOf('reserveInventory')[0]?.args.at(-1)).toBe(
      'order-to-cash:reserveInventory:order/5820741173332:1',
    );
  });

  it('fails with the ERP refusal when the stock is short', async () => {
    // Prepare
    const { erp, run, step } = erpStepHarness();
    erp.stock.set('CAP-WOOL-OS', 1);
    // Act
    const result = await run(
      reserveInventory,
      step('reserveInventory', { orderRef: '5820741173332', lines }),
    );
    // Assess
    expect(result).toBeInstanceOf(ErpRefusedError);
    expect(result).toMatchObject({ code: 'out_of_stock' });
    expect(erp.stock.get('CAP-WOOL-OS')).toBe(1);
  });

  it('fails as ErpUnavailableError when the answer is lost and the ERP confirms it holds nothing', async () => {
    // Prepare
    const { erp, run, step, metricNames } = erpStepHarness();
    erp.failNext('reserveInventory', new ErpOutcomeUnknownError('ERP POST /reservations: failed with 502'));
    // Act
    const result = await run(
      reserveInventory,
      step('reserveInventory', { orderRef: '5820741173332', lines }),
    );
    // Assess
    expect(result).toBeInstanceOf(ErpUnavailableError);
    expect((result as Error).cause).toBeInstanceOf(ErpOutcomeUnknownError);
    expect(metricNames()).toEqual(['LostAnswersResolved']);
  });

  it('passes a throttle through with its Retry-After, for the handler and the workflow to honour', async () => {
    // Prepare
    const { erp, run, step } = erpStepHarness();
    erp.failNext('reserveInventory', new ErpThrottledError('ERP asked to slow down', 3));
    // Act
    const result = await run(
      reserveInventory,
      step('reserveInventory', { orderRef: '5820741173332', lines }),
    );
    // Assess
    expect(result).toBeInstanceOf(ErpThrottledError);
    expect(result).toMatchObject({ retryAfterSec: 3 });
    expect(erp.reservations.size).toBe(0);
  });
});

describe('releaseInventory', () => {
  it('gives the reserved stock back', async () => {
    // Prepare
    const { erp, run, step } = erpStepHarness();
    const reservation = await erp.reserveInventory({ orderRef: '5820741173332', lines }, 'earlier-step');
    // Act
    const result = await run(
      releaseInventory,
      step('releaseInventory', { reservationId: reservation.reservationId }),
    );
    // Assess
    expect(result).toMatchObject({ reservationId: reservation.reservationId, status: 'RELEASED' });
    expect(erp.stock.get('CAP-WOOL-OS')).toBe(100);
  });
});

describe('createSalesOrder', () => {
  it('books the order with the source as its channel and announces it accepted', async () => {
    // Prepare
    const { erp, run, step, published, metricNames } = erpStepHarness();
    erp.addCustomer({ customerNumber: 'C-1' });
    // Act
    const result = await run(createSalesOrder, step('createSalesOrder', orderInput));
    // Assess
    expect(result).toEqual({
      erpOrderNumber: 'SO-000001',
      status: 'ACCEPTED',
      total: '23.80',
      currency: 'EUR',
      customerNumber: 'C-1',
    });
    expect(erp.orders.get('5820741173332')?.channel).toBe('shopify://acme.myshopify.com');
    expect(published).toEqual([
      expect.objectContaining({
        type: 'erp.order.accepted.v1',
        subject: 'order/5820741173332',
        source: 'erp://sandbox',
        origin: 'shopify://acme.myshopify.com',
        data: expect.objectContaining({
          erpOrderNumber: 'SO-000001',
          lines: [{ sku: 'CAP-WOOL-OS', quantity: 2, unitPrice: '10.00', lineTotal: '20.00', tax: '3.80' }],
          total: '23.80',
        }),
      }),
    ]);
    expect(metricNames()).toEqual(['OrdersBooked', 'OrderAcceptedLatency']);
  });

  it('books an order on credit hold and announces it held with the credit check reason', async () => {
    // Prepare
    const { erp, run, step, published } = erpStepHarness();
    erp.addCustomer({ customerNumber: 'C-1' });
    // Act
    await run(
      createSalesOrder,
      step('createSalesOrder', {
        ...orderInput,
        creditHold: true,
        creditReason: 'over the limit by 13.80',
        availableCredit: '10.00',
      }),
    );
    // Assess
    expect(published.map((event) => [event.type, event.data])).toEqual([
      [
        'erp.order.credit-held.v1',
        expect.objectContaining({
          reason: 'over the limit by 13.80',
          availableCredit: '10.00',
          total: '23.80',
        }),
      ],
    ]);
  });

  it('continues with the committed order when its answer is lost, announcing it under the same id', async () => {
    // Prepare
    const { erp, run, step, published, metricNames } = erpStepHarness();
    erp.addCustomer({ customerNumber: 'C-1' });
    erp.loseNextAnswer('createSalesOrder');
    const create = step('createSalesOrder', orderInput);
    // Act
    const lost = await run(createSalesOrder, create);
    const again = await run(createSalesOrder, create);
    // Assess
    expect(lost).toEqual(again);
    expect(erp.orders.size).toBe(1);
    expect(published).toHaveLength(2);
    expect(published[0]?.id).toBe(published[1]?.id);
    expect(metricNames()[0]).toBe('LostAnswersResolved');
  });

  it('fails as ErpOutcomeUnknownError and announces nothing when the ERP cannot tell what became of it', async () => {
    // Prepare
    const { erp, run, step, published } = erpStepHarness();
    erp.addCustomer({ customerNumber: 'C-1' });
    erp.failNext('createSalesOrder', new ErpOutcomeUnknownError('ERP POST /sales-orders: timed out'));
    erp.lookupWhenUncommitted = { state: 'in-flight' };
    // Act
    const result = await run(createSalesOrder, step('createSalesOrder', orderInput));
    // Assess
    expect(result).toBeInstanceOf(ErpOutcomeUnknownError);
    expect((result as Error).message).toContain('still unknown after 2 reads');
    expect(published).toEqual([]);
  });

  it('fails with the ERP refusal and announces nothing', async () => {
    // Prepare
    const { run, step, published } = erpStepHarness();
    // Act: no customer C-1 in the ERP
    const result = await run(createSalesOrder, step('createSalesOrder', orderInput));
    // Assess
    expect(result).toBeInstanceOf(ErpRefusedError);
    expect(result).toMatchObject({ code: 'unknown_customer' });
    expect(published).toEqual([]);
  });
});

describe('awaitSalesOrder', () => {
  it('answers the booked order', async () => {
    // Prepare
    const { erp, run, step } = erpStepHarness();
    erp.addCustomer({ customerNumber: 'C-1' });
    await erp.createSalesOrder(orderInput, 'earlier-step');
    // Act
    const result = await run(awaitSalesOrder, step('awaitSalesOrder', { sourceOrderId: '5820741173332' }));
    // Assess
    expect(result).toEqual({ erpOrderNumber: 'SO-000001', status: 'ACCEPTED' });
  });

  it('fails as OrderNotYetKnownError while the order is not booked, so the flow holds it', async () => {
    // Prepare
    const { run, step } = erpStepHarness();
    // Act
    const result = await run(awaitSalesOrder, step('awaitSalesOrder', { sourceOrderId: '5820741173332' }));
    // Assess
    expect(result).toBeInstanceOf(OrderNotYetKnownError);
    expect((result as Error).name).toBe('OrderNotYetKnownError');
  });
});

describe('amendSalesOrder', () => {
  async function booked() {
    const harness = erpStepHarness();
    harness.erp.addCustomer({ customerNumber: 'C-1' });
    await harness.erp.createSalesOrder(orderInput, 'earlier-step');
    return harness;
  }

  it('changes the lines and announces the amended total', async () => {
    // Prepare
    const { run, step, published } = await booked();
    // Act
    const result = await run(
      amendSalesOrder,
      step('amendSalesOrder', {
        sourceOrderId: '5820741173332',
        lines: [{ sku: 'CAP-WOOL-OS', quantity: 3 }],
      }),
    );
    // Assess
    expect(result).toEqual({ erpOrderNumber: 'SO-000001', status: 'ACCEPTED', total: '35.70' });
    expect(published.map((event) => [event.type, event.data])).toEqual([
      ['erp.order.amended.v1', expect.objectContaining({ erpVersion: 2, total: '35.70' })],
    ]);
  });

  it('answers unchanged for an update with the lines the order already has', async () => {
    // Prepare
    const { erp, run, step, published } = await booked();
    // Act
    const result = await run(
      amendSalesOrder,
      step('amendSalesOrder', { sourceOrderId: '5820741173332', lines }),
    );
    // Assess
    expect(result).toEqual({ erpOrderNumber: 'SO-000001', status: 'ACCEPTED', unchanged: true });
    expect(erp.callsOf('amendSalesOrder')).toEqual([]);
    expect(published).toEqual([]);
  });

  it('announces its own amendment whose answer was lost when the retry finds the lines already changed', async () => {
    // Prepare
    const { erp, run, step, published, metricNames } = await booked();
    const amend = step('amendSalesOrder', {
      sourceOrderId: '5820741173332',
      lines: [{ sku: 'CAP-WOOL-OS', quantity: 3 }],
    });
    erp.loseNextAnswer('amendSalesOrder');
    const lookupChange = erp.lookupChange.bind(erp);
    let reads = 0;
    // The two reads right after the loss fail too, so the first run ends unknown.
    erp.lookupChange = async (key) => {
      reads += 1;
      if (reads <= 2) throw new ErpUnavailableError('ERP GET /idempotency-keys: refused');
      return lookupChange(key);
    };
    const lost = await run(amendSalesOrder, amend);
    // Act
    const retried = await run(amendSalesOrder, amend);
    // Assess
    expect(lost).toBeInstanceOf(ErpOutcomeUnknownError);
    expect(erp.orders.get('5820741173332')?.version).toBe(2);
    expect(erp.callsOf('amendSalesOrder')).toHaveLength(1);
    expect(retried).toEqual({ erpOrderNumber: 'SO-000001', status: 'ACCEPTED', total: '35.70' });
    expect(published.map((event) => event.type)).toEqual(['erp.order.amended.v1']);
    expect(metricNames()).toEqual(['LostAnswersResolved']);
  });

  it('fails as OrderNotYetKnownError for an amendment that arrives before its order', async () => {
    // Prepare
    const { run, step } = erpStepHarness();
    // Act
    const result = await run(
      amendSalesOrder,
      step('amendSalesOrder', { sourceOrderId: '5820741173332', lines }),
    );
    // Assess
    expect(result).toBeInstanceOf(OrderNotYetKnownError);
  });
});

describe('cancelSalesOrder', () => {
  it('cancels the order found by its source id and announces the reason', async () => {
    // Prepare
    const { erp, run, step, published } = erpStepHarness();
    erp.addCustomer({ customerNumber: 'C-1' });
    await erp.createSalesOrder(orderInput, 'earlier-step');
    // Act
    const result = await run(
      cancelSalesOrder,
      step('cancelSalesOrder', { sourceOrderId: '5820741173332', reason: 'customer' }),
    );
    // Assess
    expect(result).toEqual({ erpOrderNumber: 'SO-000001', status: 'CANCELLED' });
    expect(published.map((event) => [event.type, event.data])).toEqual([
      [
        'erp.order.cancelled.v1',
        expect.objectContaining({ reason: 'customer', erpOrderNumber: 'SO-000001' }),
      ],
    ]);
  });

  it('fails with the ERP refusal for an invoiced order, announcing nothing', async () => {
    // Prepare
    const { erp, run, step, published } = erpStepHarness();
    erp.addCustomer({ customerNumber: 'C-1' });
    const order = await erp.createSalesOrder(orderInput, 'earlier-step');
    await erp.postInvoice(order.number, 'earlier-invoice');
    // Act
    const result = await run(
      cancelSalesOrder,
      step('cancelSalesOrder', { sourceOrderId: '5820741173332', erpOrderNumber: order.number }),
    );
    // Assess
    expect(result).toMatchObject({ name: 'ErpRefusedError', code: 'not_cancellable' });
    expect(published).toEqual([]);
  });
});

describe('emitRejected', () => {
  it('announces the refused order with what was compensated and counts it under its reason', async () => {
    // Prepare
    const { run, step, published, metrics } = erpStepHarness();
    // Act
    const result = await run(
      emitRejected,
      step('emitRejected', {
        sourceOrderId: '5820741173332',
        reasonCode: 'ErpRefusedError',
        reason: 'x'.repeat(2500),
        failedStep: 'ReserveInventory',
        compensated: ['ReleaseInventory'],
      }),
    );
    // Assess
    expect(result).toEqual({ rejected: true });
    expect(published[0]?.data).toMatchObject({
      reasonCode: 'ErpRefusedError',
      failedStep: 'ReserveInventory',
      compensated: ['ReleaseInventory'],
    });
    expect((published[0]?.data as { reason?: string } | undefined)?.reason).toHaveLength(2000);
    expect(metrics).toEqual([
      expect.objectContaining({
        name: 'OrdersRefused',
        dimensions: { flow: 'order-to-cash', reason: 'ErpRefusedError' },
      }),
    ]);
  });

  it('rejects a list of compensations that is not a list of step names, publishing nothing', async () => {
    // Prepare
    const { run, step, published } = erpStepHarness();
    // Act
    const result = await run(
      emitRejected,
      step('emitRejected', { sourceOrderId: '5820741173332', reasonCode: 'other', compensated: [1] }),
    );
    // Assess
    expect(result).toMatchObject({ name: 'ErpRefusedError', code: 'invalid_step_input' });
    expect(published).toEqual([]);
  });
});
