/**
 * Which ERP answers a platform hears about, and how: the use case of the write-back function. Only events that
 * answer a platform's own record (they carry the `origin` extension) are written back, to that platform.
 */
import type { CanonicalEvent } from '../shared/events/envelope';
import { latencyPoint, type MetricPoint, metricPoint } from '../shared/observability/business-metrics';
import type { PlatformStatusUpdate } from '../shared/write-back/platform-status-port';

type Answer = Pick<PlatformStatusUpdate, 'entity' | 'externalRef' | 'status' | 'erpReference' | 'fields'>;

/** What each written-back event type tells the platform; the field names are the platforms' own. */
function answerOf(event: CanonicalEvent): Answer | undefined {
  switch (event.type) {
    case 'erp.order.accepted.v1': {
      const data = event.data as CanonicalEvent<'erp.order.accepted.v1'>['data'];
      return {
        entity: 'order',
        externalRef: data.sourceOrderId,
        status: 'accepted',
        erpReference: data.erpOrderNumber,
        fields: { erp_status: 'accepted', erp_order_number: data.erpOrderNumber, erp_total: data.total },
      };
    }
    case 'erp.order.credit-held.v1': {
      const data = event.data as CanonicalEvent<'erp.order.credit-held.v1'>['data'];
      return {
        entity: 'order',
        externalRef: data.sourceOrderId,
        status: 'credit-held',
        erpReference: data.erpOrderNumber,
        fields: { erp_status: 'credit-held', erp_order_number: data.erpOrderNumber },
      };
    }
    case 'erp.invoice.posted.v1': {
      const data = event.data as CanonicalEvent<'erp.invoice.posted.v1'>['data'];
      return {
        entity: 'order',
        externalRef: data.sourceOrderId,
        status: 'invoiced',
        erpReference: data.invoiceNumber,
        fields: {
          erp_status: 'invoiced',
          erp_invoice_number: data.invoiceNumber,
          erp_due_date: data.dueDate,
        },
      };
    }
    case 'erp.customer.synced.v1': {
      const data = event.data as CanonicalEvent<'erp.customer.synced.v1'>['data'];
      return {
        entity: 'customer',
        externalRef: data.crmContactId,
        status: 'customer-linked',
        erpReference: data.customerNumber,
        fields: { erp_customer_number: data.customerNumber },
      };
    }
    default:
      return undefined;
  }
}

/** The platform named by an origin URI's scheme, e.g. shopify for shopify://acme.myshopify.com. */
export function platformOf(origin: string): string | undefined {
  return /^([a-z][a-z0-9+.-]*):/i.exec(origin)?.[1]?.toLowerCase();
}

/** The update an ERP event makes, or undefined when it answers no platform record. */
export function statusUpdateFor(event: CanonicalEvent): PlatformStatusUpdate | undefined {
  const origin = event.origin;
  const platform = origin ? platformOf(origin) : undefined;
  const answer = answerOf(event);
  if (!origin || !platform || !answer) return undefined;
  return {
    platform,
    origin,
    ...answer,
    correlationId: event.correlationid,
    sourceEventId: event.id,
    occurredAt: event.time,
  };
}

/**
 * One write per fact: a redelivered event, or a second sync that links the same account, makes the same key,
 * so the platform record is written once.
 */
export function writeBackKey(update: PlatformStatusUpdate): string {
  return `write-back:${update.platform}:${update.entity}/${update.externalRef}:${update.status}:${update.erpReference}`;
}

/** What a written-back update counts for: the status per platform, and the time from the ERP's event to written. */
export function writtenBackMetrics(update: PlatformStatusUpdate, writtenAt: Date): MetricPoint[] {
  const source = update.platform;
  return [
    metricPoint('StatusWrittenBack', { source, status: update.status }),
    ...latencyPoint('WriteBackLatency', { source }, Date.parse(update.occurredAt), writtenAt),
  ];
}
