/**
 * Reading the three sides of a master-record (or purchase-order) reconciliation, whatever the kind: the SaaS events folded per key, the
 * ERP's records changed in the range (and read by key for the keys the other sides name), the warehouse model. The
 * kinds (supplier-sources.ts, employee-sources.ts, purchase-order-sources.ts) say which events, columns and fields; personal values are hashed
 * before they leave the warehouse (SQL) or the ERP connector's answer (here).
 */
import { createHash } from 'node:crypto';
import type { RecordEntity } from '../shared/reconciliation/report';
import { loadedAt, warehouseModels } from '../shared/warehouse/models';
import type { MasterErpFact, MasterSaasFact, MasterWarehouseFact } from './master-reconciliation';
import {
  day,
  type ReadRange,
  reasonOf,
  required,
  sqlText,
  sqlTimestamp,
  timeIfReadable,
  UnreadableRowError,
  type WarehouseQuery,
  time as warehouseTime,
} from './reconcile-sources';
import type { SideRead, UnreadableRow } from './reconciliation';

/** SHA-256 hex of a personal value, as the warehouse models hash it (`lower(to_hex(sha256(to_utf8(x))))`). */
export function personalHash(value: string | undefined | null): string | null {
  if (value === undefined || value === null) return null;
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** A JSON object in one form whatever the engine or the writer (keys sorted, no spaces): addresses compare as text. */
export function canonicalJson(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  const parsed = typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
  if (parsed === null) return null;
  const sorted = (node: unknown): unknown =>
    node !== null && typeof node === 'object' && !Array.isArray(node)
      ? Object.fromEntries(
          Object.entries(node as Record<string, unknown>)
            .filter(([, part]) => part !== null && part !== undefined)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([name, part]) => [name, sorted(part)]),
        )
      : node;
  return JSON.stringify(sorted(parsed));
}

/** What a kind says about its SaaS events. */
export interface SaasMasterKind {
  entity: RecordEntity;
  /** Canonical event type → the lifecycle it names (created, changed, hired, terminated). */
  types: Readonly<Record<string, string>>;
  /** The event's key as its data names it (what an unreadable event lacks). */
  keyName: string;
  /** SQL select expressions over `data`, one of them `… AS record_key` (personal values hashed in SQL). */
  columns: string;
  /** The values an event states (by canonical field name), from its row; throws UnreadableRowError when it cannot. */
  valuesOf(row: Record<string, string | null>, lifecycle: string): Record<string, string>;
}

/**
 * The SaaS records whose events the warehouse loaded in the range, each folded in entity-version order (the latest
 * value of each field wins); an event that cannot be read is set aside, once, and the others still count.
 */
export async function readMasterSaasFacts(
  query: WarehouseQuery,
  range: ReadRange,
  kind: SaasMasterKind,
): Promise<SideRead<MasterSaasFact>> {
  const rows = await query(`SELECT id, type, entityversion, correlationid, loaded_at, ${kind.columns}
FROM (SELECT *, ${loadedAt} AS loaded_at FROM raw_events
  WHERE event_type IN (${Object.keys(kind.types).map(sqlText).join(', ')})
    AND event_date BETWEEN ${sqlText(day(range.from))} AND ${sqlText(day(range.to))}) loaded
WHERE loaded_at >= ${sqlTimestamp(range.from)} AND loaded_at < ${sqlTimestamp(range.to)}`);
  const byKey = new Map<
    string,
    Map<
      string,
      {
        version: bigint;
        lifecycle: string;
        values: Record<string, string>;
        time: string;
        correlationId: string;
      }
    >
  >();
  const unreadable = new Map<string, UnreadableRow>();
  for (const row of rows) {
    let key: string | undefined;
    try {
      const type = required(row, 'type');
      const lifecycle = kind.types[type];
      if (lifecycle === undefined) throw new UnreadableRowError(`its type ${type} is not its partition's`);
      if (!row.record_key) throw new UnreadableRowError(`it has no ${kind.keyName}`);
      key = row.record_key;
      const id = required(row, 'id');
      const versionText = required(row, 'entityversion');
      if (!/^-?\d+$/.test(versionText))
        throw new UnreadableRowError(`its entityversion "${versionText}" is not an integer`);
      const events = byKey.get(key) ?? new Map();
      events.set(id, {
        version: BigInt(versionText),
        lifecycle,
        values: kind.valuesOf(row, lifecycle),
        time: warehouseTime(row, 'loaded_at'),
        correlationId: required(row, 'correlationid'),
      });
      byKey.set(key, events);
    } catch (error) {
      const loaded = timeIfReadable(row, 'loaded_at');
      unreadable.set(row.id ?? `${key}:${unreadable.size}`, {
        side: 'saas',
        entity: kind.entity,
        key: key ?? row.id ?? '(no event id)',
        ...(row.correlationid ? { correlationId: row.correlationid } : {}),
        ...(loaded ? { time: loaded } : {}),
        row,
        reason: reasonOf(error),
      });
    }
  }
  const facts = [...byKey].map(([key, events]): MasterSaasFact => {
    const ordered = [...events].sort(([, a], [, b]) =>
      a.version < b.version ? -1 : a.version > b.version ? 1 : 0,
    );
    const latest = ordered.at(-1)?.[1];
    return {
      entity: kind.entity,
      key,
      status: latest?.lifecycle ?? '',
      fields: Object.assign({}, ...ordered.map(([, event]) => event.values)),
      time:
        ordered
          .map(([, event]) => event.time)
          .sort()
          .at(-1) ?? '',
      correlationId: latest?.correlationId ?? '',
      eventIds: ordered.map(([id]) => id),
    };
  });
  return { facts, unreadable: [...unreadable.values()] };
}

/** What a kind says about the ERP's records. */
export interface ErpMasterKind<T> {
  entity: RecordEntity;
  /** The records changed in the range (the ERP port's listing with its change window). */
  listChanged(range: { fromIso: string; toIso: string }): Promise<T[]>;
  /** The record for a platform key, if the ERP holds one. */
  find(key: string): Promise<T | undefined>;
  /** The fact of a record, personal values hashed; throws UnreadableRowError when a value it needs is missing. */
  factOf(record: T): MasterErpFact;
  /** The record as an unreadable row shows it: never a personal value in plain. */
  rowOf(record: T): Record<string, string | null>;
}

/** What a kind reads of an ERP record: where its number and platform key are, its status, its compared fields. */
export interface ErpRecordSpec<T extends { version?: unknown; updatedAt?: unknown }> {
  entity: RecordEntity;
  listChanged(range: { fromIso: string; toIso: string }): Promise<T[]>;
  find(key: string): Promise<T | undefined>;
  /** The record's number, under the name the ERP's API gives it (what an unreadable record is said to lack). */
  number: keyof T & string;
  /** The platform's key, under the name the ERP's API gives it. */
  key: keyof T & string;
  status(record: T): string;
  /** The compared fields' values, personal ones hashed; throws UnreadableRowError when one cannot be read. */
  fields(record: T): Record<string, string | null>;
}

/** An ERP kind from what it reads: the number, key, version and change time every record kind has, checked alike. */
export function erpRecordKind<T extends { version?: unknown; updatedAt?: unknown }>(
  spec: ErpRecordSpec<T>,
): ErpMasterKind<T> {
  const text = (value: unknown) => (value === undefined || value === null ? null : String(value));
  return {
    entity: spec.entity,
    listChanged: (range) => spec.listChanged(range),
    find: (key) => spec.find(key),
    factOf(record): MasterErpFact {
      const number = text(record[spec.number]);
      const key = text(record[spec.key]);
      if (!number) throw new UnreadableRowError(`it has no ${spec.number}`);
      if (!key) throw new UnreadableRowError(`it has no ${spec.key}`);
      return {
        entity: spec.entity,
        key,
        number,
        version: versionOf(text(record.version), 'version'),
        status: spec.status(record),
        fields: spec.fields(record),
        updatedAt: isoOf(text(record.updatedAt), 'updatedAt'),
      };
    },
    rowOf(record) {
      let status: string | null;
      try {
        status = spec.status(record);
      } catch {
        status = null;
      }
      return {
        number: text(record[spec.number]),
        key: text(record[spec.key]),
        version: text(record.version),
        status,
        updatedAt: text(record.updatedAt),
      };
    },
  };
}

/** How many ERP reads by key run at once (a day's changed keys are mostly in the listing already). */
const lookupConcurrency = 8;

/**
 * The ERP's records changed in the range, and those the other sides name that the listing did not hold (a change
 * the ERP found equal to what it held leaves its record unchanged, and outside the range).
 */
export async function readMasterErpFacts<T>(
  kind: ErpMasterKind<T>,
  range: ReadRange,
  keys: readonly string[],
): Promise<SideRead<MasterErpFact>> {
  const facts: MasterErpFact[] = [];
  const unreadable: UnreadableRow[] = [];
  const seen = new Set<string>();
  const add = (record: T) => {
    try {
      const fact = kind.factOf(record);
      if (seen.has(fact.number)) return;
      seen.add(fact.number);
      facts.push(fact);
    } catch (error) {
      const row = kind.rowOf(record);
      unreadable.push({
        side: 'erp',
        entity: kind.entity,
        key: row.key ?? row.number ?? '(no key)',
        ...(row.number ? { erpDocument: row.number } : {}),
        ...(row.updatedAt && !Number.isNaN(Date.parse(row.updatedAt)) ? { time: row.updatedAt } : {}),
        row,
        reason: reasonOf(error),
      });
    }
  };
  for (const record of await kind.listChanged({
    fromIso: range.from.toISOString(),
    toIso: range.to.toISOString(),
  }))
    add(record);
  const listed = new Set([...facts.map((fact) => fact.key), ...unreadable.map((row) => row.key)]);
  const missing = [...new Set(keys)].filter((key) => !listed.has(key));
  for (let start = 0; start < missing.length; start += lookupConcurrency) {
    const found = await Promise.all(
      missing.slice(start, start + lookupConcurrency).map((key) => kind.find(key)),
    );
    for (const record of found) if (record !== undefined) add(record);
  }
  return { facts, unreadable };
}

/** A required integer version. */
export function versionOf(value: string | number | null | undefined, name: string): number {
  const text = value === null || value === undefined ? '' : String(value);
  if (!/^\d+$/.test(text))
    throw new UnreadableRowError(text ? `its ${name} "${text}" is not an integer` : `it has no ${name}`);
  return Number(text);
}

/** A required ISO 8601 time the ERP answered. */
export function isoOf(value: string | null | undefined, name: string): string {
  if (!value) throw new UnreadableRowError(`it has no ${name}`);
  if (Number.isNaN(Date.parse(value))) throw new UnreadableRowError(`its ${name} "${value}" is not a time`);
  return new Date(value).toISOString();
}

/**
 * The warehouse model of a record kind as common table expressions over only its own event types: every
 * synchronisation ever (a record changed today may have been synced years ago), yet no other type's partitions.
 */
export function masterModelSql(
  model: string,
  eventTypes: readonly string[],
  via: readonly string[] = [],
): string {
  const erpEvents = warehouseModels.find((candidate) => candidate.name === 'erp_events');
  const base = "WHERE event_type LIKE 'erp.%'";
  // The models it reads from (stock_levels reads item_stock_history), in the order they depend on each other.
  const chain = [...via, model].map((name) => {
    const found = warehouseModels.find((candidate) => candidate.name === name);
    if (!found) throw new Error(`there is no ${name} model`);
    return found;
  });
  if (!erpEvents?.sql.includes(base)) throw new Error(`the ${model} model no longer reads ${base}`);
  // Reading fewer types than the model would hide its rows: a model that stopped naming one is a reconciliation to fix.
  const unnamed = eventTypes.filter((type) => !chain.some((own) => own.sql.includes(type)));
  if (unnamed.length > 0) throw new Error(`the ${model} model no longer reads ${unnamed.join(', ')}`);
  return `WITH erp_events AS (${erpEvents.sql.replace(base, `WHERE event_type IN (${eventTypes.map(sqlText).join(', ')})`)}),
${chain.map((own) => `${own.name} AS (${own.sql})`).join(',\n')}\n`;
}

/** What a kind says about its warehouse model's rows. */
export interface WarehouseMasterKind {
  entity: RecordEntity;
  /** The query: number, record_key, version, status, synced_at, correlation_id, source_event_id, one column per field. */
  sql: string;
  /** The compared fields' values of a row (personal ones as the model's hash). */
  fieldsOf(row: Record<string, string | null>): Record<string, string | null>;
}

/** The warehouse model's rows; one without a value the comparison needs is set aside as unreadable. */
export async function readMasterWarehouseFacts(
  query: WarehouseQuery,
  kind: WarehouseMasterKind,
): Promise<SideRead<MasterWarehouseFact>> {
  const facts: MasterWarehouseFact[] = [];
  const unreadable: UnreadableRow[] = [];
  for (const row of await query(kind.sql)) {
    try {
      facts.push({
        entity: kind.entity,
        number: required(row, 'number'),
        key: required(row, 'record_key'),
        version: versionOf(row.version, 'version'),
        status: required(row, 'status'),
        fields: kind.fieldsOf(row),
        syncedAt: warehouseTime(row, 'synced_at'),
        correlationId: required(row, 'correlation_id'),
        ...(row.source_event_id ? { sourceEventId: row.source_event_id } : {}),
      });
    } catch (error) {
      const synced = timeIfReadable(row, 'synced_at');
      unreadable.push({
        side: 'warehouse',
        entity: kind.entity,
        key: row.record_key ?? row.number ?? '(no key)',
        ...(row.number ? { erpDocument: row.number } : {}),
        ...(row.correlation_id ? { correlationId: row.correlation_id } : {}),
        ...(synced ? { time: synced, updatedAt: synced } : {}),
        row,
        reason: reasonOf(error),
      });
    }
  }
  return { facts, unreadable };
}
