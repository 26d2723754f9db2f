/** The parts the chaos run and the soak share: the orders they send, how they deliver them, and how they read outcomes. */
import type { ErpDocument } from '../../functions/shared/erp/erp-port';
import type { ErpSandboxAdmin } from '../../local/erp-sandbox/sandbox-admin';
import { postShopifyOrder } from '../../test/e2e/support/deployed-platform';
import { shopifyOrder } from '../../test/e2e/support/shopify-orders';

/** A source of numbers in [0, 1): `Math.random`, or a seeded generator for a run that can be repeated. */
export type Random = () => number;

/** A small seeded generator (mulberry32): the same seed draws the same orders, duplicates and amendments. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The items every order draws from; the ERP sandbox's seed catalogue has them all. */
export const catalogue = [
  { sku: 'TR-42-SLATE', price: '89.99' },
  { sku: 'SOCK-MER-M', price: '39.99' },
  { sku: 'BTL-STEEL-1L', price: '24.50' },
  { sku: 'CAP-WOOL-OS', price: '19.95' },
];

/**
 * Who buys: mostly Jane Doe (her limit raised so that her orders invoice), some Globex (250.00 USD limit: held
 * once its first order is booked) and some Initech (an account on credit hold), so that both paths carry load.
 */
const buyers = [
  { email: 'jane.doe@example.com', share: 0.85 },
  { email: 'ap@globex.example', share: 0.1 },
  { email: 'billing@initech.example', share: 0.05 },
];

/** One buyer, drawn by share. */
export function randomBuyer(random: Random = Math.random): string {
  let draw = random();
  for (const buyer of buyers) {
    draw -= buyer.share;
    if (draw < 0) return buyer.email;
  }
  return buyers[0]?.email as string;
}

/** One to three distinct items, one to three of each. */
export function randomLines(random: Random = Math.random) {
  const count = 1 + Math.floor(random() * 3);
  return [...catalogue]
    .map((item) => ({ item, order: random() }))
    .sort((a, b) => a.order - b.order)
    .slice(0, count)
    .map(({ item }) => ({ ...item, quantity: 1 + Math.floor(random() * 3) }));
}

/**
 * Delivers one webhook as Shopify would: its own delivery id, retried on 5xx/409/429 like the sender does, and on
 * a refused connection (the runtime restarting) too. Shopify keeps retrying for hours; `attempts` bounds it here.
 */
export async function deliver(
  apiUrl: string,
  secret: string,
  topic: string,
  body: string,
  deliveryId: string,
  attempts = 9,
): Promise<{ status: number; retries: number }> {
  for (let attempt = 0; ; attempt += 1) {
    let status: number;
    try {
      const response = await postShopifyOrder(apiUrl, secret, body, deliveryId, topic);
      await response.arrayBuffer();
      status = response.status;
    } catch {
      // No answer (the runtime is down): nothing was acknowledged, so the sender tries again.
      status = 0;
    }
    const retryable = status === 0 || status >= 500 || status === 409 || status === 429;
    if (!retryable || attempt === attempts - 1) return { status, retries: attempt };
    await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** Math.min(attempt, 4)));
  }
}

/** Whether two sets of order lines have the same quantity of each SKU, whatever their order. */
export function sameQuantities(
  booked: readonly { sku: string; quantity: number }[],
  wanted: readonly { sku: string; quantity: number }[],
): boolean {
  const key = (lines: readonly { sku: string; quantity: number }[]) =>
    lines
      .map((line) => `${line.sku}:${line.quantity}`)
      .sort()
      .join(',');
  return key(booked) === key(wanted);
}

/** The lines the ERP booked for an order, read from its books (the HTTP API may be under injected faults). */
export function bookedLines(
  db: { prepare(sql: string): { get(...params: unknown[]): unknown } },
  externalRef: string,
): { sku: string; quantity: number }[] | undefined {
  const row = db.prepare('SELECT lines FROM sales_orders WHERE external_ref = ?').get(externalRef) as
    | { lines: string }
    | undefined;
  return row ? (JSON.parse(row.lines) as { sku: string; quantity: number }[]) : undefined;
}

/** Runs `work` over `items`, `concurrency` at a time. */
export async function inParallel<T>(
  items: T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        await work(item);
      }
    }),
  );
}

/**
 * The Shopify orders/updated that amends an order before it is placed: one more of its first line, at a later
 * `updated_at`. Returns the amended lines (what the ERP must end up holding) and the webhook body.
 */
export function earlyAmendment(order: {
  id: number;
  email: string;
  lines: { sku: string; quantity: number; price: string }[];
}) {
  const lines = order.lines.map((line, index) =>
    index === 0 ? { ...line, quantity: line.quantity + 1 } : line,
  );
  const body = JSON.stringify(
    shopifyOrder({ id: order.id, email: order.email, lines, updatedAt: '2026-11-20T09:40:00-05:00' }),
  );
  return { lines, body };
}

/** As finance and the warehouse would before a sales event: credit for the main buyer, stock for every item. */
export async function prepareErp(admin: ErpSandboxAdmin): Promise<void> {
  await admin.setCreditLimit('C-000001', '10000000.00');
  for (const { sku } of catalogue) await admin.receiveStock(sku, 100_000);
}

/** The ERP's sales orders (their statuses) and invoice count per order (external reference). */
export function documentsByOrder(
  documents: readonly ErpDocument[],
): Map<string, { salesOrders: string[]; invoices: number }> {
  const byOrder = new Map<string, { salesOrders: string[]; invoices: number }>();
  for (const document of documents) {
    if (document.type === 'payment') continue;
    const entry = byOrder.get(document.externalRef) ?? { salesOrders: [], invoices: 0 };
    if (document.type === 'sales-order') entry.salesOrders.push(document.status);
    else entry.invoices += 1;
    byOrder.set(document.externalRef, entry);
  }
  return byOrder;
}

/** An ERP event as the bus observer receives it. */
export interface ErpEventSeen {
  type: string;
  subject: string;
  data: Record<string, unknown>;
}

/** A message of the exceptions queue, as far as the audits read it. */
export interface ExceptionSeen {
  businessKey: string;
  outcome?: string;
  failedStep?: string;
  event?: { type?: string };
}

/**
 * What became of each order and amendment, from the ERP events on the bus and the exceptions queue: an order is
 * invoiced, credit-held, rejected or an exception; an amendment applied or an exception.
 */
export class OutcomeTracker {
  readonly events: ErpEventSeen[] = [];
  readonly exceptions: ExceptionSeen[] = [];
  readonly outcomeOf = new Map<string, string>();
  readonly amendmentOutcome = new Map<string, string>();
  /** Orders announced as rejected at least once (a later event may say otherwise: that is a contradiction). */
  readonly rejected = new Set<string>();
  /** Orders with at least one message in the exceptions queue. */
  readonly inExceptions = new Set<string>();

  /** Takes one message of the bus observer (an EventBridge envelope). */
  observeErpEvent(body: { 'detail-type': string; detail: ErpEventSeen }): void {
    const event = { type: body['detail-type'], subject: body.detail.subject, data: body.detail.data };
    this.events.push(event);
    const id = String(event.data.sourceOrderId ?? '');
    if (event.type === 'erp.invoice.posted.v1') this.outcomeOf.set(id, 'invoiced');
    else if (event.type === 'erp.order.credit-held.v1' && this.outcomeOf.get(id) !== 'invoiced')
      this.outcomeOf.set(id, 'creditHeld');
    else if (event.type === 'erp.order.rejected.v1') {
      this.outcomeOf.set(id, 'rejected');
      this.rejected.add(id);
    } else if (event.type === 'erp.order.amended.v1') this.amendmentOutcome.set(id, 'applied');
  }

  /** Takes one message of the exceptions queue. */
  observeException(body: ExceptionSeen): void {
    this.exceptions.push(body);
    const id = body.businessKey.replace(/^order\//, '');
    this.inExceptions.add(id);
    if (body.event?.type === 'commerce.order.amended.v1') this.amendmentOutcome.set(id, 'toExceptions');
    else if (!this.outcomeOf.has(id)) this.outcomeOf.set(id, 'exception');
  }

  /** How many orders have this outcome. */
  count(outcome: string): number {
    return [...this.outcomeOf.values()].filter((value) => value === outcome).length;
  }

  /** How many amendments have this outcome. */
  countAmendments(outcome: string): number {
    return [...this.amendmentOutcome.values()].filter((value) => value === outcome).length;
  }
}
