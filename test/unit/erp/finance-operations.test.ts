import {
  applyPayment,
  postInvoice,
  refund,
} from '../../../functions/erp-adapter/operations/finance-operations';
import { InvoiceNotYetPostedError } from '../../../functions/erp-adapter/step-errors';
import { ErpOutcomeUnknownError, ErpRefusedError } from '../../../functions/shared/erp/erp-errors';
import { erpStepHarness } from './erp-step-harness';

const orderInput = {
  externalRef: '5820741173332',
  customerNumber: 'C-1',
  currency: 'EUR',
  lines: [{ sku: 'CAP-WOOL-OS', quantity: 1 }],
};

/** A harness whose ERP holds order 5820741173332 (SO-000001, 11.90 EUR), invoiced when asked. */
async function withOrder(options: { invoiced: boolean }) {
  const harness = erpStepHarness();
  harness.erp.addCustomer({ customerNumber: 'C-1' });
  const order = await harness.erp.createSalesOrder(orderInput, 'earlier-order');
  const invoice = options.invoiced
    ? await harness.erp.postInvoice(order.number, 'earlier-invoice')
    : undefined;
  harness.erp.calls.length = 0;
  return { ...harness, order, invoice };
}

const paymentStep = {
  flow: 'payment-application',
  businessKey: 'payment/pi_1',
  entityVersion: 1_764_000_000,
};

describe('postInvoice', () => {
  it('invoices the order and announces the invoice with its latency', async () => {
    // Prepare
    const { run, step, published, metricNames } = await withOrder({ invoiced: false });
    // Act
    const result = await run(
      postInvoice,
      step('postInvoice', {
        sourceOrderId: '5820741173332',
        erpOrderNumber: 'SO-000001',
        customerNumber: 'C-1',
      }),
    );
    // Assess
    expect(result).toEqual({ invoiceNumber: 'INV-000002', amount: '11.90', status: 'OPEN' });
    expect(published.map((event) => [event.type, event.subject, event.data])).toEqual([
      [
        'erp.invoice.posted.v1',
        'invoice/INV-000002',
        expect.objectContaining({ erpOrderNumber: 'SO-000001', customerNumber: 'C-1', amount: '11.90' }),
      ],
    ]);
    expect(metricNames()).toEqual(['InvoicesPosted', 'InvoicePostedLatency']);
  });

  it('rejects a step without the customer number before the invoice is posted', async () => {
    // Prepare
    const { erp, run, step } = await withOrder({ invoiced: false });
    // Act
    const result = await run(
      postInvoice,
      step('postInvoice', { sourceOrderId: '5820741173332', erpOrderNumber: 'SO-000001' }),
    );
    // Assess
    expect(result).toMatchObject({ name: 'ErpRefusedError', code: 'invalid_step_input' });
    expect(erp.invoices.size).toBe(0);
  });

  it('fails as ErpOutcomeUnknownError when the answer is lost and the change is still in flight', async () => {
    // Prepare
    const { erp, run, step, published } = await withOrder({ invoiced: false });
    erp.failNext('postInvoice', new ErpOutcomeUnknownError('ERP POST /invoices: 503'));
    erp.lookupWhenUncommitted = { state: 'in-flight' };
    // Act
    const result = await run(
      postInvoice,
      step('postInvoice', {
        sourceOrderId: '5820741173332',
        erpOrderNumber: 'SO-000001',
        customerNumber: 'C-1',
      }),
    );
    // Assess
    expect(result).toBeInstanceOf(ErpOutcomeUnknownError);
    expect((result as Error).message).toContain('a change under this key is still in progress');
    expect(published).toEqual([]);
  });
});

describe('applyPayment', () => {
  it('applies a payment to the invoice of its order and announces it', async () => {
    // Prepare
    const { erp, run, step, published, metricNames } = await withOrder({ invoiced: true });
    // Act
    const result = await run(
      applyPayment,
      step(
        'applyPayment',
        { paymentId: 'pi_1', sourceOrderId: '5820741173332', amount: '11.90', currency: 'EUR' },
        paymentStep,
      ),
    );
    // Assess
    expect(result).toEqual({ erpPaymentId: 'PAY-000003', invoiceNumber: 'INV-000002', kind: 'APPLIED' });
    expect(erp.callsOf('applyPayment')[0]?.args.at(-1)).toBe('payment-application:applyPayment:pi_1');
    expect(published[0]).toMatchObject({
      type: 'erp.payment.applied.v1',
      subject: 'payment/pi_1',
      data: { invoiceStatus: 'PAID', amount: '11.90' },
    });
    expect(metricNames()).toEqual(['PaymentsApplied', 'PaymentAppliedLatency']);
  });

  it('fails as InvoiceNotYetPostedError before applying when the order has no invoice yet', async () => {
    // Prepare
    const { erp, run, step } = await withOrder({ invoiced: false });
    // Act
    const result = await run(
      applyPayment,
      step(
        'applyPayment',
        { paymentId: 'pi_1', sourceOrderId: '5820741173332', amount: '11.90', currency: 'EUR' },
        paymentStep,
      ),
    );
    // Assess
    expect(result).toBeInstanceOf(InvoiceNotYetPostedError);
    expect(erp.callsOf('applyPayment')).toEqual([]);
  });

  it('refuses a payment that names neither an order nor an invoice, for manual application', async () => {
    // Prepare
    const { erp, run, step } = await withOrder({ invoiced: true });
    // Act
    const result = await run(
      applyPayment,
      step('applyPayment', { paymentId: 'pi_1', amount: '11.90', currency: 'EUR' }, paymentStep),
    );
    // Assess
    expect(result).toBeInstanceOf(ErpRefusedError);
    expect(result).toMatchObject({ code: 'payment_unmatched' });
    expect(erp.calls).toEqual([]);
  });

  it('fails with the ERP refusal for an invoice the ERP does not hold', async () => {
    // Prepare
    const { run, step, published } = await withOrder({ invoiced: true });
    // Act
    const result = await run(
      applyPayment,
      step(
        'applyPayment',
        { paymentId: 'pi_1', invoiceNumber: 'INV-9', amount: '1.00', currency: 'EUR' },
        paymentStep,
      ),
    );
    // Assess
    expect(result).toMatchObject({ name: 'ErpRefusedError', code: 'invoice_not_found' });
    expect(published).toEqual([]);
  });
});

describe('refund', () => {
  it('books two partial refunds of one payment under their own keys and counts them as refunds', async () => {
    // Prepare
    const { erp, run, step, published, metricNames } = await withOrder({ invoiced: true });
    await erp.applyPayment(
      { externalRef: 'pi_1', invoiceNumber: 'INV-000002', amount: '11.90', currency: 'EUR' },
      'earlier-payment',
    );
    const refundOf = (refundRef: string) =>
      step('refund', { paymentId: 'pi_1', refundRef, amount: '1.00', currency: 'EUR' }, paymentStep);
    // Act
    const first = await run(refund, refundOf('re_1'));
    const second = await run(refund, refundOf('re_2'));
    // Assess
    expect([first, second]).toEqual([
      expect.objectContaining({ kind: 'REFUND' }),
      expect.objectContaining({ kind: 'REFUND' }),
    ]);
    expect(erp.payments.filter((doc) => doc.kind === 'REFUND').map((doc) => doc.externalRef)).toEqual([
      're_1',
      're_2',
    ]);
    expect(published.map((event) => event.data)).toEqual([
      expect.objectContaining({ kind: 'REFUND', invoiceStatus: 'PARTIALLY_PAID' }),
      expect.objectContaining({ kind: 'REFUND', invoiceStatus: 'PARTIALLY_PAID' }),
    ]);
    expect(metricNames()).toEqual(['RefundsBooked', 'RefundsBooked']);
  });

  it('rejects a refund without its refund id, changing nothing', async () => {
    // Prepare
    const { erp, run, step } = await withOrder({ invoiced: true });
    // Act: the step's key is the refund id, so the step is refused before the ERP is asked
    const result = await run(
      refund,
      step('refund', { paymentId: 'pi_1', amount: '1.00', currency: 'EUR' }, paymentStep),
    );
    // Assess
    expect(result).toMatchObject({
      name: 'ErpRefusedError',
      message: 'Step input refundRef must be a non-empty string',
    });
    expect(erp.calls).toEqual([]);
  });
});
