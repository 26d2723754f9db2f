/**
 * bench/ingest-e2e: signed webhooks/s through the local API Gateway → ingest function → bus, and p50/p99 latency at
 * 300 webhooks/s, beside a bare Node http server answering 202 under the same load generator, in one run.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { localWebhookSecrets, synthesizeLocalStage } from '../../cli/commands/dev';
import { LocalPlatform } from '../../local/platform';

// The SDK's Node 20 end-of-support notice is tracked in the README; keep the report readable.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const durationSec = 10;
const connections = 32;
const fixedRatePerSec = 300;
// A rate this machine sustains, to show latency without queueing.
const sustainableRatePerSec = 100;
const targets = { acceptedPerSec: 1000, p99AtFixedRateMs: 50 };
const body = readFileSync(path.join(__dirname, '../../test/fixtures/shopify/orders-create.json'), 'utf8');

interface LoadResult {
  perSec: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
}

async function load(url: string, secret: string, rate?: number): Promise<LoadResult> {
  const signature = createHmac('sha256', secret).update(body).digest('base64');
  const headers = () => ({
    'content-type': 'application/json',
    'x-shopify-hmac-sha256': signature,
    'x-shopify-topic': 'orders/create',
    'x-shopify-shop-domain': 'bench.myshopify.com',
    'x-shopify-event-id': randomUUID(),
  });
  const result = await autocannon({
    url,
    method: 'POST',
    connections: rate ? 16 : connections,
    duration: durationSec,
    ...(rate ? { overallRate: rate } : {}),
    headers: headers(),
    body,
    // Every request is a new delivery (no dedupe hits), as real traffic is.
    setupClient: (client) => {
      client.setHeaders(headers());
      client.on('response', () => client.setHeaders(headers()));
    },
  });
  return {
    perSec: result['2xx'] / durationSec,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'concord-bench-e2e-'));
  const assembly = synthesizeLocalStage(path.join(dir, 'cdk.out'));
  const { secrets } = localWebhookSecrets(path.join(dir, 'data'));
  const platform = await LocalPlatform.start({ dataDir: path.join(dir, 'data'), edgePort: 0, apiPort: 0 });
  const bare = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(202, { 'content-type': 'application/json' });
      response.end('{"eventId":"bare"}');
    });
  });
  try {
    await platform.deploy(assembly, secrets);
    await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
    const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/webhooks/shopify`;
    const webhookUrl = `${platform.apiUrl}/webhooks/shopify`;
    const secret = secrets.shopify?.[0] as string;
    await load(webhookUrl, secret, 50); // warm the function environments
    const platformMax = await load(webhookUrl, secret);
    const platformFixed = await load(webhookUrl, secret, fixedRatePerSec);
    const platformSustainable = await load(webhookUrl, secret, sustainableRatePerSec);
    const bareMax = await load(bareUrl, secret);
    const bareFixed = await load(bareUrl, secret, fixedRatePerSec);
    console.log(
      `bench/ingest-e2e — Node ${process.version}, autocannon ${connections} connections × ${durationSec} s, signed Shopify orders`,
    );
    console.log(
      `accepted webhooks/s: ${platformMax.perSec.toFixed(0)} (target ≥ ${targets.acceptedPerSec}: ${platformMax.perSec >= targets.acceptedPerSec ? 'met' : 'MISSED'}), non-2xx ${platformMax.non2xx}, errors ${platformMax.errors}; bare http server ${bareMax.perSec.toFixed(0)}/s; overhead ratio ${(bareMax.perSec / platformMax.perSec).toFixed(1)}×`,
    );
    console.log(
      `at ${fixedRatePerSec}/s: p50 ${platformFixed.p50Ms} ms, p99 ${platformFixed.p99Ms} ms (target p99 ≤ ${targets.p99AtFixedRateMs} ms: ${platformFixed.p99Ms <= targets.p99AtFixedRateMs ? 'met' : 'MISSED'}); bare p50 ${bareFixed.p50Ms} ms, p99 ${bareFixed.p99Ms} ms`,
    );
    console.log(
      `at ${sustainableRatePerSec}/s: p50 ${platformSustainable.p50Ms} ms, p99 ${platformSustainable.p99Ms} ms`,
    );
    writeFileSync(
      path.join(__dirname, '../results/ingest-e2e.json'),
      `${JSON.stringify({ measuredAt: new Date().toISOString(), node: process.version, durationSec, connections, fixedRatePerSec, sustainableRatePerSec, platformMax, platformFixed, platformSustainable, bareMax, bareFixed, targets }, null, 2)}\n`,
    );
  } finally {
    bare.close();
    await platform.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
