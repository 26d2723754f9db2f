/**
 * The soak: many orders through `concord dev` run as a child process, under ERP faults before and after the commit,
 * long Retry-Afters, an ERP outage of minutes, duplicate deliveries, amendments that overtake their orders and one
 * SIGKILL of the runtime mid-run; then a Jepsen-style audit of the ERP's books, the bus, the exceptions queue, the
 * warehouse and `concord reconcile`.
 *
 *   npm run soak -- --orders 600 [--duplicate-rate 0.2] [--outage-sec 180] [--retry-after-sec 150] [--kill-at 0.6]
 *                   [--seed 1] [--orders-per-sec 2] [--keep]
 *
 * Used by test/e2e/soak.test.ts with fewer orders. Prints the figures as JSON and as a table; exits 1 if any figure
 * is not 0, equal or clean (docs/reliability.md).
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { GetQueueAttributesCommand, ListQueuesCommand } from '@aws-sdk/client-sqs';
import Database from 'better-sqlite3';
import { localWebhookSecrets, synthesizeLocalStage } from '../../cli/commands/dev';
import { staticErpCredentials } from '../../functions/shared/erp/erp-credentials';
import { HttpErpConnector } from '../../functions/shared/erp/http-erp-connector';
import type { ReconciliationReport } from '../../functions/shared/reconciliation/report';
import { ErpSandboxAdmin, type FaultRequest } from '../../local/erp-sandbox/sandbox-admin';
import { readSandboxCredentials } from '../../local/erp-sandbox/sandbox-credentials';
import { concord } from '../../test/e2e/support/concord-cli';
import { drainQueue, observeBus } from '../../test/e2e/support/deployed-platform';
import { startDevProcess, stopDevProcess } from '../../test/e2e/support/dev-process';
import { shopifyOrder } from '../../test/e2e/support/shopify-orders';
import { sdkClients } from '../../test/local/support/local-runtime';
import { freePort, killHard } from '../../test/local/support/runtime-process';
import {
  bookedLines,
  deliver,
  documentsByOrder,
  type ErpEventSeen,
  type ExceptionSeen,
  earlyAmendment,
  inParallel,
  OutcomeTracker,
  prepareErp,
  randomBuyer,
  randomLines,
  sameQuantities,
  seededRandom,
} from '../chaos/order-traffic';

/** What the soak sends and what it breaks. */
export interface SoakOptions {
  orders: number;
  /** Share of orders whose webhook is delivered twice. */
  duplicateRate: number;
  /** Share of orders amended, the amendment delivered before the order itself. */
  reorderedAmendmentRate: number;
  /** Fault rates on every business route of the ERP, before it acts and after it committed. */
  faults: {
    serverError: number;
    timeout: number;
    serverErrorAfterCommit: number;
    timeoutAfterCommit: number;
    resetAfterCommit: number;
    /** 429s with a Retry-After of `retryAfterSec`. */
    throttle: number;
  };
  retryAfterSec: number;
  /** The ERP answers 5xx to everything for this long, starting once `outageAt` of the orders were sent. */
  outageSec: number;
  outageAt: number;
  /** The runtime is killed with SIGKILL and restarted once this share of the orders was sent. */
  killAt: number;
  /** Seeds the traffic (buyers, lines, duplicates, amendments); the ERP's faults fire at random. */
  seed: number;
  concurrency: number;
  /** Orders sent per second (locally each function has a few execution environments, see the chaos run). */
  ordersPerSec: number;
  /** How long to wait for every order to reach an outcome and the redrive queue to empty. */
  settleTimeoutMs: number;
  /** How long to wait for the warehouse to agree with the ERP (its stream delivers every minute or so). */
  warehouseTimeoutMs: number;
  /** Keep the data directory (and the child's log) for a post-mortem. */
  keep: boolean;
  /** Progress lines on stderr. */
  log: (line: string) => void;
}

export const defaultSoakOptions: SoakOptions = {
  orders: 600,
  duplicateRate: 0.2,
  reorderedAmendmentRate: 0.1,
  faults: {
    serverError: 0.04,
    timeout: 0.01,
    serverErrorAfterCommit: 0.03,
    timeoutAfterCommit: 0.01,
    resetAfterCommit: 0.02,
    throttle: 0.01,
  },
  retryAfterSec: 150,
  outageSec: 180,
  outageAt: 0.3,
  killAt: 0.6,
  seed: 1,
  concurrency: 4,
  ordersPerSec: 2,
  settleTimeoutMs: 20 * 60_000,
  warehouseTimeoutMs: 6 * 60_000,
  keep: false,
  log: (line) => console.error(`[soak] ${line}`),
};

/** The audit's figures; `problems` lists every figure that is not 0, equal or clean. */
export interface SoakReport {
  parameters: Omit<SoakOptions, 'log'>;
  orders: number;
  acknowledged: number;
  /** Acknowledged, with neither an ERP document nor a refusal on the bus, an exception or a dead letter. */
  lost: string[];
  /** Orders with more than one sales order or more than one invoice in the ERP. */
  duplicateErpDocuments: string[];
  contradictions: {
    /** Announced as rejected on the bus while the ERP holds a sales order that is not cancelled. */
    refusedButBooked: string[];
    /** Accepted in the ERP, never invoiced, and nothing in the exceptions queue says why. */
    bookedNeverInvoiced: string[];
    /** The ERP holds an invoice or a credit hold that no event on the bus announced. */
    unannounced: string[];
  };
  /** Amended orders booked in the ERP with other lines than the amendment's, and no exception for it. */
  amendmentsMissed: string[];
  warehouseVsErp: {
    orders: { erp: number; warehouse: number };
    invoices: { erp: number; warehouse: number };
    differences: number;
  };
  /** `concord reconcile` over the run: clean, its mismatches by class, or why it failed. */
  reconciliation: {
    result: 'clean' | 'mismatches' | 'failed';
    byClass?: Record<string, number>;
    detail?: string;
  };
  outcomes: {
    invoiced: number;
    creditHeld: number;
    rejected: number;
    toExceptions: number;
    deadLettered: number;
  };
  amendments: { sent: number; applied: number; bookedWithOrder: number; toExceptions: number };
  deliveries: { placed: number; duplicates: number; amendments: number; retriedByTheSender: number };
  exceptionsByOutcome: Record<string, number>;
  /** Every message of the exceptions queue, in short: what a person would have to look at. */
  exceptionCases: {
    businessKey: string;
    outcome?: string;
    failedStep?: string;
    eventType?: string;
    error?: string;
  }[];
  /** Every message of a dead-letter queue, in short (queue: event type and subject). */
  deadLetters: string[];
  faultsFired: Record<string, number>;
  /** The most transactions seen waiting in the redrive queue at once (deferred by a long Retry-After or the outage). */
  redriveQueuePeak: number;
  kill: { afterOrders: number; restartSec: number };
  outage: { afterOrders: number; sec: number };
  sendingSec: number;
  settleSec: number;
  elapsedSec: number;
  problems: string[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The base faults, always on (re-set after the kill: the sandbox keeps them in memory). */
function baseFaults(options: SoakOptions): FaultRequest[] {
  const { faults } = options;
  return [
    { route: '/*', kind: '429', rate: faults.throttle, retryAfterSec: options.retryAfterSec },
    { route: '/*', kind: '5xx', rate: faults.serverError },
    { route: '/*', kind: 'timeout', rate: faults.timeout, latencyMs: 6_000 },
    { route: '/*', kind: '5xx-after-commit', rate: faults.serverErrorAfterCommit },
    { route: '/*', kind: 'timeout-after-commit', rate: faults.timeoutAfterCommit, latencyMs: 6_000 },
    { route: '/*', kind: 'reset-after-commit', rate: faults.resetAfterCommit },
  ];
}

/** A dead letter: an event EventBridge could not deliver, or Lambda's record of an asynchronous invocation that failed. */
interface DeadLetterBody {
  'detail-type'?: string;
  detail?: { subject?: string; data?: { sourceOrderId?: string } };
  requestContext?: { condition?: string };
  requestPayload?: {
    'detail-type'?: string;
    detail?: { subject?: string; data?: { sourceOrderId?: string } };
  };
  responsePayload?: { errorType?: string; errorMessage?: string };
}

/** The order a dead letter stands for (when it names one) and one line saying what it is and why it failed. */
function deadLetterOf(body: DeadLetterBody): { orderId?: string; summary: string } {
  const event = body?.requestPayload ?? body;
  const id = event?.detail?.data?.sourceOrderId;
  const failure = body?.responsePayload
    ? ` — ${body.requestContext?.condition}: ${body.responsePayload.errorType}: ${String(body.responsePayload.errorMessage).slice(0, 200)}`
    : '';
  return {
    orderId: id === undefined ? undefined : String(id),
    summary: `${event?.['detail-type'] ?? 'not an event'} ${event?.detail?.subject ?? ''}${failure}`,
  };
}

/** Runs the soak and audits it. */
export async function runOrderToCashSoak(options: SoakOptions): Promise<SoakReport> {
  const { log } = options;
  const started = Date.now();
  const dir = mkdtempSync(path.join(tmpdir(), 'concord-soak-'));
  const dataDir = path.join(dir, 'data');
  const logFile = path.join(dir, 'concord-dev.log');
  const [edgePort, apiPort, erpPort] = [await freePort(), await freePort(), await freePort()];
  const erpUrl = `http://127.0.0.1:${erpPort}`;
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  log(`synthesizing into ${dir}`);
  const assemblyDir = synthesizeLocalStage(path.join(dir, 'cdk.out'), erpUrl);
  const secret = localWebhookSecrets(dataDir).secrets.shopify?.[0] as string;
  const processOptions = { assemblyDir, dataDir, edgePort, apiPort, erpPort, logFile };
  let child: ChildProcess = await startDevProcess(processOptions);
  let clients = sdkClients(`http://127.0.0.1:${edgePort}`);
  const erpBooks = new Database(path.join(dataDir, 'erp', 'erp-sandbox.db'), { readonly: true });
  // Kept for a post-mortem when asked, when the audit fails or when the run itself does.
  let keepDir = true;
  try {
    const observerUrl = await observeBus(clients, 'soak-observe-erp', { source: ['concord.erp'] });
    const queueUrls = async (prefix: string) =>
      (await clients.sqs.send(new ListQueuesCommand({ QueueNamePrefix: prefix }))).QueueUrls ?? [];
    const exceptionsUrl = (await queueUrls('Concord-local-Stateful-ExceptionsQueue')).find(
      (url) => !/Dlq/.test(url),
    ) as string;
    const redriveUrl = (await queueUrls('Concord-local-Stateful-WorkflowRedriveQueue'))[0] as string;
    const deadLetterUrls = (await queueUrls('Concord-local-')).filter((url) => /Dlq/.test(url));
    // The sandbox made its credentials in the data directory on first start; a restart keeps them.
    const erpCredentials = readSandboxCredentials(path.join(dataDir, 'erp'));
    if (!erpCredentials)
      throw new Error(`the ERP sandbox left no credentials in ${path.join(dataDir, 'erp')}`);
    const erpAdmin = new ErpSandboxAdmin(erpUrl, erpCredentials.adminToken);
    const erp = new HttpErpConnector({
      baseUrl: erpUrl,
      credentials: staticErpCredentials(erpCredentials.apiKeys[0] as string),
    });
    await prepareErp(erpAdmin);

    // Faults: the sandbox keeps them (and their counts) in memory and can only clear them all, so every change
    // re-sets the whole list after adding up what fired.
    const firedBefore: Record<string, number> = {};
    let firedNow: Record<string, number> = {};
    let outageUntil = 0;
    const readFired = async () => {
      try {
        const faults = await erpAdmin.faults();
        firedNow = {};
        for (const fault of faults) {
          const kind = fault.rate === 1 ? 'outage' : fault.kind;
          firedNow[kind] = (firedNow[kind] ?? 0) + fault.fired;
        }
      } catch {
        // the runtime is down: keep the last counts
      }
    };
    const applyFaults = async () => {
      await readFired();
      for (const [kind, fired] of Object.entries(firedNow))
        firedBefore[kind] = (firedBefore[kind] ?? 0) + fired;
      firedNow = {};
      await erpAdmin.clearFaults();
      for (const fault of baseFaults(options)) await erpAdmin.addFault(fault);
      if (Date.now() < outageUntil) await erpAdmin.addFault({ route: '/*', kind: '5xx', rate: 1 });
    };
    await applyFaults();

    // Watch the redrive queue while the run goes on: deferred transactions wait there.
    let redriveQueuePeak = 0;
    const redriveDepth = async (): Promise<number | undefined> => {
      try {
        const { Attributes = {} } = await clients.sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl: redriveUrl,
            AttributeNames: [
              'ApproximateNumberOfMessages',
              'ApproximateNumberOfMessagesNotVisible',
              'ApproximateNumberOfMessagesDelayed',
            ],
          }),
        );
        const depth = Object.values(Attributes).reduce((sum, value) => sum + Number(value), 0);
        redriveQueuePeak = Math.max(redriveQueuePeak, depth);
        return depth;
      } catch {
        return undefined;
      }
    };
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        await redriveDepth();
        await readFired();
        await sleep(5_000);
      }
    })();

    // Send.
    const random = seededRandom(options.seed);
    const sendStarted = Date.now();
    const base = sendStarted * 100;
    const plan = Array.from({ length: options.orders }, (_, index) => ({
      index,
      id: base + index,
      dueAt: sendStarted + (index * 1000) / options.ordersPerSec,
      email: randomBuyer(random),
      lines: randomLines(random),
      duplicate: random() < options.duplicateRate,
      amendBefore: random() < options.reorderedAmendmentRate,
    }));
    const outageIndex = Math.floor(options.orders * options.outageAt);
    const killIndex = Math.floor(options.orders * options.killAt);
    const acknowledged = new Set<string>();
    const amended = new Map<string, { sku: string; quantity: number }[]>();
    const deliveries = { placed: 0, duplicates: 0, amendments: 0, retriedByTheSender: 0 };
    let restartSec = 0;
    let paused: Promise<void> = Promise.resolve();
    const killAndRestart = async () => {
      log(`SIGKILL of concord dev after ${killIndex} orders`);
      await readFired();
      await killHard(child);
      for (const client of Object.values(clients)) client.destroy();
      const restarting = Date.now();
      child = await startDevProcess(processOptions);
      clients = sdkClients(`http://127.0.0.1:${edgePort}`);
      restartSec = (Date.now() - restarting) / 1000;
      await applyFaults();
      log(`restarted in ${restartSec.toFixed(1)} s`);
    };
    // The outage is its own timeline: it starts with one order and ends by itself, whatever the sender does.
    let outageEnded: Promise<void> = Promise.resolve();
    const startOutage = async () => {
      log(`ERP outage for ${options.outageSec} s after ${outageIndex} orders`);
      outageUntil = Date.now() + options.outageSec * 1000;
      await applyFaults();
      outageEnded = (async () => {
        await sleep(options.outageSec * 1000);
        await applyFaults();
        log('ERP outage over');
      })();
    };
    await inParallel(plan, options.concurrency, async (order) => {
      await sleep(Math.max(0, order.dueAt - Date.now()));
      await paused;
      if (order.index === outageIndex && options.outageSec > 0) await startOutage();
      if (order.index === killIndex) {
        paused = killAndRestart();
        await paused;
      }
      const placed = JSON.stringify(shopifyOrder({ id: order.id, email: order.email, lines: order.lines }));
      if (order.amendBefore) {
        const { lines, body: amendment } = earlyAmendment(order);
        const result = await deliver(apiUrl, secret, 'orders/updated', amendment, randomUUID(), 40);
        deliveries.amendments += 1;
        deliveries.retriedByTheSender += result.retries;
        if (result.status > 0 && result.status < 300) amended.set(String(order.id), lines);
      }
      const deliveryId = randomUUID();
      const first = await deliver(apiUrl, secret, 'orders/create', placed, deliveryId, 40);
      deliveries.placed += 1;
      deliveries.retriedByTheSender += first.retries;
      if (first.status > 0 && first.status < 300) acknowledged.add(String(order.id));
      if (order.duplicate) {
        const again = await deliver(apiUrl, secret, 'orders/create', placed, deliveryId, 40);
        deliveries.duplicates += 1;
        deliveries.retriedByTheSender += again.retries;
      }
    });
    const sendingSec = (Date.now() - sendStarted) / 1000;
    log(`sent ${options.orders} orders in ${sendingSec.toFixed(0)} s; settling`);
    await outageEnded;

    // Settle: every acknowledged order and amendment reaches an outcome, and nothing waits in the redrive queue.
    const tracker = new OutcomeTracker();
    const deadLettered = new Set<string>();
    const deadLetters: string[] = [];
    const settleStarted = Date.now();
    const deadline = settleStarted + options.settleTimeoutMs;
    const amendmentSettled = (id: string) => {
      if (tracker.amendmentOutcome.has(id)) return true;
      if (!tracker.outcomeOf.has(id)) return false;
      const booked = bookedLines(erpBooks, id);
      if (booked && sameQuantities(booked, amended.get(id) ?? [])) {
        tracker.amendmentOutcome.set(id, 'bookedWithOrder');
        return true;
      }
      return false;
    };
    let lastProgress = 0;
    for (;;) {
      for (const body of await drainQueue(clients.sqs, observerUrl))
        tracker.observeErpEvent(body as { 'detail-type': string; detail: ErpEventSeen });
      for (const body of await drainQueue(clients.sqs, exceptionsUrl))
        tracker.observeException(body as ExceptionSeen);
      for (const url of deadLetterUrls)
        for (const body of await drainQueue(clients.sqs, url)) {
          const letter = deadLetterOf(body as DeadLetterBody);
          if (letter.orderId !== undefined) deadLettered.add(letter.orderId);
          deadLetters.push(`${url.split('/').pop()}: ${letter.summary}`);
        }
      const waiting = [...acknowledged].filter((id) => !tracker.outcomeOf.has(id) && !deadLettered.has(id));
      const amendmentsWaiting = [...amended.keys()].filter((id) => !amendmentSettled(id));
      const redrive = await redriveDepth();
      if (waiting.length === 0 && amendmentsWaiting.length === 0 && redrive === 0) break;
      if (Date.now() > deadline) {
        log(
          `settle timeout: ${waiting.length} orders, ${amendmentsWaiting.length} amendments, redrive ${redrive}`,
        );
        break;
      }
      if (Date.now() - lastProgress > 30_000) {
        lastProgress = Date.now();
        log(
          `waiting for ${waiting.length} orders, ${amendmentsWaiting.length} amendments; redrive queue ${redrive}`,
        );
      }
      await sleep(1_000);
    }
    const settleSec = (Date.now() - settleStarted) / 1000;
    watching = false;
    await watcher;
    await applyFaults();
    await erpAdmin.clearFaults();
    const faultsFired = { ...firedBefore };

    // Audit the ERP's books against the bus and the exceptions queue.
    const documents = await erp.listDocuments({});
    const byOrder = documentsByOrder(documents);
    const live = (id: string) =>
      (byOrder.get(id)?.salesOrders ?? []).filter((status) => status !== 'CANCELLED');
    const announced = new Map<string, Set<string>>();
    for (const event of tracker.events) {
      const id = String(event.data.sourceOrderId ?? '');
      announced.set(id, (announced.get(id) ?? new Set()).add(event.type));
    }
    const acked = [...acknowledged];
    const lost = acked.filter(
      (id) =>
        !byOrder.has(id) &&
        !tracker.rejected.has(id) &&
        !tracker.inExceptions.has(id) &&
        !deadLettered.has(id),
    );
    const refusedButBooked = acked.filter((id) => tracker.rejected.has(id) && live(id).length > 0);
    const bookedNeverInvoiced = acked.filter(
      (id) =>
        live(id).includes('ACCEPTED') &&
        (byOrder.get(id)?.invoices ?? 0) === 0 &&
        !tracker.inExceptions.has(id),
    );
    const unannounced = acked.filter((id) => {
      const types = announced.get(id) ?? new Set();
      if ((byOrder.get(id)?.invoices ?? 0) > 0 && !types.has('erp.invoice.posted.v1')) return true;
      return live(id).includes('CREDIT_HOLD') && !types.has('erp.order.credit-held.v1');
    });
    const amendmentsMissed = [...amended].filter(([id, lines]) => {
      if (tracker.amendmentOutcome.get(id) === 'toExceptions' || live(id).length === 0) return false;
      const booked = bookedLines(erpBooks, id);
      return !booked || !sameQuantities(booked, lines);
    });

    // The warehouse and `concord reconcile` over the run's window, once the warehouse's stream has caught up.
    const since = new Date(started - 5 * 60_000).toISOString();
    const reconcileDeadline = Date.now() + options.warehouseTimeoutMs;
    let reconciliation: SoakReport['reconciliation'] = { result: 'failed', detail: 'not run' };
    let report: ReconciliationReport | undefined;
    for (;;) {
      const run = await concord([
        'reconcile',
        '--since',
        since,
        '--data-dir',
        dataDir,
        '--erp-url',
        erpUrl,
        '--json',
      ]);
      if (run.code === 0 || run.code === 2) {
        report = JSON.parse(run.stdout) as ReconciliationReport;
        const byClass = Object.fromEntries(Object.entries(report.byClass).filter(([, count]) => count > 0));
        reconciliation = run.code === 0 ? { result: 'clean' } : { result: 'mismatches', byClass };
      } else reconciliation = { result: 'failed', detail: (run.stderr || run.stdout).trim().slice(0, 2000) };
      if (reconciliation.result === 'clean' || Date.now() > reconcileDeadline) break;
      log(`reconcile: ${JSON.stringify(reconciliation)}; the warehouse may still trail, again in 20 s`);
      await sleep(20_000);
    }
    const warehouseClasses = ['missing_in_warehouse', 'amount_differs', 'status_differs', 'stale'];
    const warehouseVsErp = {
      orders: {
        erp: report?.totals.order.erp.count ?? -1,
        warehouse: report?.totals.order.warehouse.count ?? -1,
      },
      invoices: {
        erp: report?.totals.invoice.erp.count ?? -1,
        warehouse: report?.totals.invoice.warehouse.count ?? -1,
      },
      differences: report
        ? report.mismatches.filter((mismatch) => warehouseClasses.includes(mismatch.class)).length
        : -1,
    };
    const exceptionsByOutcome: Record<string, number> = {};
    for (const exception of tracker.exceptions) {
      const outcome = exception.outcome ?? 'unknown';
      exceptionsByOutcome[outcome] = (exceptionsByOutcome[outcome] ?? 0) + 1;
    }
    const { log: _log, ...parameters } = options;
    const soak: SoakReport = {
      parameters,
      orders: options.orders,
      acknowledged: acknowledged.size,
      lost,
      duplicateErpDocuments: [...byOrder]
        .filter(([, entry]) => entry.salesOrders.length > 1 || entry.invoices > 1)
        .map(([id]) => id),
      contradictions: { refusedButBooked, bookedNeverInvoiced, unannounced },
      amendmentsMissed: amendmentsMissed.map(([id]) => id),
      warehouseVsErp,
      reconciliation,
      outcomes: {
        invoiced: tracker.count('invoiced'),
        creditHeld: tracker.count('creditHeld'),
        rejected: tracker.count('rejected'),
        toExceptions: tracker.count('exception'),
        deadLettered: deadLettered.size,
      },
      amendments: {
        sent: amended.size,
        applied: tracker.countAmendments('applied'),
        bookedWithOrder: tracker.countAmendments('bookedWithOrder'),
        toExceptions: tracker.countAmendments('toExceptions'),
      },
      deliveries,
      exceptionsByOutcome,
      exceptionCases: tracker.exceptions.map((exception) => ({
        businessKey: exception.businessKey,
        outcome: exception.outcome,
        failedStep: exception.failedStep,
        eventType: exception.event?.type,
        error: (exception as { error?: { Error?: string } }).error?.Error,
      })),
      deadLetters,
      faultsFired,
      redriveQueuePeak,
      kill: { afterOrders: killIndex, restartSec },
      outage: { afterOrders: outageIndex, sec: options.outageSec },
      sendingSec,
      settleSec,
      elapsedSec: (Date.now() - started) / 1000,
      problems: [],
    };
    soak.problems = soakProblems(soak);
    keepDir = options.keep || soak.problems.length > 0;
    return soak;
  } finally {
    erpBooks.close();
    for (const client of Object.values(clients)) client.destroy();
    await stopDevProcess(child);
    if (keepDir) log(`data and the child's log kept in ${dir}`);
    else if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  }
}

/** Every figure that is not 0, equal or clean, as one sentence each; empty when the soak proves what it should. */
export function soakProblems(report: SoakReport): string[] {
  const problems: string[] = [];
  const list = (name: string, ids: string[]) => {
    if (ids.length > 0) problems.push(`${name}: ${ids.length} (${ids.slice(0, 20).join(', ')})`);
  };
  if (report.acknowledged !== report.orders)
    problems.push(`acknowledged: ${report.acknowledged} of ${report.orders} orders`);
  list('lost', report.lost);
  list('duplicate ERP documents', report.duplicateErpDocuments);
  list('refused on the bus but booked in the ERP', report.contradictions.refusedButBooked);
  list('booked, never invoiced, nothing in exceptions', report.contradictions.bookedNeverInvoiced);
  list('in the ERP but never announced on the bus', report.contradictions.unannounced);
  list('amendments missed', report.amendmentsMissed);
  const { orders, invoices, differences } = report.warehouseVsErp;
  if (orders.erp !== orders.warehouse || invoices.erp !== invoices.warehouse || differences !== 0)
    problems.push(
      `warehouse vs ERP: orders ${orders.warehouse}/${orders.erp}, invoices ${invoices.warehouse}/${invoices.erp}, ${differences} differences`,
    );
  if (report.reconciliation.result !== 'clean')
    problems.push(
      `reconciliation: ${report.reconciliation.result} ${JSON.stringify(report.reconciliation.byClass ?? report.reconciliation.detail)}`,
    );
  return problems;
}

/** The figures as a table a person reads: each with what it must be. */
export function soakTable(report: SoakReport): string {
  const { orders, invoices, differences } = report.warehouseVsErp;
  const rows: [string, string, string][] = [
    ['acknowledged', `${report.acknowledged} of ${report.orders}`, 'all'],
    ['lost', String(report.lost.length), '0'],
    ['duplicate ERP documents', String(report.duplicateErpDocuments.length), '0'],
    ['refused on the bus, booked in the ERP', String(report.contradictions.refusedButBooked.length), '0'],
    ['booked, never invoiced, no exception', String(report.contradictions.bookedNeverInvoiced.length), '0'],
    ['in the ERP, never announced', String(report.contradictions.unannounced.length), '0'],
    ['amendments missed', `${report.amendmentsMissed.length} of ${report.amendments.sent}`, '0'],
    ['warehouse vs ERP: orders', `${orders.warehouse} / ${orders.erp}`, 'equal'],
    ['warehouse vs ERP: invoices', `${invoices.warehouse} / ${invoices.erp}`, 'equal'],
    ['warehouse vs ERP: differences', String(differences), '0'],
    ['reconciliation', report.reconciliation.result, 'clean'],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  const lines = rows.map(
    ([name, value, wanted]) => `${name.padEnd(width)}  ${value.padStart(12)}   (must be ${wanted})`,
  );
  const o = report.outcomes;
  lines.push(
    '',
    `outcomes: ${o.invoiced} invoiced, ${o.creditHeld} credit-held, ${o.rejected} rejected, ${o.toExceptions} exceptions, ${o.deadLettered} dead-lettered`,
    `exceptions by outcome: ${JSON.stringify(report.exceptionsByOutcome)}`,
    ...report.exceptionCases
      .slice(0, 10)
      .map((c) => `  ${c.businessKey} ${c.outcome} at ${c.failedStep} (${c.eventType}): ${c.error}`),
    `dead letters: ${report.deadLetters.length}`,
    ...report.deadLetters.slice(0, 10).map((letter) => `  ${letter}`),
    `faults fired: ${JSON.stringify(report.faultsFired)}; redrive queue peak ${report.redriveQueuePeak}`,
    `kill -9 after ${report.kill.afterOrders} orders (restart ${report.kill.restartSec.toFixed(1)} s); ` +
      `outage ${report.outage.sec} s after ${report.outage.afterOrders} orders`,
    `sending ${report.sendingSec.toFixed(0)} s, settling ${report.settleSec.toFixed(0)} s, total ${report.elapsedSec.toFixed(0)} s`,
  );
  return lines.join('\n');
}

if (require.main === module) {
  const { values } = parseArgs({
    options: {
      orders: { type: 'string' },
      'duplicate-rate': { type: 'string' },
      'outage-sec': { type: 'string' },
      'retry-after-sec': { type: 'string' },
      'kill-at': { type: 'string' },
      seed: { type: 'string' },
      'orders-per-sec': { type: 'string' },
      keep: { type: 'boolean' },
    },
    strict: true,
  });
  // A typo must stop the run with its flag named, not soak with NaN orders or a rate above one.
  const number = (flag: string, fallback: number, max = Number.MAX_SAFE_INTEGER) => {
    const text = values[flag as keyof typeof values];
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isFinite(value) || value < 0 || value > max) {
      console.error(`--${flag} must be a number from 0 to ${max}, got "${text}"`);
      process.exit(1);
    }
    return value;
  };
  const d = defaultSoakOptions;
  const options: SoakOptions = {
    ...d,
    orders: number('orders', d.orders),
    duplicateRate: number('duplicate-rate', d.duplicateRate, 1),
    outageSec: number('outage-sec', d.outageSec),
    retryAfterSec: number('retry-after-sec', d.retryAfterSec),
    killAt: number('kill-at', d.killAt, 1),
    seed: number('seed', d.seed),
    ordersPerSec: number('orders-per-sec', d.ordersPerSec),
    keep: values.keep ?? false,
  };
  runOrderToCashSoak(options).then(
    (report) => {
      console.log(JSON.stringify(report, null, 2));
      console.log(`\n${soakTable(report)}`);
      for (const problem of report.problems) console.error(`audit: ${problem}`);
      process.exit(report.problems.length === 0 ? 0 : 1);
    },
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
