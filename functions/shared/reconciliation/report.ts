/** The report of a three-way reconciliation, as the Reconcile function emits it and the CLI prints it. */

export type ReconciledEntity = 'order' | 'invoice' | 'payment';

export const mismatchClasses = [
  'missing_in_erp',
  'missing_in_warehouse',
  'amount_differs',
  'status_differs',
  'stale',
  // A row of one side the reconciliation cannot read or compare (a value it needs is missing or malformed).
  'unreadable',
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
}

/** Count and sums per currency of one entity on one side. */
export interface SideTotals {
  count: number;
  sums: Record<string, string>;
}

export interface ReconciliationReport {
  id: string;
  window: { from: string; to: string };
  ranAt: string;
  totals: Record<ReconciledEntity, { saas?: SideTotals; erp: SideTotals; warehouse: SideTotals }>;
  mismatches: Mismatch[];
  byClass: Record<MismatchClass, number>;
}
