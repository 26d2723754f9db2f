/**
 * The Reconcile function: on its daily schedule it reconciles the previous UTC day; invoked with
 * `{ "date": "YYYY-MM-DD" }` or `{ "since": T, "until": T }` it reconciles that window. Answers the report's
 * summary and where the report and the replay plan are kept.
 */
import { AthenaClient } from '@aws-sdk/client-athena';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { EventBridgePublisher } from '../shared/bus/eventbridge-publisher';
import { HttpErpConnector } from '../shared/erp/http-erp-connector';
import { HttpErpEmployeeConnector } from '../shared/erp/http-erp-employee-connector';
import { HttpErpItemConnector } from '../shared/erp/http-erp-item-connector';
import { HttpErpPurchasingConnector } from '../shared/erp/http-erp-purchasing-connector';
import { HttpErpVendorConnector } from '../shared/erp/http-erp-vendor-connector';
import { secretsManagerErpCredentials } from '../shared/erp/secrets-manager-erp-credentials';
import { newId } from '../shared/ids';
import { readStage } from '../shared/observability/business-metrics';
import { stageMetrics } from '../shared/observability/powertools-business-metrics';
import { createTracer, tracedHandler } from '../shared/observability/tracing';
import { announceOutcome } from './announce-outcome';
import { athenaWarehouseQuery } from './athena-warehouse';
import { loadReconcileConfig } from './config';
import { type ReconcileRequest, requestedWindow } from './reconcile-request';
import { runReconciliation } from './run-reconciliation';

const config = loadReconcileConfig();
// A run covers a day of transactions: traced as a whole (Athena, the ERP reads, S3, SQS, the bus).
const tracer = createTracer('reconcile');
const athena = tracer.captureAWSv3Client(new AthenaClient({}));
const s3 = tracer.captureAWSv3Client(new S3Client({}));
const sqs = tracer.captureAWSv3Client(new SQSClient({}));
const publisher = new EventBridgePublisher(tracer.captureAWSv3Client(new EventBridgeClient({})), {
  eventBusName: config.eventBusName,
  busSource: 'concord.governance',
});
// `stage` is the one dimension (with `class` per mismatch class), as every Concord metric.
const metrics = stageMetrics({ stage: readStage(), serviceName: 'reconcile' });
const erpOptions = {
  baseUrl: config.erpBaseUrl,
  timeoutMs: config.erpTimeoutMs,
  credentials: secretsManagerErpCredentials(config.erpCredentialsSecretId),
};
const erp = new HttpErpConnector(erpOptions);
// Suppliers, employees, purchase orders, stock levels and list prices are reconciled beside the transactions,
// through the ERP's vendor, employee, purchasing and item ports (one base URL and credential: no other grant).
const vendors = new HttpErpVendorConnector(erpOptions);
const employees = new HttpErpEmployeeConnector(erpOptions);
const purchasing = new HttpErpPurchasingConnector(erpOptions);
const items = new HttpErpItemConnector(erpOptions);

export const handler = tracedHandler(tracer, async (request: ReconcileRequest) => {
  const window = requestedWindow(request, new Date());
  const { report, plan } = await runReconciliation(
    {
      warehouse: athenaWarehouseQuery(athena, { workGroup: config.workGroup, database: config.database }),
      erp,
      vendors,
      employees,
      purchasing,
      items,
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
});
