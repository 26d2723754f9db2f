/**
 * The warehouse models: SQL written once, in the Athena (Trino) dialect, over `raw_events`. Athena runs it as
 * Glue views; DuckDB runs the same text locally after `duckdbDialect` defines the Trino functions it lacks.
 *
 * Business facts come from the ERP's authoritative events only (DESIGN §2). Every model row carries lineage:
 * correlation id, source event id (the SaaS event that caused it), ERP document id, entity version, load time.
 * Money is DECIMAL(19,4) beside its ISO 4217 currency. Fields marked `x-pii` are hashed (`piiHash`).
 */
import { employeesModel } from './employee-model';
import { itemPrices, itemStockHistory, items, stockLevels } from './item-models';
import { hashedColumn, lineage, lineageSelect, piiHash, text } from './model-sql';
import { purchaseOrdersModel } from './purchase-order-model';

// The reconciliation hashes its side of a comparison as the models hash theirs.
export { piiHash } from './model-sql';

/** A column as Glue declares it and the model produces it. */
export interface ModelColumn {
  name: string;
  /** Athena/Hive type. */
  type: 'string' | 'bigint' | 'decimal(19,4)' | 'timestamp';
  comment: string;
}

/** One warehouse model: a view over raw_events or over other models. */
export interface WarehouseModel {
  name: string;
  description: string;
  columns: readonly ModelColumn[];
  /** Trino SQL, which DuckDB runs too (dialect.ts). */
  sql: string;
}

/** An entity's lineage, aggregated: that of its latest version. */
const latestLineage = `max_by(correlation_id, entity_version) AS correlation_id,
  max_by(source_event_id, entity_version) AS source_event_id, max_by(event_id, entity_version) AS event_id,
  max(entity_version) AS entity_version, max(loaded_at) AS loaded_at`;

/** A money field of the event data as a decimal. */
function money(path: string): string {
  return `CAST(json_extract_scalar(data, '$.${path}') AS DECIMAL(19,4))`;
}

/** An ISO 8601 instant as a timestamp in UTC (without zone, the type Glue declares). */
function timestamp(isoExpression: string): string {
  return `CAST(from_iso8601_timestamp(${isoExpression}) AS TIMESTAMP)`;
}

// Firehose names each object <stream>-<version>-yyyy-MM-dd-HH-mm-ss-<random>, after the arrival of the batch's
// first record, in UTC: the batch is written within the stream's buffering interval after that.
const batchReceivedAt =
  "regexp_extract(source_file, '(\\d{4}-\\d{2}-\\d{2}-\\d{2}-\\d{2}-\\d{2})-[^/]*$', 1)";

/** When the stream took in the batch that carried a raw_events row, from its object's name. */
export const loadedAt = timestamp(
  `concat(substr(${batchReceivedAt}, 1, 10), 'T', replace(substr(${batchReceivedAt}, 12, 8), '-', ':'), 'Z')`,
);

export const erpEvents: WarehouseModel = {
  name: 'erp_events',
  description:
    "The ERP's authoritative events, each once: at-least-once delivery (and replays) may load an event twice.",
  columns: [
    { name: 'event_type', type: 'string', comment: 'canonical event type, e.g. erp.order.accepted.v1' },
    { name: 'subject', type: 'string', comment: 'the entity, e.g. order/5820741173332' },
    { name: 'event_time', type: 'timestamp', comment: 'when the ERP recorded the fact' },
    { name: 'data', type: 'string', comment: 'the event data as JSON text' },
    ...lineage,
    { name: 'source_file', type: 'string', comment: 'the delivered object the row was read from' },
  ],
  // The earliest delivered copy wins, so an event's load time does not move when it is replayed.
  sql: `SELECT event_type, subject, event_time, data, ${lineageSelect}, source_file
FROM (
  SELECT type AS event_type, subject, ${timestamp('"time"')} AS event_time, data,
    correlationid AS correlation_id, causationid AS source_event_id, id AS event_id,
    entityversion AS entity_version,
    ${loadedAt} AS loaded_at,
    source_file,
    row_number() OVER (PARTITION BY id ORDER BY source_file) AS copy
  FROM raw_events
  WHERE event_type LIKE 'erp.%'
) deduplicated
WHERE copy = 1`,
};

// A rejection whose compensation cancelled the sales order left it CANCELLED (the cancellation's own event says
// so too, but may be lost or still in the stream); any other rejection leaves the order REJECTED: announced as
// refused, whatever the ERP holds, which the reconciliation then names against the ERP's status.
const rejectionStatus = `CASE WHEN json_format(json_extract(data, '$.compensated')) LIKE '%"CancelSalesOrder"%'
      THEN 'CANCELLED' ELSE 'REJECTED' END`;

export const orderStatusHistory: WarehouseModel = {
  name: 'order_status_history',
  description: 'Every change of a sales order the ERP announced, in entity-version order.',
  columns: [
    { name: 'source_order_id', type: 'string', comment: "the order's id in the shop" },
    {
      name: 'erp_order_number',
      type: 'string',
      comment: 'ERP document id (absent when rejected before booking)',
    },
    { name: 'event_type', type: 'string', comment: 'the announcing event' },
    {
      name: 'status',
      type: 'string',
      comment: 'the status the change left the order in; null for amendments, which change no status',
    },
    {
      name: 'total',
      type: 'decimal(19,4)',
      comment: 'order total after the change, when the event states it',
    },
    { name: 'currency', type: 'string', comment: 'ISO 4217' },
    { name: 'customer_number', type: 'string', comment: "the ERP's customer" },
    { name: 'reason', type: 'string', comment: 'hold, rejection or cancellation reason' },
    { name: 'released_by_hash', type: 'string', comment: 'who released a credit hold (x-pii: SHA-256 hex)' },
    { name: 'event_time', type: 'timestamp', comment: 'when the ERP recorded the change' },
    ...lineage,
  ],
  sql: `SELECT ${text('sourceOrderId')} AS source_order_id, ${text('erpOrderNumber')} AS erp_order_number, event_type,
  CASE event_type
    WHEN 'erp.order.accepted.v1' THEN 'ACCEPTED'
    WHEN 'erp.order.credit-held.v1' THEN 'CREDIT_HOLD'
    WHEN 'erp.order.credit-released.v1' THEN 'ACCEPTED'
    WHEN 'erp.order.cancelled.v1' THEN 'CANCELLED'
    WHEN 'erp.order.rejected.v1' THEN ${rejectionStatus}
    WHEN 'erp.invoice.posted.v1' THEN 'INVOICED'
  END AS status,
  CASE WHEN event_type = 'erp.invoice.posted.v1' THEN NULL ELSE ${money('total')} END AS total,
  ${text('currency')} AS currency, ${text('customerNumber')} AS customer_number,
  coalesce(${text('reason')}, ${text('reasonCode')}) AS reason,
  ${piiHash(text('releasedBy'))} AS released_by_hash,
  event_time, ${lineageSelect}
FROM erp_events
WHERE event_type LIKE 'erp.order.%' OR event_type = 'erp.invoice.posted.v1'`,
};

/**
 * How an order's status is derived when its events disagree (they arrive in any order, some are lost, and a flow
 * may have announced a rejection of an order the ERP did book):
 * - the status of the latest status-bearing change by entity version wins: every change of the history but an
 *   amendment bears one (a rejection REJECTED, or CANCELLED when its compensation cancelled the sales order);
 * - an amendment bears none, so it never erases the status before it: an order announced as rejected and then
 *   amended stays REJECTED, the contradiction the reconciliation reports against the ERP's ACCEPTED, where taking
 *   the amendment as an acceptance would hide it;
 * - an order the warehouse knows only through amendments is ACCEPTED: the ERP amends only an order it booked and
 *   has neither cancelled nor invoiced (an unseen credit hold shows against the ERP as a status difference).
 * Every order any ERP event names by its document number has a row, whatever events are missing (an invoice whose
 * order's events are not in the warehouse gives an INVOICED row with no total); one rejected before the ERP
 * booked it, which no event numbers, has only its history.
 */
export const orders: WarehouseModel = {
  name: 'orders',
  description:
    'Each booked sales order in its latest state: the latest entity version that states a status wins, whatever order the events arrived in; an amendment changes the total, never the status.',
  columns: [
    { name: 'source_order_id', type: 'string', comment: "the order's id in the shop" },
    { name: 'erp_order_number', type: 'string', comment: 'ERP document id' },
    { name: 'customer_number', type: 'string', comment: "the ERP's customer" },
    {
      name: 'status',
      type: 'string',
      comment:
        'CREDIT_HOLD, ACCEPTED, INVOICED, CANCELLED, or REJECTED when announced as refused; never null',
    },
    {
      name: 'total',
      type: 'decimal(19,4)',
      comment: 'the latest total the ERP stated; null when no event in the warehouse states one',
    },
    { name: 'currency', type: 'string', comment: 'ISO 4217' },
    { name: 'booked_at', type: 'timestamp', comment: 'the first change the ERP announced' },
    { name: 'updated_at', type: 'timestamp', comment: 'the latest change the ERP announced' },
    ...lineage,
  ],
  // A rejection that names no document still takes part: grouping rows, not filtering them, keeps its status.
  sql: `SELECT source_order_id, max(erp_order_number) AS erp_order_number,
  max_by(customer_number, entity_version) FILTER (WHERE customer_number IS NOT NULL) AS customer_number,
  coalesce(max_by(status, entity_version) FILTER (WHERE status IS NOT NULL), 'ACCEPTED') AS status,
  max_by(total, entity_version) FILTER (WHERE total IS NOT NULL) AS total,
  max_by(currency, entity_version) FILTER (WHERE currency IS NOT NULL) AS currency,
  min(event_time) AS booked_at, max(event_time) AS updated_at,
  ${latestLineage}
FROM order_status_history
GROUP BY source_order_id
HAVING max(erp_order_number) IS NOT NULL`,
};

export const payments: WarehouseModel = {
  name: 'payments',
  description: 'Each payment applied to, or refunded from, an invoice, as the ERP booked it.',
  columns: [
    { name: 'erp_payment_id', type: 'string', comment: 'ERP document id' },
    { name: 'payment_id', type: 'string', comment: "the payment's id in the billing platform" },
    { name: 'invoice_number', type: 'string', comment: 'the invoice it applies to' },
    { name: 'kind', type: 'string', comment: 'APPLIED or REFUND' },
    { name: 'amount', type: 'decimal(19,4)', comment: 'always positive; kind gives the direction' },
    { name: 'currency', type: 'string', comment: 'ISO 4217' },
    { name: 'invoice_status', type: 'string', comment: "the invoice's status after this payment" },
    { name: 'applied_at', type: 'timestamp', comment: 'when the ERP booked it' },
    ...lineage,
  ],
  sql: `SELECT ${text('erpPaymentId')} AS erp_payment_id, ${text('paymentId')} AS payment_id,
  ${text('invoiceNumber')} AS invoice_number, ${text('kind')} AS kind, ${money('amount')} AS amount,
  ${text('currency')} AS currency, ${text('invoiceStatus')} AS invoice_status, event_time AS applied_at,
  ${lineageSelect}
FROM erp_events
WHERE event_type = 'erp.payment.applied.v1'`,
};

export const invoices: WarehouseModel = {
  name: 'invoices',
  description: 'Each posted invoice with what has been paid on it and its status after the latest payment.',
  columns: [
    { name: 'invoice_number', type: 'string', comment: 'ERP document id' },
    { name: 'erp_order_number', type: 'string', comment: 'the sales order it bills' },
    { name: 'source_order_id', type: 'string', comment: "the order's id in the shop" },
    { name: 'customer_number', type: 'string', comment: "the ERP's customer" },
    { name: 'amount', type: 'decimal(19,4)', comment: 'invoice total, tax included' },
    { name: 'tax', type: 'decimal(19,4)', comment: 'tax in the total' },
    { name: 'currency', type: 'string', comment: 'ISO 4217' },
    { name: 'paid_amount', type: 'decimal(19,4)', comment: 'applied payments less refunds' },
    { name: 'status', type: 'string', comment: 'OPEN, PARTIALLY_PAID or PAID' },
    { name: 'due_date', type: 'string', comment: 'yyyy-MM-dd' },
    { name: 'posted_at', type: 'timestamp', comment: 'when the ERP posted it' },
    {
      name: 'updated_at',
      type: 'timestamp',
      comment: 'the posting or the latest payment, whichever is later',
    },
    ...lineage,
  ],
  sql: `SELECT i.invoice_number, i.erp_order_number, i.source_order_id, i.customer_number, i.amount, i.tax, i.currency,
  coalesce(p.paid_amount, CAST(0 AS DECIMAL(19,4))) AS paid_amount, coalesce(p.status, 'OPEN') AS status,
  i.due_date, i.posted_at, greatest(i.posted_at, coalesce(p.updated_at, i.posted_at)) AS updated_at,
  i.correlation_id, i.source_event_id, i.event_id, greatest(i.entity_version, coalesce(p.entity_version, 0)) AS entity_version,
  greatest(i.loaded_at, coalesce(p.loaded_at, i.loaded_at)) AS loaded_at
FROM (
  SELECT ${text('invoiceNumber')} AS invoice_number, ${text('erpOrderNumber')} AS erp_order_number,
    ${text('sourceOrderId')} AS source_order_id, ${text('customerNumber')} AS customer_number,
    ${money('amount')} AS amount, ${money('tax')} AS tax, ${text('currency')} AS currency,
    ${text('dueDate')} AS due_date, event_time AS posted_at, ${lineageSelect}
  FROM erp_events
  WHERE event_type = 'erp.invoice.posted.v1'
) i
LEFT JOIN (
  SELECT invoice_number,
    CAST(sum(CASE WHEN kind = 'REFUND' THEN -amount ELSE amount END) AS DECIMAL(19,4)) AS paid_amount,
    max_by(invoice_status, entity_version) AS status,
    max(applied_at) AS updated_at, max(entity_version) AS entity_version, max(loaded_at) AS loaded_at
  FROM payments
  GROUP BY invoice_number
) p ON p.invoice_number = i.invoice_number`,
};

export const customers: WarehouseModel = {
  name: 'customers',
  description: 'Each ERP customer account as the ERP last synchronised it from the CRM.',
  columns: [
    { name: 'customer_number', type: 'string', comment: 'ERP document id' },
    { name: 'crm_contact_id', type: 'string', comment: "the contact's id in the CRM" },
    { name: 'applied_fields', type: 'string', comment: 'JSON array: the fields the latest sync applied' },
    { name: 'refused_fields', type: 'string', comment: 'JSON array: the fields the latest sync refused' },
    { name: 'synced_at', type: 'timestamp', comment: 'the latest synchronisation' },
    ...lineage,
  ],
  sql: `SELECT customer_number, max_by(crm_contact_id, entity_version) AS crm_contact_id,
  max_by(applied_fields, entity_version) AS applied_fields, max_by(refused_fields, entity_version) AS refused_fields,
  max(event_time) AS synced_at,
  ${latestLineage}
FROM (
  SELECT ${text('customerNumber')} AS customer_number, ${text('crmContactId')} AS crm_contact_id,
    json_format(json_extract(data, '$.appliedFields')) AS applied_fields,
    json_format(json_extract(data, '$.refusedFields')) AS refused_fields,
    event_time, ${lineageSelect}
  FROM erp_events
  WHERE event_type = 'erp.customer.synced.v1'
) synced
GROUP BY customer_number`,
};

export const suppliers: WarehouseModel = {
  name: 'suppliers',
  description:
    'Each ERP vendor as the ERP last announced it after a supplier sync; contacts hashed, bank details only as the hash of the ERP fingerprint.',
  columns: [
    { name: 'vendor_number', type: 'string', comment: "the ERP's vendor number" },
    { name: 'source_supplier_id', type: 'string', comment: "the supplier's id at the procurement platform" },
    { name: 'legal_name', type: 'string', comment: 'procurement-owned' },
    { name: 'display_name', type: 'string', comment: 'procurement-owned' },
    hashedColumn('contact_name_hash'),
    hashedColumn('contact_email_hash'),
    hashedColumn('contact_phone_hash'),
    { name: 'address', type: 'string', comment: 'JSON object: the postal address (procurement-owned)' },
    { name: 'payment_terms', type: 'string', comment: 'ERP-owned' },
    {
      name: 'bank_account_hash',
      type: 'string',
      comment: "secret-class: SHA-256 hex of the ERP's SHA-256 fingerprint of the IBAN; never the account",
    },
    { name: 'tax_id', type: 'string', comment: 'ERP-owned' },
    {
      name: 'blocked',
      type: 'string',
      comment: "'true' or 'false': no order or payment may go to a blocked vendor",
    },
    {
      name: 'vendor_version',
      type: 'bigint',
      comment: "the vendor's version in the ERP, which orders the rows",
    },
    { name: 'synced_at', type: 'timestamp', comment: 'the latest synchronisation' },
    ...lineage,
  ],
  sql: `SELECT vendor_number, max_by(source_supplier_id, vendor_version) AS source_supplier_id,
  max_by(legal_name, vendor_version) AS legal_name, max_by(display_name, vendor_version) AS display_name,
  max_by(contact_name_hash, vendor_version) AS contact_name_hash,
  max_by(contact_email_hash, vendor_version) AS contact_email_hash,
  max_by(contact_phone_hash, vendor_version) AS contact_phone_hash, max_by(address, vendor_version) AS address,
  max_by(payment_terms, vendor_version) AS payment_terms, max_by(bank_account_hash, vendor_version) AS bank_account_hash,
  max_by(tax_id, vendor_version) AS tax_id, max_by(blocked, vendor_version) AS blocked,
  max(vendor_version) AS vendor_version, max(event_time) AS synced_at,
  max_by(correlation_id, vendor_version) AS correlation_id, max_by(source_event_id, vendor_version) AS source_event_id,
  max_by(event_id, vendor_version) AS event_id, max_by(entity_version, vendor_version) AS entity_version,
  max(loaded_at) AS loaded_at
FROM (
  SELECT ${text('vendorNumber')} AS vendor_number, ${text('sourceSupplierId')} AS source_supplier_id,
    ${text('vendor.legalName')} AS legal_name, ${text('vendor.displayName')} AS display_name,
    ${piiHash(text('vendor.contactName'))} AS contact_name_hash,
    ${piiHash(text('vendor.contactEmail'))} AS contact_email_hash,
    ${piiHash(text('vendor.contactPhone'))} AS contact_phone_hash,
    json_format(json_extract(data, '$.vendor.address')) AS address, ${text('vendor.paymentTerms')} AS payment_terms,
    ${piiHash(text('vendor.bankAccountSha256'))} AS bank_account_hash, ${text('vendor.taxId')} AS tax_id,
    ${text('vendor.blocked')} AS blocked, CAST(${text('vendor.version')} AS BIGINT) AS vendor_version,
    event_time, ${lineageSelect}
  FROM erp_events
  WHERE event_type = 'erp.supplier.synced.v1'
) synced
GROUP BY vendor_number`,
};

/** Every model, each after the models it reads. */
export const warehouseModels: readonly WarehouseModel[] = [
  erpEvents,
  orderStatusHistory,
  orders,
  payments,
  invoices,
  customers,
  employeesModel(),
  suppliers,
  purchaseOrdersModel(),
  itemStockHistory,
  stockLevels,
  itemPrices,
  items,
];

/**
 * The models as common table expressions over only the events delivered on or after `sinceDate` (yyyy-MM-dd):
 * a query that starts with it reads those days' partitions instead of the whole history. Right for documents
 * the ERP created since then, whose every event came after; the models' SQL is otherwise the views' own.
 */
export function modelsSince(sinceDate: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(sinceDate)) throw new RangeError(`"${sinceDate}" is not a yyyy-MM-dd date`);
  const base = "WHERE event_type LIKE 'erp.%'";
  const [first, ...rest] = warehouseModels;
  // An invariant of the models' own SQL, not of any input: a failure here is a bug in warehouseModels.
  if (!first?.sql.includes(base)) throw new Error(`${first?.name} no longer reads ${base}`);
  const bounded = first.sql.replace(base, `${base} AND event_date >= '${sinceDate}'`);
  return `WITH ${[{ ...first, sql: bounded }, ...rest].map((model) => `${model.name} AS (${model.sql})`).join(',\n')}\n`;
}
