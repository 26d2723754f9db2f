/** Alarms on the stage's business-outcome SLOs (StageConfig.slos), and the metrics they read. */
import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, Stats, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { IDeliveryStream } from 'aws-cdk-lib/aws-kinesisfirehose';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { StageConfig } from '../config/stage-config';
import { concordFlows, concordMetric, writeBackFlows } from './concord-metrics';

/** The two windows of the order-accepted SLO alarm: a sharp outage shows in the fast one, a lasting drift in the slow one. */
export const burnRateWindows = { fast: Duration.minutes(5), slow: Duration.hours(1) } as const;

/** A latency SLO: a `target` share (0–1) of transactions within `withinSec`. */
export type LatencySlo = StageConfig['slos']['orderAccepted'];

/** The percentile a latency SLO bounds: a 0.99 target bounds p99. */
export function sloPercentile(slo: LatencySlo): string {
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
 * The business latencies with an SLO: the metric (of the one flow that emits it), what one sample is (`unit`, as
 * `concord status` counts them), and the words of the alarm that reads it. Each key is the SLO's key in `StageConfig.slos` and the alarms' id prefix (`OrderAcceptedSlo…`); the
 * stack alarms every entry, and `concord status`, the console Overview and the dashboard read them from here.
 */
export const latencySlos = {
  orderAccepted: {
    metricName: 'OrderAcceptedLatency',
    unit: 'orders',
    flow: concordFlows.orderToCash,
    what: 'orders accepted by the ERP',
    measured: 'webhook → ERP accepted',
    lookFirst: 'ERP errors and throttles, then the redrive queue',
    anchor: 'order-accepted-slo',
  },
  invoicePosted: {
    metricName: 'InvoicePostedLatency',
    unit: 'invoices',
    flow: concordFlows.orderToCash,
    what: 'invoices posted by the ERP',
    measured: 'order webhook (or credit release) → ERP posted the invoice',
    lookFirst: 'ERP errors and throttles on postInvoice, then the redrive queue',
    anchor: 'invoice-posted-and-payment-applied-slos',
  },
  paymentApplied: {
    metricName: 'PaymentAppliedLatency',
    unit: 'payments',
    flow: concordFlows.paymentApplication,
    what: 'payments applied to their invoice',
    measured: 'payment webhook → ERP applied it',
    lookFirst:
      'payments held for an invoice not posted yet (the invoice-posted SLO), ERP errors, the redrive queue',
    anchor: 'invoice-posted-and-payment-applied-slos',
  },
  purchaseOrderReleased: {
    metricName: 'PurchaseOrderReleasedLatency',
    unit: 'purchase orders',
    flow: concordFlows.procureToPay,
    what: 'purchase orders created in the ERP',
    measured: 'purchase-order webhook → ERP released it with its PO number',
    lookFirst: 'ERP errors and throttles, procure-to-pay failed executions, then the redrive queue',
    anchor: 'purchase-order-released-slo',
  },
  employeeHired: {
    metricName: 'EmployeeHiredLatency',
    unit: 'hires',
    flow: concordFlows.employeeSync,
    what: 'hires effective in the ERP',
    measured: 'HRIS hire webhook → ERP employee register applied it',
    lookFirst: "the HRIS reader's errors (Bob's People API), ERP errors, then the redrive queue",
    anchor: 'employee-hired-slo',
  },
  stockWritten: {
    metricName: 'StockWrittenLatency',
    unit: 'stock levels',
    flow: writeBackFlows.itemWriteBack,
    what: 'stock levels shown on Shopify',
    measured: 'ERP stock announcement → Shopify accepted the level',
    lookFirst:
      "Shopify 429s (PlatformThrottled), the ItemWriteBackDlq, then the item write-back queue's oldest message",
    anchor: 'stock-written-slo',
  },
} as const;

/** A business latency with an SLO, in milliseconds, of the flow that emits it. */
export function sloLatency(
  stage: string,
  name: keyof typeof latencySlos,
  statistic: string,
  period: Duration,
): Metric {
  const { metricName, flow } = latencySlos[name];
  return concordMetric(stage, metricName, { flow }, { statistic, period });
}

/** The logical-id prefix of a latency SLO's alarms (`OrderAcceptedSlo…`), by which readers find them. */
export function sloAlarmPrefix(name: keyof typeof latencySlos): string {
  return `${name[0]?.toUpperCase()}${name.slice(1)}Slo`;
}

/**
 * A latency SLO as two alarms, one per window, each announcing itself: the latency percentile the target names
 * (p99 for 0.99) over `withinSec` in the last 5 minutes (fast burn: page now), or over the last hour (slow burn:
 * the budget is going, if less visibly). Two alarms rather than a composite, because every alarm notifies.
 */
export function alarmOnLatencySlo(
  scope: Construct,
  stage: string,
  name: keyof typeof latencySlos,
  slo: LatencySlo,
): { fast: Alarm; slow: Alarm } {
  const percentile = sloPercentile(slo);
  const { what, measured, lookFirst, anchor } = latencySlos[name];
  const prefix = sloAlarmPrefix(name);
  const alarm = (window: keyof typeof burnRateWindows) =>
    new Alarm(scope, `${prefix}${window === 'fast' ? 'Fast' : 'Slow'}BurnAlarm`, {
      alarmDescription: `SLO (${slo.target * 100} % of ${what} within ${slo.withinSec} s) burning: ${percentile} of ${measured} over ${burnRateWindows[window].toHumanString()} exceeds ${slo.withinSec} s. Look at ${lookFirst}; docs/observability.md#${anchor}`,
      metric: sloLatency(stage, name, percentile, burnRateWindows[window]),
      threshold: slo.withinSec * 1000,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      // No transactions is no breach: the ingest and function alarms speak for an outage upstream.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  return { fast: alarm('fast'), slow: alarm('slow') };
}

/** The order-accepted SLO's two burn-rate alarms (see `alarmOnLatencySlo`). */
export function alarmOnOrderAcceptedSlo(
  scope: Construct,
  stage: string,
  slo: LatencySlo,
): { fast: Alarm; slow: Alarm } {
  return alarmOnLatencySlo(scope, stage, 'orderAccepted', slo);
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
