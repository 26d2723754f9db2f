/** The reconciliation use case: read the three sides of a window, compare them, and plan the replays that mend. */
import type { ErpEmployeePort } from '../shared/erp/erp-employee-port';
import type { ErpItemPort } from '../shared/erp/erp-item-port';
import type { ErpPort } from '../shared/erp/erp-port';
import type { ErpPurchasingPort } from '../shared/erp/erp-purchasing-port';
import type { ErpVendorPort } from '../shared/erp/erp-vendor-port';
import type { ReplayPlan } from '../shared/reconciliation/replay-plan';
import {
  type EntityTotals,
  isRecordEntity,
  type Mismatch,
  mismatchClasses,
  type ReconciliationReport,
  type RecordEntity,
} from '../shared/reconciliation/report';
import { employeeErpKind, employeeFields, employeeSaasKind, employeeWarehouseKind } from './employee-sources';
import {
  itemPriceErpKind,
  itemPriceFields,
  itemPriceWarehouseKind,
  stockLevelErpKind,
  stockLevelFields,
  stockLevelWarehouseKind,
} from './item-sources';
import { type MasterFieldSpec, type MasterSaasFact, reconcileMasters } from './master-reconciliation';
import { masterRemedy } from './master-replays';
import {
  type ErpMasterKind,
  readMasterErpFacts,
  readMasterSaasFacts,
  readMasterWarehouseFacts,
  type SaasMasterKind,
  type WarehouseMasterKind,
} from './master-sources';
import { buildReplayPlan } from './plan-replays';
import {
  purchaseOrderErpKind,
  purchaseOrderFields,
  purchaseOrderSaasKind,
  purchaseOrderSums,
  purchaseOrderWarehouseKind,
  readPurchaseOrderRefusals,
} from './purchase-order-sources';
import {
  type ReadRange,
  readCanonicalEvents,
  readErpFacts,
  readSaasFacts,
  readWarehouseFacts,
  type WarehouseQuery,
} from './reconcile-sources';
import { reconcile, type SaasFact } from './reconciliation';
import { supplierErpKind, supplierFields, supplierSaasKind, supplierWarehouseKind } from './supplier-sources';

export interface ReconcileDependencies {
  warehouse: WarehouseQuery;
  erp: Pick<ErpPort, 'listDocuments'>;
  /** The ERP's vendor master: given, suppliers are reconciled too. */
  vendors?: Pick<ErpVendorPort, 'listVendors' | 'findVendor'>;
  /** The ERP's employee register: given, employees are reconciled too. */
  employees?: Pick<ErpEmployeePort, 'listEmployees' | 'findEmployee'>;
  /** The ERP's purchasing: given, purchase orders are reconciled too. */
  purchasing?: Pick<ErpPurchasingPort, 'listPurchaseOrders' | 'findPurchaseOrder'>;
  /** The ERP's item register: given, stock levels and list prices are reconciled too (ERP against warehouse). */
  items?: Pick<ErpItemPort, 'listStockLevels' | 'findStockLevel' | 'listPrices' | 'findPrice'>;
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
  const masters = await Promise.all(
    masterKinds(deps).map((kind) => reconcileMasterKind(deps, kind, { window, range, ranAt })),
  );
  for (const master of masters) {
    report.mismatches.push(...master.mismatches);
    report.totals[master.entity] = master.totals;
  }
  report.mismatches.sort(
    (a, b) =>
      a.entity.localeCompare(b.entity) || a.key.localeCompare(b.key) || a.class.localeCompare(b.class),
  );
  report.byClass = Object.fromEntries(
    mismatchClasses.map((name) => [
      name,
      report.mismatches.filter((mismatch) => mismatch.class === name).length,
    ]),
  ) as ReconciliationReport['byClass'];

  const saasByKey = new Map<string, Pick<SaasFact, 'eventIds'>>([
    ...saas.map((fact) => [`${fact.entity}:${fact.key}`, fact] as const),
    ...masters.flatMap((master) => master.saas.map((fact) => [`${fact.entity}:${fact.key}`, fact] as const)),
  ]);
  const unbooked = report.mismatches.filter((mismatch) => republished(mismatch));
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

/** Whether the plan re-publishes a mismatch's SaaS events (plan-replays.ts and master-replays.ts decide alike). */
function republished(mismatch: Mismatch): boolean {
  if (isRecordEntity(mismatch.entity)) return masterRemedy(mismatch, 0).kind === 'republish';
  return mismatch.class === 'missing_in_erp' && mismatch.saas !== undefined;
}

interface MasterKind {
  entity: RecordEntity;
  fields: readonly MasterFieldSpec[];
  /** The fields a side's sums are taken of, if any. */
  sums?: { amount: string; currency: string };
  /** The platform keys the ERP refused by rule in the range (purchase orders). */
  refused?(range: ReadRange): Promise<ReadonlyMap<string, string>>;
  /** The platform's events; none for a kind only the ERP announces (stock levels, prices). */
  saas?: SaasMasterKind;
  // biome-ignore lint/suspicious/noExplicitAny: each kind reads its own ERP record type
  erp: ErpMasterKind<any>;
  warehouse: WarehouseMasterKind;
}

/** The record kinds (master records, purchase orders) this run can read the ERP side of. */
function masterKinds(deps: ReconcileDependencies): MasterKind[] {
  const kinds: MasterKind[] = [];
  if (deps.vendors)
    kinds.push({
      entity: 'supplier',
      fields: supplierFields,
      saas: supplierSaasKind,
      erp: supplierErpKind(deps.vendors),
      warehouse: supplierWarehouseKind,
    });
  if (deps.employees)
    kinds.push({
      entity: 'employee',
      fields: employeeFields,
      saas: employeeSaasKind,
      erp: employeeErpKind(deps.employees),
      warehouse: employeeWarehouseKind,
    });
  if (deps.purchasing)
    kinds.push({
      entity: 'purchase-order',
      fields: purchaseOrderFields,
      sums: purchaseOrderSums,
      refused: (range) => readPurchaseOrderRefusals(deps.warehouse, range),
      saas: purchaseOrderSaasKind,
      erp: purchaseOrderErpKind(deps.purchasing),
      warehouse: purchaseOrderWarehouseKind,
    });
  if (deps.items)
    kinds.push(
      {
        entity: 'stock-level',
        fields: stockLevelFields,
        erp: stockLevelErpKind(deps.items),
        warehouse: stockLevelWarehouseKind,
      },
      {
        entity: 'item-price',
        fields: itemPriceFields,
        erp: itemPriceErpKind(deps.items),
        warehouse: itemPriceWarehouseKind,
      },
    );
  return kinds;
}

/** Reads one record kind's three sides (the ERP also by the keys the others name) and compares them. */
async function reconcileMasterKind(
  deps: ReconcileDependencies,
  kind: MasterKind,
  run: { window: { from: Date; to: Date }; range: ReadRange; ranAt: Date },
): Promise<{ entity: RecordEntity; mismatches: Mismatch[]; totals: EntityTotals; saas: MasterSaasFact[] }> {
  const [saas, warehouse, refused] = await Promise.all([
    kind.saas
      ? readMasterSaasFacts(deps.warehouse, run.range, kind.saas)
      : { facts: [] as MasterSaasFact[], unreadable: [] },
    readMasterWarehouseFacts(deps.warehouse, kind.warehouse),
    kind.refused?.(run.range),
  ]);
  const within = (iso: string) => {
    const at = Date.parse(iso);
    return at >= run.window.from.getTime() && at < run.window.to.getTime();
  };
  const keys = [
    ...saas.facts.filter((fact) => within(fact.time)).map((fact) => fact.key),
    ...warehouse.facts.filter((fact) => within(fact.syncedAt)).map((fact) => fact.key),
  ];
  const erp = await readMasterErpFacts(kind.erp, run.range, keys);
  const { mismatches, totals } = reconcileMasters({
    entity: kind.entity,
    fields: kind.fields,
    window: run.window,
    ranAt: run.ranAt,
    allowedLagMs: deps.allowedLagMs,
    ...(kind.saas ? { saas: saas.facts } : {}),
    erp: erp.facts,
    warehouse: warehouse.facts,
    unreadable: [...saas.unreadable, ...erp.unreadable, ...warehouse.unreadable],
    ...(refused ? { refused } : {}),
    ...(kind.sums ? { sums: kind.sums } : {}),
  });
  return { entity: kind.entity, mismatches, totals, saas: saas.facts };
}
