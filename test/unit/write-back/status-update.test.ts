import {
  buildCanonicalEvent,
  type CanonicalEvent,
  type CanonicalTypeName,
} from '../../../functions/shared/events/envelope';
import { platformOf, statusUpdateFor, writeBackKey } from '../../../functions/write-back/status-update';

function erpEvent<T extends CanonicalTypeName>(
  type: T,
  data: Record<string, unknown>,
  origin?: string,
): CanonicalEvent {
  return buildCanonicalEvent(
    {
      type,
      source: 'erp://sandbox',
      subject: 'order/1001',
      time: '2026-11-27T10:00:00.000Z',
      entityVersion: 1,
      data: data as never,
    },
    { id: '01JD0000000000000000000000', correlationId: 'corr-1', causationId: 'cause-1', origin },
  );
}

const accepted = {
  erpOrderNumber: 'SO-000007',
  sourceOrderId: '1001',
  customerNumber: 'C-000001',
  currency: 'USD',
  lines: [{ sku: 'MUG-1', quantity: 1, unitPrice: '10.00', lineTotal: '10.00', tax: '0.80' }],
  subtotal: '10.00',
  tax: '0.80',
  total: '10.80',
  acceptedAt: '2026-11-27T10:00:00.000Z',
};

describe('write-back status updates', () => {
  it('tells the shop an order was accepted, with the ERP order number and total', () => {
    const update = statusUpdateFor(
      erpEvent('erp.order.accepted.v1', accepted, 'shopify://acme.myshopify.com'),
    );
    expect(update).toEqual({
      platform: 'shopify',
      origin: 'shopify://acme.myshopify.com',
      entity: 'order',
      externalRef: '1001',
      status: 'accepted',
      erpReference: 'SO-000007',
      fields: { erp_status: 'accepted', erp_order_number: 'SO-000007', erp_total: '10.80' },
      correlationId: 'corr-1',
      sourceEventId: '01JD0000000000000000000000',
      occurredAt: '2026-11-27T10:00:00.000Z',
    });
  });

  it('links a CRM contact to its ERP account', () => {
    const update = statusUpdateFor(
      erpEvent(
        'erp.customer.synced.v1',
        {
          customerNumber: 'C-000001',
          crmContactId: '98134501',
          appliedFields: ['phone'],
          refusedFields: [],
          syncedAt: '2026-11-27T10:00:00.000Z',
        },
        'hubspot://44219876',
      ),
    );
    expect(update).toMatchObject({
      platform: 'hubspot',
      entity: 'customer',
      externalRef: '98134501',
      status: 'customer-linked',
      fields: { erp_customer_number: 'C-000001' },
    });
  });

  it('writes nothing back for an event without an origin, or of a type platforms do not hear about', () => {
    expect(statusUpdateFor(erpEvent('erp.order.accepted.v1', accepted))).toBeUndefined();
    expect(
      statusUpdateFor(
        erpEvent(
          'erp.order.cancelled.v1',
          { erpOrderNumber: 'SO-1', sourceOrderId: '1001', reason: 'x', cancelledAt: accepted.acceptedAt },
          'shopify://acme.myshopify.com',
        ),
      ),
    ).toBeUndefined();
  });

  it('makes one key per fact, the same for a redelivered event', () => {
    const first = statusUpdateFor(
      erpEvent('erp.order.accepted.v1', accepted, 'shopify://acme.myshopify.com'),
    );
    const again = statusUpdateFor({
      ...erpEvent('erp.order.accepted.v1', accepted, 'shopify://acme.myshopify.com'),
      id: '01JD0000000000000000000001',
    });
    expect(writeBackKey(first as never)).toBe('write-back:shopify:order/1001:accepted:SO-000007');
    expect(writeBackKey(again as never)).toBe(writeBackKey(first as never));
  });

  it('names the platform by the origin URI scheme', () => {
    expect(platformOf('shopify://acme.myshopify.com')).toBe('shopify');
    expect(platformOf('HubSpot://1')).toBe('hubspot');
    expect(platformOf('not a uri')).toBeUndefined();
  });
});
