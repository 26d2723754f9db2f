/**
 * What replaying can mend of a master record's (supplier, employee) or a purchase order's mismatch:
 * - a record the ERP lacks, or holds with other values than the platform's latest: the platform's events again,
 *   through the sync flow (the version gate lets a replay re-run the version it carries; the flow changes only
 *   the fields that differ);
 * - a record the warehouse lacks, shows at an older version, or shows unreadable: the bus archive's window around
 *   the ERP's change, replayed to the warehouse rule only (the synchronisation event carries the whole record).
 * The rest (the ERP changed by hand after the flow applied the platform's latest change, the warehouse ahead of the
 * ERP, equal versions with other values, a malformed event or record) goes to review. A purchase order is created,
 * never changed, from the platform: re-publishing its approval books one the ERP lacks (the ERP answers one already
 * booked for the platform's id unchanged), but cannot change a total the ERP computed otherwise; and an order the ERP
 * holds OPEN was never announced (the flow stopped before the release), so no archive holds it. A stock level or a
 * list price has no platform side: the ERP announces every change of one (`erp.stock.changed`,
 * `erp.item.price-changed`), so one the warehouse lacks or shows at an older version is mended from the archive like
 * a vendor, and one the warehouse shows that the ERP lacks, or shows ahead of it, goes to review.
 */
import type { Mismatch } from '../shared/reconciliation/report';

/** What the plan does with a master mismatch. */
export type MasterRemedy =
  | { kind: 'republish' }
  | { kind: 'archive'; from: number; to: number }
  | { kind: 'review'; detail: string };

export function masterRemedy(mismatch: Mismatch, marginMs: number): MasterRemedy {
  const erp = mismatch.records?.erp;
  const warehouse = mismatch.records?.warehouse;
  // The platform's side against the ERP's: re-run the flow with the platform's events, unless the flow applied the
  // latest of them (the warehouse shows its synchronisation) and the ERP moved on since: a replay would find that
  // change done under its idempotency key and change nothing.
  if (mismatch.saas && mismatch.class === 'missing_in_erp') return { kind: 'republish' };
  if (mismatch.saas && mismatch.class === 'fields_differ' && mismatch.entity === 'purchase-order')
    return {
      kind: 'review',
      detail: `${mismatch.detail}: the ERP answers a replayed order with the one it booked, so correct the order at the platform or in the ERP`,
    };
  if (mismatch.saas && mismatch.class === 'fields_differ') {
    if (!(warehouse && erp && erp.version > warehouse.version)) return { kind: 'republish' };
    return {
      kind: 'review',
      detail: `${mismatch.detail}: correct the ERP, or make the change at the platform so that it flows again`,
    };
  }
  if (
    erp &&
    mismatch.class === 'missing_in_warehouse' &&
    mismatch.entity === 'purchase-order' &&
    erp.status === 'OPEN'
  )
    return {
      kind: 'review',
      detail: `${mismatch.detail}: the order is booked but was never released, so no event announced it; release or cancel it in the ERP`,
    };
  if (erp && mismatch.class === 'missing_in_warehouse') {
    const changed = Date.parse(erp.updatedAt);
    return { kind: 'archive', from: changed - marginMs, to: changed + marginMs };
  }
  if (erp && mismatch.class === 'unreadable' && mismatch.unreadable?.side === 'warehouse') {
    const changed = Date.parse(erp.updatedAt);
    return { kind: 'archive', from: changed - marginMs, to: changed + marginMs };
  }
  if (erp && warehouse && mismatch.class === 'fields_differ' && erp.version > warehouse.version)
    return {
      kind: 'archive',
      from: Date.parse(warehouse.updatedAt) - marginMs,
      to: Date.parse(erp.updatedAt) + marginMs,
    };
  return {
    kind: 'review',
    detail:
      mismatch.class === 'stale'
        ? `${mismatch.detail}: run the reconciliation again once the flow and the stream have delivered`
        : mismatch.class === 'fields_differ' && erp && warehouse
          ? `${mismatch.detail}: the warehouse is not behind the ERP, so no replay mends it`
          : mismatch.detail,
  };
}
