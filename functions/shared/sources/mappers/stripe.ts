/** Stripe events (payment_intent.succeeded, invoice.paid, charge.refunded) → billing.payment.* events. */
import { fromMinorUnits } from '../../decimal';
import type { EventDraft } from '../../events/envelope';
import type { CustomerRef, OrderRef } from '../../generated/types';
import { entityVersion, runningTotalTieBreak, secondsTieBreakRoom } from './entity-version';
import type { WebhookMapper } from './mapped-delivery';
import { type PayloadReader, readObjectPayload, stripUndefined } from './payload-reader';

// Where merchants put the commerce order on a payment (Stripe metadata is free-form).
const orderIdKeys = ['order_id', 'shopify_order_id', 'orderId'];
const orderNumberKeys = ['order_number', 'orderNumber'];

function orderRef(object: PayloadReader): OrderRef | undefined {
  const metadata = object.optionalObject('metadata');
  if (!metadata) return undefined;
  const sourceOrderId = orderIdKeys.map((key) => metadata.optionalString(key)).find(Boolean);
  const orderNumber = orderNumberKeys.map((key) => metadata.optionalString(key)).find(Boolean);
  return sourceOrderId || orderNumber ? stripUndefined({ sourceOrderId, orderNumber }) : undefined;
}

/** An id field that Stripe sends either as a string or, when expanded, as an object with an id. */
function idOf(object: PayloadReader, key: string): string | undefined {
  const value = (object.raw() as Record<string, unknown>)[key];
  if (value !== null && typeof value === 'object') return object.object(key).string('id');
  return object.optionalString(key);
}

function customerRef(object: PayloadReader, emailKey: string, nameKey?: string): CustomerRef | undefined {
  const ref = stripUndefined({
    sourceCustomerId: idOf(object, 'customer'),
    email: object.optionalString(emailKey),
    name: nameKey ? object.optionalString(nameKey) : undefined,
  });
  return Object.keys(ref).length > 0 ? ref : undefined;
}

function paymentIntentSucceeded(
  event: PayloadReader,
  intent: PayloadReader,
  base: Omit<EventDraft, 'type' | 'subject' | 'data'>,
): EventDraft {
  const currency = intent.string('currency').toUpperCase();
  const paymentId = intent.string('id');
  const invoiceId = idOf(intent, 'invoice');
  const methods = (intent.raw() as { payment_method_types?: unknown }).payment_method_types;
  return {
    ...base,
    type: 'billing.payment.succeeded.v1',
    subject: `payment/${paymentId}`,
    data: stripUndefined({
      paymentId,
      amount: fromMinorUnits(intent.optionalInteger('amount_received') ?? intent.integer('amount'), currency),
      currency,
      paidAt: event.unixSeconds('created').iso,
      method: Array.isArray(methods) && typeof methods[0] === 'string' ? methods[0] : undefined,
      customer: customerRef(intent, 'receipt_email'),
      orderRef: orderRef(intent),
      invoiceRef: invoiceId ? { sourceInvoiceId: invoiceId } : undefined,
      description: intent.optionalString('description'),
    }),
  };
}

function invoicePaid(
  event: PayloadReader,
  invoice: PayloadReader,
  base: Omit<EventDraft, 'type' | 'subject' | 'data'>,
): EventDraft {
  const currency = invoice.string('currency').toUpperCase();
  // Older API versions name the PaymentIntent on the invoice; newer ones only list payments: fall back to the invoice.
  const paymentId = idOf(invoice, 'payment_intent') ?? invoice.string('id');
  const paidAtSec =
    invoice.optionalObject('status_transitions')?.optionalInteger('paid_at') ?? event.integer('created');
  return {
    ...base,
    type: 'billing.payment.succeeded.v1',
    subject: `payment/${paymentId}`,
    data: stripUndefined({
      paymentId,
      amount: fromMinorUnits(invoice.integer('amount_paid'), currency),
      currency,
      paidAt: new Date(paidAtSec * 1000).toISOString(),
      customer: customerRef(invoice, 'customer_email', 'customer_name'),
      orderRef: orderRef(invoice),
      invoiceRef: stripUndefined({
        sourceInvoiceId: invoice.string('id'),
        number: invoice.optionalString('number'),
      }),
      description: invoice.optionalString('description'),
    }),
  };
}

function chargeRefunded(
  event: PayloadReader,
  charge: PayloadReader,
  base: Omit<EventDraft, 'type' | 'subject' | 'data'>,
): EventDraft {
  const currency = charge.string('currency').toUpperCase();
  const paymentId = idOf(charge, 'payment_intent') ?? charge.string('id');
  const totalRefunded = charge.integer('amount_refunded');
  // Since API 2022-11-15 the refunds list is not in the event: this refund is the growth of amount_refunded.
  const previousRefunded =
    event.object('data').optionalObject('previous_attributes')?.optionalInteger('amount_refunded') ?? 0;
  const refunds = (charge.raw() as { refunds?: { data?: unknown } }).refunds?.data;
  const latestRefund =
    Array.isArray(refunds) && refunds.length > 0 ? charge.object('refunds').array('data')[0] : undefined;
  const refundedAmount = latestRefund?.optionalInteger('amount') ?? totalRefunded - previousRefunded;
  const capturedAmount = charge.integer('amount_captured');
  return {
    ...base,
    // Stripe stamps events in whole seconds and gives them no sequence; refunds of one charge order by the total
    // refunded, which each refund raises (and above the payment's own version, whose tie-break is 0).
    entityVersion: entityVersion(
      event.integer('created') * 1000,
      1000,
      runningTotalTieBreak(totalRefunded, capturedAmount, secondsTieBreakRoom),
      '/data/object/amount_refunded',
    ),
    type: 'billing.payment.refunded.v1',
    subject: `payment/${paymentId}`,
    data: stripUndefined({
      paymentId,
      refundId: latestRefund?.optionalString('id'),
      refundedAmount: fromMinorUnits(refundedAmount, currency),
      totalRefunded: fromMinorUnits(totalRefunded, currency),
      capturedAmount: fromMinorUnits(capturedAmount, currency),
      currency,
      fullyRefunded: charge.optionalBoolean('refunded') ?? totalRefunded >= capturedAmount,
      refundedAt: latestRefund?.optionalInteger('created')
        ? latestRefund.unixSeconds('created').iso
        : event.unixSeconds('created').iso,
      reason: latestRefund?.optionalString('reason'),
      customer: customerRef(charge, 'receipt_email'),
      orderRef: orderRef(charge),
    }),
  };
}

const handlers: Record<string, typeof paymentIntentSucceeded> = {
  'payment_intent.succeeded': paymentIntentSucceeded,
  'invoice.paid': invoicePaid,
  'charge.refunded': chargeRefunded,
};

/** Maps one Stripe event; the delivery id is the event id (evt_…), constant across Stripe's retries. */
export const mapStripe: WebhookMapper = async (_request, payload) => {
  const event = readObjectPayload(payload);
  const deliveryId = event.string('id');
  const type = event.string('type');
  const handler = handlers[type];
  if (!handler)
    return [{ kind: 'ignored', deliveryId, reason: `Stripe event type ${type} is not synchronised` }];
  const created = event.unixSeconds('created');
  const account = event.optionalString('account') ?? 'platform';
  // A payment's version is its event's second (tie-break 0): payment_intent.succeeded and invoice.paid of one payment
  // report the same change and share it. A refund's adds its tie-break (chargeRefunded).
  const base = {
    source: `stripe://${account}`,
    time: created.iso,
    entityVersion: entityVersion(created.epochMs, 1000, 0, '/created'),
  };
  return [{ kind: 'event', deliveryId, draft: handler(event, event.object('data').object('object'), base) }];
};
