/**
 * bench/new-flows: the four flows added after order-to-cash, each through the whole local platform, in one run:
 *   - supplier sync: signed Spendesk `suppliers` webhook → supplier-sync → ERP vendor created;
 *   - employee sync: signed HiBob `employee.joined` webhook → employee-sync (reads Bob) → ERP employee hired;
 *   - procure-to-pay: signed Spendesk `purchase_orders` webhook → workflow → ERP purchase order created
 *     (and its status written back to Spendesk);
 *   - item write-back: ERP stock movement → outbox relay → bus → coalescing window → Shopify level written.
 * Per flow: transactions/s end to end with a bounded number in flight (closed loop), p50/p95 latency of that phase,
 * process CPU per transaction (this process hosts the runtime, the function workers and the ERP sandbox, as in
 * bench/order-to-cash), and the billable units the runtime metered per transaction, priced at AWS list prices per
 * million transactions. Times come from the ERP's and the stand-ins' own books, so no observer adds load.
 *
 *   npx tsx bench/new-flows/run.ts [--transactions 50] [--in-flight 8] [--item-in-flight 50]
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { shortFunctionName } from '../../cli/trace-timeline';
import { signWebhook } from '../../cli/webhook-signing';
import { sourceDefinitions } from '../../functions/shared/sources/source-registry';
import type { ErpSandbox } from '../../local/erp-sandbox/erp-sandbox-server';
import { shopifyAdminPrefix, standInLocations } from '../../local/erp-sandbox/shopify-admin-stand-in';
import { priceUsage } from '../../local/usage/aws-prices';
import type { UsageCounts } from '../../local/usage/usage-meter';
import { postSpendeskWebhook, startPlatformWithErp } from '../../test/e2e/support/deployed-platform';
import { spendeskPurchaseOrder, spendeskSupplierCreated } from '../../test/e2e/support/spendesk-webhooks';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { values } = parseArgs({
  options: {
    transactions: { type: 'string', default: '50' },
    'in-flight': { type: 'string', default: '8' },
    'item-in-flight': { type: 'string', default: '50' },
  },
});
const transactionCount = Number(values.transactions);
const inFlight = Number(values['in-flight']);
const itemInFlight = Number(values['item-in-flight']);
for (const [name, value] of Object.entries({ transactionCount, inFlight, itemInFlight }))
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer`);

/** How long one transaction may take before the bench gives up: the item write-back waits for its 30 s window and the
 * relay's 1-minute schedule, so it gets the most. */
const finishTimeoutMs = 5 * 60_000;
const companyId = 636192;
const shopLocation = standInLocations[0];

type Running = Awaited<ReturnType<typeof startPlatformWithErp>>;

/** One flow as the bench drives it: how to start a transaction and how its end shows in the books. */
interface Flow {
  name: string;
  /** What "finished" means, for the report. */
  finishedWhen: string;
  /** At most this many transactions not yet finished. */
  inFlight: number;
  /** Starts one transaction; its key names it in `finishedAt`. */
  send(): Promise<{ key: string; sentAt: number }>;
  /** When each key's transaction finished (ms since the epoch), for those that have. */
  finishedAt(keys: string[]): Map<string, number>;
  /** Whether every follow-up of these finished transactions is done too (write-backs). */
  settled(keys: string[]): boolean;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

/** Rows of the sandbox's books as `key → time`, for the keys asked (the ERP and the stand-ins share one database). */
function timesByKey(erp: ErpSandbox, sql: string, keys: string[]): Map<string, number> {
  const wanted = new Set(keys);
  const times = new Map<string, number>();
  for (const row of erp.ledger.db.prepare(sql).all() as { key: string; at: string }[])
    if (wanted.has(row.key)) times.set(row.key, Date.parse(row.at));
  return times;
}

async function until(condition: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs / 1000} s waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Waits until the meter has stopped counting for a second: executions are metered when they end. */
async function quietUsage(running: Running): Promise<UsageCounts> {
  let last = JSON.stringify(running.platform.runtime.usage.snapshot());
  let stableSince = Date.now();
  const deadline = Date.now() + 15_000;
  while (Date.now() - stableSince < 1000 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const now = JSON.stringify(running.platform.runtime.usage.snapshot());
    if (now !== last) {
      last = now;
      stableSince = Date.now();
    }
  }
  return JSON.parse(last) as UsageCounts;
}

async function checked(response: Response, what: string): Promise<unknown> {
  const text = await response.text();
  if (!response.ok) throw new Error(`${what} answered ${response.status}: ${text}`);
  return text ? JSON.parse(text) : undefined;
}

async function postSpendesk(running: Running, body: string): Promise<void> {
  const answer = await postSpendeskWebhook(
    running.platform.apiUrl,
    running.secrets.spendesk?.[0] as string,
    body,
  );
  if (answer.status !== 202)
    throw new Error(`Spendesk webhook answered ${answer.status}: ${JSON.stringify(answer.body)}`);
}

function supplierSync(running: Running, erp: ErpSandbox): Flow {
  return {
    name: 'supplier-sync',
    finishedWhen: 'ERP vendor created',
    inFlight,
    async send() {
      const key = randomUUID();
      const sentAt = Date.now();
      await postSpendesk(running, spendeskSupplierCreated(key, `Bench Supplier ${key.slice(0, 8)} GmbH`));
      return { key, sentAt };
    },
    finishedAt: (keys) =>
      timesByKey(erp, 'SELECT source_supplier_id AS key, created_at AS at FROM vendors', keys),
    settled: () => true,
  };
}

/** Bob holds each person before it announces the hire (the flow reads the values from Bob's API): set up front. */
async function seedBobPeople(erp: ErpSandbox, ids: string[]): Promise<void> {
  for (const id of ids)
    await checked(
      await fetch(`${erp.url}/_admin/hibob/people/${id}`, {
        method: 'PUT',
        headers: {
          authorization: `Bearer ${erp.credentials.adminToken}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({
          companyId,
          person: {
            firstName: `Bench${id}`,
            surname: 'Tester',
            email: `bench${id}@acme.example`,
            work: { title: 'Engineer', department: 'R&D', costCentre: 'CC-1000' },
          },
        }),
      }),
      'Bob stand-in',
    );
}

function employeeSync(running: Running, erp: ErpSandbox, ids: string[]): Flow {
  const secret = running.secrets.hibob?.[0] as string;
  const url = `${running.platform.apiUrl}/webhooks/hibob`;
  const signature = sourceDefinitions().hibob?.signature;
  const free = [...ids];
  return {
    name: 'employee-sync',
    finishedWhen: 'ERP employee hired',
    inFlight,
    async send() {
      const key = free.shift();
      if (!key) throw new Error('No Bob person left for another hire: seed more');
      const body = JSON.stringify({
        companyId,
        type: 'employee.joined',
        triggeredBy: '3332883804594373380',
        triggeredAt: new Date().toISOString().slice(0, 23),
        version: 'v2',
        data: { employeeId: key, effectiveDate: '2026-12-01' },
      });
      const sentAt = Date.now();
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...signWebhook('hmac', secret, body, url, { signature }),
        },
        body,
      });
      if (response.status !== 202)
        throw new Error(`HiBob webhook answered ${response.status}: ${await response.text()}`);
      return { key, sentAt };
    },
    finishedAt: (keys) => timesByKey(erp, 'SELECT hris_id AS key, created_at AS at FROM employees', keys),
    settled: () => true,
  };
}

function procureToPay(running: Running, erp: ErpSandbox, supplierId: string): Flow {
  return {
    name: 'procure-to-pay',
    finishedWhen: 'ERP purchase order created (and its status written back to Spendesk)',
    inFlight,
    async send() {
      const key = `po_${randomUUID()}`;
      const sentAt = Date.now();
      await postSpendesk(running, spendeskPurchaseOrder({ id: key, supplier: supplierId }));
      return { key, sentAt };
    },
    finishedAt: (keys) =>
      timesByKey(erp, 'SELECT source_po_id AS key, created_at AS at FROM purchase_orders', keys),
    settled: (keys) => {
      const wanted = new Set(keys);
      const rows = erp.ledger.db.prepare('SELECT purchase_order_id AS id FROM spendesk_po_status').all() as {
        id: string;
      }[];
      return rows.filter((row) => wanted.has(row.id)).length === wanted.size;
    },
  };
}

/** Shop levels as written: `sku → { available, at }` at the bench's location. */
function shopLevels(erp: ErpSandbox): Map<string, { available: number; at: number }> {
  const rows = erp.ledger.db
    .prepare(
      `SELECT v.sku AS sku, l.available AS available, l.updated_at AS at FROM shopify_inventory_levels l
       JOIN shopify_variants v ON v.inventory_item_id = l.inventory_item_id WHERE l.location_id = ?`,
    )
    .all(shopLocation.id) as { sku: string; available: number; at: string }[];
  return new Map(rows.map((row) => [row.sku, { available: row.available, at: Date.parse(row.at) }]));
}

function itemWriteBack(running: Running, erp: ErpSandbox, skus: string[]): Flow {
  // A key per transaction: one SKU's level, each moved once, so the window never merges two transactions.
  const free = [...skus];
  const expected = new Map<string, number>();
  return {
    name: 'item-write-back',
    finishedWhen: 'Shopify level written with the ERP level',
    inFlight: itemInFlight,
    async send() {
      const sku = free.shift();
      if (!sku) throw new Error('No SKU left for another stock movement: set up more SKUs');
      const sentAt = Date.now();
      const moved = (await running.erpAdmin.moveStock(`BENCH-${sku}`, [
        { sku, locationId: shopLocation.name, quantity: 7 },
      ])) as { levels: { sku: string; locationId: string; available: number }[] };
      const level = moved.levels.find((entry) => entry.sku === sku && entry.locationId === shopLocation.name);
      if (!level) throw new Error(`The ERP answered no level for ${sku} at ${shopLocation.name}`);
      expected.set(sku, level.available);
      return { key: sku, sentAt };
    },
    finishedAt: (keys) => {
      const levels = shopLevels(erp);
      const times = new Map<string, number>();
      for (const key of keys) {
        const level = levels.get(key);
        if (level && expected.has(key) && level.available === expected.get(key)) times.set(key, level.at);
      }
      return times;
    },
    settled: () => true,
  };
}

/** Sends `count` transactions keeping at most the flow's limit unfinished; returns each send time. */
async function closedLoop(flow: Flow, count: number): Promise<Map<string, number>> {
  const sent = new Map<string, number>();
  while (sent.size < count) {
    const finished = flow.finishedAt([...sent.keys()]);
    const open = sent.size - finished.size;
    const room = Math.min(flow.inFlight - open, count - sent.size);
    if (room > 0) {
      for (const { key, sentAt } of await Promise.all(Array.from({ length: room }, () => flow.send())))
        sent.set(key, sentAt);
    } else await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return sent;
}

/** Waits until every transaction finished and settled; fails naming the flow and how many never finished. */
async function settle(flow: Flow, sent: Map<string, number>) {
  const keys = [...sent.keys()];
  await until(
    () => flow.finishedAt(keys).size === keys.length,
    finishTimeoutMs,
    () => {
      const finished = flow.finishedAt(keys);
      const missing = keys.filter((key) => !finished.has(key));
      return `${flow.name}: ${missing.length} of ${keys.length} transactions never reached "${flow.finishedWhen}" (first: ${missing.slice(0, 3).join(', ')}); see the exceptions queue and the flow's logs`;
    },
  );
  await until(
    () => flow.settled(keys),
    60_000,
    () => `${flow.name}: the follow-ups of ${keys.length} finished transactions`,
  );
  const finished = flow.finishedAt(keys);
  const latencies = keys.map((key) => (finished.get(key) as number) - (sent.get(key) as number));
  const firstSent = Math.min(...sent.values());
  const lastFinished = Math.max(...finished.values());
  return {
    perSec: keys.length / ((lastFinished - firstSent) / 1000),
    latencies: latencies.sort((a, b) => a - b),
  };
}

/** One flow: warm-up, then the measured closed loop with its CPU and metered units. */
async function measure(running: Running, flow: Flow, warmUp: number, idleCpuMsPerSec: number) {
  if (warmUp > 0) await settle(flow, await closedLoop(flow, warmUp));
  await quietUsage(running);
  running.platform.runtime.usage.reset();
  const startedAt = Date.now();
  const cpuBefore = process.cpuUsage();
  const result = await settle(flow, await closedLoop(flow, transactionCount));
  const cpu = process.cpuUsage(cpuBefore);
  const elapsedSec = (Date.now() - startedAt) / 1000;
  const usage = await quietUsage(running);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const priced = priceUsage(usage);
  const lambdaByFunction = Object.fromEntries(
    [...running.platform.runtime.usage.lambdaByFunction].map(([name, own]) => [
      // Physical names cut at 64 characters end in `Funct-<suffix>`, which the shared shortener leaves.
      shortFunctionName(name).replace(/Func[a-z]*-[A-Z0-9]+$/, ''),
      {
        requestsPerTransaction: own.requests / transactionCount,
        meanMs: Math.round(own.totalMs / own.requests),
        gbSecondsPerTransaction: own.gbSeconds / transactionCount,
      },
    ]),
  );
  const report = {
    finishedWhen: flow.finishedWhen,
    transactions: transactionCount,
    inFlight: flow.inFlight,
    transactionsPerSec: Number(result.perSec.toFixed(2)),
    latencyMs: { p50: percentile(result.latencies, 50), p95: percentile(result.latencies, 95) },
    cpuMsPerTransaction: Number((cpuMs / transactionCount).toFixed(1)),
    /** The same, less what the idle platform burns over the phase (schedules, metrics, buffers). */
    cpuMsPerTransactionNetOfIdle: Number(
      ((cpuMs - idleCpuMsPerSec * elapsedSec) / transactionCount).toFixed(1),
    ),
    phaseSec: Number(elapsedSec.toFixed(1)),
    unitsPerTransaction: Object.fromEntries(
      Object.entries(usage)
        .filter(([, units]) => units > 0)
        .map(([item, units]) => [item, Number((units / transactionCount).toFixed(4))]),
    ),
    lambdaByFunction,
    costPerMillionTransactions: {
      items: Object.fromEntries(
        priced.items
          .filter((line) => line.usd > 0)
          .map((line) => [line.item, Number(((line.usd / transactionCount) * 1e6).toFixed(2))]),
      ),
      totalUsd: Number(((priced.totalUsd / transactionCount) * 1e6).toFixed(2)),
    },
  };
  console.log(`${flow.name}: ${JSON.stringify(report)}`);
  return report;
}

/** The idle platform's CPU per second, measured over a few quiet seconds. */
async function idleCpuMsPerSec(seconds: number): Promise<number> {
  const before = process.cpuUsage();
  const startedAt = Date.now();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const cpu = process.cpuUsage(before);
  return (cpu.user + cpu.system) / 1000 / ((Date.now() - startedAt) / 1000);
}

/** The shop and the ERP both know these SKUs; waits until the shop shows the ERP's list prices (the item warm-up). */
async function setUpItems(running: Running, erp: ErpSandbox, skus: string[]): Promise<void> {
  await running.erpAdmin.setShopifyRateLimit({ bucketSize: 1000, leakPerSec: 100 });
  for (const sku of skus)
    await checked(
      await fetch(`${erp.url}${shopifyAdminPrefix}/products.json`, {
        method: 'POST',
        headers: {
          'x-shopify-access-token': erp.credentials.platforms.shopify.accessToken,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ product: { title: sku, variants: [{ sku, price: '1.00' }] } }),
      }),
      'Shopify stand-in',
    );
  await running.erpAdmin.upsertItems(
    skus.map((sku) => ({ sku, title: sku, taxRate: '0.19', prices: { USD: '10.00' } })),
  );
  const priced = () =>
    (
      erp.ledger.db.prepare("SELECT COUNT(*) AS n FROM shopify_variants WHERE price = '10.00'").get() as {
        n: number;
      }
    ).n;
  await until(
    () => priced() >= skus.length,
    finishTimeoutMs,
    () => `the item write-back's warm-up: ${priced()} of ${skus.length} list prices on the shop`,
  );
}

async function main(): Promise<void> {
  const running = await startPlatformWithErp();
  try {
    const erp = running.platform.erp as ErpSandbox;
    // Budget for every purchase order the bench books: it measures booking, not budget refusals.
    await running.erpAdmin.clearFaults();
    await checked(
      await fetch(`${erp.url}/_admin/cost-centres/CC-1000/budget`, {
        method: 'PUT',
        headers: {
          authorization: `Bearer ${erp.credentials.adminToken}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ currency: 'EUR', amount: '100000000.00' }),
      }),
      'ERP budget',
    );
    const skus = Array.from(
      { length: transactionCount },
      (_, index) => `BENCH-${String(index + 1).padStart(4, '0')}`,
    );
    await setUpItems(running, erp, skus);
    const warmUp = 2 * inFlight;
    const hires = Array.from({ length: warmUp + transactionCount }, (_, index) => String(500_001 + index));
    await seedBobPeople(erp, hires);
    const idle = await idleCpuMsPerSec(5);

    const suppliers = supplierSync(running, erp);
    const supplierReport = await measure(running, suppliers, warmUp, idle);
    // Purchase orders need a vendor: one the supplier flow created.
    const vendorRow = erp.ledger.db.prepare('SELECT source_supplier_id AS id FROM vendors LIMIT 1').get() as
      | { id: string }
      | undefined;
    if (!vendorRow) throw new Error('The supplier flow left no vendor for the purchase orders');
    const flows = {
      'supplier-sync': supplierReport,
      'employee-sync': await measure(running, employeeSync(running, erp, hires), warmUp, idle),
      'procure-to-pay': await measure(running, procureToPay(running, erp, vendorRow.id), warmUp, idle),
      // Warmed up by the list prices of the set-up; its window makes a second warm-up cost a minute.
      'item-write-back': await measure(running, itemWriteBack(running, erp, skus), 0, idle),
    };
    const report = {
      recordedAt: new Date().toISOString(),
      node: process.version,
      idleCpuMsPerSec: Number(idle.toFixed(1)),
      flows,
    };
    writeFileSync(path.join(__dirname, '../results/new-flows.json'), `${JSON.stringify(report, null, 2)}\n`);
    console.log(JSON.stringify(report, null, 2));
  } finally {
    await running.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
