/**
 * Reads the three sides of a reconciliation window: the SaaS events Concord ingested and the warehouse models
 * (both through SQL that Athena and DuckDB run alike), and the ERP's documents (through the ERP port).
 */
import type { ErpPort } from '../shared/erp/erp-port';
import type { ReconciledEntity } from '../shared/reconciliation/report';
import { loadedAt, modelsSince } from '../shared/warehouse/models';
import type { ErpFact, SaasFact, WarehouseFact } from './reconciliation';

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

function sqlTimestamp(at: Date): string {
  return `TIMESTAMP '${at.toISOString().replace('T', ' ').replace('Z', '')}'`;
}

function day(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** Warehouse timestamps (`2026-11-27 23:34:59.06`, UTC) as ISO 8601. */
export function isoFromWarehouse(value: string): string {
  return new Date(`${value.replace(' ', 'T')}Z`).toISOString();
}

function required(row: Record<string, string | null>, column: string): string {
  const value = row[column];
  if (value === null || value === undefined) throw new Error(`the warehouse answered no ${column}`);
  return value;
}

/** The ERP's external reference of a refund, as payment-application makes it when the platform names none. */
function refundReference(row: Record<string, string | null>): string {
  return row.refund_id ?? `${required(row, 'payment_id')}:refunded:${required(row, 'total_refunded')}`;
}

/** The SaaS transactions whose events the warehouse loaded in the range, each in its latest state. */
export async function readSaasFacts(query: WarehouseQuery, range: ReadRange): Promise<SaasFact[]> {
  // Each extraction parses the event's data again: payments' fields are read from payments only.
  const rows = await query(`SELECT id, type, entityversion, correlationid, loaded_at,
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
  for (const row of rows) {
    const type = required(row, 'type') as keyof typeof saasTypes;
    const entity = saasTypes[type];
    const key =
      entity === 'order'
        ? required(row, 'source_order_id')
        : type === 'billing.payment.refunded.v1'
          ? refundReference(row)
          : required(row, 'payment_id');
    const id = required(row, 'id');
    const version = BigInt(required(row, 'entityversion'));
    const current = latest.get(`${entity}:${key}`);
    if (current?.seen.has(id)) continue;
    const eventIds = [...(current?.fact.eventIds ?? []), id];
    const seen = new Set([...(current?.seen ?? []), id]);
    if (current && current.version > version) {
      current.fact.eventIds = eventIds;
      current.seen = seen;
      continue;
    }
    latest.set(`${entity}:${key}`, {
      version,
      seen,
      fact: {
        entity,
        key,
        status: type === 'commerce.order.cancelled.v1' ? 'CANCELLED' : 'OPEN',
        ...(entity === 'payment'
          ? { amount: required(row, 'amount'), currency: required(row, 'currency') }
          : {}),
        time: isoFromWarehouse(required(row, 'loaded_at')),
        correlationId: required(row, 'correlationid'),
        eventIds,
      },
    });
  }
  return [...latest.values()].map(({ fact }) => fact);
}

/** The documents the warehouse models show, first announced in the range (reading only events since its start). */
export async function readWarehouseFacts(query: WarehouseQuery, range: ReadRange): Promise<WarehouseFact[]> {
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
  return rows.map((row) => ({
    entity: required(row, 'entity') as ReconciledEntity,
    number: required(row, 'number'),
    status: required(row, 'status'),
    amount: required(row, 'amount'),
    currency: required(row, 'currency'),
    firstAt: isoFromWarehouse(required(row, 'first_at')),
    updatedAt: isoFromWarehouse(required(row, 'updated_at')),
    correlationId: required(row, 'correlation_id'),
  }));
}

const entityOfDocument = { 'sales-order': 'order', invoice: 'invoice', payment: 'payment' } as const;

/** The documents the ERP created in the range. */
export async function readErpFacts(
  erp: Pick<ErpPort, 'listDocuments'>,
  range: ReadRange,
): Promise<ErpFact[]> {
  const documents = await erp.listDocuments({
    fromIso: range.from.toISOString(),
    toIso: range.to.toISOString(),
  });
  return documents.map((document) => ({
    entity: entityOfDocument[document.type],
    number: document.number,
    externalRef: document.externalRef,
    status: document.status,
    amount: document.amount,
    currency: document.currency,
    createdAt: document.createdAt,
    updatedAt: document.updatedAt,
  }));
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
