/** Where a transaction's trace reads from, assembled once for `concord trace` and the console's Transaction page. */
import { athenaWarehouseQuery } from '../functions/reconcile/athena-warehouse';
import type { ErpPort } from '../functions/shared/erp/erp-port';
import type { OpsContext } from './ops-context';
import { logsServiceTime, type traceTimeline } from './trace-timeline';

/** The sources `traceTimeline` reads. */
export type TraceSources = Parameters<typeof traceTimeline>[1];

/**
 * The stage's sources of a trace: the function logs (read within `sinceMs`), the dead-letter queues, the version
 * table, the ops journal, the ERP when known and the warehouse through the stage's Athena workgroup. Through an
 * endpoint (the embedded runtime) the logs' time is the service's: its clock may run ahead of this machine's.
 */
export async function traceSources(
  context: OpsContext,
  options: { sinceMs: number; erp?: Pick<ErpPort, 'listDocuments'> },
): Promise<TraceSources> {
  const viaEndpoint = context.logs.config.isCustomEndpoint || context.stage === 'local';
  return {
    logs: context.logs,
    sqs: context.sqs,
    stage: context.stage,
    dynamodb: context.dynamodb,
    versionTable: await context.tableName('VersionTable'),
    journal: (await context.deps()).journal,
    erp: options.erp,
    logsQuery: {
      sinceMs: options.sinceMs,
      now: viaEndpoint ? (logGroupName) => logsServiceTime(context.logs, logGroupName) : new Date(),
    },
    warehouse: athenaWarehouseQuery(context.athena, {
      workGroup: `concord-${context.stage}`,
      database: `concord_${context.stage}`,
    }),
  };
}
