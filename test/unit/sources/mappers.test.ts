import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SchemaViolationError } from '../../../functions/shared/errors';
import { buildCanonicalEvent, validateCanonicalEvent } from '../../../functions/shared/events/envelope';
import type { MappedDelivery } from '../../../functions/shared/sources/mappers/mapped-delivery';
import { loadSourceRegistry } from '../../../functions/shared/sources/source-registry';
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
      entityversion: Date.parse('2026-11-20T09:14:33-05:00'),
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
    expect(event.entityversion).toBe(Date.parse('2026-11-20T16:02:10Z'));
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
      entityversion: 1795184071000,
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
      entityversion: 1795188000456,
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
      entityversion: Date.parse('2026-11-20T15:30:12.345Z'),
    });
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
