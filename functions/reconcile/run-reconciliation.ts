/** The reconciliation use case: read the three sides of a window, compare them, and plan the replays that mend. */
import type { ErpPort } from '../shared/erp/erp-port';
import type { ReplayPlan } from '../shared/reconciliation/replay-plan';
import type { ReconciliationReport } from '../shared/reconciliation/report';
import { buildReplayPlan } from './plan-replays';
import {
  type ReadRange,
  readCanonicalEvents,
  readErpFacts,
  readSaasFacts,
  readWarehouseFacts,
  type WarehouseQuery,
} from './reconcile-sources';
import { reconcile, type SaasFact } from './reconciliation';

export interface ReconcileDependencies {
  warehouse: WarehouseQuery;
  erp: Pick<ErpPort, 'listDocuments'>;
  now(): Date;
  newId(): string;
  /** How long the warehouse may trail the ERP: twice the stage's stream delivery interval. */
  allowedLagMs: number;
}

/** How far beyond the window the sides are read: a transaction may cross midnight between two systems. */
export const lookAroundMs = 86_400_000;

export async function runReconciliation(
  deps: ReconcileDependencies,
  window: { from: Date; to: Date },
): Promise<{ report: ReconciliationReport; plan: ReplayPlan }> {
  if (!(window.from.getTime() < window.to.getTime()))
    throw new RangeError(`the window ${window.from.toISOString()}…${window.to.toISOString()} is empty`);
  const range: ReadRange = {
    from: new Date(window.from.getTime() - lookAroundMs),
    to: new Date(window.to.getTime() + lookAroundMs),
  };
  const [saasRead, erp, warehouseRead] = await Promise.all([
    readSaasFacts(deps.warehouse, range),
    readErpFacts(deps.erp, range),
    readWarehouseFacts(deps.warehouse, range),
  ]);
  const saas = saasRead.facts;
  const ranAt = deps.now();
  const report = reconcile({
    id: deps.newId(),
    window,
    ranAt,
    allowedLagMs: deps.allowedLagMs,
    saas,
    erp,
    warehouse: warehouseRead.facts,
    unreadable: [...saasRead.unreadable, ...warehouseRead.unreadable],
  });
  const saasByKey = new Map<string, SaasFact>(saas.map((fact) => [`${fact.entity}:${fact.key}`, fact]));
  const unbooked = report.mismatches.filter(
    (mismatch) => mismatch.class === 'missing_in_erp' && mismatch.saas,
  );
  const eventIds = unbooked.flatMap(
    (mismatch) => saasByKey.get(`${mismatch.entity}:${mismatch.key}`)?.eventIds ?? [],
  );
  const events = new Map(
    (await readCanonicalEvents(deps.warehouse, eventIds, range)).map((event) => [event.id as string, event]),
  );
  const plan = buildReplayPlan(
    report,
    (mismatch) =>
      (saasByKey.get(`${mismatch.entity}:${mismatch.key}`)?.eventIds ?? [])
        .map((id) => events.get(id))
        .filter((event): event is Record<string, unknown> => event !== undefined)
        .sort((a, b) => Number(a.entityversion) - Number(b.entityversion)),
    ranAt,
  );
  return { report, plan };
}
