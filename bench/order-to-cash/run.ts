/**
 * bench/order-to-cash: orders through the whole local platform (signed Shopify webhook → API → ingest → bus →
 * order-to-cash workflow → ERP sandbox → invoice → write-back), in one run:
 *   1. capacity: orders/s end to end with a bounded number of orders in flight (closed loop);
 *   2. latency: webhook → ERP order accepted (and → invoiced), p50/p95/p99, at half that capacity (open loop);
 *   3. cost: the billable units the runtime counted during the capacity phase, per order, priced at AWS list
 *      prices per million orders, against the $10 target.
 *
 *   npx tsx bench/order-to-cash/run.ts [--orders 200] [--in-flight 8]
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { shortFunctionName } from '../../cli/trace-timeline';
import type { ErpSandbox } from '../../local/erp-sandbox/erp-sandbox-server';
import { priceUsage } from '../../local/usage/aws-prices';
import type { UsageCounts } from '../../local/usage/usage-meter';
import { postShopifyOrder, startPlatformWithErp } from '../../test/e2e/support/deployed-platform';
import { shopifyOrder } from '../../test/e2e/support/shopify-orders';
import { keepBundlesForProfile, startProfileWindow } from '../cpu-profile/profiled-run';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const targetUsdPerMillion = 10;
const { values } = parseArgs({
  options: { orders: { type: 'string', default: '200' }, 'in-flight': { type: 'string', default: '8' } },
});
const orderCount = Number(values.orders);
const inFlight = Number(values['in-flight']);

type Running = Awaited<ReturnType<typeof startPlatformWithErp>>;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

/** When the ERP accepted and invoiced each order, read from its books (in process: no polling traffic). */
function erpTimes(
  erp: ErpSandbox,
  refs: string[],
): Map<string, { acceptedAt?: number; invoicedAt?: number }> {
  const times = new Map<string, { acceptedAt?: number; invoicedAt?: number }>();
  const orders = erp.ledger.db.prepare('SELECT external_ref, created_at FROM sales_orders').all() as {
    external_ref: string;
    created_at: string;
  }[];
  const invoices = erp.ledger.db.prepare('SELECT external_ref, created_at FROM invoices').all() as {
    external_ref: string;
    created_at: string;
  }[];
  const wanted = new Set(refs);
  for (const row of orders)
    if (wanted.has(row.external_ref)) times.set(row.external_ref, { acceptedAt: Date.parse(row.created_at) });
  for (const row of invoices) {
    const entry = times.get(row.external_ref);
    if (entry) entry.invoicedAt = Date.parse(row.created_at);
  }
  return times;
}

function writtenBack(erp: ErpSandbox): number {
  return (erp.ledger.db.prepare('SELECT COUNT(*) AS n FROM platform_outbox').get() as { n: number }).n;
}

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function send(running: Running, secret: string): Promise<{ ref: string; sentAt: number }> {
  const order = shopifyOrder();
  const sentAt = Date.now();
  const response = await postShopifyOrder(running.platform.apiUrl, secret, JSON.stringify(order));
  if (response.status !== 202)
    throw new Error(`Webhook answered ${response.status}: ${await response.text()}`);
  return { ref: String(order.id), sentAt };
}

/** Sends `count` orders keeping at most `limit` of them not yet accepted by the ERP; returns each send time. */
async function closedLoop(running: Running, secret: string, count: number, limit: number) {
  const erp = running.platform.erp as ErpSandbox;
  const sent = new Map<string, number>();
  while (sent.size < count) {
    const times = erpTimes(erp, [...sent.keys()]);
    const open = [...sent.keys()].filter((ref) => times.get(ref)?.acceptedAt === undefined).length;
    const room = Math.min(limit - open, count - sent.size);
    if (room > 0) {
      for (const { ref, sentAt } of await Promise.all(
        Array.from({ length: room }, () => send(running, secret)),
      ))
        sent.set(ref, sentAt);
    } else await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return sent;
}

/** Sends `count` orders at a fixed rate, whatever is in flight. */
async function openLoop(running: Running, secret: string, count: number, perSec: number) {
  const sent = new Map<string, number>();
  const start = Date.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < count; i += 1) {
    const due = start + (i * 1000) / perSec;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - Date.now())));
    pending.push(send(running, secret).then(({ ref, sentAt }) => void sent.set(ref, sentAt)));
  }
  await Promise.all(pending);
  return sent;
}

/** Waits until every order is invoiced and written back twice, then returns the latencies. */
async function settle(running: Running, sent: Map<string, number>, writeBacksBefore: number) {
  const erp = running.platform.erp as ErpSandbox;
  const refs = [...sent.keys()];
  await until(
    () => {
      const times = erpTimes(erp, refs);
      return refs.every((ref) => times.get(ref)?.invoicedAt !== undefined);
    },
    10 * 60_000,
    'every order to be invoiced',
  );
  await until(() => writtenBack(erp) >= writeBacksBefore + 2 * refs.length, 60_000, 'the write-backs');
  const times = erpTimes(erp, refs);
  const accepted = refs.map((ref) => (times.get(ref)?.acceptedAt as number) - (sent.get(ref) as number));
  const invoiced = refs.map((ref) => (times.get(ref)?.invoicedAt as number) - (sent.get(ref) as number));
  const firstSent = Math.min(...sent.values());
  const lastInvoiced = Math.max(...refs.map((ref) => times.get(ref)?.invoicedAt as number));
  return {
    ordersPerSec: refs.length / ((lastInvoiced - firstSent) / 1000),
    accepted: accepted.sort((a, b) => a - b),
    invoiced: invoiced.sort((a, b) => a - b),
  };
}

function latencySummary(sorted: number[]) {
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99) };
}

function perOrder(counts: UsageCounts, orders: number): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).map(([item, units]) => [item, units / orders]));
}

async function main(): Promise<void> {
  const running = await startPlatformWithErp();
  keepBundlesForProfile(running.platform.runtime);
  try {
    const secret = running.secrets.shopify?.[0] as string;
    // A customer and stock that a thousand orders cannot exhaust: the bench measures booking, not credit holds.
    await running.erpAdmin.setCreditLimit('C-000001', '100000000.00');
    for (const sku of ['TR-42-SLATE', 'SOCK-MER-M']) await running.erpAdmin.receiveStock(sku, 1_000_000);
    const erp = running.platform.erp as ErpSandbox;

    // Warm-up: every function has started its execution environments.
    let before = writtenBack(erp);
    await settle(running, await closedLoop(running, secret, 2 * inFlight, inFlight), before);

    running.platform.runtime.usage.reset();
    before = writtenBack(erp);
    const profiled = startProfileWindow('order');
    const cpuBefore = process.cpuUsage();
    const capacity = await settle(running, await closedLoop(running, secret, orderCount, inFlight), before);
    profiled.end(orderCount);
    const cpu = process.cpuUsage(cpuBefore);
    // The whole process: runtime, function workers, the ERP sandbox and this bench's sender.
    const cpuMsPerOrder = Number(((cpu.user + cpu.system) / 1000 / orderCount).toFixed(1));
    // An execution is metered when it ends, a moment after its last step booked the invoice.
    await until(
      () => running.platform.runtime.usage.snapshot().expressRequests >= orderCount,
      10_000,
      'the executions to end',
    );
    const usage = running.platform.runtime.usage.snapshot();
    const lambdaByFunction = Object.fromEntries(
      [...running.platform.runtime.usage.lambdaByFunction].map(([name, own]) => [
        shortFunctionName(name),
        {
          requestsPerOrder: own.requests / orderCount,
          meanMs: Math.round(own.totalMs / own.requests),
          gbSecondsPerOrder: own.gbSeconds / orderCount,
        },
      ]),
    );

    const latencyRate = Math.max(1, Math.floor(capacity.ordersPerSec / 2));
    const latencyOrders = Math.min(orderCount, latencyRate * 20);
    before = writtenBack(erp);
    const latency = await settle(
      running,
      await openLoop(running, secret, latencyOrders, latencyRate),
      before,
    );

    const priced = priceUsage(usage);
    const usdPerMillion = (priced.totalUsd / orderCount) * 1e6;
    const report = {
      recordedAt: new Date().toISOString(),
      node: process.version,
      capacity: {
        orders: orderCount,
        inFlight,
        ordersPerSec: Number(capacity.ordersPerSec.toFixed(1)),
        cpuMsPerOrder,
      },
      latency: {
        orders: latencyOrders,
        ratePerSec: latencyRate,
        webhookToAcceptedMs: latencySummary(latency.accepted),
        webhookToInvoicedMs: latencySummary(latency.invoiced),
      },
      unitsPerOrder: perOrder(usage, orderCount),
      lambdaByFunction,
      costPerMillionOrders: {
        items: Object.fromEntries(
          priced.items
            .filter((line) => line.usd > 0)
            .map((line) => [line.item, Number(((line.usd / orderCount) * 1e6).toFixed(2))]),
        ),
        totalUsd: Number(usdPerMillion.toFixed(2)),
        targetUsd: targetUsdPerMillion,
        met: usdPerMillion <= targetUsdPerMillion,
      },
    };
    writeFileSync(
      path.join(__dirname, '../results/order-to-cash.json'),
      `${JSON.stringify(report, null, 2)}\n`,
    );
    console.log(JSON.stringify(report, null, 2));
  } finally {
    await running.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
