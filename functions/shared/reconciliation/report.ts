/** The report of a three-way reconciliation, as the Reconcile function emits it and the CLI prints it. */

/** The business transactions reconciled: a document per key, with amounts. */
export type TransactionEntity = 'order' | 'invoice' | 'payment';
/** The master records reconciled: a record per key, compared field by field (personal fields by hash only). */
export type MasterEntity = 'supplier' | 'employee';
/** The procurement documents reconciled as master records are: a record per key, compared field by field (since 1.3). */
export type ProcurementEntity = 'purchase-order';
/**
 * The item master's records reconciled as master records are, between the ERP and the warehouse only (no SaaS platform
 * owns them): a stock level per `<sku>@<location>`, a list price per `<sku>/<currency>`.
 */
export type ItemEntity = 'stock-level' | 'item-price';
/** Every kind compared record by record and field by field, with a version per record. */
export type RecordEntity = MasterEntity | ProcurementEntity | ItemEntity;
export type ReconciledEntity = TransactionEntity | RecordEntity;

/** Every entity kind a report may hold, transactions first. */
export const reconciledEntities: readonly ReconciledEntity[] = [
  'order',
  'invoice',
  'payment',
  'supplier',
  'employee',
  'purchase-order',
  'stock-level',
  'item-price',
];

/** Whether an entity kind is a master record (compared by fields, no amounts). */
export function isMasterEntity(entity: ReconciledEntity): entity is MasterEntity {
  return entity === 'supplier' || entity === 'employee';
}

/** Whether an entity kind is compared record by record (master records, purchase orders): fields, versions, records. */
export function isRecordEntity(entity: ReconciledEntity): entity is RecordEntity {
  return (
    isMasterEntity(entity) ||
    entity === 'purchase-order' ||
    entity === 'stock-level' ||
    entity === 'item-price'
  );
}

export const mismatchClasses = [
  'missing_in_erp',
  'missing_in_warehouse',
  'amount_differs',
  'status_differs',
  'stale',
  // A row of one side the reconciliation cannot read or compare (a value it needs is missing or malformed).
  'unreadable',
  // Record kinds (suppliers, employees, purchase orders, stock levels, prices): two sides hold the record with other
  // values or versions.
  'fields_differ',
] as const;
export type MismatchClass = (typeof mismatchClasses)[number];

/** The system a row was read from. */
export type ReconciledSide = 'saas' | 'erp' | 'warehouse';

export interface Mismatch {
  class: MismatchClass;
  entity: ReconciledEntity;
  /** The SaaS id, or the ERP document number when nothing else names it. */
  key: string;
  erpDocument?: string;
  correlationId?: string;
  /** One sentence an operator can act on. */
  detail: string;
  saas?: { status: string; amount?: string; currency?: string; time: string };
  erp?: { status: string; amount: string; currency: string; createdAt: string; updatedAt: string };
  warehouse?: { status: string; amount: string; currency: string; updatedAt: string };
  /** An unreadable row (or an incomplete warehouse row still `stale`): its side, the row as read, what is wrong. */
  unreadable?: { side: ReconciledSide; row: Record<string, string | null>; reason: string };
  /** Master records and purchase orders: the record as the ERP and the warehouse hold it (no field values). */
  records?: { erp?: MasterRecordState; warehouse?: MasterRecordState };
  /** Master records and purchase orders: each field two sides disagree on; a personal field's values are SHA-256 hex only. */
  fields?: FieldDifference[];
}

/** A master record's (or a purchase order's) identity and version on one side. */
export interface MasterRecordState {
  /** The ERP's number (vendor V-…, employee E-…, purchase order PO-…), or a level's `<sku>@<location>`, a price's `<sku>/<currency>`. */
  number: string;
  version: number;
  /**
   * ACTIVE or BLOCKED for a vendor; an employee's ACTIVE, TERMINATION_SCHEDULED or TERMINATED; OPEN, RELEASED or
   * CANCELLED for a purchase order; IN_STOCK or OUT_OF_STOCK for a stock level; LISTED for a price.
   */
  status: string;
  /** When the ERP last changed it (the ERP), or when the warehouse's latest synchronisation was announced. */
  updatedAt: string;
}

/** One field two sides disagree on. A side's value is null when it holds none, absent when it was not compared. */
export interface FieldDifference {
  field: string;
  /** An x-pii field: the values are `sha256:<hex>`. */
  personal: boolean;
  saas?: string | null;
  erp?: string | null;
  warehouse?: string | null;
}

/** What each side holds of one entity kind in the window. */
export interface EntityTotals {
  saas?: SideTotals;
  erp: SideTotals;
  warehouse: SideTotals;
}

/** Count and sums per currency of one entity on one side (no sums for master records; a purchase order's total). */
export interface SideTotals {
  count: number;
  sums: Record<string, string>;
}

export interface ReconciliationReport {
  id: string;
  window: { from: string; to: string };
  ranAt: string;
  /**
   * Per entity kind; a record kind only when the run reconciled it (reports before 1.2 hold the transactions only,
   * before 1.3 no purchase orders; reports made before the item kinds existed hold no stock levels or prices).
   */
  totals: Record<TransactionEntity, EntityTotals> & Partial<Record<RecordEntity, EntityTotals>>;
  mismatches: Mismatch[];
  byClass: Record<MismatchClass, number>;
}
