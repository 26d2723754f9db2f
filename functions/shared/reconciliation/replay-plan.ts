/** A replay plan: what a reconciliation found that replaying can mend (built by the Reconcile use case, run by concord replay --plan). */
import type { Mismatch, MismatchClass, ReconciledEntity } from './report';

export const replayPlanKind = 'concord.replay-plan';

export interface PlannedRepublish {
  class: MismatchClass;
  entity: ReconciledEntity;
  key: string;
  /** The canonical events, as the warehouse loaded them, oldest version first. */
  events: Record<string, unknown>[];
}

export interface PlannedArchiveReplay {
  /** Where the replayed events go: only the rule that loads the warehouse. */
  target: 'warehouse';
  from: string;
  to: string;
  /** The documents it should bring back, as `documentRef` names them. */
  documents: string[];
}

export interface PlannedReview {
  class: MismatchClass;
  entity: ReconciledEntity;
  key: string;
  detail: string;
}

export interface ReplayPlan {
  kind: typeof replayPlanKind;
  version: 1;
  reconciliationId: string;
  createdAt: string;
  republish: PlannedRepublish[];
  archiveReplays: PlannedArchiveReplay[];
  review: PlannedReview[];
}

/** A plan read from a file, checked; throws one line naming what is wrong. */
export function parseReplayPlan(text: string): ReplayPlan {
  let plan: Partial<ReplayPlan>;
  try {
    plan = JSON.parse(text) as Partial<ReplayPlan>;
  } catch (error) {
    throw new Error(`the plan is not JSON: ${(error as Error).message}`);
  }
  if (plan?.kind !== replayPlanKind || plan.version !== 1)
    throw new Error(
      `not a replay plan: expected kind "${replayPlanKind}", version 1 (from concord reconcile --plan-out)`,
    );
  if (!Array.isArray(plan.republish) || !Array.isArray(plan.archiveReplays))
    throw new Error('the plan has no republish and archiveReplays lists');
  for (const entry of plan.republish)
    if (!Array.isArray(entry?.events) || entry.events.some((event) => typeof event?.type !== 'string'))
      throw new Error(`the plan's entry for ${entry?.entity} ${entry?.key} has an event without a type`);
  for (const window of plan.archiveReplays)
    if (
      Number.isNaN(Date.parse(window?.from)) ||
      Number.isNaN(Date.parse(window?.to)) ||
      window.from >= window.to
    )
      throw new Error(`the plan's archive replay ${window?.from}…${window?.to} is not a time window`);
  return plan as ReplayPlan;
}

/** How a plan names the document a mismatch is about: `order:SO-000001`, or the key when the ERP has none. */
export function documentRef(mismatch: Pick<Mismatch, 'entity' | 'key' | 'erpDocument'>): string {
  return `${mismatch.entity}:${mismatch.erpDocument ?? mismatch.key}`;
}
