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
  type ReconciledSide,
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

/**
 * A row of one side that the reconciliation cannot read or compare: a value it needs is missing or malformed (an
 * order row the warehouse can state no total for, an event without its key). It becomes an `unreadable` mismatch
 * of its own; every other row is still reconciled.
 */
export interface UnreadableRow {
  side: ReconciledSide;
  entity: ReconciledEntity;
  /** The best name the row gives: the SaaS key, the ERP document number, or the event id. */
  key: string;
  erpDocument?: string;
  correlationId?: string;
  /** When its side places the row (as a fact's `time`, `createdAt` or `firstAt`), when that much could be read. */
  time?: string;
  /** Its latest change, when that much could be read: a younger incomplete row may still be receiving events. */
  updatedAt?: string;
  /** The row as read, values as text. */
  row: Record<string, string | null>;
  reason: string;
}

/** What a reader made of one side: the facts it could read, and the rows it could not. */
export interface SideRead<T> {
  facts: T[];
  unreadable: UnreadableRow[];
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
  /** The rows of any side that could not be read. */
  unreadable?: readonly UnreadableRow[];
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

const sideName: Record<ReconciledSide, string> = {
  saas: 'the SaaS event',
  erp: "the ERP's document",
  warehouse: "the warehouse's row",
};

type AnyFact = SaasFact | ErpFact | WarehouseFact;

const timeFields = new Set(['time', 'createdAt', 'updatedAt', 'firstAt']);
const textFields = new Set(['key', 'number', 'externalRef', 'status', 'currency']);

/** What keeps a fact from being compared (a value missing or malformed), or undefined when nothing does. */
function problemOf(fact: AnyFact): string | undefined {
  for (const [name, value] of Object.entries(fact) as [string, unknown][]) {
    // Only optional fields can be undefined (a shop order states no amount); a missing value is null.
    if (value === undefined) continue;
    if (textFields.has(name) && (typeof value !== 'string' || value === '')) return `it has no ${name}`;
    if (name === 'amount' && (typeof value !== 'string' || !isDecimal(value)))
      return value === null ? 'it has no amount' : `its amount ${JSON.stringify(value)} is not a decimal`;
    if (timeFields.has(name) && (typeof value !== 'string' || Number.isNaN(Date.parse(value))))
      return value === null ? `it has no ${name}` : `its ${name} ${JSON.stringify(value)} is not a time`;
  }
  return undefined;
}

function isDecimal(value: string): boolean {
  try {
    parseDecimal(value);
    return true;
  } catch {
    return false;
  }
}

function textOf(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** A fact as an unreadable row: the reason is what keeps it from being compared. */
function unreadableFact(side: ReconciledSide, fact: AnyFact, reason: string): UnreadableRow {
  const row = Object.fromEntries(Object.entries(fact).map(([name, value]) => [name, textOf(value)]));
  const time = 'time' in fact ? fact.time : 'createdAt' in fact ? fact.createdAt : fact.firstAt;
  const base = { side, entity: fact.entity, row, reason, ...(isTime(time) ? { time } : {}) };
  if ('key' in fact) return { ...base, key: fact.key, correlationId: fact.correlationId };
  const updatedAt = isTime(fact.updatedAt) ? { updatedAt: fact.updatedAt } : {};
  if ('externalRef' in fact)
    return {
      ...base,
      ...updatedAt,
      key: fact.entity === 'invoice' || !fact.externalRef ? fact.number : fact.externalRef,
      erpDocument: fact.number,
    };
  return {
    ...base,
    ...updatedAt,
    key: fact.number,
    erpDocument: fact.number,
    correlationId: fact.correlationId,
  };
}

function isTime(value: unknown): value is string {
  return typeof value === 'string' && !Number.isNaN(Date.parse(value));
}

function reasonOf(error: unknown): string {
  return `comparing it failed: ${error instanceof Error ? error.message : String(error)}`;
}

/** Splits a side's facts into those that can be compared and the rows that cannot. */
function readable<T extends AnyFact>(
  side: ReconciledSide,
  facts: readonly T[],
  unreadable: UnreadableRow[],
): T[] {
  return facts.filter((fact) => {
    const problem = problemOf(fact);
    if (problem) unreadable.push(unreadableFact(side, fact, problem));
    return !problem;
  });
}

/**
 * Compares the three sides for every key that any side places in the window. One row that cannot be read or
 * compared never stops it: the row is reported as an `unreadable` mismatch, and every other row is reconciled.
 */
export function reconcile(input: ReconcileInput): ReconciliationReport {
  const { window } = input;
  const mismatches: Mismatch[] = [];
  const unreadable: UnreadableRow[] = [...(input.unreadable ?? [])];
  const saasFacts = readable('saas', input.saas, unreadable);
  const erpFacts = readable('erp', input.erp, unreadable);
  const warehouseFacts = readable('warehouse', input.warehouse, unreadable);
  const erpByRef = byKey(erpFacts, (fact) => `${fact.entity}:${fact.externalRef}`);
  const warehouseByNumber = byKey(warehouseFacts, (fact) => `${fact.entity}:${fact.number}`);
  const youngerThanLag = (iso: string) => input.ranAt.getTime() - Date.parse(iso) < input.allowedLagMs;

  // SaaS against the ERP: was every transaction booked, and does the ERP agree on its state?
  const saasInWindow = saasFacts.filter((fact) => within(fact.time, window));
  const saasKeysInWindow = new Set(saasInWindow.map((fact) => `${fact.entity}:${fact.key}`));
  // What an unreadable ERP document stands for is reported once, as that document.
  const erpUnreadableKeys = new Set(
    unreadable.filter((row) => row.side === 'erp').map((row) => `${row.entity}:${row.key}`),
  );
  for (const fact of saasInWindow) {
    if (erpUnreadableKeys.has(`${fact.entity}:${fact.key}`)) continue;
    try {
      mismatches.push(...saasAgainstErp(fact, erpByRef.get(`${fact.entity}:${fact.key}`), input));
    } catch (error) {
      unreadable.push(unreadableFact('saas', fact, reasonOf(error)));
    }
  }

  // The ERP against the warehouse: does the warehouse show every document as the ERP holds it?
  const unreadableRows = new Map(
    unreadable
      .filter((row) => row.side === 'warehouse' && row.erpDocument)
      .map((row) => [`${row.entity}:${row.erpDocument}`, row]),
  );
  const erpOfUnreadableRow = new Map<UnreadableRow, ErpFact>();
  const erpNumbers = new Set(
    unreadable.filter((row) => row.side === 'erp').map((row) => `${row.entity}:${row.erpDocument}`),
  );
  for (const document of erpFacts) {
    const documentKey = `${document.entity}:${document.number}`;
    erpNumbers.add(documentKey);
    const unreadableRow = unreadableRows.get(documentKey);
    if (unreadableRow) {
      erpOfUnreadableRow.set(unreadableRow, document);
      continue;
    }
    const warehouseRow = warehouseByNumber.get(documentKey);
    const inWindow =
      within(document.createdAt, window) ||
      within(warehouseRow?.firstAt, window) ||
      saasKeysInWindow.has(`${document.entity}:${document.externalRef}`);
    if (!inWindow) continue;
    try {
      mismatches.push(...erpAgainstWarehouse(document, warehouseRow, input));
    } catch (error) {
      unreadable.push(unreadableFact('erp', document, reasonOf(error)));
    }
  }
  // Rows the warehouse shows for documents the ERP does not hold.
  for (const row of warehouseFacts) {
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

  // Each unreadable row its side places in the window (or that cannot say when), as a mismatch of its own.
  for (const row of unreadable) {
    const document = erpOfUnreadableRow.get(row);
    if (row.time !== undefined && !within(row.time, window) && !within(document?.createdAt, window)) continue;
    mismatches.push(unreadableMismatch(row, document, youngerThanLag));
  }

  const entities: ReconciledEntity[] = ['order', 'invoice', 'payment'];
  const erpInWindow = erpFacts.filter((fact) => within(fact.createdAt, window));
  const warehouseInWindow = warehouseFacts.filter((fact) => within(fact.firstAt, window));
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

/** What a SaaS transaction and the ERP's document for it disagree on. */
function saasAgainstErp(fact: SaasFact, document: ErpFact | undefined, input: ReconcileInput): Mismatch[] {
  const saas = { status: fact.status, amount: fact.amount, currency: fact.currency, time: fact.time };
  const base = { entity: fact.entity, key: fact.key, correlationId: fact.correlationId, saas };
  if (!document) {
    // An order cancelled before the ERP ever booked it has nothing to book.
    if (fact.entity === 'order' && fact.status === 'CANCELLED') return [];
    // Taken in moments ago, its flow may still be running.
    const inFlight = input.ranAt.getTime() - Date.parse(fact.time) < input.allowedLagMs;
    return [
      {
        ...base,
        class: inFlight ? 'stale' : 'missing_in_erp',
        detail: inFlight
          ? `the ${fact.entity} reached Concord at ${fact.time}; its flow may still be booking it`
          : `the ${fact.entity} reached Concord at ${fact.time} but the ERP has no document for it`,
      },
    ];
  }
  const found: Mismatch[] = [];
  const erp = erpSide(document);
  if (fact.entity === 'order' && !erpOrderStatusForSaas[fact.status](document.status))
    found.push({
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
    found.push({
      ...base,
      class: 'amount_differs',
      erpDocument: document.number,
      erp,
      detail: `the billing platform says ${fact.amount} ${fact.currency}, the ERP booked ${document.amount} ${document.currency}`,
    });
  return found;
}

/** What the warehouse's row for an ERP document (or its absence) disagrees with the document on. */
function erpAgainstWarehouse(
  document: ErpFact,
  warehouseRow: WarehouseFact | undefined,
  input: ReconcileInput,
): Mismatch[] {
  const key = document.entity === 'invoice' ? document.number : document.externalRef;
  const erp = erpSide(document);
  const base = { entity: document.entity, key, erpDocument: document.number, erp };
  // A difference younger than the stream's buffering is a delivery in flight, not yet a disagreement.
  const inFlight = input.ranAt.getTime() - Date.parse(document.updatedAt) < input.allowedLagMs;
  if (!warehouseRow)
    return [
      {
        ...base,
        class: inFlight ? 'stale' : 'missing_in_warehouse',
        detail: inFlight
          ? `the ERP booked ${document.number} at ${document.updatedAt}; the warehouse stream may still be delivering it`
          : `the ERP booked ${document.number} at ${document.createdAt} but the warehouse has no row for it`,
      },
    ];
  const warehouse = {
    status: warehouseRow.status,
    amount: warehouseRow.amount,
    currency: warehouseRow.currency,
    updatedAt: warehouseRow.updatedAt,
  };
  const statusDiffers = warehouseRow.status !== document.status;
  const amountDiffers =
    !sameAmount(warehouseRow.amount, document.amount) || warehouseRow.currency !== document.currency;
  if (!statusDiffers && !amountDiffers) return [];
  const located = { ...base, warehouse, correlationId: warehouseRow.correlationId };
  if (inFlight)
    return [
      {
        ...located,
        class: 'stale',
        detail: `the ERP changed ${document.number} at ${document.updatedAt}; the warehouse shows its state of ${warehouseRow.updatedAt} and may still be receiving the change`,
      },
    ];
  const found: Mismatch[] = [];
  if (statusDiffers)
    found.push({
      ...located,
      class: 'status_differs',
      detail: `the ERP says ${document.status}, the warehouse says ${warehouseRow.status}`,
    });
  if (amountDiffers)
    found.push({
      ...located,
      class: 'amount_differs',
      detail: `the ERP says ${document.amount} ${document.currency}, the warehouse says ${warehouseRow.amount} ${warehouseRow.currency}`,
    });
  return found;
}

/**
 * The mismatch of an unreadable row, with the ERP's document beside it when the ERP holds one. A warehouse row
 * younger than the lag may be incomplete only because the stream is still delivering its events: stale.
 */
function unreadableMismatch(
  unreadable: UnreadableRow,
  document: ErpFact | undefined,
  youngerThanLag: (iso: string) => boolean,
): Mismatch {
  const { side, entity, key, erpDocument, correlationId, row, reason } = unreadable;
  const named = `${entity} ${side === 'saas' ? key : (erpDocument ?? key)}`;
  const inFlight =
    side === 'warehouse' &&
    [document?.updatedAt, unreadable.updatedAt].some((at) => at !== undefined && youngerThanLag(at));
  return {
    class: inFlight ? 'stale' : 'unreadable',
    entity,
    key: document && entity !== 'invoice' ? document.externalRef : key,
    ...(erpDocument ? { erpDocument } : {}),
    ...(correlationId ? { correlationId } : {}),
    ...(document ? { erp: erpSide(document) } : {}),
    unreadable: { side, row, reason },
    detail: inFlight
      ? `${sideName[side]} for ${named} is incomplete (${reason}); the stream may still be delivering its events`
      : `${sideName[side]} for ${named} cannot be compared: ${reason}`,
  };
}
