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
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { localWebhookSecrets, synthesizeLocalStage } from '../../cli/commands/dev';
import { LocalPlatform } from '../../local/platform';
import { keepBundlesForProfile, startProfileWindow } from '../cpu-profile/profiled-run';

// The SDK's Node 20 end-of-support notice is tracked in the README; keep the report readable.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { values } = parseArgs({
  options: {
    'duration-sec': { type: 'string', default: '10' },
    // Leaves out the bare server's runs, e.g. under --cpu-prof, where they would be most of the main thread's profile.
    'platform-only': { type: 'boolean', default: false },
    // Runs the platform's figures first with an fsync per commit (synchronous=FULL, as before group commit).
    'compare-fsync-per-commit': { type: 'boolean', default: false },
  },
});
const durationSec = Number(values['duration-sec']);
const connections = 32;
const fixedRatePerSec = 300;
// A rate this machine sustains, to show latency without queueing.
const sustainableRatePerSec = 100;
const targets = { acceptedPerSec: 300, p99AtSustainableRateMs: 100 };
const body = readFileSync(path.join(__dirname, '../../test/fixtures/shopify/orders-create.json'), 'utf8');

interface LoadResult {
  perSec: number;
  /** CPU of the whole process (runtime, function workers and the load generator) per accepted webhook. */
  cpuMsPerWebhook: number;
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
  const cpuBefore = process.cpuUsage();
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
  const cpu = process.cpuUsage(cpuBefore);
  return {
    perSec: result['2xx'] / durationSec,
    cpuMsPerWebhook: Number(((cpu.user + cpu.system) / 1000 / Math.max(1, result['2xx'])).toFixed(2)),
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
    keepBundlesForProfile(platform.runtime);
    await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
    const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/webhooks/shopify`;
    const webhookUrl = `${platform.apiUrl}/webhooks/shopify`;
    const secret = secrets.shopify?.[0] as string;
    await load(webhookUrl, secret, 50); // warm the function environments
    let fsyncPerCommit: { max: LoadResult; sustainable: LoadResult } | undefined;
    if (values['compare-fsync-per-commit']) {
      platform.runtime.store.db.pragma('synchronous = FULL');
      fsyncPerCommit = {
        max: await load(webhookUrl, secret),
        sustainable: await load(webhookUrl, secret, sustainableRatePerSec),
      };
      platform.runtime.store.db.pragma('synchronous = NORMAL');
    }
    const profiled = startProfileWindow('webhook');
    const platformMax = await load(webhookUrl, secret);
    profiled.end(Math.round(platformMax.perSec * durationSec));
    const platformFixed = await load(webhookUrl, secret, fixedRatePerSec);
    const platformSustainable = await load(webhookUrl, secret, sustainableRatePerSec);
    const bareMax = values['platform-only'] ? undefined : await load(bareUrl, secret);
    const bareFixed = values['platform-only'] ? undefined : await load(bareUrl, secret, fixedRatePerSec);
    console.log(
      `bench/ingest-e2e — Node ${process.version}, autocannon ${connections} connections × ${durationSec} s, signed Shopify orders, the whole stack deployed (no ERP sandbox)`,
    );
    console.log(
      `accepted webhooks/s: ${platformMax.perSec.toFixed(0)} (target ≥ ${targets.acceptedPerSec}: ${platformMax.perSec >= targets.acceptedPerSec ? 'met' : 'MISSED'}), ${platformMax.cpuMsPerWebhook} ms CPU per webhook, non-2xx ${platformMax.non2xx}, errors ${platformMax.errors}${bareMax ? `; bare http server ${bareMax.perSec.toFixed(0)}/s; overhead ratio ${(bareMax.perSec / platformMax.perSec).toFixed(1)}×` : ''}`,
    );
    console.log(
      `at ${fixedRatePerSec}/s: p50 ${platformFixed.p50Ms} ms, p99 ${platformFixed.p99Ms} ms (${platformFixed.perSec.toFixed(0)}/s served)${bareFixed ? `; bare p50 ${bareFixed.p50Ms} ms, p99 ${bareFixed.p99Ms} ms` : ''}`,
    );
    console.log(
      `at ${sustainableRatePerSec}/s: p50 ${platformSustainable.p50Ms} ms, p99 ${platformSustainable.p99Ms} ms (target p99 ≤ ${targets.p99AtSustainableRateMs} ms: ${platformSustainable.p99Ms <= targets.p99AtSustainableRateMs ? 'met' : 'MISSED'})`,
    );
    if (fsyncPerCommit)
      console.log(
        `same run with an fsync per commit: ${fsyncPerCommit.max.perSec.toFixed(0)} webhooks/s (${fsyncPerCommit.max.cpuMsPerWebhook} ms CPU each), at ${sustainableRatePerSec}/s p50 ${fsyncPerCommit.sustainable.p50Ms} ms, p99 ${fsyncPerCommit.sustainable.p99Ms} ms; group commit ${(platformMax.perSec / fsyncPerCommit.max.perSec).toFixed(2)}× the webhooks/s`,
      );
    writeFileSync(
      path.join(__dirname, '../results/ingest-e2e.json'),
      `${JSON.stringify({ measuredAt: new Date().toISOString(), node: process.version, durationSec, connections, fixedRatePerSec, sustainableRatePerSec, platformMax, platformFixed, platformSustainable, bareMax, bareFixed, fsyncPerCommit, targets }, null, 2)}\n`,
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
