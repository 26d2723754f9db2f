/** Shopify order webhooks (orders/create, orders/updated, orders/cancelled) → commerce.order.* events. */
import { lineTotal, sumDecimals } from '../../decimal';
import { MalformedPayloadError, SchemaViolationError } from '../../errors';
import type { EventDraft } from '../../events/envelope';
import type { Address, CustomerRef, Order } from '../../generated/types';
import { shopifyShopDomain } from '../signatures/shopify';
import type { WebhookRequest } from '../webhook-request';
import { entityVersion, lagTieBreak, secondsTieBreakRoom } from './entity-version';
import type { MappedDelivery, WebhookMapper } from './mapped-delivery';
import { type PayloadReader, readObjectPayload, stripUndefined } from './payload-reader';

const paymentStatuses: Record<string, Order['paymentStatus']> = {
  pending: 'pending',
  authorized: 'authorized',
  partially_paid: 'partially_paid',
  paid: 'paid',
  partially_refunded: 'partially_refunded',
  refunded: 'refunded',
  voided: 'voided',
  expired: 'voided',
};

const cancelReasons = new Set(['customer', 'fraud', 'inventory', 'declined', 'staff', 'other']);

function header(request: WebhookRequest, name: string): string {
  const value = request.headers[name];
  if (!value) throw new MalformedPayloadError(`Missing ${name} header`);
  return value;
}

function mapAddress(address: PayloadReader | undefined): Address | undefined {
  if (!address) return undefined;
  const name = [address.optionalString('first_name'), address.optionalString('last_name')]
    .filter(Boolean)
    .join(' ');
  return stripUndefined({
    name: name || address.optionalString('name'),
    company: address.optionalString('company'),
    line1: address.string('address1'),
    line2: address.optionalString('address2'),
    city: address.string('city'),
    region: address.optionalString('province_code') ?? address.optionalString('province'),
    postalCode: address.optionalString('zip'),
    countryCode: address.string('country_code'),
    phone: address.optionalString('phone'),
  });
}

function mapCustomer(order: PayloadReader): CustomerRef {
  const customer = order.optionalObject('customer');
  const name = customer
    ? [customer.optionalString('first_name'), customer.optionalString('last_name')].filter(Boolean).join(' ')
    : '';
  return stripUndefined({
    sourceCustomerId: customer?.optionalString('id'),
    email:
      order.optionalString('email') ??
      order.optionalString('contact_email') ??
      customer?.optionalString('email'),
    name: name || undefined,
    phone: order.optionalString('phone') ?? customer?.optionalString('phone'),
  });
}

function lineDiscount(line: PayloadReader): string {
  const allocations = line.raw() as { discount_allocations?: unknown };
  if (Array.isArray(allocations.discount_allocations) && allocations.discount_allocations.length > 0) {
    return sumDecimals(line.array('discount_allocations').map((allocation) => allocation.string('amount')));
  }
  return line.optionalString('total_discount') ?? '0.00';
}

function shippingTotal(order: PayloadReader): string {
  const shopMoney = order.optionalObject('total_shipping_price_set')?.optionalObject('shop_money');
  if (shopMoney) return shopMoney.string('amount');
  const shippingLines = (order.raw() as { shipping_lines?: unknown }).shipping_lines;
  return Array.isArray(shippingLines)
    ? sumDecimals(order.array('shipping_lines').map((line) => line.string('price')))
    : '0.00';
}

function decimalOrViolation(compute: () => string, path: string): string {
  try {
    return compute();
  } catch (error) {
    throw new SchemaViolationError(`Payload field ${path} is not a decimal amount`, [
      { path, message: (error as Error).message },
    ]);
  }
}

function mapOrder(order: PayloadReader): Order {
  const lines = order.array('line_items').map((line) => {
    const quantity = line.integer('quantity');
    const unitPrice = line.string('price');
    const discount = decimalOrViolation(() => lineDiscount(line), `${line.path}/discount_allocations`);
    return stripUndefined({
      lineId: line.string('id'),
      sku: line.string('sku'),
      title: line.optionalString('title'),
      quantity,
      unitPrice,
      discount,
      taxLines: line.array('tax_lines').map((tax) => ({
        title: tax.string('title'),
        rate: String((tax.raw() as { rate?: unknown }).rate ?? ''),
        amount: tax.string('price'),
      })),
      lineTotal: decimalOrViolation(() => lineTotal(quantity, unitPrice, discount), `${line.path}/price`),
    });
  });
  const financialStatus = order.optionalString('financial_status') ?? 'pending';
  const paymentStatus = paymentStatuses[financialStatus];
  if (!paymentStatus) {
    throw new SchemaViolationError(`Unknown Shopify financial_status "${financialStatus}"`, [
      { path: '/financial_status', message: `unknown value "${financialStatus}"` },
    ]);
  }
  const tags = order.optionalString('tags');
  return stripUndefined({
    sourceOrderId: order.string('id'),
    orderNumber: order.optionalString('name') ?? order.string('order_number'),
    placedAt: order.timestamp('created_at').iso,
    currency: order.string('currency'),
    customer: mapCustomer(order),
    billingAddress: mapAddress(order.optionalObject('billing_address')),
    shippingAddress: mapAddress(order.optionalObject('shipping_address')),
    lines: lines as Order['lines'],
    totals: {
      subtotal: order.string('subtotal_price'),
      discounts: order.optionalString('total_discounts') ?? '0.00',
      shipping: decimalOrViolation(() => shippingTotal(order), '/shipping_lines'),
      tax: order.optionalString('total_tax') ?? '0.00',
      total: order.string('total_price'),
    },
    paymentStatus,
    note: order.optionalString('note'),
    tags: tags
      ? tags
          .split(',')
          .map((tag) => tag.trim())
          .filter(Boolean)
      : undefined,
  });
}

const synchronisedTopics = new Set(['orders/create', 'orders/updated', 'orders/cancelled']);

/**
 * The order's version: `updated_at`, which Shopify stamps in whole seconds, then how long after that second the
 * change's event was triggered (X-Shopify-Triggered-At, the event's own time, sent unchanged on retries), so two
 * edits within one second order as Shopify triggered them. A creation takes tie-break 0: it comes before any edit of
 * its second, and since the header is not signed, a replayed creation body cannot pass the gate at a new version.
 */
function orderVersion(request: WebhookRequest, updatedMs: number, topic: string): number {
  const secondMs = Math.floor(updatedMs / 1000) * 1000;
  const triggeredAt = topic === 'orders/create' ? undefined : request.headers['x-shopify-triggered-at'];
  const triggeredAtMs = triggeredAt ? Date.parse(triggeredAt) : undefined;
  return entityVersion(
    secondMs,
    1000,
    lagTieBreak(secondMs, triggeredAtMs, secondsTieBreakRoom),
    '/updated_at',
  );
}

function draftFor(
  topic: string,
  order: PayloadReader,
  source: string,
  request: WebhookRequest,
): EventDraft | undefined {
  if (!synchronisedTopics.has(topic)) return undefined;
  const subject = `order/${order.string('id')}`;
  const updated = order.timestamp('updated_at');
  const version = orderVersion(request, updated.epochMs, topic);
  switch (topic) {
    case 'orders/create':
      return {
        type: 'commerce.order.placed.v1',
        source,
        subject,
        time: order.timestamp('created_at').iso,
        entityVersion: version,
        data: mapOrder(order),
      };
    case 'orders/updated':
      return {
        type: 'commerce.order.amended.v1',
        source,
        subject,
        time: updated.iso,
        entityVersion: version,
        data: { ...mapOrder(order), amendedAt: updated.iso },
      };
    case 'orders/cancelled': {
      const cancelledAt = order.timestamp('cancelled_at');
      const reason = order.optionalString('cancel_reason') ?? 'other';
      return {
        type: 'commerce.order.cancelled.v1',
        source,
        subject,
        time: cancelledAt.iso,
        entityVersion: version,
        data: stripUndefined({
          sourceOrderId: order.string('id'),
          orderNumber: order.optionalString('name') ?? order.string('order_number'),
          cancelledAt: cancelledAt.iso,
          reason: (cancelReasons.has(reason) ? reason : 'other') as 'other',
          currency: order.string('currency'),
          total: order.string('total_price'),
          customer: mapCustomer(order),
        }),
      };
    }
    default:
      return undefined;
  }
}

/** Maps one Shopify webhook; the delivery id is X-Shopify-Event-Id (X-Shopify-Webhook-Id on older API versions). */
export const mapShopify: WebhookMapper = async (request, payload) => {
  const topic = header(request, 'x-shopify-topic');
  const deliveryId = request.headers['x-shopify-event-id'] || header(request, 'x-shopify-webhook-id');
  // The shop whose secret verified the body (the ingest edge verifies with the same function's answer).
  const source = `shopify://${shopifyShopDomain(request)}`;
  const draft = draftFor(topic, readObjectPayload(payload), source, request);
  const delivery: MappedDelivery = draft
    ? { kind: 'event', deliveryId, draft }
    : { kind: 'ignored', deliveryId, reason: `Shopify topic ${topic} is not synchronised` };
  return [delivery];
};
