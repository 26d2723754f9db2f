/**
 * What replaying can mend of a reconciliation's mismatches, as a plan `concord replay --plan` carries out:
 * - a transaction the ERP never booked: its SaaS events again, through the flows (the version gate lets a
 *   replay re-run the version it carries; the ERP's idempotency keys keep what was done done);
 * - a document the warehouse lacks, shows in an older state, or shows with a value missing (an unreadable row):
 *   the bus archive's window around the ERP's changes, replayed to the warehouse rule only (the models keep each
 *   event once, so overlap is harmless).
 * Whatever no replay can mend (the ERP changed without announcing it, the shop and the ERP disagree, an event or
 * ERP document that cannot be read) is listed for review instead. Suppliers, employees, purchase orders:
 * master-replays.ts.
 */

import {
  documentRef,
  type PlannedArchiveReplay,
  type PlannedRepublish,
  type PlannedReview,
  type ReplayPlan,
  replayPlanKind,
} from '../shared/reconciliation/replay-plan';
import { isRecordEntity, type Mismatch, type ReconciliationReport } from '../shared/reconciliation/report';
import { masterRemedy } from './master-replays';

/** Margin around the ERP's change times: the bus stamps an event to the second, after the ERP recorded it. */
const archiveMarginMs = 2 * 60_000;

/** The canonical events of a SaaS key, by the key's event ids (reconcile-sources readCanonicalEvents). */
export type EventsOfKey = (mismatch: Mismatch) => Record<string, unknown>[];

function warehouseBehind(mismatch: Mismatch): { from: number; to: number } | undefined {
  if (!mismatch.erp) return undefined;
  const erpChanged = Date.parse(mismatch.erp.updatedAt);
  // A warehouse row missing a value (an order's total) lacks some event of the document: replay all its changes.
  if (
    mismatch.class === 'missing_in_warehouse' ||
    (mismatch.class === 'unreadable' && mismatch.unreadable?.side === 'warehouse')
  )
    return { from: Date.parse(mismatch.erp.createdAt ?? mismatch.erp.updatedAt), to: erpChanged };
  if (
    (mismatch.class === 'status_differs' || mismatch.class === 'amount_differs') &&
    mismatch.warehouse &&
    erpChanged > Date.parse(mismatch.warehouse.updatedAt)
  )
    return { from: Date.parse(mismatch.warehouse.updatedAt), to: erpChanged };
  return undefined;
}

/** Merges windows that overlap, so that each archived event is replayed once. */
function mergeWindows(windows: { from: number; to: number; document: string }[]): PlannedArchiveReplay[] {
  const sorted = [...windows].sort((a, b) => a.from - b.from);
  const merged: { from: number; to: number; documents: string[] }[] = [];
  for (const window of sorted) {
    const last = merged.at(-1);
    if (last && window.from <= last.to) {
      last.to = Math.max(last.to, window.to);
      if (!last.documents.includes(window.document)) last.documents.push(window.document);
    } else merged.push({ from: window.from, to: window.to, documents: [window.document] });
  }
  return merged.map((window) => ({
    target: 'warehouse',
    from: new Date(window.from).toISOString(),
    to: new Date(window.to).toISOString(),
    documents: window.documents,
  }));
}

export function buildReplayPlan(report: ReconciliationReport, eventsOf: EventsOfKey, now: Date): ReplayPlan {
  const republish: PlannedRepublish[] = [];
  const windows: { from: number; to: number; document: string }[] = [];
  const review: PlannedReview[] = [];
  for (const mismatch of report.mismatches) {
    const { entity, key } = mismatch;
    if (isRecordEntity(entity)) {
      const remedy = masterRemedy(mismatch, archiveMarginMs);
      if (remedy.kind === 'republish')
        republish.push({ class: mismatch.class, entity, key, events: eventsOf(mismatch) });
      else if (remedy.kind === 'archive')
        windows.push({ from: remedy.from, to: remedy.to, document: documentRef(mismatch) });
      else review.push({ class: mismatch.class, entity, key, detail: remedy.detail });
      continue;
    }
    if (mismatch.class === 'missing_in_erp' && mismatch.saas) {
      republish.push({ class: mismatch.class, entity, key, events: eventsOf(mismatch) });
      continue;
    }
    const behind = warehouseBehind(mismatch);
    if (behind) {
      windows.push({
        from: behind.from - archiveMarginMs,
        to: behind.to + archiveMarginMs,
        document: documentRef(mismatch),
      });
      continue;
    }
    review.push({
      class: mismatch.class,
      entity,
      key,
      detail:
        mismatch.class === 'stale'
          ? `${mismatch.detail}: run the reconciliation again once the stream has delivered`
          : mismatch.detail,
    });
  }
  return {
    kind: replayPlanKind,
    version: 1,
    reconciliationId: report.id,
    createdAt: now.toISOString(),
    republish,
    archiveReplays: mergeWindows(windows),
    review,
  };
}
