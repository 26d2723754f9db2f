/**
 * Makes a reconciliation's outcome visible where operators look: the report and plan kept in the warehouse bucket,
 * governance.reconciliation.completed on the bus, each mismatch in the exceptions queue, and the mismatch metric
 * the alarm watches.
 */
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { buildCanonicalEvent, type CanonicalEvent, validateCanonicalEvent } from '../shared/events/envelope';
import { newId } from '../shared/ids';
import { documentRef, type ReplayPlan } from '../shared/reconciliation/replay-plan';
import type { Mismatch, ReconciliationReport } from '../shared/reconciliation/report';

export interface OutcomeDependencies {
  s3: S3Client;
  sqs: SQSClient;
  metrics: Metrics;
  publish(events: readonly CanonicalEvent[]): Promise<void>;
  resultsBucket: string;
  exceptionsQueueUrl: string;
  /** The CloudEvents source of Concord's own governance events. */
  sourceUri: string;
  /** A flood of mismatches (an outage) sends this many to the queue; the report keeps them all. */
  maxExceptionMessages: number;
}

/** Where a run's report and plan are kept: reconciliations/<window start day>/<id>/. */
export function resultKeys(report: ReconciliationReport) {
  const prefix = `reconciliations/${report.window.from.slice(0, 10)}/${report.id}`;
  return { reportKey: `${prefix}/report.json`, planKey: `${prefix}/plan.json` };
}

function remedyOf(plan: ReplayPlan, mismatch: Mismatch): string {
  const { entity, key } = mismatch;
  if (plan.republish.some((entry) => entry.entity === entity && entry.key === key)) return 'republish';
  const document = documentRef(mismatch);
  if (plan.archiveReplays.some((window) => window.documents.includes(document))) return 'archive-replay';
  return 'review';
}

export async function announceOutcome(
  deps: OutcomeDependencies,
  report: ReconciliationReport,
  plan: ReplayPlan,
): Promise<{ reportKey: string; planKey: string; exceptionsSent: number }> {
  const keys = resultKeys(report);
  for (const [key, body] of [
    [keys.reportKey, report],
    [keys.planKey, plan],
  ] as const)
    await deps.s3.send(
      new PutObjectCommand({
        Bucket: deps.resultsBucket,
        Key: key,
        Body: JSON.stringify(body),
        ContentType: 'application/json',
      }),
    );

  const planned = {
    republish: plan.republish.length,
    archiveReplays: plan.archiveReplays.length,
    review: plan.review.length,
  };
  const now = new Date();
  const event = buildCanonicalEvent(
    {
      type: 'governance.reconciliation.completed.v1',
      source: deps.sourceUri,
      subject: `reconciliation/${report.id}`,
      time: now.toISOString(),
      entityVersion: now.getTime(),
      data: {
        reconciliationId: report.id,
        windowStart: report.window.from,
        windowEnd: report.window.to,
        completedAt: now.toISOString(),
        mismatchCount: report.mismatches.length,
        byClass: report.byClass,
        totals: report.totals,
        plan: planned,
      } as never,
    },
    { id: newId(), correlationId: report.id, causationId: report.id },
  );
  const violations = validateCanonicalEvent(event);
  if (violations.length > 0)
    throw new Error(`the completion event would violate its schema: ${JSON.stringify(violations)}`);
  await deps.publish([event]);

  const sent = report.mismatches.slice(0, deps.maxExceptionMessages);
  for (let start = 0; start < sent.length; start += 10) {
    const batch = sent.slice(start, start + 10);
    const { Failed = [] } = await deps.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: deps.exceptionsQueueUrl,
        Entries: batch.map((mismatch, index) => ({
          Id: String(index),
          MessageBody: JSON.stringify({
            kind: 'reconciliation-mismatch',
            reconciliationId: report.id,
            window: report.window,
            remedy: remedyOf(plan, mismatch),
            plan: keys.planKey,
            mismatch,
          }),
        })),
      }),
    );
    if (Failed.length > 0)
      throw new Error(`the exceptions queue refused ${Failed.length} mismatch(es): ${Failed[0]?.Message}`);
  }

  // The total, then one document per class: a document has one dimension set, and the default ones (`stage`) are
  // kept across publishes, while `class` is cleared by each (singleMetric() would add Powertools' `service` back).
  deps.metrics.addMetric('ReconciliationMismatches', MetricUnit.Count, report.mismatches.length);
  deps.metrics.publishStoredMetrics();
  for (const [name, count] of Object.entries(report.byClass)) {
    deps.metrics.addDimension('class', name);
    deps.metrics.addMetric('ReconciliationMismatches', MetricUnit.Count, count);
    deps.metrics.publishStoredMetrics();
  }
  return { ...keys, exceptionsSent: sent.length };
}
