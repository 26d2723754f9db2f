/** The report of a three-way reconciliation, as the Reconcile function emits it and the CLI prints it. */

export type ReconciledEntity = 'order' | 'invoice' | 'payment';

export const mismatchClasses = [
  'missing_in_erp',
  'missing_in_warehouse',
  'amount_differs',
  'status_differs',
  'stale',
] as const;
export type MismatchClass = (typeof mismatchClasses)[number];

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
