/**
 * The Reconcile function: on its daily schedule it reconciles the previous UTC day; invoked with
 * `{ "date": "YYYY-MM-DD" }` or `{ "since": T, "until": T }` it reconciles that window. Answers the report's
 * summary and where the report and the replay plan are kept.
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import { AthenaClient } from '@aws-sdk/client-athena';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { EventBridgePublisher } from '../shared/bus/eventbridge-publisher';
import { SandboxErpConnector } from '../shared/erp/sandbox-erp-connector';
import { newId } from '../shared/ids';
import { namedWindow } from '../shared/ops/time-window';
import { announceOutcome } from './announce-outcome';
import { athenaWarehouseQuery } from './athena-warehouse';
import { loadReconcileConfig } from './config';
import { runReconciliation } from './run-reconciliation';

const config = loadReconcileConfig();
const athena = new AthenaClient({});
const s3 = new S3Client({});
const sqs = new SQSClient({});
const publisher = new EventBridgePublisher(new EventBridgeClient({}), {
  eventBusName: config.eventBusName,
  busSource: 'concord.governance',
});
const metrics = new Metrics({ namespace: 'Concord', serviceName: 'reconcile' });
const erp = new SandboxErpConnector({ baseUrl: config.erpBaseUrl, timeoutMs: config.erpTimeoutMs });

export interface ReconcileRequest {
  date?: string;
  since?: string;
  until?: string;
  /** Set by EventBridge on a scheduled run. */
  'detail-type'?: string;
  time?: string;
}

/** The window a request names; a scheduled run reconciles the UTC day before it fired. */
export function requestedWindow(request: ReconcileRequest, now: Date): { from: Date; to: Date } {
  if (request['detail-type'] !== 'Scheduled Event') return namedWindow(request, now);
  const fired = new Date(request.time ?? now.toISOString());
  const to = new Date(Date.UTC(fired.getUTCFullYear(), fired.getUTCMonth(), fired.getUTCDate()));
  return { from: new Date(to.getTime() - 86_400_000), to };
}

export const handler = async (request: ReconcileRequest) => {
  const window = requestedWindow(request, new Date());
  const { report, plan } = await runReconciliation(
    {
      warehouse: athenaWarehouseQuery(athena, { workGroup: config.workGroup, database: config.database }),
      erp,
      now: () => new Date(),
      newId: () => newId(),
      allowedLagMs: config.allowedLagMs,
    },
    window,
  );
  const kept = await announceOutcome(
    {
      s3,
      sqs,
      metrics,
      publish: (events) => publisher.publish(events),
      resultsBucket: config.resultsBucket,
      exceptionsQueueUrl: config.exceptionsQueueUrl,
      sourceUri: 'concord://reconcile',
      maxExceptionMessages: config.maxExceptionMessages,
    },
    report,
    plan,
  );
  return {
    reconciliationId: report.id,
    window: report.window,
    mismatches: report.mismatches.length,
    byClass: report.byClass,
    totals: report.totals,
    ...kept,
  };
};
