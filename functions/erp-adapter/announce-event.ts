/** Publishes a step's authoritative erp.* event, with one id per fact, and counts the business outcome it stands for. */
import {
  buildCanonicalEvent,
  type CanonicalEvent,
  type CanonicalTypeName,
  validateCanonicalEvent,
} from '../shared/events/envelope';
import type { CanonicalDataByType } from '../shared/generated/types';
import { idOf, timeOfId } from '../shared/ids';
import {
  latencyPoint,
  type MetricPoint,
  metricPoint,
  orderRefusalReason,
  purchaseOrderRefusalReason,
} from '../shared/observability/business-metrics';
import { type ErpStep, type ErpStepDependencies, stepIdempotencyKey } from './erp-step';
import { InvalidErpEventError } from './step-errors';

/**
 * Builds, checks and publishes the step's event of `type`, then records its metrics. Throws InvalidErpEventError,
 * publishing nothing, when the event would violate its schema.
 */
export async function announceEvent<T extends CanonicalTypeName>(
  deps: ErpStepDependencies,
  step: ErpStep,
  type: T,
  subject: string,
  data: CanonicalDataByType[T],
): Promise<CanonicalEvent<T>> {
  const now = deps.now();
  // One id per fact (step key and type), dated by the event that caused it: a retry, a re-run after a crash or a
  // resolved lost answer announces the same event, which the warehouse and consumers deduplicate.
  const id = idOf(`${stepIdempotencyKey(step)}|${type}`, timeOfId(step.causationId) ?? now.getTime());
  const event = buildCanonicalEvent(
    { type, source: deps.erpSourceUri, subject, time: now.toISOString(), entityVersion: now.getTime(), data },
    {
      id,
      correlationId: step.correlationId,
      causationId: step.causationId,
      ...(step.origin ? { origin: step.origin } : {}),
    },
  );
  const violations = validateCanonicalEvent(event);
  // An invalid authoritative event is a bug here, not bad input: fail loudly rather than publish it.
  if (violations.length > 0) throw new InvalidErpEventError(type, violations);
  await deps.publish([event]);
  deps.metrics?.record(...outcomeMetrics(step, event, now));
  return event;
}

/**
 * What an announced fact counts for. Latencies run from the causing event's id time (its ingest: ids are ULIDs) to
 * now; a fact announced again (a re-run after a crash) is counted again, so the counts are at least once.
 */
function outcomeMetrics(step: ErpStep, event: CanonicalEvent, now: Date): MetricPoint[] {
  const flow = { flow: step.flow };
  const since = timeOfId(step.causationId);
  switch (event.type) {
    case 'erp.order.accepted.v1':
      return [metricPoint('OrdersBooked', flow), ...latencyPoint('OrderAcceptedLatency', flow, since, now)];
    case 'erp.order.credit-held.v1':
      return [metricPoint('OrdersCreditHeld', flow)];
    case 'erp.order.rejected.v1': {
      const { reasonCode } = event.data as CanonicalDataByType['erp.order.rejected.v1'];
      return [metricPoint('OrdersRefused', { ...flow, reason: orderRefusalReason(reasonCode) })];
    }
    case 'erp.invoice.posted.v1':
      return [metricPoint('InvoicesPosted', flow), ...latencyPoint('InvoicePostedLatency', flow, since, now)];
    case 'erp.payment.applied.v1':
      return step.operation === 'refund'
        ? [metricPoint('RefundsBooked', flow)]
        : [metricPoint('PaymentsApplied', flow), ...latencyPoint('PaymentAppliedLatency', flow, since, now)];
    case 'erp.customer.synced.v1':
      return [metricPoint('CustomersSynced', flow), ...refusedFieldPoints(flow, event.data)];
    case 'erp.employee.synced.v1':
    case 'erp.supplier.synced.v1': {
      const { action } = event.data as { action: string };
      const name = event.type === 'erp.employee.synced.v1' ? 'EmployeesSynced' : 'SuppliersSynced';
      // Only a hire is timed: a change or termination may be effective-dated or held for its hire by design.
      const hired =
        event.type === 'erp.employee.synced.v1' && action === 'hired'
          ? latencyPoint('EmployeeHiredLatency', flow, since, now)
          : [];
      return [metricPoint(name, { ...flow, action }), ...refusedFieldPoints(flow, event.data), ...hired];
    }
    case 'erp.purchase-order.released.v1':
      return [
        metricPoint('PurchaseOrdersReleased', flow),
        ...latencyPoint('PurchaseOrderReleasedLatency', flow, since, now),
      ];
    case 'erp.purchase-order.refused.v1': {
      const { reasonCode } = event.data as CanonicalDataByType['erp.purchase-order.refused.v1'];
      return [
        metricPoint('PurchaseOrdersRefused', { ...flow, reason: purchaseOrderRefusalReason(reasonCode) }),
      ];
    }
    default:
      return [];
  }
}

/** The fields a synced event says were refused (owned elsewhere), counted as one point; none when nothing was. */
function refusedFieldPoints(flow: { flow: string }, data: unknown): MetricPoint[] {
  const { refusedFields } = data as { refusedFields?: unknown };
  return Array.isArray(refusedFields) && refusedFields.length > 0
    ? [metricPoint('FieldChangesRefused', flow, refusedFields.length)]
    : [];
}
