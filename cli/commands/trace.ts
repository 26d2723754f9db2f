/** `concord trace`: the timeline of one business transaction. */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { OperatorInputError } from '../error-output';
import { localErpConnector } from '../local-erp';
import { opsContext, opsOptions, opsOptionsHelp } from '../ops-context';
import { printJson, printTable } from '../table-output';
import { traceSources } from '../trace-sources';
import { sinceMs, traceSubject, traceTimeline } from '../trace-timeline';
import { withXRaySteps, workflowsReadFromXRay, xrayClientLike } from '../xray-trace';

export const traceHelp = `Show the timeline of one business transaction, by correlation id, order id or entity.

usage: concord trace <correlation-id | order id | entity> [--since 24h] [--data-dir DIR] [--erp-url URL] [options]

  <order id>      5820741173332 (the platform's id), or an entity such as order/5820741173332 or payment/pi_…
  --since AGE     how far back the function logs are read: 30m, 24h (default), 7d; Logs Insights bills the
                  bytes it scans, so the narrowest window that holds the transaction is the cheapest
  --data-dir DIR  the embedded runtime's data (the ERP sandbox's credentials; env CONCORD_DATA_DIR, default
                  .concord on the local stage)
  --erp-url URL   the ERP sandbox, for the order's documents (env CONCORD_ERP_URL; default http://127.0.0.1:4100
                  on the local stage)
${opsOptionsHelp}

It joins the function log lines that name the transaction (ingest, each workflow step, write-back; one CloudWatch
Logs Insights query over the stage's log groups, StartQuery then GetQueryResults until Complete, locally and on
AWS; it gives up after 60 s, saying so), the version gate's record, the ERP's documents, every dead letter about it,
the ops audit and when each of its events was taken into the warehouse stream (an Athena query in the stage's
workgroup). On AWS, where the workflows are Express and log errors only, it adds each workflow step from X-Ray
(the traces annotated with the transaction's ids in the window: GetTraceSummaries, then BatchGetTraces), and says
when the transaction was not sampled.`;

export async function runTrace(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      ...opsOptions,
      since: { type: 'string', default: '24h' },
      'data-dir': { type: 'string' },
      'erp-url': { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  const [designation] = positionals;
  if (!designation)
    throw new OperatorInputError('usage: concord trace <correlation-id | order id> (see --help)');
  // Refused before anything is read: a typo in the window must not silently trace the wrong day.
  const since = sinceMs(values.since);
  const context = opsContext(values);
  try {
    const local = context.stage === 'local';
    const erpUrl =
      values['erp-url'] ?? process.env.CONCORD_ERP_URL ?? (local ? 'http://127.0.0.1:4100' : undefined);
    const dataDir = values['data-dir'] ?? process.env.CONCORD_DATA_DIR ?? (local ? '.concord' : undefined);
    let timeline = await traceTimeline(
      traceSubject(designation),
      await traceSources(context, {
        sinceMs: since,
        erp: erpUrl && dataDir ? localErpConnector({ erpUrl, dataDir: path.resolve(dataDir) }) : undefined,
      }),
    );
    // Locally every step is in the function logs; on AWS the Express workflows' steps are in X-Ray only.
    if (workflowsReadFromXRay(context.stage, Boolean(context.logs.config.isCustomEndpoint))) {
      const xray = xrayClientLike(context.logs);
      try {
        timeline = await withXRaySteps(timeline, xray, {
          from: new Date(Date.now() - since),
          to: new Date(),
        });
      } finally {
        xray.destroy();
      }
    }
    for (const warning of timeline.warnings) console.error(`warning: ${warning}`);
    if (values.json) printJson(timeline);
    else {
      console.log(
        `correlation ${timeline.subject.correlationIds.join(', ') || '-'}; entity ${timeline.subject.entities.join(', ') || '-'}`,
      );
      printTable(
        ['TIME', 'WHERE', 'WHAT'],
        timeline.entries.map((entry) => [entry.at, entry.where, entry.what]),
      );
    }
    return timeline.entries.length > 0 ? 0 : 1;
  } finally {
    context.close();
  }
}
