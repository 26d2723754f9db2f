/** Alarms on the stage's business-outcome SLOs (StageConfig.slos), and the metrics they read. */
import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, Stats, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { IDeliveryStream } from 'aws-cdk-lib/aws-kinesisfirehose';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { StageConfig } from '../config/stage-config';
import { concordFlows, concordMetric } from './concord-metrics';

/** The two windows of the order-accepted SLO alarm: a sharp outage shows in the fast one, a lasting drift in the slow one. */
export const burnRateWindows = { fast: Duration.minutes(5), slow: Duration.hours(1) } as const;

/** The percentile the order-accepted SLO bounds: a 0.99 target bounds p99. */
export function sloPercentile(slo: StageConfig['slos']['orderAccepted']): string {
  return Stats.p(Math.round(slo.target * 10_000) / 100);
}

/** Webhook received → ERP accepted, in milliseconds, of the order-to-cash flow. */
export function orderAcceptedLatency(stage: string, statistic: string, period: Duration): Metric {
  return concordMetric(
    stage,
    'OrderAcceptedLatency',
    { flow: concordFlows.orderToCash },
    { statistic, period },
  );
}

/**
 * The order-accepted SLO as two alarms, one per window, each announcing itself: the latency percentile the target
 * names (p99 for 0.99) over `withinSec` in the last 5 minutes (fast burn: page now), or over the last hour (slow
 * burn: the budget is going, if less visibly). Two alarms rather than a composite, because every alarm notifies.
 */
export function alarmOnOrderAcceptedSlo(
  scope: Construct,
  stage: string,
  slo: StageConfig['slos']['orderAccepted'],
): { fast: Alarm; slow: Alarm } {
  const percentile = sloPercentile(slo);
  const alarm = (window: keyof typeof burnRateWindows) =>
    new Alarm(scope, `OrderAcceptedSlo${window === 'fast' ? 'Fast' : 'Slow'}BurnAlarm`, {
      alarmDescription: `Order-accepted SLO (${slo.target * 100} % within ${slo.withinSec} s) burning: ${percentile} of webhook → ERP accepted over ${burnRateWindows[window].toHumanString()} exceeds ${slo.withinSec} s. Look at ERP errors and throttles, then the redrive queue; docs/observability.md#order-accepted-slo`,
      metric: orderAcceptedLatency(stage, percentile, burnRateWindows[window]),
      threshold: slo.withinSec * 1000,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      // No orders is no breach: the ingest and function alarms speak for an outage upstream.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  return { fast: alarm('fast'), slow: alarm('slow') };
}

/** Age in seconds of the oldest record the warehouse stream has not delivered yet (Firehose's own metric). */
export function warehouseFreshness(stream: IDeliveryStream): Metric {
  return new Metric({
    namespace: 'AWS/Firehose',
    metricName: 'DeliveryToS3.DataFreshness',
    dimensionsMap: { DeliveryStreamName: stream.deliveryStreamName },
    statistic: Stats.MAXIMUM,
    period: Duration.minutes(5),
  });
}

/** The invoice-visible SLO, on the warehouse stream's freshness: a record older than `withinMin` is not visible in time. */
export function alarmOnWarehouseFreshness(
  scope: Construct,
  stream: IDeliveryStream,
  slo: StageConfig['slos']['invoiceVisibleInWarehouse'],
): Alarm {
  return new Alarm(scope, 'InvoiceVisibleSloAlarm', {
    alarmDescription: `Invoice-visible SLO (${slo.withinMin} min) breached: the warehouse stream holds a record older than ${slo.withinMin} minutes. Check the stream's delivery errors under errors/ of the warehouse bucket; docs/observability.md#invoice-visible-slo`,
    metric: warehouseFreshness(stream),
    threshold: slo.withinMin * 60,
    evaluationPeriods: 1,
    comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });
}

/** The reconciliation-clean SLO: nothing (mismatch or failed transaction) waits in the exceptions queue past the limit. */
export function alarmOnMismatchAge(
  scope: Construct,
  exceptionsQueue: IQueue,
  slo: StageConfig['slos']['reconciliationClean'],
): Alarm {
  return new Alarm(scope, 'ReconciliationCleanSloAlarm', {
    alarmDescription: `Reconciliation-clean SLO breached: an exception has waited over ${slo.maxMismatchAgeHours} h unresolved. concord dlq show; docs/runbooks/reconcile.md`,
    metric: exceptionsQueue.metricApproximateAgeOfOldestMessage({
      period: Duration.minutes(5),
      statistic: Stats.MAXIMUM,
    }),
    threshold: slo.maxMismatchAgeHours * 3600,
    evaluationPeriods: 1,
    comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });
}
