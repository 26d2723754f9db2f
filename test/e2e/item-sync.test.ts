import { InvokeCommand, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { ListQueuesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { ErpSandboxAdmin } from '../../local/erp-sandbox/sandbox-admin';
import { shopifyAdminPrefix } from '../../local/erp-sandbox/shopify-admin-stand-in';
import type { sdkClients } from '../local/support/local-runtime';
import { startPlatformWithErp } from './support/deployed-platform';
import { eventually } from './support/eventually';
import { metricValues, observabilityClients } from './support/observability';

const skus = Array.from({ length: 25 }, (_, index) => `GR-${String(index + 1).padStart(3, '0')}`);
const locations = ['BER-1', 'HAM-1'];

describe('item sync on the embedded runtime: ERP stock and prices to the Shopify stand-in', () => {
  let running: Awaited<ReturnType<typeof startPlatformWithErp>>;
  let clients: ReturnType<typeof sdkClients>;
  let admin: ErpSandboxAdmin;
  let relayName: string;

  /** Runs the outbox relay until it has nothing left, as its schedule would, only sooner. */
  async function drainOutbox(): Promise<number> {
    let relayed = 0;
    for (;;) {
      const { Payload, FunctionError } = await clients.lambda.send(
        new InvokeCommand({ FunctionName: relayName, Payload: Buffer.from('{}') }),
      );
      const result = JSON.parse(Buffer.from(Payload ?? []).toString('utf8'));
      if (FunctionError) throw new Error(`the relay failed: ${JSON.stringify(result)}`);
      relayed += result.relayed;
      if (result.relayed === 0 && result.deadLettered === 0) return relayed;
    }
  }

  async function shop(method: string, path: string, body?: unknown) {
    const response = await fetch(`${running.erpUrl}${shopifyAdminPrefix}${path}`, {
      method,
      headers: {
        // The token `npm start` put in the stage's Shopify secret: the stand-in refuses any other.
        'x-shopify-access-token': running.platform.erp?.credentials.platforms.shopify.accessToken ?? '',
        'content-type': 'application/json',
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    expect(response.ok).toBe(true);
    return response.json();
  }

  beforeAll(async () => {
    // Ten times faster local time: the coalescing window (30 s) and queue timers take seconds.
    running = await startPlatformWithErp({ clockFactor: 10 });
    clients = running.clients;
    admin = running.erpAdmin;
    const { Functions = [] } = await clients.lambda.send(new ListFunctionsCommand({}));
    relayName = Functions.find((fn) => fn.FunctionName?.includes('ErpOutboxRelay'))?.FunctionName as string;
    // The shop sells every SKU; the ERP knows them with their USD list price.
    await admin.setShopifyRateLimit({ bucketSize: 1000, leakPerSec: 100 });
    for (const sku of skus)
      await shop('POST', '/products.json', { product: { title: sku, variants: [{ sku, price: '1.00' }] } });
    await admin.upsertItems(
      skus.map((sku) => ({ sku, title: sku, taxRate: '0.19', prices: { USD: '10.00' } })),
    );
  }, 180_000);

  afterAll(async () => {
    await running?.stop();
  });

  it('BulkReceipt: 5,000 lines end with every level on the shop, one write per level, within the rate limit', async () => {
    // Prepare: Shopify's Standard plan (bucket 40, 2 a second); each of 50 levels changes 100 times.
    await admin.setShopifyRateLimit({ bucketSize: 40, leakPerSec: 2 });
    const lines = [];
    for (let round = 0; round < 100; round += 1)
      for (const sku of skus)
        for (const locationId of locations)
          lines.push({ sku, locationId, quantity: 1 + ((round + sku.length) % 3) });
    const started = Date.now();
    // Act
    const receipt = await admin.moveStock('GR-E2E-1', lines);
    const relayed = await drainOutbox();
    const erpLevels = await admin.stockLevels();
    const expected = erpLevels
      .filter((level) => skus.includes(level.sku))
      .map((level) => ({ sku: level.sku, locationName: level.locationId, available: level.available }));
    const standIn = await eventually(
      async () => {
        const state = await admin.shopifyStandIn();
        const shown = state.levels.filter((level) => skus.includes(level.sku));
        return JSON.stringify(shown) === JSON.stringify(expected) ? state : undefined;
      },
      100_000,
      1_000,
    );
    const convergedSec = (Date.now() - started) / 1000;
    // Assess
    expect(receipt.lines).toBe(5_000);
    expect(expected).toHaveLength(50);
    // Every stock line and every list price was relayed (50 levels × 100 changes + 25 prices).
    expect(relayed).toBeGreaterThanOrEqual(5_000);
    expect(standIn.inventoryWrites).toBeLessThanOrEqual(50);
    expect(standIn.throttled).toBe(0);
    expect(standIn.peakBucketLevel).toBeLessThanOrEqual(40);
    console.info(
      `[item-sync] ${receipt.lines} stock events → ${standIn.inventoryWrites} inventory writes ` +
        `(${(standIn.inventoryWrites / receipt.lines).toFixed(4)} per event), ${standIn.priceWrites} price writes, ` +
        `${standIn.requests} Shopify requests, ${standIn.throttled} × 429, peak bucket ${standIn.peakBucketLevel}/40, ` +
        `converged in ${convergedSec.toFixed(1)} s`,
    );
  }, 150_000);

  it('BulkReceiptMetrics: counts the changes in and the writes, and measures each level from its announcement, through GetMetricData', async () => {
    // Prepare
    const { cloudwatch } = observabilityClients(running.platform.runtime.endpoint);
    const flow = { stage: 'local', flow: 'item-write-back' };
    const total = async (name: string, stat = 'Sum') =>
      (await metricValues(cloudwatch, name, flow, stat)).reduce((sum, value) => sum + value, 0);
    // Act: the metrics reach CloudWatch from the function's EMF lines, shortly after the writes.
    const received = await eventually(async () => {
      const sum = await total('ItemChangesReceived');
      return sum >= 5_000 ? sum : undefined;
    }, 30_000);
    const written = await eventually(async () => {
      const sum = await total('ItemWritesApplied');
      return sum >= 50 ? sum : undefined;
    }, 30_000);
    const lags = await total('StockWrittenLatency', 'SampleCount');
    cloudwatch.destroy();
    // Assess: far fewer writes than changes (the burst coalesced), and every level written was timed.
    expect(received).toBeGreaterThanOrEqual(5_000);
    expect(written).toBeLessThan(received / 10);
    expect(lags).toBeGreaterThanOrEqual(50);
    expect(await total('PlatformThrottled')).toBe(0);
  }, 90_000);

  it('writes a changed list price to the variant, in the shop currency only', async () => {
    // Prepare
    const before = await admin.shopifyStandIn();
    // Act
    await admin.upsertItems([
      { sku: 'GR-001', title: 'GR-001', taxRate: '0.19', prices: { USD: '12.34', EUR: '11.00' } },
    ]);
    await drainOutbox();
    // Assess
    const variant = await eventually(
      async () => {
        const { products } = (await shop('GET', '/products.json?limit=250')) as {
          products: { variants: { sku: string; price: string }[] }[];
        };
        const found = products.flatMap((product) => product.variants).find((v) => v.sku === 'GR-001');
        return found?.price === '12.34' ? found : undefined;
      },
      60_000,
      1_000,
    );
    expect(variant.price).toBe('12.34');
    // The EUR price has no place in a USD shop: one price write, not two.
    expect((await admin.shopifyStandIn()).priceWrites - before.priceWrites).toBe(1);
  }, 90_000);

  it("dead-letters a level the shop cannot take, with Shopify's reason, for an operator", async () => {
    // Prepare: the ERP stocks an item the shop does not sell.
    await admin.upsertItems([
      { sku: 'GR-NOT-SOLD', title: 'Not sold', taxRate: '0.19', prices: { EUR: '3.00' } },
    ]);
    const { QueueUrls = [] } = await clients.sqs.send(new ListQueuesCommand({}));
    const dlqUrl = QueueUrls.find((url) => url.includes('ItemWriteBackDlq')) as string;
    // Act
    await admin.moveStock('GR-E2E-2', [{ sku: 'GR-NOT-SOLD', locationId: 'BER-1', quantity: 4 }]);
    await drainOutbox();
    const letter = await eventually(
      async () => {
        const { Messages = [] } = await clients.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: dlqUrl,
            MaxNumberOfMessages: 10,
            MessageAttributeNames: ['All'],
          }),
        );
        return Messages.find((message) => message.Body?.includes('GR-NOT-SOLD'));
      },
      60_000,
      1_000,
    );
    // Assess
    expect(JSON.parse(letter.Body as string)).toMatchObject({
      key: 'stock/GR-NOT-SOLD@BER-1',
      platform: 'shopify',
      errorCode: 'PlatformRefusedError',
      reason: 'The shop has no variant with SKU GR-NOT-SOLD',
      change: { kind: 'stock', sku: 'GR-NOT-SOLD', locationId: 'BER-1', available: 4 },
    });
    expect(letter.MessageAttributes?.ERROR_CODE?.StringValue).toBe('PlatformRefusedError');
  }, 90_000);
});
