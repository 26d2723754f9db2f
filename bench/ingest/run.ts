/**
 * bench/ingest: microseconds per event for each ingest stage (verify, parse, map, validate, whole handler on
 * in-memory ports) over 1,000 signed Shopify orders, plus the bundled function's size and cold load time.
 * Everything is measured in one run and reported also as ratios, because these machines are shared and noisy.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { createWebhookHandler } from '../../functions/ingest-webhook/http-adapter';
import { receiveWebhook } from '../../functions/ingest-webhook/receive-webhook';
import { buildCanonicalEvent, validateCanonicalEvent } from '../../functions/shared/events/envelope';
import { mapShopify } from '../../functions/shared/sources/mappers/shopify';
import { verifyShopify } from '../../functions/shared/sources/signatures/shopify';
import { apiGatewayEvent } from '../../test/support/api-gateway-event';
import { inMemoryIngest, testSecrets } from '../../test/support/in-memory-ports';
import { signedShopifyOrders } from './shopify-orders';

const orderCount = 1000;
const rounds = 7;
const loadRuns = 9;
const targets = { bundleMiB: 1, loadMs: 150 };
const rootDir = path.resolve(__dirname, '../..');
const receivedAt = new Date('2026-11-20T15:00:00Z');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** Median over rounds of the mean microseconds per item. */
async function microsPerItem<T>(
  items: readonly T[],
  work: (item: T) => unknown | Promise<unknown>,
): Promise<number> {
  const samples: number[] = [];
  for (let round = 0; round < rounds + 1; round += 1) {
    const start = process.hrtime.bigint();
    for (const item of items) await work(item);
    const elapsedUs = Number(process.hrtime.bigint() - start) / 1000;
    if (round > 0) samples.push(elapsedUs / items.length); // round 0 warms the JIT
  }
  return median(samples);
}

async function measureStages() {
  const secrets = [...testSecrets.shopify];
  const requests = signedShopifyOrders(orderCount, secrets[0] as string, receivedAt);
  const payloads = requests.map((request) => JSON.parse(request.body.toString('utf8')) as unknown);
  const mapped = await Promise.all(requests.map((request, i) => mapShopify(request, payloads[i])));
  const drafts = mapped.map(([delivery]) => {
    if (delivery?.kind !== 'event') throw new Error('benchmark order did not map to an event');
    return delivery.draft;
  });
  const identity = { id: '01JD3K8Q9ZB7V2M4N6P8R0T2W4', correlationId: 'bench', causationId: 'bench' };
  const indexes = requests.map((_request, i) => i);

  const verify = await microsPerItem(requests, (request) => verifyShopify(request, secrets));
  const parse = await microsPerItem(requests, (request) => JSON.parse(request.body.toString('utf8')));
  const map = await microsPerItem(indexes, (i) => mapShopify(requests[i] as never, payloads[i]));
  const validate = await microsPerItem(drafts, (draft) => {
    const violations = validateCanonicalEvent(buildCanonicalEvent(draft, identity));
    if (violations.length > 0) throw new Error(`invalid benchmark event: ${JSON.stringify(violations)}`);
  });
  const events = requests.map((request) => apiGatewayEvent(request));
  // A fresh set of in-memory ports per round, so every round publishes (no dedupe hits).
  const handlerSamples: number[] = [];
  for (let round = 0; round < rounds + 1; round += 1) {
    // As in production at INFO: event bodies are not logged.
    const { deps } = inMemoryIngest({ logEventBodies: false });
    const handler = createWebhookHandler(
      (request) => receiveWebhook(request, deps),
      deps.logger,
      () => receivedAt,
    );
    const start = process.hrtime.bigint();
    for (const event of events) {
      const result = await handler(event);
      if (result.statusCode !== 202) throw new Error(`handler answered ${result.statusCode}: ${result.body}`);
    }
    if (round > 0) handlerSamples.push(Number(process.hrtime.bigint() - start) / 1000 / events.length);
  }
  return { verify, parse, map, validate, handler: median(handlerSamples) };
}

async function measureBundle() {
  const outDir = mkdtempSync(path.join(tmpdir(), 'concord-bench-'));
  try {
    const outfile = path.join(outDir, 'index.js');
    // The same esbuild options as ServiceFunction (infra/constructs/service-function.ts).
    await build({
      entryPoints: [path.join(rootDir, 'functions/ingest-webhook/handler.ts')],
      bundle: true,
      platform: 'node',
      target: 'node22',
      format: 'cjs',
      minify: true,
      mainFields: ['module', 'main'],
      outfile,
      logLevel: 'silent',
    });
    const env = {
      ...process.env,
      AWS_REGION: 'us-east-1',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      EVENT_BUS_NAME: 'bench',
      DEDUPE_TABLE_NAME: 'bench',
      ARCHIVE_BUCKET_NAME: 'bench',
      QUARANTINE_BUCKET_NAME: 'bench',
      WEBHOOK_SECRET_IDS: '{}',
      MAX_BODY_BYTES: '1048576',
      IN_PROGRESS_SEC: '60',
    };
    const timeLoad = (script: string) => {
      const out = execFileSync(
        process.execPath,
        [
          '-e',
          `const t=process.hrtime.bigint();${script};console.log(Number(process.hrtime.bigint()-t)/1e6)`,
        ],
        { env },
      );
      return Number(out.toString().trim());
    };
    const loadMs = median(
      Array.from({ length: loadRuns }, () => timeLoad(`require(${JSON.stringify(outfile)})`)),
    );
    // Whole-process start of a fresh node with and without the bundle: the ratio is the cold-start cost it adds.
    const processMs = (args: string[]) => {
      const start = process.hrtime.bigint();
      execFileSync(process.execPath, args, { env });
      return Number(process.hrtime.bigint() - start) / 1e6;
    };
    const bareProcessMs = median(Array.from({ length: loadRuns }, () => processMs(['-e', '0'])));
    const bundleProcessMs = median(
      Array.from({ length: loadRuns }, () => processMs(['-e', `require(${JSON.stringify(outfile)})`])),
    );
    return { bundleBytes: statSync(outfile).size, loadMs, bareProcessMs, bundleProcessMs };
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const stages = await measureStages();
  const bundle = await measureBundle();
  const share = (us: number) => `${((us / stages.handler) * 100).toFixed(1)}%`;
  const rows = [
    ['verify (HMAC)', stages.verify],
    ['parse (JSON)', stages.parse],
    ['map (Shopify → canonical)', stages.map],
    ['validate (envelope + data)', stages.validate],
    ['whole handler, in-memory ports', stages.handler],
  ] as const;
  console.log(
    `bench/ingest — ${orderCount} signed Shopify orders, median of ${rounds} rounds, Node ${process.version}`,
  );
  console.log('stage                              µs/event   share of handler');
  for (const [name, us] of rows)
    console.log(`${name.padEnd(34)} ${us.toFixed(1).padStart(8)}   ${share(us).padStart(6)}`);
  console.log(`handler throughput on one core: ${Math.round(1e6 / stages.handler)} events/s`);
  const bundleMiB = bundle.bundleBytes / 1_048_576;
  console.log(
    `bundle: ${(bundle.bundleBytes / 1024).toFixed(0)} KiB (target ≤ ${targets.bundleMiB} MiB: ${bundleMiB <= targets.bundleMiB ? 'met' : 'MISSED'})`,
  );
  console.log(
    `load (require of the bundle in a fresh node): ${bundle.loadMs.toFixed(1)} ms (target ≤ ${targets.loadMs} ms: ${bundle.loadMs <= targets.loadMs ? 'met' : 'MISSED'})`,
  );
  console.log(
    `process start with bundle / bare node: ${bundle.bundleProcessMs.toFixed(0)} / ${bundle.bareProcessMs.toFixed(0)} ms = ${(bundle.bundleProcessMs / bundle.bareProcessMs).toFixed(2)}×`,
  );
  const results = {
    measuredAt: new Date().toISOString(),
    node: process.version,
    orderCount,
    rounds,
    stagesMicros: stages,
    bundle,
    targets,
  };
  writeFileSync(path.join(__dirname, '../results/ingest.json'), `${JSON.stringify(results, null, 2)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
