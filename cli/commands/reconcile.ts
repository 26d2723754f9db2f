/** `concord reconcile`: do the SaaS platforms, the ERP and the warehouse agree for a window? */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runReconciliation } from '../../functions/reconcile/run-reconciliation';
import { newId } from '../../functions/shared/ids';
import { durationMs, namedWindow } from '../../functions/shared/ops/time-window';
import type { ReplayPlan } from '../../functions/shared/reconciliation/replay-plan';
import { type ReconciliationReport, reconciledEntities } from '../../functions/shared/reconciliation/report';
import { allowedWarehouseLagMs, stageConfig } from '../../infra/config/stage-config';
import {
  duckdbWarehouseQuery,
  localWarehouseBucketDir,
  openLocalWarehouse,
} from '../../local/warehouse/duckdb-warehouse';
import { OperatorInputError } from '../error-output';
import { localErpConnector, localMasterConnectors } from '../local-erp';
import { opsContext, opsOptions, opsOptionsHelp } from '../ops-context';
import { reconcileInStage } from '../reconciliation-runs';
import { printJson, printTable } from '../table-output';

export const reconcileHelp = `Compare, for a window, what the SaaS platforms sent, what the ERP booked and what the warehouse shows.

usage: concord reconcile --date YYYY-MM-DD [options]
       concord reconcile --since T [--until T] [options]

  --date D         one UTC day
  --since T        from T (15m, 2h, 3d back, or an ISO timestamp) to --until T (default now)
  --plan-out FILE  write the replay plan there, for concord replay --plan FILE
  --lag DURATION   how long the warehouse may trail the ERP before a difference counts (default twice the
                   stream's delivery interval: 2m locally); a younger difference is reported as stale
  --data-dir DIR   the embedded runtime's data (env CONCORD_DATA_DIR, default .concord)
  --erp-url URL    the ERP (env CONCORD_ERP_URL, default the local sandbox http://127.0.0.1:4100)
  --function       run it in the stage's Reconcile function instead (with --stage NAME or --endpoint URL for
                   another runtime; locally the embedded runtime): its Athena queries, and its side effects —
                   governance.reconciliation.completed, the mismatches in the exceptions queue, the metric
${opsOptionsHelp}

Per business key: orders (shop order id), invoices (ERP number), payments (billing payment id), suppliers
and purchase orders (procurement platform id) and employees (HRIS id). Mismatch classes: missing_in_erp,
missing_in_warehouse, amount_differs, status_differs, fields_differ (a supplier, employee or purchase order held
with other values or at another version: a purchase order's status, total, currency or three-way match; personal
fields compared by hash only), stale, and unreadable for a row of any side that cannot be read
or compared (reported with its identifiers and why; every other row is still
reconciled). Exit code 0 when all three agree, 2 when there are mismatches (unreadable rows included), 1 when
the reconciliation itself fails. The scheduled Reconcile function of each stage runs the same
comparison daily and also emits governance.reconciliation.completed and sends each mismatch to the exceptions
queue (docs/runbooks/reconcile.md).`;

function parseLag(value: string): number {
  const lag = durationMs(value);
  if (lag === undefined)
    throw new OperatorInputError(`--lag "${value}" is not a duration such as 30s, 2m or 1h`);
  return lag;
}

function sums(side: { sums: Record<string, string> } | undefined): string {
  const entries = Object.entries(side?.sums ?? {});
  return entries.length === 0 ? '-' : entries.map(([currency, amount]) => `${amount} ${currency}`).join(', ');
}

function printReport(report: ReconciliationReport, plan: ReplayPlan, planFile: string | undefined): void {
  console.log(`reconciliation ${report.id}: ${report.window.from} … ${report.window.to}\n`);
  printTable(
    ['ENTITY', 'SAAS', 'ERP', 'WAREHOUSE', 'ERP AMOUNTS', 'WAREHOUSE AMOUNTS'],
    reconciledEntities.flatMap((entity) => {
      const totals = report.totals[entity];
      if (!totals) return [];
      return [
        [
          entity,
          totals.saas?.count,
          totals.erp.count,
          totals.warehouse.count,
          sums(totals.erp),
          sums(totals.warehouse),
        ],
      ];
    }),
  );
  console.log('');
  if (report.mismatches.length === 0) {
    console.log('SaaS, ERP and warehouse agree.');
    return;
  }
  printTable(
    ['CLASS', 'ENTITY', 'KEY', 'ERP DOCUMENT', 'DETAIL'],
    report.mismatches.map((mismatch) => [
      mismatch.class,
      mismatch.entity,
      mismatch.key,
      mismatch.erpDocument,
      mismatch.detail,
    ]),
  );
  console.log(
    `\n${report.mismatches.length} mismatches. Replay plan: ${plan.republish.length} transactions to re-publish, ` +
      `${plan.archiveReplays.length} archive windows to replay to the warehouse, ${plan.review.length} for review` +
      (planFile ? ` → ${planFile} (concord replay --plan ${planFile})` : ' (--plan-out FILE to keep it)'),
  );
}

/** Runs the stage's Reconcile function for the window and prints what it kept in the warehouse bucket. */
async function reconcileInFunction(values: {
  date?: string;
  since?: string;
  until?: string;
  'plan-out'?: string;
  endpoint?: string;
  stage?: string;
  json?: boolean;
}): Promise<number> {
  const window = namedWindow(values);
  const context = opsContext(values);
  try {
    const { report, plan } = await reconcileInStage(context, window);
    return show(report, plan, values);
  } finally {
    context.close();
  }
}

function show(
  report: ReconciliationReport,
  plan: ReplayPlan,
  values: { 'plan-out'?: string; json?: boolean },
): number {
  if (values['plan-out']) writeFileSync(values['plan-out'], `${JSON.stringify(plan, null, 2)}\n`);
  if (values.json) printJson(report);
  else printReport(report, plan, values['plan-out']);
  return report.mismatches.length === 0 ? 0 : 2;
}

export async function runReconcile(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      date: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      'plan-out': { type: 'string' },
      lag: { type: 'string' },
      'data-dir': { type: 'string' },
      'erp-url': { type: 'string' },
      ...opsOptions,
      function: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.function || values.stage || values.endpoint) {
    if (values.lag || values['data-dir'] || values['erp-url'])
      throw new OperatorInputError(
        '--lag, --data-dir and --erp-url are for the local comparison: the function uses its stage',
      );
    return reconcileInFunction(values);
  }
  const window = namedWindow(values);
  const allowedLagMs =
    values.lag === undefined ? allowedWarehouseLagMs(stageConfig('local')) : parseLag(values.lag);
  const dataDir = path.resolve(values['data-dir'] ?? process.env.CONCORD_DATA_DIR ?? '.concord');
  const connection = await openLocalWarehouse(localWarehouseBucketDir(dataDir));
  try {
    const erpAt = {
      erpUrl: values['erp-url'] ?? process.env.CONCORD_ERP_URL ?? 'http://127.0.0.1:4100',
      dataDir,
    };
    const erp = localErpConnector(erpAt);
    const { report, plan } = await runReconciliation(
      {
        warehouse: duckdbWarehouseQuery(connection),
        erp,
        ...localMasterConnectors(erpAt),
        now: () => new Date(),
        newId: () => newId(),
        allowedLagMs,
      },
      window,
    );
    return show(report, plan, values);
  } finally {
    connection.closeSync();
  }
}
