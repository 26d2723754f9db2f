import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import { staticPlatformCredentials } from '../../../functions/shared/secrets/platform-credentials';
import { PlatformRefusedError } from '../../../functions/shared/write-back/platform-status-port';
import { ShopifyAdminPlatform } from '../../../functions/write-back/items/shopify-admin-platform';
import { ShopifyAdminStandIn, shopifyAdminPrefix } from '../../../local/erp-sandbox/shopify-admin-stand-in';

describe('ShopifyAdminPlatform', () => {
  let server: Server;
  let db: Database.Database;
  let standIn: ShopifyAdminStandIn;
  let baseUrl: string;

  const platform = (overrides: Partial<ConstructorParameters<typeof ShopifyAdminPlatform>[0]> = {}) =>
    new ShopifyAdminPlatform({
      baseUrl,
      accessToken: staticPlatformCredentials('shpat_test'),
      currency: 'EUR',
      leakPerSec: 20,
      timeoutMs: 2_000,
      maxRetryWaitMs: 5_000,
      ...overrides,
    });

  async function call(method: string, path: string, body?: unknown) {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { 'x-shopify-access-token': 'shpat_test', 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: await response.json(), headers: response.headers };
  }

  beforeEach(async () => {
    db = new Database(':memory:');
    standIn = new ShopifyAdminStandIn(db, 'shpat_test');
    server = createServer(async (request, response) => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      standIn.handle(request, response, new URL(request.url ?? '/', 'http://shop'), Buffer.concat(chunks));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}${shopifyAdminPrefix}`;
    standIn.configure({ bucketSize: 40, leakPerSec: 20 });
    for (const sku of ['SKU-1', 'SKU-2', 'SKU-3'])
      await call('POST', '/products.json', { product: { title: sku, variants: [{ sku, price: '10.00' }] } });
    standIn.configure({ bucketSize: 10, leakPerSec: 20 });
  });

  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve));
    db.close();
  });

  it('sets inventory levels by SKU and location name, paced so the bucket never overflows', async () => {
    // Prepare
    const shopify = platform();
    // Act
    for (let available = 1; available <= 20; available += 1)
      for (const sku of ['SKU-1', 'SKU-2'])
        await shopify.apply({ kind: 'stock', sku, locationId: 'HAM-1', available, version: available });
    // Assess
    const stats = standIn.report();
    expect(stats).toMatchObject({ throttled: 0, inventoryWrites: 40 });
    expect(stats.peakBucketLevel).toBeLessThanOrEqual(10);
    expect(standIn.levelsBySku()).toEqual([
      { sku: 'SKU-1', locationName: 'HAM-1', available: 20 },
      { sku: 'SKU-2', locationName: 'HAM-1', available: 20 },
    ]);
  });

  it('waits out a 429 Retry-After when another client filled the bucket, then writes', async () => {
    // Prepare: another app on the shop fills the bucket; the stand-in leaks one request a second.
    standIn.configure({ bucketSize: 3, leakPerSec: 1 });
    const shopify = platform({ leakPerSec: 1 });
    for (let i = 0; i < 3; i += 1) await call('GET', '/locations.json');
    // Act
    await shopify.apply({ kind: 'stock', sku: 'SKU-3', locationId: 'BER-1', available: 7, version: 1 });
    // Assess
    expect(shopify.stats.throttled).toBeGreaterThanOrEqual(1);
    expect(standIn.report().throttled).toBe(shopify.stats.throttled);
    expect(standIn.levelsBySku()).toEqual([{ sku: 'SKU-3', locationName: 'BER-1', available: 7 }]);
  }, 15_000);

  it('sets the variant price in the shop currency', async () => {
    // Act
    await platform().apply({ kind: 'price', sku: 'SKU-2', currency: 'EUR', amount: '12.5', version: 4 });
    // Assess
    const { body } = await call('GET', '/products.json?limit=250');
    const variant = body.products
      .flatMap((p: { variants: unknown[] }) => p.variants)
      .find((v: { sku: string }) => v.sku === 'SKU-2');
    expect(variant.price).toBe('12.50');
  });

  it('rejects a SKU the shop does not sell, a location it does not have and a price in another currency', async () => {
    // Prepare
    const shopify = platform();
    // Act / Assess
    await expect(
      shopify.apply({ kind: 'stock', sku: 'SKU-404', locationId: 'BER-1', available: 1, version: 1 }),
    ).rejects.toThrow(new PlatformRefusedError('The shop has no variant with SKU SKU-404'));
    await expect(
      shopify.apply({ kind: 'stock', sku: 'SKU-1', locationId: 'MUC-9', available: 1, version: 1 }),
    ).rejects.toThrow('The shop has no active location named MUC-9');
    await expect(
      shopify.apply({ kind: 'price', sku: 'SKU-1', currency: 'USD', amount: '1.00', version: 1 }),
    ).rejects.toThrow(PlatformRefusedError);
  });

  it('reports the platform answer of a refused write', async () => {
    // Prepare
    const shopify = platform();
    // Act / Assess
    await expect(
      shopify.apply({ kind: 'stock', sku: 'SKU-1', locationId: 'BER-1', available: -1.5, version: 1 }),
    ).rejects.toThrow(/Shopify refused POST \/inventory_levels\/set\.json with 422: .*available/);
  });

  it('maps an ERP location code to the shop location named for it', async () => {
    // Prepare
    const shopify = platform({ locationNames: { 'WH-BERLIN': 'BER-1' } });
    // Act
    await shopify.apply({ kind: 'stock', sku: 'SKU-2', locationId: 'WH-BERLIN', available: 4, version: 1 });
    // Assess
    expect(standIn.levelsBySku()).toEqual([{ sku: 'SKU-2', locationName: 'BER-1', available: 4 }]);
  });

  it('reads the access token again after a 401 and writes with the rotated one', async () => {
    // Prepare: the cached value is the old token; the secret now holds the shop's current one.
    const reads: boolean[] = [];
    const shopify = platform({
      accessToken: {
        read: async (options) => {
          reads.push(options?.refresh ?? false);
          return options?.refresh ? 'shpat_test' : 'shpat_rotated_away';
        },
      },
    });
    // Act
    await shopify.apply({ kind: 'stock', sku: 'SKU-1', locationId: 'BER-1', available: 3, version: 1 });
    // Assess
    expect(reads.slice(0, 2)).toEqual([false, true]);
    expect(standIn.levelsBySku()).toEqual([{ sku: 'SKU-1', locationName: 'BER-1', available: 3 }]);
  });

  it("fails as unavailable, with Shopify's 401 answer, when the token is refused after a fresh read", async () => {
    // Prepare
    const shopify = platform({ accessToken: staticPlatformCredentials('shpat_wrong') });
    // Act / Assess
    await expect(
      shopify.apply({ kind: 'stock', sku: 'SKU-1', locationId: 'BER-1', available: 3, version: 1 }),
    ).rejects.toMatchObject({
      name: 'PlatformUnavailableError',
      message: expect.stringMatching(
        /refused the access token \(401\).*read twice.*Invalid API key or access token/,
      ),
    });
    expect(standIn.levelsBySku()).toEqual([]);
  });

  it("answers a request without the shop's token with Shopify's 401", async () => {
    // Act
    const response = await fetch(`${baseUrl}/locations.json`, {
      headers: { 'x-shopify-access-token': 'shpat_someone_else' },
    });
    // Assess
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      errors: '[API] Invalid API key or access token (unrecognized login or wrong password)',
    });
  });
});
