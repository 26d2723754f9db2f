import { readFileSync } from 'node:fs';
import path from 'node:path';
import { receiveWebhook } from '../../../functions/ingest-webhook/receive-webhook';
import {
  ConfigurationError,
  DeliveryInProgressError,
  DownstreamUnavailableError,
  MalformedPayloadError,
  PayloadTooLargeError,
  SchemaViolationError,
  SignatureInvalidError,
  UnknownSourceError,
  UnsupportedMediaTypeError,
} from '../../../functions/shared/errors';
import { validateCanonicalEvent } from '../../../functions/shared/events/envelope';
import { inMemoryIngest, StaticSecrets, testSecrets } from '../../support/in-memory-ports';
import { signedHubspot, signedShopify, signedStripe, testShopDomain } from '../../support/signers';

const fixture = (name: string) => readFileSync(path.join(__dirname, '../../fixtures', name), 'utf8');
const orderBody = fixture('shopify/orders-create.json');
const [shopifySecret, previousShopifySecret] = testSecrets.shopify;

describe('receiveWebhook', () => {
  it('publishes a verified order as one schema-valid canonical event and archives the raw webhook first', async () => {
    // Prepare
    const { deps, publisher, archive } = inMemoryIngest();
    const request = signedShopify(orderBody, shopifySecret, { eventId: 'evt-1' });
    // Act
    const outcome = await receiveWebhook(request, deps);
    // Assess
    expect(outcome.kind).toBe('accepted');
    expect(publisher.published).toHaveLength(1);
    const [event] = publisher.published;
    expect(validateCanonicalEvent(event as never)).toEqual([]);
    expect(event).toMatchObject({ type: 'commerce.order.placed.v1', causationid: 'shopify:evt-1' });
    expect(outcome).toMatchObject({
      deliveries: [
        { deliveryId: 'evt-1', eventId: event?.id, correlationId: event?.correlationid, duplicate: false },
      ],
    });
    expect(archive.raw).toHaveLength(1);
    expect(Buffer.from(archive.raw[0]?.bodyBase64 ?? '', 'base64').toString('utf8')).toBe(orderBody);
    expect(archive.raw[0]?.headers['x-shopify-hmac-sha256']).toBe('[redacted]');
  });

  it('answers a redelivery with the original ids and publishes nothing more', async () => {
    // Prepare
    const { deps, publisher, archive } = inMemoryIngest();
    const first = await receiveWebhook(signedShopify(orderBody, shopifySecret, { eventId: 'evt-1' }), deps);
    // Act
    const second = await receiveWebhook(signedShopify(orderBody, shopifySecret, { eventId: 'evt-1' }), deps);
    // Assess
    expect(second.kind).toBe('duplicate');
    if (first.kind !== 'accepted' || second.kind !== 'duplicate') throw new Error('unexpected outcomes');
    expect(second.deliveries[0]).toEqual({ ...first.deliveries[0], duplicate: true });
    expect(publisher.published).toHaveLength(1);
    expect(archive.raw).toHaveLength(1);
  });

  it('processes the same delivery id again once the dedupe window has passed', async () => {
    // Prepare
    const { deps, publisher } = inMemoryIngest();
    const day = 24 * 3600 * 1000;
    await receiveWebhook(
      signedShopify(orderBody, shopifySecret, {
        eventId: 'evt-1',
        receivedAt: new Date('2026-11-20T10:00:00Z'),
      }),
      deps,
    );
    // Act
    await receiveWebhook(
      signedShopify(orderBody, shopifySecret, {
        eventId: 'evt-1',
        receivedAt: new Date(Date.parse('2026-11-20T10:00:00Z') + day + 1000),
      }),
      deps,
    );
    // Assess
    expect(publisher.published).toHaveLength(2);
  });

  it('reuses a well-formed incoming correlation id', async () => {
    const { deps, publisher } = inMemoryIngest();
    const request = signedShopify(orderBody, shopifySecret);
    await receiveWebhook(
      { ...request, headers: { ...request.headers, 'x-correlation-id': 'checkout-7f3a' } },
      deps,
    );
    expect(publisher.published[0]?.correlationid).toBe('checkout-7f3a');
  });

  it('rejects an unknown source before reading anything', async () => {
    const { deps } = inMemoryIngest();
    await expect(
      receiveWebhook({ ...signedShopify(orderBody, shopifySecret), sourceName: 'salesforce' }, deps),
    ).rejects.toThrow(UnknownSourceError);
  });

  it('rejects a body that is not JSON by content type', async () => {
    const { deps, publisher } = inMemoryIngest();
    const request = signedShopify(orderBody, shopifySecret);
    await expect(
      receiveWebhook({ ...request, headers: { ...request.headers, 'content-type': 'text/plain' } }, deps),
    ).rejects.toThrow(UnsupportedMediaTypeError);
    expect(publisher.published).toHaveLength(0);
  });

  it('rejects a body over the limit', async () => {
    const { deps } = inMemoryIngest({ limits: { maxBodyBytes: 1024, inProgressSec: 60 } });
    await expect(receiveWebhook(signedShopify(orderBody, shopifySecret), deps)).rejects.toThrow(
      PayloadTooLargeError,
    );
  });

  it('rejects a bad signature without touching the dedupe store, archive or bus', async () => {
    // Prepare
    const { deps, publisher, archive, dedupe } = inMemoryIngest();
    // Act
    const receiving = receiveWebhook(signedShopify(orderBody, 'shpss_attacker'), deps);
    // Assess
    await expect(receiving).rejects.toThrow(SignatureInvalidError);
    expect([
      publisher.published.length,
      archive.raw.length,
      archive.quarantined.length,
      dedupe.records.size,
    ]).toEqual([0, 0, 0, 0]);
  });

  it('accepts a signature from a secret rotated in after the cache was filled', async () => {
    // Prepare
    const { deps, secrets, publisher } = inMemoryIngest();
    secrets.rotateTo({ ...testSecrets, shopify: { [testShopDomain]: ['shpss_rotated_in', shopifySecret] } });
    // Act
    await receiveWebhook(signedShopify(orderBody, 'shpss_rotated_in'), deps);
    // Assess
    expect(secrets.refreshCalls).toBe(1);
    expect(publisher.published).toHaveLength(1);
  });

  describe('Shopify secrets bound per shop', () => {
    const otherShop = 'beta-goods.myshopify.com';
    const [otherCurrent, otherPrevious] = ['shpss_beta_current_4c1e', 'shpss_beta_previous_9a0d'];
    const twoShops = () =>
      new StaticSecrets({
        shopify: {
          [testShopDomain]: [shopifySecret, previousShopifySecret],
          [otherShop]: [otherCurrent, otherPrevious],
        },
      });

    it("rejects a body signed with one shop's secret sent as another shop, without touching anything", async () => {
      // Prepare
      const { deps, publisher, archive, dedupe } = inMemoryIngest({ secrets: twoShops() });
      // Act
      const receiving = receiveWebhook(
        signedShopify(orderBody, shopifySecret, { shopDomain: otherShop }),
        deps,
      );
      // Assess
      await expect(receiving).rejects.toThrow(SignatureInvalidError);
      expect([publisher.published.length, archive.raw.length, dedupe.records.size]).toEqual([0, 0, 0]);
    });

    it('rejects a shop that has no secret', async () => {
      // Prepare
      const { deps, publisher } = inMemoryIngest({ secrets: twoShops() });
      const request = signedShopify(orderBody, shopifySecret, { shopDomain: 'gamma.myshopify.com' });
      // Act
      const receiving = receiveWebhook(request, deps);
      // Assess
      await expect(receiving).rejects.toThrow('No signing secret of shopify is bound to gamma.myshopify.com');
      expect(publisher.published).toHaveLength(0);
    });

    it("accepts both of a shop's secrets during its rotation", async () => {
      // Prepare
      const { deps, publisher } = inMemoryIngest({ secrets: twoShops() });
      // Act
      await receiveWebhook(
        signedShopify(orderBody, otherCurrent, { shopDomain: otherShop, eventId: 'b-1' }),
        deps,
      );
      await receiveWebhook(
        signedShopify(orderBody, otherPrevious, { shopDomain: otherShop, eventId: 'b-2' }),
        deps,
      );
      // Assess
      expect(publisher.published.map((event) => event.source)).toEqual([
        `shopify://${otherShop}`,
        `shopify://${otherShop}`,
      ]);
    });

    it('takes the event source from the verified shop domain, lower-cased', async () => {
      // Prepare
      const { deps, publisher } = inMemoryIngest();
      const request = signedShopify(orderBody, shopifySecret, { shopDomain: 'ACME-Outdoor.myshopify.com' });
      // Act
      await receiveWebhook(request, deps);
      // Assess
      expect(publisher.published[0]?.source).toBe(`shopify://${testShopDomain}`);
    });

    it('rejects a webhook without a shop domain before reading any secret', async () => {
      // Prepare
      const { deps, secrets } = inMemoryIngest();
      const { 'x-shopify-shop-domain': _omitted, ...headers } = signedShopify(
        orderBody,
        shopifySecret,
      ).headers;
      // Act
      const receiving = receiveWebhook({ ...signedShopify(orderBody, shopifySecret), headers }, deps);
      // Assess
      await expect(receiving).rejects.toThrow(SignatureInvalidError);
      expect(secrets.refreshCalls).toBe(0);
    });

    it('fails with ConfigurationError on a flat Shopify list where the stage requires shops', async () => {
      // Prepare
      const { deps, publisher } = inMemoryIngest({
        secrets: new StaticSecrets({ shopify: [shopifySecret] }),
      });
      // Act
      const receiving = receiveWebhook(signedShopify(orderBody, shopifySecret), deps);
      // Assess
      await expect(receiving).rejects.toThrow(ConfigurationError);
      expect(publisher.published).toHaveLength(0);
    });

    it('takes a flat Shopify list as any shop where the stage accepts it (local)', async () => {
      // Prepare
      const { deps, publisher } = inMemoryIngest({
        secrets: new StaticSecrets({ shopify: [shopifySecret] }),
        acceptUnboundSenderSecrets: true,
      });
      // Act
      await receiveWebhook(signedShopify(orderBody, shopifySecret, { shopDomain: otherShop }), deps);
      // Assess
      expect(publisher.published[0]?.source).toBe(`shopify://${otherShop}`);
    });
  });

  it('accepts the previous secret while both are active', async () => {
    const { deps, publisher } = inMemoryIngest();
    await receiveWebhook(signedShopify(orderBody, previousShopifySecret), deps);
    expect(publisher.published).toHaveLength(1);
  });

  it('rejects a signed body that is not JSON as malformed', async () => {
    const { deps } = inMemoryIngest();
    await expect(receiveWebhook(signedShopify('{"id": 1', shopifySecret), deps)).rejects.toThrow(
      MalformedPayloadError,
    );
  });

  it('quarantines a signed payload that violates the schema and publishes nothing', async () => {
    // Prepare
    const { deps, publisher, archive, dedupe } = inMemoryIngest();
    const order = JSON.parse(orderBody);
    order.line_items[0].quantity = 0;
    // Act
    const receiving = receiveWebhook(signedShopify(JSON.stringify(order), shopifySecret), deps);
    // Assess
    await expect(receiving).rejects.toThrow(SchemaViolationError);
    await expect(receiving).rejects.toMatchObject({
      quarantineRef: 'memory://quarantine/1',
      violations: [{ path: '/data/lines/0/quantity' }],
    });
    expect(archive.quarantined[0]).toMatchObject({
      source: 'shopify',
      violations: [{ path: '/data/lines/0/quantity', message: 'must be >= 1' }],
    });
    expect([publisher.published.length, dedupe.records.size]).toEqual([0, 0]);
  });

  it('acknowledges ignored topics without publishing', async () => {
    const { deps, publisher } = inMemoryIngest();
    const outcome = await receiveWebhook(
      signedShopify('{"id": 7}', shopifySecret, { topic: 'customers/create' }),
      deps,
    );
    expect(outcome).toEqual({
      kind: 'ignored',
      ignored: ['Shopify topic customers/create is not synchronised'],
    });
    expect(publisher.published).toHaveLength(0);
  });

  it('fails with DownstreamUnavailableError when the bus refuses, and releases the claim so the retry succeeds', async () => {
    // Prepare
    const { deps, publisher } = inMemoryIngest();
    publisher.failing = true;
    const request = signedShopify(orderBody, shopifySecret, { eventId: 'evt-9' });
    // Act
    await expect(receiveWebhook(request, deps)).rejects.toThrow(DownstreamUnavailableError);
    publisher.failing = false;
    const retry = await receiveWebhook(request, deps);
    // Assess
    expect(retry.kind).toBe('accepted');
    expect(publisher.published).toHaveLength(1);
  });

  it('fails with DownstreamUnavailableError when the archive is down, publishing nothing', async () => {
    const { deps, publisher, archive } = inMemoryIngest();
    archive.failing = true;
    await expect(receiveWebhook(signedShopify(orderBody, shopifySecret), deps)).rejects.toThrow(
      DownstreamUnavailableError,
    );
    expect(publisher.published).toHaveLength(0);
  });

  it('refuses a concurrent duplicate while the first delivery is in flight', async () => {
    // Prepare
    const { deps, dedupe } = inMemoryIngest();
    const request = signedShopify(orderBody, shopifySecret, { eventId: 'evt-5' });
    await dedupe.claim(
      { source: 'shopify', deliveryId: 'evt-5' },
      { windowSec: 86400, inProgressSec: 60, now: request.receivedAt },
    );
    // Act & Assess
    await expect(receiveWebhook(request, deps)).rejects.toThrow(DeliveryInProgressError);
  });

  it('publishes each event of a HubSpot batch once, even when the batch is redelivered with a new event', async () => {
    // Prepare
    const { deps, publisher } = inMemoryIngest();
    const batch = JSON.parse(fixture('hubspot/contact-events.json'));
    await receiveWebhook(signedHubspot(JSON.stringify(batch.slice(0, 2)), testSecrets.hubspot[0]), deps);
    // Act
    const outcome = await receiveWebhook(signedHubspot(JSON.stringify(batch), testSecrets.hubspot[0]), deps);
    // Assess
    expect(publisher.published).toHaveLength(3);
    expect(outcome.kind).toBe('accepted');
    if (outcome.kind !== 'accepted') return;
    expect(outcome.deliveries.map((d) => [d.deliveryId, d.duplicate])).toEqual([
      ['1948271032', false],
      ['1948271030', true],
      ['1948271031', true],
    ]);
    expect(outcome.ignored).toEqual(['HubSpot contact property hs_lead_status is not synchronised']);
  });

  it('logs published events with personal data redacted', async () => {
    const { deps, logger } = inMemoryIngest();
    await receiveWebhook(
      signedStripe(fixture('stripe/payment-intent-succeeded.json'), testSecrets.stripe[0]),
      deps,
    );
    const line = JSON.stringify(logger.lines);
    expect(line).not.toContain('jane.doe@example.com');
    expect(line).toContain('[redacted]');
  });
});
