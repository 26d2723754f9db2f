/** The ERP adapter's finance operations: an invoice posted for a booked order, a payment applied to it, a refund. */

import { ErpRefusedError } from '../../shared/erp/erp-errors';
import type { PaymentDocument } from '../../shared/erp/erp-port';
import type { OperationHandler, StepContext } from '../erp-step';
import { InvoiceNotYetPostedError } from '../step-errors';
import { optionalText, requiredText } from '../step-input';

/** postInvoice: the booked order invoiced in the ERP, announced as erp.invoice.posted.v1. */
export const postInvoice: OperationHandler = async ({ input, deps, idempotencyKey, commit, announce }) => {
  // All read before the ERP is asked: an input the event needs must not fail after the invoice is posted.
  const sourceOrderId = requiredText(input, 'sourceOrderId');
  const erpOrderNumber = requiredText(input, 'erpOrderNumber');
  const customerNumber = requiredText(input, 'customerNumber');
  const invoice = await commit(() => deps.erp.postInvoice(erpOrderNumber, idempotencyKey));
  await announce('erp.invoice.posted.v1', `invoice/${invoice.number}`, {
    invoiceNumber: invoice.number,
    erpOrderNumber: invoice.orderNumber,
    sourceOrderId,
    customerNumber,
    amount: invoice.amount,
    tax: invoice.tax,
    currency: invoice.currency,
    dueDate: invoice.dueDate,
    postedAt: deps.now().toISOString(),
  });
  return { invoiceNumber: invoice.number, amount: invoice.amount, status: invoice.status };
};

/** Announces a payment document (applied or refunded) as erp.payment.applied.v1 and answers the workflow. */
async function announcePayment(
  { deps, announce }: StepContext,
  paymentId: string,
  document: PaymentDocument,
): Promise<Record<string, unknown>> {
  await announce('erp.payment.applied.v1', `payment/${paymentId}`, {
    erpPaymentId: document.id,
    paymentId,
    invoiceNumber: document.invoiceNumber,
    kind: document.kind,
    amount: document.amount,
    currency: document.currency,
    invoiceStatus: document.invoiceStatus,
    appliedAt: deps.now().toISOString(),
  });
  return { erpPaymentId: document.id, invoiceNumber: document.invoiceNumber, kind: document.kind };
}

/**
 * applyPayment: a payment applied to its invoice (named, or found by its order). A payment that names neither is
 * refused for manual application; one whose order has no invoice yet is held (InvoiceNotYetPostedError).
 */
export const applyPayment: OperationHandler = async (context) => {
  const { input, deps, idempotencyKey, commit } = context;
  const paymentId = requiredText(input, 'paymentId');
  const sourceOrderId = optionalText(input, 'sourceOrderId');
  const invoiceNumber = optionalText(input, 'invoiceNumber');
  // Asked before applying, not after a refusal: an ERP may keep a refusal under the idempotency key (as Stripe
  // does) and replay it to every retry of this step, so the hold must not start with a refused call.
  if (!invoiceNumber) {
    if (!sourceOrderId)
      throw new ErpRefusedError(
        'payment_unmatched',
        `Payment ${paymentId} names neither an order nor an invoice; apply it by hand`,
      );
    const invoices = await deps.erp.listDocuments({ type: 'invoice', externalRef: sourceOrderId });
    if (invoices.length === 0)
      throw new InvoiceNotYetPostedError(`Order ${sourceOrderId} has no invoice in the ERP yet`);
  }
  const request = {
    externalRef: paymentId,
    orderExternalRef: sourceOrderId,
    invoiceNumber,
    amount: requiredText(input, 'amount'),
    currency: requiredText(input, 'currency'),
  };
  const document = await commit(() => deps.erp.applyPayment(request, idempotencyKey));
  return announcePayment(context, paymentId, document);
};

/** refund: money given back against a payment, booked under the refund's own id and announced. */
export const refund: OperationHandler = async (context) => {
  const { input, deps, idempotencyKey, commit } = context;
  const paymentId = requiredText(input, 'paymentId');
  const request = {
    externalRef: requiredText(input, 'refundRef'),
    paymentExternalRef: paymentId,
    amount: requiredText(input, 'amount'),
    currency: requiredText(input, 'currency'),
  };
  const document = await commit(() => deps.erp.refund(request, idempotencyKey));
  return announcePayment(context, paymentId, document);
};
