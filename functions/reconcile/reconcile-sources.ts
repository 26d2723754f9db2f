/**
 * Reads the three sides of a reconciliation window: the SaaS events Concord ingested and the warehouse models
 * (both through SQL that Athena and DuckDB run alike), and the ERP's documents (through the ERP port).
 */
import type { ErpPort } from '../shared/erp/erp-port';
import type { ReconciledEntity } from '../shared/reconciliation/report';
import { loadedAt, modelsSince } from '../shared/warehouse/models';
import type { ErpFact, SaasFact, SideRead, UnreadableRow, WarehouseFact } from './reconciliation';

/** Runs SQL on the warehouse; every value comes back as text (or null), as Athena returns it. */
export type WarehouseQuery = (sql: string) => Promise<Record<string, string | null>[]>;

/** A window widened on both sides: a key that any side places in the window is looked up in the others here. */
export interface ReadRange {
  from: Date;
  to: Date;
}

const saasTypes = {
  'commerce.order.placed.v1': 'order',
  'commerce.order.amended.v1': 'order',
  'commerce.order.cancelled.v1': 'order',
  'billing.payment.succeeded.v1': 'payment',
  'billing.payment.refunded.v1': 'payment',
} as const;

/** A string literal in SQL (both dialects quote alike). */
export function sqlText(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** A timestamp literal in SQL (both dialects read it alike). */
export function sqlTimestamp(at: Date): string {
  return `TIMESTAMP '${at.toISOString().replace('T', ' ').replace('Z', '')}'`;
}

/** The UTC day of a time, as the warehouse's `event_date` partitions name it. */
export function day(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** Warehouse timestamps (`2026-11-27 23:34:59.06`, UTC) as ISO 8601. */
export function isoFromWarehouse(value: string): string {
  return new Date(`${value.replace(' ', 'T')}Z`).toISOString();
}

/** Thrown for a row that lacks a value the reconciliation needs, or holds one it cannot read; names which. */
export class UnreadableRowError extends Error {
  override readonly name = 'UnreadableRowError';
}

/** A row's value, or UnreadableRowError naming the column when it has none. */
export function required(row: Record<string, string | null>, column: string): string {
  const value = row[column];
  if (value === null || value === undefined || value === '')
    throw new UnreadableRowError(`it has no ${column}`);
  return value;
}

/** A required warehouse timestamp as ISO 8601. */
export function time(row: Record<string, string | null>, column: string): string {
  const value = required(row, column);
  if (Number.isNaN(Date.parse(`${value.replace(' ', 'T')}Z`)))
    throw new UnreadableRowError(`its ${column} "${value}" is not a time`);
  return isoFromWarehouse(value);
}

/** A warehouse timestamp as ISO 8601, or undefined when the row has none it can read (an unreadable row's). */
export function timeIfReadable(row: Record<string, string | null>, column: string): string | undefined {
  try {
    return time(row, column);
  } catch {
    return undefined;
  }
}

/** Why a row could not be read, as a report says it. */
export function reasonOf(error: unknown): string {
  return error instanceof UnreadableRowError
    ? error.message
    : `reading it failed: ${(error as Error).message}`;
}

/** The ERP's external reference of a refund, as payment-application makes it when the platform names none. */
function refundReference(row: Record<string, string | null>): string {
  return row.refund_id ?? `${required(row, 'payment_id')}:refunded:${required(row, 'total_refunded')}`;
}

/**
 * The SaaS transactions whose events the warehouse loaded in the range, each in its latest state; an event the
 * reconciliation cannot read (no key, no version) is set aside as unreadable, once, and the others still count.
 */
export async function readSaasFacts(query: WarehouseQuery, range: ReadRange): Promise<SideRead<SaasFact>> {
  // Each extraction parses the event's data again: payments' fields are read from payments only.
  const rows = await query(`SELECT id, event_type, type, entityversion, correlationid, loaded_at,
  CASE WHEN type LIKE 'commerce.%' THEN json_extract_scalar(data, '$.sourceOrderId') END AS source_order_id,
  CASE WHEN type LIKE 'billing.%' THEN json_extract_scalar(data, '$.paymentId') END AS payment_id,
  CASE WHEN type LIKE 'billing.%' THEN json_extract_scalar(data, '$.refundId') END AS refund_id,
  CASE WHEN type LIKE 'billing.%' THEN json_extract_scalar(data, '$.totalRefunded') END AS total_refunded,
  CASE WHEN type LIKE 'billing.%' THEN
    coalesce(json_extract_scalar(data, '$.refundedAmount'), json_extract_scalar(data, '$.amount')) END AS amount,
  CASE WHEN type LIKE 'billing.%' THEN json_extract_scalar(data, '$.currency') END AS currency
FROM (SELECT *, ${loadedAt} AS loaded_at FROM raw_events
  WHERE event_type IN (${Object.keys(saasTypes).map(sqlText).join(', ')})
    AND event_date BETWEEN ${sqlText(day(range.from))} AND ${sqlText(day(range.to))}) loaded
WHERE loaded_at >= ${sqlTimestamp(range.from)} AND loaded_at < ${sqlTimestamp(range.to)}`);
  const latest = new Map<string, { fact: SaasFact; version: bigint; seen: Set<string> }>();
  const unreadable = new Map<string, UnreadableRow>();
  for (const row of rows) {
    // The query reads only these types' partitions; the row's own type is what it is parsed as.
    const entity = saasTypes[(row.type ?? row.event_type) as keyof typeof saasTypes] ?? 'order';
    let key: string | undefined;
    try {
      const type = required(row, 'type') as keyof typeof saasTypes;
      if (!saasTypes[type]) throw new UnreadableRowError(`its type ${type} is not its partition's`);
      key =
        entity === 'order'
          ? required(row, 'source_order_id')
          : type === 'billing.payment.refunded.v1'
            ? refundReference(row)
            : required(row, 'payment_id');
      const id = required(row, 'id');
      const versionText = required(row, 'entityversion');
      if (!/^-?\d+$/.test(versionText))
        throw new UnreadableRowError(`its entityversion "${versionText}" is not an integer`);
      const version = BigInt(versionText);
      const current = latest.get(`${entity}:${key}`);
      if (current?.seen.has(id)) continue;
      const fact: SaasFact = {
        entity,
        key,
        status: type === 'commerce.order.cancelled.v1' ? 'CANCELLED' : 'OPEN',
        ...(entity === 'payment'
          ? { amount: required(row, 'amount'), currency: required(row, 'currency') }
          : {}),
        time: time(row, 'loaded_at'),
        correlationId: required(row, 'correlationid'),
        eventIds: [...(current?.fact.eventIds ?? []), id],
      };
      const seen = new Set([...(current?.seen ?? []), id]);
      if (current && current.version > version) {
        current.fact.eventIds = fact.eventIds;
        current.seen = seen;
        continue;
      }
      latest.set(`${entity}:${key}`, { version, seen, fact });
    } catch (error) {
      // Named by its key when that much was read, else by its event id; a copy delivered twice is one row.
      const name = key ?? row.id ?? '(no event id)';
      const loadedAtIso = timeIfReadable(row, 'loaded_at');
      unreadable.set(row.id ?? `${name}:${unreadable.size}`, {
        side: 'saas',
        entity,
        key: name,
        ...(row.correlationid ? { correlationId: row.correlationid } : {}),
        ...(loadedAtIso ? { time: loadedAtIso } : {}),
        row,
        reason: reasonOf(error),
      });
    }
  }
  return { facts: [...latest.values()].map(({ fact }) => fact), unreadable: [...unreadable.values()] };
}

const reconciledEntities: readonly ReconciledEntity[] = ['order', 'invoice', 'payment'];

/**
 * The documents the warehouse models show, first announced in the range (reading only events since its start); a
 * row without a value the comparison needs (an order whose events in the warehouse state no total) is set aside
 * as unreadable.
 */
export async function readWarehouseFacts(
  query: WarehouseQuery,
  range: ReadRange,
): Promise<SideRead<WarehouseFact>> {
  const between = (column: string) =>
    `${column} >= ${sqlTimestamp(range.from)} AND ${column} < ${sqlTimestamp(range.to)}`;
  const rows =
    await query(`${modelsSince(day(range.from))}SELECT 'order' AS entity, erp_order_number AS number, status,
  CAST(total AS VARCHAR) AS amount, currency, booked_at AS first_at, updated_at, correlation_id
FROM orders WHERE ${between('booked_at')}
UNION ALL
SELECT 'invoice', invoice_number, status, CAST(amount AS VARCHAR), currency, posted_at, updated_at, correlation_id
FROM invoices WHERE ${between('posted_at')}
UNION ALL
SELECT 'payment', erp_payment_id, kind, CAST(amount AS VARCHAR), currency, applied_at, applied_at, correlation_id
FROM payments WHERE ${between('applied_at')}`);
  const facts: WarehouseFact[] = [];
  const unreadable: UnreadableRow[] = [];
  for (const row of rows) {
    const entity = reconciledEntities.includes(row.entity as ReconciledEntity)
      ? (row.entity as ReconciledEntity)
      : 'order';
    try {
      facts.push({
        entity,
        number: required(row, 'number'),
        status: required(row, 'status'),
        amount: required(row, 'amount'),
        currency: required(row, 'currency'),
        firstAt: time(row, 'first_at'),
        updatedAt: time(row, 'updated_at'),
        correlationId: required(row, 'correlation_id'),
      });
    } catch (error) {
      const firstAt = timeIfReadable(row, 'first_at');
      const updatedAt = timeIfReadable(row, 'updated_at');
      unreadable.push({
        side: 'warehouse',
        entity,
        key: row.number ?? row.correlation_id ?? '(no document number)',
        ...(row.number ? { erpDocument: row.number } : {}),
        ...(row.correlation_id ? { correlationId: row.correlation_id } : {}),
        ...(firstAt ? { time: firstAt } : {}),
        ...(updatedAt ? { updatedAt } : {}),
        row,
        reason: reasonOf(error),
      });
    }
  }
  return { facts, unreadable };
}

const entityOfDocument = { 'sales-order': 'order', invoice: 'invoice', payment: 'payment' } as const;

/**
 * The documents the ERP created in the range, of the types reconciled (another type, such as a credit note, is
 * not compared). A document with a missing or malformed value is checked, and reported, by the comparison.
 */
export async function readErpFacts(
  erp: Pick<ErpPort, 'listDocuments'>,
  range: ReadRange,
): Promise<ErpFact[]> {
  const documents = await erp.listDocuments({
    fromIso: range.from.toISOString(),
    toIso: range.to.toISOString(),
  });
  return documents.flatMap((document) => {
    const entity = entityOfDocument[document.type as keyof typeof entityOfDocument];
    if (entity === undefined) return [];
    const { number, externalRef, status, amount, currency, createdAt, updatedAt } = document;
    return [{ entity, number, externalRef, status, amount, currency, createdAt, updatedAt }];
  });
}

/** The full canonical events with these ids, as loaded: what a replay plan re-publishes. */
export async function readCanonicalEvents(
  query: WarehouseQuery,
  ids: readonly string[],
  range: ReadRange,
): Promise<Record<string, unknown>[]> {
  if (ids.length === 0) return [];
  const rows =
    await query(`SELECT DISTINCT specversion, id, source, type, subject, "time", dataschema, datacontenttype,
  correlationid, causationid, origin, entityversion, data
FROM raw_events
WHERE id IN (${ids.map(sqlText).join(', ')})
  AND event_date BETWEEN ${sqlText(day(range.from))} AND ${sqlText(day(range.to))}`);
  return rows.map((row) => {
    const event: Record<string, unknown> = {};
    for (const [column, value] of Object.entries(row)) {
      if (value === null) continue;
      event[column] =
        column === 'data' ? JSON.parse(value) : column === 'entityversion' ? Number(value) : value;
    }
    return event;
  });
}
