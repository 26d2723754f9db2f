/**
 * The order-to-cash chaos run: many orders through the whole local platform (signed webhooks → ingest → bus →
 * workflow → ERP sandbox) with duplicate deliveries, amendments that overtake their orders and ERP faults, then an
 * audit of the ERP's books against what was acknowledged.
 *
 *   npm run chaos -- --orders 1000
 *
 * Used by test/e2e/chaos.test.ts with fewer orders. Prints a JSON report; exits 1 if the audit finds a problem.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { ListQueuesCommand } from '@aws-sdk/client-sqs';
import type { FaultRequest } from '../../local/erp-sandbox/sandbox-admin';
import { drainQueue, observeBus, startPlatformWithErp } from '../../test/e2e/support/deployed-platform';
import { shopifyOrder } from '../../test/e2e/support/shopify-orders';
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
} from './order-traffic';

export interface ChaosOptions {
  orders: number;
  /** Share of orders whose webhook is delivered twice. */
  duplicateRate: number;
  /** Share of orders amended, the amendment delivered before the order itself. */
  reorderedAmendmentRate: number;
  /**
   * ERP faults on every business route: before the ERP acts, 5xx, 429 (Retry-After 1 s) and timeouts; after it
   * committed, the answer lost (`lostAnswer`, spread over an HTML 504, a reset and an answer held past the deadline).
   */
  faults: { serverError: number; throttle: number; timeout: number; lostAnswer: number };
  /** Webhooks in flight at once. */
  concurrency: number;
  /**
   * Orders sent per second. Locally each function has a few execution environments where AWS would scale out, so
   * a faster sender only builds a queue of executions that outlive the Express five-minute limit.
   */
  ordersPerSec: number;
  /** How long to wait for every order to reach an outcome. */
  settleTimeoutMs: number;
}

export const defaultChaosOptions: ChaosOptions = {
  orders: 1000,
  duplicateRate: 0.2,
  reorderedAmendmentRate: 0.1,
  faults: { serverError: 0.1, throttle: 0.05, timeout: 0.02, lostAnswer: 0.06 },
  concurrency: 4,
  ordersPerSec: 2,
  settleTimeoutMs: 15 * 60_000,
};

export interface ChaosReport {
  orders: number;
  acknowledged: number;
  deliveries: { placed: number; duplicates: number; amendments: number; retriedByTheSender: number };
  outcomes: { invoiced: number; creditHeld: number; rejected: number; toExceptions: number };
  /** Applied to the booked order, booked with the order (it arrived first), or refused into the exceptions queue. */
  amendments: { applied: number; bookedWithOrder: number; toExceptions: number };
  faultsFired: number;
  exceptions: number;
  deadLetters: number;
  /** Acknowledged orders with no outcome, no exception and no dead letter: must be empty. */
  unaccounted: string[];
  /** Orders with more than one sales order or invoice in the ERP: must be empty. */
  duplicateDocuments: string[];
  /** Orders the ERP booked although the workflow reported them rejected (and did not cancel): must be empty. */
  bookedButRejected: string[];
  elapsedSec: number;
  ordersPerSec: number;
}

export async function runOrderToCashChaos(options: ChaosOptions): Promise<ChaosReport> {
  // Real time (clock factor 1): a faster clock would shrink the Express time limit while ERP timeouts and Lambda
  // queues stay real, and executions would time out that AWS would finish.
  const running = await startPlatformWithErp();
  const { platform, secrets, clients, erp, erpAdmin } = running;
  const { sqs } = clients;
  try {
    const secret = secrets.shopify?.[0] as string;
    const observerUrl = await observeBus(clients, 'chaos-observe-erp', { source: ['concord.erp'] });
    const queueUrl = async (prefix: string) =>
      (await sqs.send(new ListQueuesCommand({ QueueNamePrefix: prefix }))).QueueUrls ?? [];
    const [exceptionsUrl] = await queueUrl('Concord-local-Stateful-ExceptionsQueue');
    const deadLetterUrls = (await queueUrl('Concord-local-Stateless-')).filter((url) => /Dlq/.test(url));

    const setFault = (fault: FaultRequest) => erpAdmin.addFault(fault);
    await prepareErp(erpAdmin);
    await setFault({ route: '/*', kind: '5xx', rate: options.faults.serverError });
    await setFault({ route: '/*', kind: '429', rate: options.faults.throttle, retryAfterSec: 1 });
    await setFault({ route: '/*', kind: 'timeout', rate: options.faults.timeout, latencyMs: 6_000 });
    for (const kind of ['5xx-after-commit', 'reset-after-commit', 'timeout-after-commit'] as const)
      await setFault({ route: '/*', kind, rate: options.faults.lostAnswer / 3, latencyMs: 6_000 });

    const started = Date.now();
    const base = Date.now() * 100;
    const plan = Array.from({ length: options.orders }, (_, index) => ({
      id: base + index,
      dueAt: started + (index * 1000) / options.ordersPerSec,
      email: randomBuyer(),
      lines: randomLines(),
      duplicate: Math.random() < options.duplicateRate,
      amendBefore: Math.random() < options.reorderedAmendmentRate,
    }));
    const acknowledged = new Set<string>();
    const amended = new Map<string, { sku: string; quantity: number }[]>();
    const deliveries = { placed: 0, duplicates: 0, amendments: 0, retriedByTheSender: 0 };
    await inParallel(plan, options.concurrency, async (order) => {
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, order.dueAt - Date.now())));
      const placed = JSON.stringify(shopifyOrder({ id: order.id, email: order.email, lines: order.lines }));
      if (order.amendBefore) {
        const { lines, body: amendment } = earlyAmendment(order);
        const result = await deliver(platform.apiUrl, secret, 'orders/updated', amendment, randomUUID());
        deliveries.amendments += 1;
        deliveries.retriedByTheSender += result.retries;
        if (result.status < 300) amended.set(String(order.id), lines);
      }
      const deliveryId = randomUUID();
      const first = await deliver(platform.apiUrl, secret, 'orders/create', placed, deliveryId);
      deliveries.placed += 1;
      deliveries.retriedByTheSender += first.retries;
      if (first.status < 300) acknowledged.add(String(order.id));
      if (order.duplicate) {
        const again = await deliver(platform.apiUrl, secret, 'orders/create', placed, deliveryId);
        deliveries.duplicates += 1;
        deliveries.retriedByTheSender += again.retries;
      }
    });

    // Settle: every acknowledged order reaches an outcome or an exception (amendments likewise).
    const tracker = new OutcomeTracker();
    const { outcomeOf, amendmentOutcome } = tracker;
    const deadline = Date.now() + options.settleTimeoutMs;
    const settled = () =>
      [...acknowledged].every((id) => outcomeOf.has(id)) &&
      [...amended.keys()].every((id) => amendmentOutcome.has(id));
    while (!settled() && Date.now() < deadline) {
      for (const body of await drainQueue(sqs, observerUrl))
        tracker.observeErpEvent(body as { 'detail-type': string; detail: ErpEventSeen });
      for (const body of await drainQueue(sqs, exceptionsUrl as string))
        tracker.observeException(body as ExceptionSeen);
      // An amendment that overtook its order is booked with it and changes nothing afterwards: no event says so,
      // the ERP's lines do (read from its books directly: the HTTP API is under injected faults).
      for (const [id, lines] of amended) {
        if (amendmentOutcome.has(id) || !outcomeOf.has(id) || !platform.erp) continue;
        const booked = bookedLines(platform.erp.ledger.db, id);
        if (booked && sameQuantities(booked, lines)) amendmentOutcome.set(id, 'bookedWithOrder');
      }
      if (!settled()) await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const elapsedSec = (Date.now() - started) / 1000;
    const faults = await erpAdmin.faults();
    await erpAdmin.clearFaults();

    // Audit the ERP's books.
    const documents = await erp.listDocuments({});
    const byOrder = documentsByOrder(documents);
    // A dead letter is the event EventBridge could not start a workflow with: it accounts for its order.
    const deadLettered = new Set<string>();
    for (const url of deadLetterUrls)
      for (const body of (await drainQueue(sqs, url)) as { detail?: { data?: { sourceOrderId?: string } } }[])
        deadLettered.add(String(body.detail?.data?.sourceOrderId));
    const count = (outcome: string) => tracker.count(outcome);
    return {
      orders: options.orders,
      acknowledged: acknowledged.size,
      deliveries,
      outcomes: {
        invoiced: count('invoiced'),
        creditHeld: count('creditHeld'),
        rejected: count('rejected'),
        toExceptions: count('exception'),
      },
      amendments: {
        applied: tracker.countAmendments('applied'),
        bookedWithOrder: tracker.countAmendments('bookedWithOrder'),
        toExceptions: tracker.countAmendments('toExceptions'),
      },
      faultsFired: faults.reduce((sum, fault) => sum + fault.fired, 0),
      exceptions: tracker.exceptions.length,
      deadLetters: deadLettered.size,
      unaccounted: [
        ...[...acknowledged].filter((id) => !outcomeOf.has(id) && !deadLettered.has(id)),
        ...[...amended.keys()].filter((id) => !amendmentOutcome.has(id)).map((id) => `${id} (amendment)`),
      ],
      duplicateDocuments: [...byOrder]
        .filter(([, entry]) => entry.salesOrders.length > 1 || entry.invoices > 1)
        .map(([id]) => id),
      bookedButRejected: [...outcomeOf]
        .filter(([, outcome]) => outcome === 'rejected')
        .filter(([id]) => (byOrder.get(id)?.salesOrders ?? []).some((status) => status !== 'CANCELLED'))
        .map(([id]) => id),
      elapsedSec,
      ordersPerSec: acknowledged.size / elapsedSec,
    };
  } finally {
    await running.stop();
  }
}

/** Problems the audit found; empty when the run proves what it should. */
export function auditProblems(report: ChaosReport): string[] {
  const problems: string[] = [];
  if (report.acknowledged !== report.orders)
    problems.push(`${report.orders - report.acknowledged} orders never acknowledged`);
  if (report.unaccounted.length > 0) problems.push(`unaccounted orders: ${report.unaccounted.join(', ')}`);
  if (report.duplicateDocuments.length > 0)
    problems.push(`duplicate documents: ${report.duplicateDocuments.join(', ')}`);
  if (report.bookedButRejected.length > 0)
    problems.push(`booked but rejected: ${report.bookedButRejected.join(', ')}`);
  return problems;
}

if (require.main === module) {
  const { values } = parseArgs({ options: { orders: { type: 'string' } } });
  const options = { ...defaultChaosOptions, orders: Number(values.orders ?? defaultChaosOptions.orders) };
  runOrderToCashChaos(options).then(
    (report) => {
      console.log(JSON.stringify(report, null, 2));
      const problems = auditProblems(report);
      for (const problem of problems) console.error(`audit: ${problem}`);
      process.exit(problems.length === 0 ? 0 : 1);
    },
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
