/** The business metrics the functions emit (EMF, namespace Concord), as CloudWatch metrics the alarms and the dashboard read. */
import { Duration } from 'aws-cdk-lib';
import { Metric, type MetricOptions } from 'aws-cdk-lib/aws-cloudwatch';
import { itemWriteBackFlow, metricsNamespace } from '../../functions/shared/observability/business-metrics';

/** The namespace of every metric Concord's functions emit (their catalogue's). */
export const concordNamespace = metricsNamespace;

/**
 * The `flow` dimension's values: one per workflow that changes the ERP (the `flow` its ASL passes the ERP adapter;
 * order-validation only reads). A CloudWatch metric is identified by its full dimension set, so these must be the
 * values the functions write (functions/shared/observability); test/infra/observability.test.ts checks the ASL.
 */
export const concordFlows = {
  orderToCash: 'order-to-cash',
  paymentApplication: 'payment-application',
  customerSync: 'customer-sync',
  employeeSync: 'employee-sync',
  supplierSync: 'supplier-sync',
  procureToPay: 'procure-to-pay',
} as const;

/**
 * The `flow` values of the flows that write the ERP's state to a platform rather than change the ERP: their counts
 * and latencies carry `flow` as the workflows' do, but they have no workflow (nor unknown outcomes at the ERP).
 */
export const writeBackFlows = {
  itemWriteBack: itemWriteBackFlow,
} as const;

/** A Concord metric of one stage, with its low-cardinality dimension (`source`, `flow`, `outcome` or `queue`). */
export function concordMetric(
  stage: string,
  metricName: string,
  dimensions: Record<string, string>,
  options: MetricOptions = {},
): Metric {
  return new Metric({
    namespace: concordNamespace,
    metricName,
    dimensionsMap: { stage, ...dimensions },
    period: Duration.minutes(5),
    statistic: 'Sum',
    ...options,
  });
}

/** Mismatches the stage's reconciliations found, in total, summed per hour (functions/reconcile; per class too, with `class`). */
export function reconciliationMismatches(stage: string): Metric {
  return concordMetric(stage, 'ReconciliationMismatches', {}, { period: Duration.hours(1) });
}
