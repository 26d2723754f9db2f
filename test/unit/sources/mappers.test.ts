import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SchemaViolationError } from '../../../functions/shared/errors';
import { buildCanonicalEvent, validateCanonicalEvent } from '../../../functions/shared/events/envelope';
import type { MappedDelivery } from '../../../functions/shared/sources/mappers/mapped-delivery';
import { loadSourceRegistry } from '../../../functions/shared/sources/source-registry';
import type { WebhookRequest } from '../../../functions/shared/sources/webhook-request';
import { signedHubspot, signedShopify, signedStandardWebhook, signedStripe } from '../../support/signers';

const fixturesDir = path.join(__dirname, '../../fixtures');
const fixture = (name: string) => readFileSync(path.join(fixturesDir, name), 'utf8');
const sources = loadSourceRegistry();

async function mapWith(
  sourceName: string,
  request: ReturnType<typeof signedShopify>,
): Promise<MappedDelivery[]> {
  const source = sources.get(sourceName);
  if (!source) throw new Error(`no source ${sourceName}`);
  return source.map(request, JSON.parse(request.body.toString('utf8')));
}

function onlyEvent(deliveries: MappedDelivery[]) {
  expect(deliveries).toHaveLength(1);
  const [delivery] = deliveries;
  if (delivery?.kind !== 'event') throw new Error(`expected an event, got ${JSON.stringify(delivery)}`);
  return delivery;
}

function expectSchemaValid(delivery: MappedDelivery & { kind: 'event' }) {
  const event = buildCanonicalEvent(delivery.draft, {
    id: '01JD3K8Q9ZB7V2M4N6P8R0T2W4',
    correlationId: 'corr-1',
    causationId: `test:${delivery.deliveryId}`,
  });
  expect(validateCanonicalEvent(event)).toEqual([]);
  return event;
}

describe('mapShopify', () => {
  it('maps orders/create to a schema-valid commerce.order.placed.v1 with exact money', async () => {
    // Act
    const delivery = onlyEvent(
      await mapWith(
        'shopify',
        signedShopify(fixture('shopify/orders-create.json'), 's', { eventId: 'evt-77' }),
      ),
    );
    const event = expectSchemaValid(delivery);
    // Assess
    expect(delivery.deliveryId).toBe('evt-77');
    expect(event).toMatchObject({
      type: 'commerce.order.placed.v1',
      source: 'shopify://acme-outdoor.myshopify.com',
      subject: 'order/5820741173332',
      time: '2026-11-20T14:14:31.000Z',
      // updated_at's second in version ticks; the fixture's trigger is in that same instant (tie-break 0).
      entityversion: Date.parse('2026-11-20T09:14:33-05:00') * 1000,
    });
    expect(event.data).toMatchObject({
      sourceOrderId: '5820741173332',
      orderNumber: '#1042',
      currency: 'USD',
      customer: { sourceCustomerId: '7391025561940', email: 'jane.doe@example.com', name: 'Jane Doe' },
      shippingAddress: {
        line1: '123 Main Street',
        city: 'Ottawa',
        region: 'ON',
        postalCode: 'K2P 1L4',
        countryCode: 'CA',
      },
      totals: { subtotal: '209.97', discounts: '10.00', shipping: '6.00', tax: '16.18', total: '232.15' },
      paymentStatus: 'paid',
      tags: ['vip', 'wholesale'],
    });
    expect((event.data as { lines: unknown }).lines).toEqual([
      {
        lineId: '14872010326356',
        sku: 'TR-42-SLATE',
        title: 'Trail Runner',
        quantity: 2,
        unitPrice: '89.99',
        discount: '10.00',
        taxLines: [{ title: 'ON HST', rate: '0.08', amount: '13.60' }],
        lineTotal: '169.98',
      },
      {
        lineId: '14872010359124',
        sku: 'SOCK-MER-M',
        title: 'Merino Socks',
        quantity: 1,
        unitPrice: '39.99',
        discount: '0.00',
        taxLines: [{ title: 'ON HST', rate: '0.08', amount: '2.58' }],
        lineTotal: '39.99',
      },
    ]);
  });

  it('maps orders/updated to commerce.order.amended.v1 versioned by updated_at', async () => {
    const delivery = onlyEvent(
      await mapWith(
        'shopify',
        signedShopify(fixture('shopify/orders-updated.json'), 's', { topic: 'orders/updated' }),
      ),
    );
    const event = expectSchemaValid(delivery);
    expect(event.type).toBe('commerce.order.amended.v1');
    expect(event.data).toMatchObject({ amendedAt: '2026-11-20T16:02:10.000Z', note: 'Deliver after 5pm' });
    expect(event.entityversion).toBe(Date.parse('2026-11-20T16:02:10Z') * 1000);
  });

  it('maps orders/cancelled to commerce.order.cancelled.v1 with the reason', async () => {
    const delivery = onlyEvent(
      await mapWith(
        'shopify',
        signedShopify(fixture('shopify/orders-cancelled.json'), 's', { topic: 'orders/cancelled' }),
      ),
    );
    const event = expectSchemaValid(delivery);
    expect(event).toMatchObject({ type: 'commerce.order.cancelled.v1', subject: 'order/5820741173332' });
    expect(event.data).toMatchObject({
      reason: 'customer',
      cancelledAt: '2026-11-21T13:00:00.000Z',
      total: '232.15',
      currency: 'USD',
    });
  });

  it('ignores topics it does not synchronise', async () => {
    const [delivery] = await mapWith('shopify', signedShopify('{"id":1}', 's', { topic: 'products/create' }));
    expect(delivery).toMatchObject({
      kind: 'ignored',
      reason: 'Shopify topic products/create is not synchronised',
    });
  });

  it('rejects a line without a SKU naming its path', async () => {
    // Prepare
    const order = JSON.parse(fixture('shopify/orders-create.json'));
    order.line_items[1].sku = null;
    // Act
    const mapping = mapWith('shopify', signedShopify(JSON.stringify(order), 's'));
    // Assess
    await expect(mapping).rejects.toThrow(SchemaViolationError);
    await expect(mapping).rejects.toMatchObject({ violations: [{ path: '/line_items/1/sku' }] });
  });
});

describe('mapStripe', () => {
  it('maps payment_intent.succeeded to billing.payment.succeeded.v1 in major units', async () => {
    const delivery = onlyEvent(
      await mapWith('stripe', signedStripe(fixture('stripe/payment-intent-succeeded.json'), 'whsec_x')),
    );
    const event = expectSchemaValid(delivery);
    expect(delivery.deliveryId).toBe('evt_3QkP0y2eZvKYlo2C1aT9x8Jd');
    expect(event).toMatchObject({
      source: 'stripe://platform',
      subject: 'payment/pi_3QkP0y2eZvKYlo2C1pQd4R7t',
      entityversion: 1795184071_000_000,
    });
    expect(event.data).toEqual({
      paymentId: 'pi_3QkP0y2eZvKYlo2C1pQd4R7t',
      amount: '232.15',
      currency: 'USD',
      paidAt: '2026-11-20T14:14:31.000Z',
      method: 'card',
      customer: { sourceCustomerId: 'cus_R4zEJ9bQx1nTVd', email: 'jane.doe@example.com' },
      orderRef: { sourceOrderId: '5820741173332', orderNumber: '#1042' },
      description: 'Order #1042',
    });
  });

  it('maps invoice.paid in a zero-decimal currency without inventing decimals', async () => {
    const delivery = onlyEvent(
      await mapWith('stripe', signedStripe(fixture('stripe/invoice-paid.json'), 'whsec_x')),
    );
    const event = expectSchemaValid(delivery);
    expect(event.data).toMatchObject({
      paymentId: 'pi_1QkRt02eZvKYlo2CnV5Xc3Lm',
      amount: '150000',
      currency: 'JPY',
      invoiceRef: { sourceInvoiceId: 'in_1QkRsz2eZvKYlo2Cg2xq8TfN', number: 'A1B2C3D4-0007' },
      customer: { name: 'Kenji Sato', email: 'kenji.sato@example.jp' },
    });
  });

  it('maps charge.refunded to this refund from the growth of amount_refunded', async () => {
    const delivery = onlyEvent(
      await mapWith('stripe', signedStripe(fixture('stripe/charge-refunded.json'), 'whsec_x')),
    );
    const event = expectSchemaValid(delivery);
    expect(event.type).toBe('billing.payment.refunded.v1');
    expect(event.data).toMatchObject({
      paymentId: 'pi_3QkP0y2eZvKYlo2C1pQd4R7t',
      refundedAmount: '89.99',
      totalRefunded: '89.99',
      capturedAmount: '232.15',
      fullyRefunded: false,
    });
  });

  it('ignores event types it does not synchronise', async () => {
    const [delivery] = await mapWith(
      'stripe',
      signedStripe(
        JSON.stringify({ id: 'evt_1', type: 'customer.created', created: 1, data: { object: {} } }),
        'w',
      ),
    );
    expect(delivery).toMatchObject({ kind: 'ignored', deliveryId: 'evt_1' });
  });
});

describe('mapHubspot', () => {
  it('makes one event per contact event of the batch and ignores unsynchronised properties', async () => {
    // Act
    const deliveries = await mapWith(
      'hubspot',
      signedHubspot(fixture('hubspot/contact-events.json'), 'secret'),
    );
    // Assess
    expect(deliveries.map((delivery) => [delivery.kind, delivery.deliveryId])).toEqual([
      ['event', '1948271030'],
      ['event', '1948271031'],
      ['event', '1948271032'],
      ['ignored', '1948271033'],
    ]);
    const events = deliveries.flatMap((delivery) =>
      delivery.kind === 'event' ? [expectSchemaValid(delivery)] : [],
    );
    expect(events.map((event) => event.data)).toEqual([
      {
        crmContactId: '98134501',
        change: 'created',
        changedFields: [],
        customer: {},
        changeSource: 'CRM_UI',
      },
      {
        crmContactId: '98134501',
        change: 'updated',
        changedFields: ['email'],
        customer: { email: 'maria.garcia@example.es' },
        changeSource: 'CRM_UI',
      },
      {
        crmContactId: '98134501',
        change: 'updated',
        changedFields: ['address'],
        customer: { address: { city: 'Valencia' } },
        changeSource: 'INTEGRATION',
      },
    ]);
    expect(events[1]).toMatchObject({
      subject: 'customer/hubspot-98134501',
      source: 'hubspot://portal/44219876',
      // occurredAt (ms) in version ticks, then the event id's last three digits as the tie-break.
      entityversion: 1795188000456_031,
    });
  });

  it('carries a change to an ERP-owned property as a foreign change, applying nothing', async () => {
    // Prepare
    const [template] = JSON.parse(fixture('hubspot/contact-events.json'));
    const change = {
      ...template,
      subscriptionType: 'contact.propertyChange',
      propertyName: 'credit_limit',
      propertyValue: '50000',
    };
    // Act
    const [delivery] = await mapWith('hubspot', signedHubspot(JSON.stringify([change]), 'secret'));
    // Assess
    expect(expectSchemaValid(delivery as MappedDelivery & { kind: 'event' }).data).toEqual({
      crmContactId: '98134501',
      change: 'updated',
      changedFields: [],
      foreignChanges: [{ field: 'creditLimit', sourceProperty: 'credit_limit', value: '50000' }],
      customer: {},
      changeSource: 'CRM_UI',
    });
  });

  it('rejects a payload that is not an array', async () => {
    await expect(mapWith('hubspot', signedHubspot('{"eventId":1}', 'secret'))).rejects.toThrow(
      'HubSpot payload must be a non-empty array of events',
    );
  });
});

describe('declared mapping (billing-hub, Standard Webhooks)', () => {
  it('maps payment.succeeded through the JSONata table to a schema-valid event', async () => {
    const request = signedStandardWebhook(
      'billing-hub',
      fixture('billing-hub/payment-succeeded.json'),
      'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      { messageId: 'msg_abc' },
    );
    const delivery = onlyEvent(await mapWith('billing-hub', request));
    const event = expectSchemaValid(delivery);
    expect(delivery.deliveryId).toBe('msg_abc');
    expect(event).toMatchObject({
      source: 'billing-hub://acme',
      subject: 'payment/pay_01JD3K8Q9ZB7V2M4N6P8R0T2W4',
    });
    expect(Math.floor(event.entityversion / 1000)).toBe(Date.parse('2026-11-20T15:30:12.345Z'));
    expect(event.data).toEqual({
      paymentId: 'pay_01JD3K8Q9ZB7V2M4N6P8R0T2W4',
      amount: '1499.00',
      currency: 'EUR',
      paidAt: '2026-11-20T15:30:10Z',
      method: 'sepa_debit',
      customer: { sourceCustomerId: 'cust_7781', email: 'ap@globex.example' },
      invoiceRef: { sourceInvoiceId: 'inv_5521', number: 'BH-2026-005521' },
    });
  });

  it('maps payment.refunded and derives fullyRefunded by value', async () => {
    const request = signedStandardWebhook(
      'billing-hub',
      fixture('billing-hub/payment-refunded.json'),
      'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    );
    const event = expectSchemaValid(onlyEvent(await mapWith('billing-hub', request)));
    expect(event.data).toMatchObject({ refundedAmount: '1499.00', fullyRefunded: true, currency: 'EUR' });
  });

  it('ignores sender event types without a mapping', async () => {
    const request = signedStandardWebhook(
      'billing-hub',
      '{"type":"subscription.created","timestamp":"2026-11-20T00:00:00Z","data":{}}',
      'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    );
    const [delivery] = await mapWith('billing-hub', request);
    expect(delivery).toMatchObject({
      kind: 'ignored',
      reason: 'billing-hub event type subscription.created is not synchronised',
    });
  });
});

describe('entity versions', () => {
  async function versionOf(sourceName: string, request: WebhookRequest): Promise<number> {
    return onlyEvent(await mapWith(sourceName, request)).draft.entityVersion;
  }

  /** orders/updated of the fixture order, edited at `updatedAt` and triggered at `triggeredAt`. */
  function shopifyEdit(
    updatedAt: string,
    triggeredAt: string | undefined,
    options: { eventId: string; note: string; receivedAt?: Date },
  ): WebhookRequest {
    const order = {
      ...JSON.parse(fixture('shopify/orders-updated.json')),
      updated_at: updatedAt,
      note: options.note,
    };
    const request = signedShopify(JSON.stringify(order), 's', { topic: 'orders/updated', ...options });
    const headers: Record<string, string> = { ...request.headers };
    if (triggeredAt) headers['x-shopify-triggered-at'] = triggeredAt;
    else delete headers['x-shopify-triggered-at'];
    return { ...request, headers };
  }

  /** charge.refunded of the fixture charge: a refund that brings the total refunded from `before` to `after`. */
  function stripeRefund(eventId: string, before: number, after: number, captured = 23215): WebhookRequest {
    const event = JSON.parse(fixture('stripe/charge-refunded.json'));
    event.id = eventId;
    event.data.object.amount = captured;
    event.data.object.amount_captured = captured;
    event.data.object.amount_refunded = after;
    event.data.previous_attributes.amount_refunded = before;
    return signedStripe(JSON.stringify(event), 'whsec_x');
  }

  it('orders two Shopify edits in the same second as Shopify triggered them', async () => {
    // Prepare: updated_at has whole seconds only; the trigger times tell the edits apart.
    const first = shopifyEdit('2026-11-20T11:02:10-05:00', '2026-11-20T16:02:10.120Z', {
      eventId: 'edit-1',
      note: 'Leave at the door',
    });
    const second = shopifyEdit('2026-11-20T11:02:10-05:00', '2026-11-20T16:02:10.480731Z', {
      eventId: 'edit-2',
      note: 'Deliver after 5pm',
    });
    const nextSecond = shopifyEdit('2026-11-20T11:02:11-05:00', '2026-11-20T16:02:11.010Z', {
      eventId: 'edit-3',
      note: 'Call first',
    });
    // Act
    const versions = [
      await versionOf('shopify', first),
      await versionOf('shopify', second),
      await versionOf('shopify', nextSecond),
    ];
    // Assess
    const second0 = Date.parse('2026-11-20T16:02:10Z') * 1000;
    expect(versions).toEqual([second0 + 120, second0 + 480, second0 + 1_000_000 + 10]);
  });

  it('keeps a Shopify edit triggered seconds late within its second, still ordered by its trigger', async () => {
    // Prepare
    const late = shopifyEdit('2026-11-20T11:02:10-05:00', '2026-11-20T16:02:13.250Z', {
      eventId: 'edit-late',
      note: 'late',
    });
    const muchLater = shopifyEdit('2026-11-20T11:02:10-05:00', '2026-11-20T17:00:00.000Z', {
      eventId: 'edit-capped',
      note: 'capped',
    });
    // Act
    const versions = [await versionOf('shopify', late), await versionOf('shopify', muchLater)];
    // Assess: a lag of 3,250 ms; beyond the room the tie-break stays at its top, below the next second.
    const second0 = Date.parse('2026-11-20T16:02:10Z') * 1000;
    expect(versions).toEqual([second0 + 3_250, second0 + 999_999]);
  });

  it('versions a Shopify creation at its second, before any edit of that second, whatever its trigger time', async () => {
    // Prepare
    const create = signedShopify(fixture('shopify/orders-create.json'), 's', { eventId: 'create-1' });
    const replayed = {
      ...create,
      headers: {
        ...create.headers,
        'x-shopify-event-id': 'forged',
        'x-shopify-triggered-at': '2026-11-20T14:20:00Z',
      },
    };
    // Act
    const versions = [await versionOf('shopify', create), await versionOf('shopify', replayed)];
    // Assess
    expect(versions).toEqual([
      Date.parse('2026-11-20T14:14:33Z') * 1000,
      Date.parse('2026-11-20T14:14:33Z') * 1000,
    ]);
  });

  it('gives a Shopify edit without X-Shopify-Triggered-At the version of its second', async () => {
    const version = await versionOf(
      'shopify',
      shopifyEdit('2026-11-20T11:02:10-05:00', undefined, { eventId: 'edit-1', note: 'n' }),
    );
    expect(version).toBe(Date.parse('2026-11-20T16:02:10Z') * 1000);
  });

  it('gives a redelivery of the same Shopify change the same version', async () => {
    // Prepare: Shopify's retry, hours later, of the same event: same body, event id and trigger time.
    const change = (receivedAt: Date) =>
      shopifyEdit('2026-11-20T11:02:10-05:00', '2026-11-20T16:02:10.120Z', {
        eventId: 'edit-1',
        note: 'Leave at the door',
        receivedAt,
      });
    // Act
    const first = await versionOf('shopify', change(new Date('2026-11-20T16:02:11Z')));
    const retry = await versionOf('shopify', change(new Date('2026-11-20T19:40:00Z')));
    // Assess
    expect(retry).toBe(first);
  });

  it('orders two Stripe partial refunds in the same second by the total refunded, above the payment', async () => {
    // Prepare: two partial refunds of one charge, both in the event second 1795276800.
    const payment = JSON.parse(fixture('stripe/payment-intent-succeeded.json'));
    payment.created = 1795276800;
    // Act
    const paid = await versionOf('stripe', signedStripe(JSON.stringify(payment), 'whsec_x'));
    const firstRefund = await versionOf('stripe', stripeRefund('evt_refund_1', 0, 3000));
    const secondRefund = await versionOf('stripe', stripeRefund('evt_refund_2', 3000, 8999));
    // Assess: the charge is under a million minor units, so the tie-break is the total itself.
    expect([paid, firstRefund, secondRefund]).toEqual([
      1795276800_000_000,
      1795276800_000_000 + 3000,
      1795276800_000_000 + 8999,
    ]);
  });

  it('keeps Stripe refunds of a large charge distinct and ordered by their share of it', async () => {
    // Prepare: 150,000,000 minor units captured (1.5 million in a two-decimal currency).
    const captured = 150_000_000;
    // Act
    const versions = [
      await versionOf('stripe', stripeRefund('evt_a', 0, 1_000, captured)),
      await versionOf('stripe', stripeRefund('evt_b', 1_000, 2_000, captured)),
      await versionOf('stripe', stripeRefund('evt_c', 2_000, captured, captured)),
    ];
    // Assess
    expect(versions).toEqual([1795276800_000_000 + 7, 1795276800_000_000 + 14, 1795276800_000_000 + 999_999]);
  });

  it('gives a redelivery of the same Stripe refund the same version', async () => {
    const first = await versionOf('stripe', stripeRefund('evt_refund_1', 0, 3000));
    const retry = await versionOf('stripe', stripeRefund('evt_refund_1', 0, 3000));
    expect(retry).toBe(first);
  });

  it('tells apart two HubSpot changes of one property in the same millisecond by their event ids, and keeps a retry', async () => {
    // Prepare
    const [, template] = JSON.parse(fixture('hubspot/contact-events.json'));
    const change = (eventId: number, attemptNumber: number, propertyValue: string) =>
      signedHubspot(JSON.stringify([{ ...template, eventId, attemptNumber, propertyValue }]), 'secret');
    // Act
    const first = await versionOf('hubspot', change(1948271031, 0, 'maria@example.es'));
    const second = await versionOf('hubspot', change(1948271047, 0, 'maria.garcia@example.es'));
    const retry = await versionOf('hubspot', change(1948271031, 1, 'maria@example.es'));
    // Assess
    expect([first, second]).toEqual([1795188000456_031, 1795188000456_047]);
    expect(retry).toBe(first);
  });

  it('tells apart two billing-hub refunds in the same millisecond by their message ids, and keeps a retry', async () => {
    // Prepare
    const body = fixture('billing-hub/payment-refunded.json');
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const message = (messageId: string, signedAt: Date) =>
      signedStandardWebhook('billing-hub', body, secret, { messageId, signedAt });
    // Act
    const first = await versionOf('billing-hub', message('msg_2pQ8sXk4bN7vL1mR3tY6wZ9c', new Date()));
    const second = await versionOf('billing-hub', message('msg_2pQ8sXk4bN7vL1mR3tY6wZ9d', new Date()));
    const retry = await versionOf(
      'billing-hub',
      message('msg_2pQ8sXk4bN7vL1mR3tY6wZ9c', new Date(Date.now() + 60_000)),
    );
    // Assess
    const ms = Date.parse('2026-11-22T10:00:00.000Z');
    expect([Math.floor(first / 1000), Math.floor(second / 1000)]).toEqual([ms, ms]);
    expect(second).not.toBe(first);
    expect(retry).toBe(first);
  });
});
