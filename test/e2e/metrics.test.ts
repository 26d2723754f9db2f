/** Business metrics end to end: signed webhooks through the deployed platform, read back with CloudWatch GetMetricData. */
import { randomUUID } from 'node:crypto';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { businessMetricCatalogue } from '../../functions/shared/observability/business-metrics';
import { postShopifyOrder, startPlatformWithErp } from './support/deployed-platform';
import { eventually } from './support/eventually';
import { dimensionNamesOf, metricValues, observabilityClients } from './support/observability';
import { shopifyOrder } from './support/shopify-orders';

const total = (values: number[]) => values.reduce((sum, value) => sum + value, 0);

/** The dimension names the catalogue gives a metric, with the `stage` every metric carries, sorted. */
function catalogueDimensions(name: keyof typeof businessMetricCatalogue): string[] {
  return ['stage', ...businessMetricCatalogue[name].dimensions].sort();
}

describe('business metrics on the embedded runtime', () => {
  let running: Awaited<ReturnType<typeof startPlatformWithErp>>;
  let cloudwatch: CloudWatchClient;
  let observability: ReturnType<typeof observabilityClients>;

  /** The sum of a count metric under exactly these dimensions, once it reaches `atLeast`. */
  function countReaches(name: string, dimensions: Record<string, string>, atLeast: number) {
    return eventually(async () => {
      const sum = total(await metricValues(cloudwatch, name, dimensions));
      return sum >= atLeast ? sum : undefined;
    }, 45_000);
  }

  beforeAll(async () => {
    running = await startPlatformWithErp();
    observability = observabilityClients(running.platform.runtime.endpoint);
    ({ cloudwatch } = observability);
  }, 120_000);

  afterAll(async () => {
    observability?.cloudwatch.destroy();
    observability?.sns.destroy();
    await running?.stop();
  });

  it('counts an accepted webhook and its booked order, and measures the order-accepted latency', async () => {
    // Prepare
    const secret = running.secrets.shopify?.[0] as string;
    const order = shopifyOrder();
    // Act
    const response = await postShopifyOrder(running.platform.apiUrl, secret, JSON.stringify(order));
    // Assess
    expect(response.status).toBe(202);
    expect(await countReaches('WebhooksAccepted', { stage: 'local', source: 'shopify' }, 1)).toBe(1);
    expect(await countReaches('OrdersBooked', { stage: 'local', flow: 'order-to-cash' }, 1)).toBe(1);
    const [p99] = await metricValues(
      cloudwatch,
      'OrderAcceptedLatency',
      { stage: 'local', flow: 'order-to-cash' },
      'p99',
    );
    expect(p99).toBeGreaterThan(0);
    expect(p99).toBeLessThan(60_000);
  });

  it('counts a webhook with a bad signature as refused with reason 401', async () => {
    // Prepare
    const order = shopifyOrder();
    // Act
    const response = await postShopifyOrder(
      running.platform.apiUrl,
      'not-the-shop-secret',
      JSON.stringify(order),
      randomUUID(),
    );
    // Assess
    expect(response.status).toBe(401);
    expect(
      await countReaches('WebhooksRefused', { stage: 'local', source: 'shopify', reason: '401' }, 1),
    ).toBe(1);
  });

  it('gives every metric recorded exactly the dimensions of the catalogue, no ids', async () => {
    // Prepare: the metrics the tests above caused.
    const names = ['WebhooksAccepted', 'WebhooksRefused', 'OrdersBooked', 'OrderAcceptedLatency'] as const;
    // Act
    const recorded = await Promise.all(names.map((name) => dimensionNamesOf(cloudwatch, name)));
    // Assess: one dimension set per metric (a per-order or per-event id would have made one set per value).
    expect(recorded).toEqual(names.map((name) => [catalogueDimensions(name)]));
  });
});
