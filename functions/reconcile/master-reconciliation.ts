/**
 * The three-way comparison of master records (suppliers, employees), purchase orders and the item master's levels and
 * prices (two-way: no platform owns them): what the SaaS platform's events state, what the ERP holds, what the
 * warehouse model shows. Pure, as reconciliation.ts is for transactions; personal fields
 * arrive already hashed (the readers hash them), so no plain personal value can reach a report.
 */

import { sumDecimals } from '../shared/decimal';
import type {
  EntityTotals,
  FieldDifference,
  MasterRecordState,
  Mismatch,
  ReconciledSide,
  RecordEntity,
} from '../shared/reconciliation/report';
import type { UnreadableRow } from './reconciliation';

/** One compared field of a master record. */
export interface MasterFieldSpec {
  /** The canonical name (system-of-record.json). */
  name: string;
  /** An x-pii field: every side holds it as SHA-256 hex only. */
  personal: boolean;
}

/** A master record as the SaaS platform's events state it, folded in entity-version order. */
export interface MasterSaasFact {
  entity: RecordEntity;
  /** The platform's id (Spendesk supplier or purchase order id, HiBob employee id). */
  key: string;
  /** The latest event's lifecycle: created or changed (supplier); hired, changed or terminated (employee); created (purchase order). */
  status: string;
  /** The values the events state, the latest per field; a personal value as its SHA-256 hex. */
  fields: Record<string, string>;
  /** When the warehouse loaded the latest event. */
  time: string;
  correlationId: string;
  /** Every event of the key, as loaded: what a replay re-publishes. */
  eventIds: string[];
}

/** A master record as the ERP holds it (vendor, employee); personal values hashed. */
export interface MasterErpFact {
  entity: RecordEntity;
  key: string;
  number: string;
  version: number;
  status: string;
  fields: Record<string, string | null>;
  updatedAt: string;
}

/** A master record as the warehouse model shows it (its latest synchronisation). */
export interface MasterWarehouseFact {
  entity: RecordEntity;
  key: string;
  number: string;
  version: number;
  status: string;
  fields: Record<string, string | null>;
  /** When the ERP's latest synchronisation of it was announced. */
  syncedAt: string;
  correlationId: string;
  /** The SaaS event the latest synchronisation applied (lineage `source_event_id`). */
  sourceEventId?: string;
}

/** One record kind's three sides of a window, as the readers (master-sources.ts) give them. */
export interface MasterReconcileInput {
  entity: RecordEntity;
  /** The fields the ERP and the warehouse are compared on (bank details are never among them). */
  fields: readonly MasterFieldSpec[];
  window: { from: Date; to: Date };
  ranAt: Date;
  allowedLagMs: number;
  /** The SaaS records whose events were loaded in the read range; absent for a kind no platform owns (stock levels). */
  saas?: readonly MasterSaasFact[];
  /** The ERP records changed in the read range, and those read by key for the other sides' keys. */
  erp: readonly MasterErpFact[];
  /** The warehouse model's rows (the whole model: a record changed today may have been synced years ago). */
  warehouse: readonly MasterWarehouseFact[];
  unreadable: readonly UnreadableRow[];
  /**
   * Platform keys the ERP refused by rule (a purchase order for a blocked vendor, over budget), each with why: the
   * ERP holding no record for one is the outcome, already on the exceptions queue, not a record missing.
   */
  refused?: ReadonlyMap<string, string>;
  /** The fields a side's sums are taken of, per currency (a purchase order's total); none for master records. */
  sums?: { amount: string; currency: string };
}

/** How each entity kind is named in a sentence. */
const nouns: Record<RecordEntity, { record: string; platform: string; erpRecord: string }> = {
  supplier: { record: 'supplier', platform: 'the procurement platform', erpRecord: 'vendor' },
  employee: { record: 'employee', platform: 'the HRIS', erpRecord: 'employee' },
  'purchase-order': {
    record: 'purchase order',
    platform: 'the procurement platform',
    erpRecord: 'purchase order',
  },
  // No platform's events are compared for these: the ERP announces them, the warehouse models them.
  'stock-level': { record: 'stock level', platform: 'the ERP', erpRecord: 'stock level' },
  'item-price': { record: 'list price', platform: 'the ERP', erpRecord: 'list price' },
};

const sideName: Record<ReconciledSide, string> = {
  saas: 'the SaaS event',
  erp: "the ERP's record",
  warehouse: "the warehouse's row",
};

function within(iso: string | undefined, window: { from: Date; to: Date }): boolean {
  if (!iso) return false;
  const at = Date.parse(iso);
  return at >= window.from.getTime() && at < window.to.getTime();
}

/** A value as a report shows it: a personal one only as its hash. */
function shown(spec: MasterFieldSpec, value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return spec.personal ? `sha256:${value}` : value;
}

function state(fact: MasterErpFact | MasterWarehouseFact): MasterRecordState {
  return {
    number: fact.number,
    version: fact.version,
    status: fact.status,
    updatedAt: 'updatedAt' in fact ? fact.updatedAt : fact.syncedAt,
  };
}

/** Names the differing fields; values only for fields that are not personal. */
function named(differences: readonly FieldDifference[]): string {
  return differences
    .map((difference) => (difference.personal ? `${difference.field} (by hash)` : difference.field))
    .join(', ');
}

/** Sums per currency of the facts that state both fields; a side's count says how many there were in all. */
function sumsOf(
  facts: readonly { fields: Record<string, string | null> }[],
  fields: { amount: string; currency: string } | undefined,
): Record<string, string> {
  if (!fields) return {};
  const amounts = new Map<string, string[]>();
  for (const fact of facts) {
    const amount = fact.fields[fields.amount];
    const currency = fact.fields[fields.currency];
    if (amount === null || amount === undefined || !currency) continue;
    amounts.set(currency, [...(amounts.get(currency) ?? []), amount]);
  }
  return Object.fromEntries(
    [...amounts].sort(([a], [b]) => a.localeCompare(b)).map(([c, v]) => [c, sumDecimals(v)]),
  );
}

/** Compares the three sides of one record kind in the window: each mismatch once, and each side's totals. */
export function reconcileMasters(input: MasterReconcileInput): {
  mismatches: Mismatch[];
  totals: EntityTotals;
} {
  const { entity, window } = input;
  const noun = nouns[entity];
  const young = (iso: string) => input.ranAt.getTime() - Date.parse(iso) < input.allowedLagMs;
  const erpByKey = new Map(input.erp.map((fact) => [fact.key, fact]));
  const warehouseByNumber = new Map(input.warehouse.map((fact) => [fact.number, fact]));
  const warehouseByKey = new Map(input.warehouse.map((fact) => [fact.key, fact]));
  const unreadableWarehouse = new Set(
    input.unreadable.flatMap((row) => (row.side === 'warehouse' && row.erpDocument ? [row.erpDocument] : [])),
  );
  const mismatches: Mismatch[] = [];

  // What the platform sent against what the ERP holds.
  const saasInWindow = (input.saas ?? []).filter((fact) => within(fact.time, window));
  for (const fact of saasInWindow) {
    const erp = erpByKey.get(fact.key);
    const base = {
      entity,
      key: fact.key,
      correlationId: fact.correlationId,
      saas: { status: fact.status, time: fact.time },
    };
    if (!erp) {
      if (input.refused?.has(fact.key)) continue;
      mismatches.push({
        ...base,
        class: young(fact.time) ? 'stale' : 'missing_in_erp',
        detail: young(fact.time)
          ? `the ${noun.record} reached Concord at ${fact.time}; its flow may still be applying it`
          : `${noun.platform}'s ${noun.record} reached Concord at ${fact.time} but the ERP holds no ${noun.erpRecord} for it`,
      });
      continue;
    }
    const differences = input.fields
      .filter(
        (spec) => fact.fields[spec.name] !== undefined && fact.fields[spec.name] !== erp.fields[spec.name],
      )
      .map((spec) => ({
        field: spec.name,
        personal: spec.personal,
        saas: shown(spec, fact.fields[spec.name]),
        erp: shown(spec, erp.fields[spec.name]),
      }));
    if (differences.length === 0) continue;
    // The warehouse shows the flow applied the platform's latest event: the ERP was changed after it, by hand.
    const synced = warehouseByKey.get(fact.key);
    const changedAfterSync =
      synced !== undefined && synced.sourceEventId === fact.eventIds.at(-1) && erp.version > synced.version;
    mismatches.push({
      ...base,
      class: young(fact.time) ? 'stale' : 'fields_differ',
      erpDocument: erp.number,
      records: changedAfterSync ? { erp: state(erp), warehouse: state(synced) } : { erp: state(erp) },
      fields: differences,
      detail: young(fact.time)
        ? `${noun.platform}'s change of ${fact.time} is not yet in the ERP's ${noun.erpRecord} ${erp.number} (${named(differences)}); its flow may still be applying it`
        : changedAfterSync
          ? `the ERP's ${noun.erpRecord} ${erp.number} was changed after the flow applied ${noun.platform}'s latest change as version ${synced.version} (now version ${erp.version}); they differ on ${named(differences)}`
          : `${noun.platform}'s latest values (${fact.time}) and the ERP's ${noun.erpRecord} ${erp.number} (version ${erp.version}) differ on ${named(differences)}`,
    });
  }

  // What the ERP changed in the window against the warehouse's row.
  const erpInWindow = input.erp.filter((fact) => within(fact.updatedAt, window));
  for (const erp of erpInWindow) {
    if (unreadableWarehouse.has(erp.number)) continue;
    const row = warehouseByNumber.get(erp.number);
    const base = { entity, key: erp.key, erpDocument: erp.number };
    if (!row) {
      mismatches.push({
        ...base,
        class: young(erp.updatedAt) ? 'stale' : 'missing_in_warehouse',
        records: { erp: state(erp) },
        detail: young(erp.updatedAt)
          ? `the ERP changed ${erp.number} at ${erp.updatedAt}; the warehouse stream may still be delivering it`
          : `the ERP holds ${noun.erpRecord} ${erp.number} (version ${erp.version}, changed ${erp.updatedAt}) but the warehouse has no row for it`,
      });
      continue;
    }
    const differences: FieldDifference[] = input.fields
      .filter((spec) => erp.fields[spec.name] !== row.fields[spec.name])
      .map((spec) => ({
        field: spec.name,
        personal: spec.personal,
        erp: shown(spec, erp.fields[spec.name]),
        warehouse: shown(spec, row.fields[spec.name]),
      }));
    // A version apart with equal values is still a warehouse behind (a change to a field not compared, such as bank details).
    if (erp.version !== row.version)
      differences.push({
        field: 'version',
        personal: false,
        erp: String(erp.version),
        warehouse: String(row.version),
      });
    if (differences.length === 0) continue;
    mismatches.push({
      ...base,
      class: young(erp.updatedAt) ? 'stale' : 'fields_differ',
      correlationId: row.correlationId,
      records: { erp: state(erp), warehouse: state(row) },
      fields: differences,
      detail: young(erp.updatedAt)
        ? `the ERP changed ${erp.number} at ${erp.updatedAt}; the warehouse shows version ${row.version} and may still be receiving the change`
        : `the ERP holds version ${erp.version} of ${erp.number}, the warehouse shows version ${row.version} (synced ${row.syncedAt}); they differ on ${named(differences)}`,
    });
  }

  // Rows the warehouse synced in the window for records the ERP does not hold.
  const warehouseInWindow = input.warehouse.filter((fact) => within(fact.syncedAt, window));
  const erpNumbers = new Set(input.erp.map((fact) => fact.number));
  for (const row of warehouseInWindow) {
    if (erpNumbers.has(row.number) || erpByKey.has(row.key)) continue;
    mismatches.push({
      class: 'missing_in_erp',
      entity,
      key: row.key,
      erpDocument: row.number,
      correlationId: row.correlationId,
      records: { warehouse: state(row) },
      detail: `the warehouse shows ${noun.erpRecord} ${row.number} but the ERP does not hold it`,
    });
  }

  for (const row of input.unreadable) {
    if (row.time !== undefined && !within(row.time, window)) continue;
    const erp = row.erpDocument ? input.erp.find((fact) => fact.number === row.erpDocument) : undefined;
    const inFlight = row.side === 'warehouse' && row.updatedAt !== undefined && young(row.updatedAt);
    mismatches.push({
      class: inFlight ? 'stale' : 'unreadable',
      entity,
      key: erp?.key ?? row.key,
      ...(row.erpDocument ? { erpDocument: row.erpDocument } : {}),
      ...(row.correlationId ? { correlationId: row.correlationId } : {}),
      ...(erp ? { records: { erp: state(erp) } } : {}),
      unreadable: { side: row.side, row: row.row, reason: row.reason },
      detail: inFlight
        ? `${sideName[row.side]} for ${noun.record} ${row.key} is incomplete (${row.reason}); the stream may still be delivering it`
        : `${sideName[row.side]} for ${noun.record} ${row.key} cannot be compared: ${row.reason}`,
    });
  }

  const count = (facts: readonly { fields: Record<string, string | null> }[]) => ({
    count: facts.length,
    sums: sumsOf(facts, input.sums),
  });
  return {
    mismatches,
    totals: {
      ...(input.saas ? { saas: count(saasInWindow) } : {}),
      erp: count(erpInWindow),
      warehouse: count(warehouseInWindow),
    },
  };
}
