import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { createWebhookHandler } from '../../../functions/ingest-webhook/http-adapter';
import { type IngestDependencies, receiveWebhook } from '../../../functions/ingest-webhook/receive-webhook';
import { validateCanonicalEvent } from '../../../functions/shared/events/envelope';
import type { WebhookRequest } from '../../../functions/shared/sources/webhook-request';
import { apiGatewayEvent } from '../../support/api-gateway-event';
import { inMemoryIngest, RecordingLogger, testSecrets } from '../../support/in-memory-ports';
import { signedHubspot, signedShopify, signedStandardWebhook, signedStripe } from '../../support/signers';

const orderBody = readFileSync(path.join(__dirname, '../../fixtures/shopify/orders-create.json'), 'utf8');
const now = new Date('2026-11-20T15:00:00Z');

function handlerFor(deps: IngestDependencies) {
  return createWebhookHandler(
    (request) => receiveWebhook(request, deps),
    new RecordingLogger(),
    () => now,
  );
}

describe('createWebhookHandler', () => {
  it('answers 202 with the event and correlation ids for a new webhook', async () => {
    // Prepare
    const { deps, publisher } = inMemoryIngest();
    // Act
    const result = await handlerFor(deps)(
      apiGatewayEvent(signedShopify(orderBody, testSecrets.shopify[0], { receivedAt: now })),
    );
    // Assess
    expect(result.statusCode).toBe(202);
    expect(JSON.parse(result.body)).toMatchObject({
      eventId: publisher.published[0]?.id,
      correlationId: publisher.published[0]?.correlationid,
    });
  });

  it('verifies over the exact raw bytes of a base64-encoded body', async () => {
    const { deps } = inMemoryIngest();
    const result = await handlerFor(deps)(
      apiGatewayEvent(signedShopify(orderBody, testSecrets.shopify[0], { receivedAt: now }), {
        base64: true,
      }),
    );
    expect(result.statusCode).toBe(202);
  });

  it('answers 200 with the original ids for a duplicate', async () => {
    // Prepare
    const { deps } = inMemoryIngest();
    const handle = handlerFor(deps);
    const event = apiGatewayEvent(signedShopify(orderBody, testSecrets.shopify[0], { receivedAt: now }));
    const first = JSON.parse((await handle(event)).body);
    // Act
    const second = await handle(event);
    // Assess
    expect(second.statusCode).toBe(200);
    expect(JSON.parse(second.body)).toMatchObject({
      duplicate: true,
      eventId: first.eventId,
      correlationId: first.correlationId,
    });
  });

  it('verifies HubSpot against the public URL rebuilt from the request context', async () => {
    const { deps } = inMemoryIngest();
    const body = readFileSync(path.join(__dirname, '../../fixtures/hubspot/contact-events.json'), 'utf8');
    const result = await handlerFor(deps)(
      apiGatewayEvent(signedHubspot(body, testSecrets.hubspot[1], { receivedAt: now })),
    );
    expect(result.statusCode).toBe(202);
  });

  it.each([
    ['unknown source', (r: WebhookRequest) => ({ ...r, sourceName: 'netsuite' }), 404, 'unknown-source'],
    [
      'wrong content type',
      (r: WebhookRequest) => ({
        ...r,
        headers: { ...r.headers, 'content-type': 'application/x-www-form-urlencoded' },
      }),
      415,
      'unsupported-media-type',
    ],
    [
      'bad signature',
      (r: WebhookRequest) => ({ ...r, headers: { ...r.headers, 'x-shopify-hmac-sha256': 'AAAA' } }),
      401,
      'invalid-signature',
    ],
    [
      'a shop with no secret',
      (r: WebhookRequest) => ({
        ...r,
        headers: { ...r.headers, 'x-shopify-shop-domain': 'unknown-shop.myshopify.com' },
      }),
      401,
      'invalid-signature',
    ],
  ])('answers a problem+json for %s', async (_name, alter, status, slug) => {
    // Prepare
    const { deps, publisher } = inMemoryIngest();
    // Act
    const result = await handlerFor(deps)(
      apiGatewayEvent(alter(signedShopify(orderBody, testSecrets.shopify[0], { receivedAt: now }))),
    );
    // Assess
    expect(result.statusCode).toBe(status);
    expect(result.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(result.body)).toMatchObject({
      // The problem's page under the default base (no PROBLEM_TYPE_BASE_URI here).
      type: `https://docs.concord.internal/problems/${slug}.md`,
      status,
      instance: 'JkYbWhH3IAMEVxg=',
    });
    expect(publisher.published).toHaveLength(0);
  });

  it('answers 413 for a body over the limit', async () => {
    const { deps } = inMemoryIngest({ limits: { maxBodyBytes: 100, inProgressSec: 60 } });
    const result = await handlerFor(deps)(
      apiGatewayEvent(signedShopify(orderBody, testSecrets.shopify[0], { receivedAt: now })),
    );
    expect(result.statusCode).toBe(413);
  });

  it('answers 422 with the violations and the quarantine reference', async () => {
    // Prepare
    const { deps } = inMemoryIngest();
    const order = JSON.parse(orderBody);
    order.currency = 'usd';
    // Act
    const result = await handlerFor(deps)(
      apiGatewayEvent(signedShopify(JSON.stringify(order), testSecrets.shopify[0], { receivedAt: now })),
    );
    // Assess
    expect(result.statusCode).toBe(422);
    expect(JSON.parse(result.body)).toMatchObject({
      quarantineRef: 'memory://quarantine/1',
      violations: expect.arrayContaining([
        { path: '/data/currency', message: 'must match pattern "^[A-Z]{3}$"' },
      ]),
    });
  });

  it('answers 503 with Retry-After when the bus is down, so the sender retries', async () => {
    const { deps, publisher } = inMemoryIngest();
    publisher.failing = true;
    const result = await handlerFor(deps)(
      apiGatewayEvent(signedShopify(orderBody, testSecrets.shopify[0], { receivedAt: now })),
    );
    expect(result.statusCode).toBe(503);
    expect(result.headers['retry-after']).toBe('30');
  });

  it('answers 500 without internal details when the use case fails unexpectedly', async () => {
    const handle = createWebhookHandler(async () => {
      throw new TypeError('secret table arn:aws:dynamodb:... exploded');
    }, new RecordingLogger());
    const result = await handle(apiGatewayEvent(signedShopify(orderBody, 's')));
    expect(result.statusCode).toBe(500);
    expect(result.body).not.toContain('arn:aws');
  });
});

describe('createWebhookHandler (properties)', () => {
  const sourceNames = ['shopify', 'stripe', 'hubspot', 'billing-hub', 'unknown'];
  const headerNames = [
    'content-type',
    'x-shopify-hmac-sha256',
    'x-shopify-topic',
    'stripe-signature',
    'x-hubspot-signature-v3',
    'x-hubspot-request-timestamp',
    'webhook-id',
    'webhook-timestamp',
    'webhook-signature',
  ];

  it('never answers 5xx and never publishes for arbitrary bodies and headers', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...sourceNames),
        fc.uint8Array({ maxLength: 2048 }),
        fc.dictionary(fc.constantFrom(...headerNames), fc.string({ maxLength: 120 })),
        // Mostly a JSON content type, so that cases reach the signature check and beyond.
        fc.oneof(
          fc.constant('application/json'),
          fc.constant('application/json; charset=utf-8'),
          fc.string({ maxLength: 40 }),
        ),
        fc.boolean(),
        async (sourceName, bytes, headers, contentType, base64) => {
          const { deps, publisher } = inMemoryIngest();
          const request: WebhookRequest = {
            sourceName,
            method: 'POST',
            url: 'https://hooks.concord.example/webhooks/x',
            headers: { ...headers, 'content-type': contentType },
            body: Buffer.from(bytes),
            receivedAt: now,
          };
          const result = await handlerFor(deps)(apiGatewayEvent(request, { base64 }));
          expect(result.statusCode).toBeGreaterThanOrEqual(400);
          expect(result.statusCode).toBeLessThan(500);
          expect(publisher.published).toHaveLength(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never answers 5xx for correctly signed arbitrary JSON, and publishes only schema-valid events', async () => {
    const signers: Record<string, (body: string) => WebhookRequest> = {
      shopify: (body) => signedShopify(body, testSecrets.shopify[0], { receivedAt: now }),
      stripe: (body) => signedStripe(body, testSecrets.stripe[0], { receivedAt: now }),
      hubspot: (body) => signedHubspot(body, testSecrets.hubspot[0], { receivedAt: now }),
      'billing-hub': (body) =>
        signedStandardWebhook('billing-hub', body, testSecrets['billing-hub'][0], { receivedAt: now }),
    };
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...Object.keys(signers)),
        fc.jsonValue({ maxDepth: 4 }),
        async (sourceName, payload) => {
          const { deps, publisher } = inMemoryIngest();
          const sign = signers[sourceName] as (body: string) => WebhookRequest;
          const result = await handlerFor(deps)(apiGatewayEvent(sign(JSON.stringify(payload))));
          expect(result.statusCode).toBeLessThan(500);
          if (result.statusCode !== 202) expect(publisher.published).toHaveLength(0);
          for (const event of publisher.published) expect(validateCanonicalEvent(event)).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });
});
