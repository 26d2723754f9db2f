import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { buildCanonicalEvent, validateCanonicalEvent } from '../../../functions/shared/events/envelope';
import { redactedMarker, redactPii } from '../../../functions/shared/events/pii';
import { canonicalCatalog } from '../../../functions/shared/generated/catalog';

const draft = {
  type: 'commerce.order.cancelled.v1' as const,
  source: 'shopify://acme.myshopify.com',
  subject: 'order/1',
  time: '2026-11-20T10:00:00.000Z',
  entityVersion: 1795184071000,
  data: {
    sourceOrderId: '1',
    orderNumber: '#1',
    cancelledAt: '2026-11-20T10:00:00.000Z',
    reason: 'customer' as const,
    currency: 'USD',
    total: '10.00',
    customer: { email: 'jane@example.com', name: 'Jane Doe', sourceCustomerId: 'c-1' },
  },
};
const identity = { id: '01JD3K8Q9ZB7V2M4N6P8R0T2W4', correlationId: 'corr-1', causationId: 'shopify:evt-1' };

describe('canonical events', () => {
  it('builds a CloudEvents 1.0 envelope that validates', () => {
    // Act
    const event = buildCanonicalEvent(draft, identity);
    // Assess
    expect(event).toMatchObject({
      specversion: '1.0',
      datacontenttype: 'application/json',
      dataschema: canonicalCatalog['commerce.order.cancelled.v1'].schemaId,
    });
    expect(validateCanonicalEvent(event)).toEqual([]);
  });

  it('reports envelope and data violations with their paths', () => {
    // Prepare
    const event = {
      ...buildCanonicalEvent(draft, identity),
      id: 'not-a-ulid',
      data: { ...draft.data, total: '10.123456' },
    };
    // Act
    const violations = validateCanonicalEvent(event);
    // Assess
    expect(violations.map((violation) => violation.path)).toEqual(['/id', '/data/total']);
  });

  it('rejects a type without a schema', () => {
    expect(
      validateCanonicalEvent({
        ...buildCanonicalEvent(draft, identity),
        type: 'commerce.order.shipped.v1',
      } as never),
    ).toContainEqual({
      path: '/type',
      message: 'unknown canonical type "commerce.order.shipped.v1"',
    });
  });

  it('redacts exactly the fields marked x-pii, including whole addresses and array items', () => {
    // Prepare
    const event = buildCanonicalEvent(draft, identity);
    const placed = {
      type: 'commerce.order.placed.v1',
      data: {
        customer: { email: 'a@b.c', sourceCustomerId: 'c-1' },
        shippingAddress: { line1: 'x', city: 'y', countryCode: 'CA' },
        lines: [{ sku: 'A' }],
      },
    };
    // Act
    const redacted = redactPii(event);
    const redactedPlaced = redactPii(placed);
    // Assess
    expect(redacted.data.customer).toEqual({
      email: redactedMarker,
      name: redactedMarker,
      sourceCustomerId: 'c-1',
    });
    expect(event.data.customer?.email).toBe('jane@example.com');
    expect(redactedPlaced.data).toEqual({
      customer: { email: redactedMarker, sourceCustomerId: 'c-1' },
      shippingAddress: redactedMarker,
      lines: [{ sku: 'A' }],
    });
  });

  it('redacts all data of an unknown type', () => {
    expect(redactPii({ type: 'x.y.v1', data: { email: 'a@b.c' } }).data).toBe(redactedMarker);
  });
});

describe('generated schema code', () => {
  it('is up to date with the schema files', () => {
    // Act & Assess: exits non-zero, failing the test, when a schema changed without `npm run generate`.
    expect(() =>
      execFileSync(process.execPath, [require.resolve('tsx/cli'), 'scripts/generate-schemas.ts', '--check'], {
        cwd: path.join(__dirname, '../../..'),
        stdio: 'pipe',
      }),
    ).not.toThrow();
  });
});
