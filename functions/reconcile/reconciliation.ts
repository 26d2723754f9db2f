/**
 * The three-way comparison: what the SaaS platforms sent, what the ERP booked, what the warehouse shows. Pure:
 * the facts come in already read (reconcile-sources.ts), the report goes out.
 */
import { formatDecimal, parseDecimal } from '../shared/decimal';
import {
  type Mismatch,
  type MismatchClass,
  mismatchClasses,
  type ReconciledEntity,
  type ReconciliationReport,
  type SideTotals,
} from '../shared/reconciliation/report';

/** A business transaction as the SaaS platform last described it (its latest canonical event). */
export interface SaasFact {
  entity: 'order' | 'payment';
  /** The SaaS id, which the ERP keeps as the document's external reference. */
  key: string;
  /** OPEN, or CANCELLED for an order whose latest event cancels it. */
  status: 'OPEN' | 'CANCELLED';
  /** Payments only: the ERP prices orders itself, so a shop's order total is not the ERP's. */
  amount?: string;
  currency?: string;
  /** When Concord took it in (the warehouse load time of its latest event). */
  time: string;
  correlationId: string;
  /** Every canonical event of the key, as loaded: what a replay re-publishes (the plan orders them by version). */
  eventIds: string[];
}

/** A document as the ERP holds it (the ERP port's listing). */
export interface ErpFact {
  entity: ReconciledEntity;
  number: string;
  externalRef: string;
  status: string;
  amount: string;
  currency: string;
  createdAt: string;
  updatedAt: string;
}

/** A document as the warehouse models show it. */
export interface WarehouseFact {
  entity: ReconciledEntity;
  number: string;
  status: string;
  amount: string;
  currency: string;
  /** The first and the latest fact the ERP announced about it. */
  firstAt: string;
  updatedAt: string;
  correlationId: string;
}
export interface ReconcileInput {
  id: string;
  window: { from: Date; to: Date };
  ranAt: Date;
  /**
   * How long a side may trail another (the stream's buffering): a younger difference is `stale`, whether the
   * warehouse has not yet received the ERP's change or the ERP has not yet booked what Concord just took in.
   */
  allowedLagMs: number;
  saas: readonly SaasFact[];
  erp: readonly ErpFact[];
  warehouse: readonly WarehouseFact[];
}

const erpOrderStatusForSaas: Record<SaasFact['status'], (erpStatus: string) => boolean> = {
  OPEN: (status) => status !== 'CANCELLED',
  CANCELLED: (status) => status === 'CANCELLED',
};

function within(iso: string | undefined, window: { from: Date; to: Date }): boolean {
  if (!iso) return false;
  const at = Date.parse(iso);
  return at >= window.from.getTime() && at < window.to.getTime();
}

function sameAmount(a: string, b: string): boolean {
  return parseDecimal(a) === parseDecimal(b);
}

function totalsOf(facts: readonly { amount?: string; currency?: string }[]): SideTotals {
  const sums = new Map<string, bigint>();
  for (const fact of facts)
    if (fact.amount !== undefined && fact.currency)
      sums.set(fact.currency, (sums.get(fact.currency) ?? 0n) + parseDecimal(fact.amount));
  return {
    count: facts.length,
    sums: Object.fromEntries([...sums].sort().map(([currency, units]) => [currency, formatDecimal(units)])),
  };
}

/** What a mismatch shows of the ERP's document. */
function erpSide(document: ErpFact): NonNullable<Mismatch['erp']> {
  const { status, amount, currency, createdAt, updatedAt } = document;
  return { status, amount, currency, createdAt, updatedAt };
}

function byKey<T>(facts: readonly T[], key: (fact: T) => string): Map<string, T> {
  return new Map(facts.map((fact) => [key(fact), fact]));
}

/** Compares the three sides for every key that any side places in the window. */
export function reconcile(input: ReconcileInput): ReconciliationReport {
  const { window } = input;
  const erpByRef = byKey(input.erp, (fact) => `${fact.entity}:${fact.externalRef}`);
  const warehouseByNumber = byKey(input.warehouse, (fact) => `${fact.entity}:${fact.number}`);
  const mismatches: Mismatch[] = [];

  // SaaS against the ERP: was every transaction booked, and does the ERP agree on its state?
  const saasInWindow = input.saas.filter((fact) => within(fact.time, window));
  const saasKeysInWindow = new Set(saasInWindow.map((fact) => `${fact.entity}:${fact.key}`));
  for (const fact of saasInWindow) {
    const document = erpByRef.get(`${fact.entity}:${fact.key}`);
    const saas = { status: fact.status, amount: fact.amount, currency: fact.currency, time: fact.time };
    const base = { entity: fact.entity, key: fact.key, correlationId: fact.correlationId, saas };
    if (!document) {
      // An order cancelled before the ERP ever booked it has nothing to book.
      if (fact.entity === 'order' && fact.status === 'CANCELLED') continue;
      // Taken in moments ago, its flow may still be running.
      const inFlight = input.ranAt.getTime() - Date.parse(fact.time) < input.allowedLagMs;
      mismatches.push({
        ...base,
        class: inFlight ? 'stale' : 'missing_in_erp',
        detail: inFlight
          ? `the ${fact.entity} reached Concord at ${fact.time}; its flow may still be booking it`
          : `the ${fact.entity} reached Concord at ${fact.time} but the ERP has no document for it`,
      });
      continue;
    }
    const erp = erpSide(document);
    if (fact.entity === 'order' && !erpOrderStatusForSaas[fact.status](document.status))
      mismatches.push({
        ...base,
        class: 'status_differs',
        erpDocument: document.number,
        erp,
        detail: `the shop says ${fact.status}, the ERP says ${document.status}`,
      });
    if (
      fact.entity === 'payment' &&
      fact.amount !== undefined &&
      (!sameAmount(fact.amount, document.amount) || fact.currency !== document.currency)
    )
      mismatches.push({
        ...base,
        class: 'amount_differs',
        erpDocument: document.number,
        erp,
        detail: `the billing platform says ${fact.amount} ${fact.currency}, the ERP booked ${document.amount} ${document.currency}`,
      });
  }

  // The ERP against the warehouse: does the warehouse show every document as the ERP holds it?
  const erpNumbers = new Set<string>();
  for (const document of input.erp) {
    const warehouseRow = warehouseByNumber.get(`${document.entity}:${document.number}`);
    erpNumbers.add(`${document.entity}:${document.number}`);
    const inWindow =
      within(document.createdAt, window) ||
      within(warehouseRow?.firstAt, window) ||
      saasKeysInWindow.has(`${document.entity}:${document.externalRef}`);
    if (!inWindow) continue;
    const key = document.entity === 'invoice' ? document.number : document.externalRef;
    const erp = erpSide(document);
    const base = { entity: document.entity, key, erpDocument: document.number, erp };
    // A difference younger than the stream's buffering is a delivery in flight, not yet a disagreement.
    const inFlight = input.ranAt.getTime() - Date.parse(document.updatedAt) < input.allowedLagMs;
    if (!warehouseRow) {
      mismatches.push({
        ...base,
        class: inFlight ? 'stale' : 'missing_in_warehouse',
        detail: inFlight
          ? `the ERP booked ${document.number} at ${document.updatedAt}; the warehouse stream may still be delivering it`
          : `the ERP booked ${document.number} at ${document.createdAt} but the warehouse has no row for it`,
      });
      continue;
    }
    const warehouse = {
      status: warehouseRow.status,
      amount: warehouseRow.amount,
      currency: warehouseRow.currency,
      updatedAt: warehouseRow.updatedAt,
    };
    const statusDiffers = warehouseRow.status !== document.status;
    const amountDiffers =
      !sameAmount(warehouseRow.amount, document.amount) || warehouseRow.currency !== document.currency;
    if (!statusDiffers && !amountDiffers) continue;
    const located = { ...base, warehouse, correlationId: warehouseRow.correlationId };
    if (inFlight) {
      mismatches.push({
        ...located,
        class: 'stale',
        detail: `the ERP changed ${document.number} at ${document.updatedAt}; the warehouse shows its state of ${warehouseRow.updatedAt} and may still be receiving the change`,
      });
      continue;
    }
    if (statusDiffers)
      mismatches.push({
        ...located,
        class: 'status_differs',
        detail: `the ERP says ${document.status}, the warehouse says ${warehouseRow.status}`,
      });
    if (amountDiffers)
      mismatches.push({
        ...located,
        class: 'amount_differs',
        detail: `the ERP says ${document.amount} ${document.currency}, the warehouse says ${warehouseRow.amount} ${warehouseRow.currency}`,
      });
  }
  // Rows the warehouse shows for documents the ERP does not hold.
  for (const row of input.warehouse) {
    if (erpNumbers.has(`${row.entity}:${row.number}`) || !within(row.firstAt, window)) continue;
    mismatches.push({
      class: 'missing_in_erp',
      entity: row.entity,
      key: row.number,
      erpDocument: row.number,
      correlationId: row.correlationId,
      warehouse: { status: row.status, amount: row.amount, currency: row.currency, updatedAt: row.updatedAt },
      detail: `the warehouse shows ${row.number} but the ERP does not hold it`,
    });
  }

  const entities: ReconciledEntity[] = ['order', 'invoice', 'payment'];
  const erpInWindow = input.erp.filter((fact) => within(fact.createdAt, window));
  const warehouseInWindow = input.warehouse.filter((fact) => within(fact.firstAt, window));
  const totals = Object.fromEntries(
    entities.map((entity) => [
      entity,
      {
        ...(entity === 'invoice'
          ? {}
          : { saas: totalsOf(saasInWindow.filter((fact) => fact.entity === entity)) }),
        erp: totalsOf(erpInWindow.filter((fact) => fact.entity === entity)),
        warehouse: totalsOf(warehouseInWindow.filter((fact) => fact.entity === entity)),
      },
    ]),
  ) as ReconciliationReport['totals'];
  mismatches.sort(
    (a, b) =>
      a.entity.localeCompare(b.entity) || a.key.localeCompare(b.key) || a.class.localeCompare(b.class),
  );
  return {
    id: input.id,
    window: { from: window.from.toISOString(), to: window.to.toISOString() },
    ranAt: input.ranAt.toISOString(),
    totals,
    mismatches,
    byClass: Object.fromEntries(
      mismatchClasses.map((name) => [name, mismatches.filter((mismatch) => mismatch.class === name).length]),
    ) as Record<MismatchClass, number>,
  };
}
