/**
 * What the procurement platform hears about its purchase orders, the use case of the purchase-order write-back: the
 * ERP's PO number when the order is released, the refusal when it is not, and the three-way match after every goods
 * receipt and supplier invoice. Each write carries the ERP order's version, so that one delivered late never turns a
 * newer status back.
 */
import type { CanonicalEvent } from '../../shared/events/envelope';
import { latencyPoint, type MetricPoint, metricPoint } from '../../shared/observability/business-metrics';

/** The ERP status of one platform purchase order. */
export interface PurchaseOrderErpStatus {
  /** The platform's id of the purchase order. */
  purchaseOrderId: string;
  erpStatus:
    | 'created'
    | 'refused'
    | 'awaiting-receipt'
    | 'awaiting-invoice'
    | 'price-mismatch'
    | 'quantity-mismatch'
    | 'matched';
  poNumber?: string;
  matchStatus?: string;
  /** Why the ERP refused the order (refused only). */
  reason?: string;
  /** The ERP order's version the status describes; 0 for a refusal before any order was booked. */
  erpVersion: number;
}

/** One write to the platform. */
export interface PurchaseOrderStatusWrite {
  /** The platform, from the scheme of the event's origin (spendesk for spendesk://acme). */
  platform: string;
  status: PurchaseOrderErpStatus;
  correlationId: string;
  sourceEventId: string;
  /** When the ERP announced the status (its event's time): where the write-back's latency runs from. */
  announcedAt: string;
}

/** Sends purchase-order statuses to a procurement platform. */
export interface PurchaseOrderStatusPort {
  write(status: PurchaseOrderErpStatus): Promise<void>;
}

/** The platform named by an origin URI's scheme. */
function platformOf(origin: string): string | undefined {
  return /^([a-z][a-z0-9+.-]*):/i.exec(origin)?.[1]?.toLowerCase();
}

function statusOf(event: CanonicalEvent): PurchaseOrderErpStatus | undefined {
  switch (event.type) {
    case 'erp.purchase-order.released.v1': {
      const data = event.data as CanonicalEvent<'erp.purchase-order.released.v1'>['data'];
      return {
        purchaseOrderId: data.sourcePurchaseOrderId,
        erpStatus: 'created',
        poNumber: data.poNumber,
        matchStatus: data.purchaseOrder.matchStatus,
        erpVersion: data.purchaseOrder.version,
      };
    }
    case 'erp.purchase-order.refused.v1': {
      const data = event.data as CanonicalEvent<'erp.purchase-order.refused.v1'>['data'];
      return {
        purchaseOrderId: data.sourcePurchaseOrderId,
        erpStatus: 'refused',
        ...(data.poNumber ? { poNumber: data.poNumber } : {}),
        reason: `${data.reasonCode}: ${data.reason}`.slice(0, 500),
        erpVersion: data.purchaseOrder?.version ?? 0,
      };
    }
    case 'erp.purchase-order.match-updated.v1': {
      const data = event.data as CanonicalEvent<'erp.purchase-order.match-updated.v1'>['data'];
      return {
        purchaseOrderId: data.sourcePurchaseOrderId,
        erpStatus: data.matchStatus,
        poNumber: data.poNumber,
        matchStatus: data.matchStatus,
        erpVersion: data.purchaseOrder.version,
      };
    }
    default:
      return undefined;
  }
}

/** The write an ERP event makes, or undefined when it is not about a platform's purchase order. */
export function purchaseOrderStatusWrite(event: CanonicalEvent): PurchaseOrderStatusWrite | undefined {
  const platform = event.origin ? platformOf(event.origin) : undefined;
  const status = statusOf(event);
  if (!platform || !status) return undefined;
  return {
    platform,
    status,
    correlationId: event.correlationid,
    sourceEventId: event.id,
    announcedAt: event.time,
  };
}

/**
 * What a status written to the platform counts for, in the write-backs' metrics: StatusWrittenBack per platform and
 * ERP status (created, refused, and the three-way match: awaiting-receipt, awaiting-invoice, price-mismatch,
 * quantity-mismatch, matched), and WriteBackLatency from the ERP's announcement to the platform's acknowledgement.
 */
export function purchaseOrderWrittenBackMetrics(
  write: PurchaseOrderStatusWrite,
  writtenAt: Date,
): MetricPoint[] {
  const source = write.platform;
  return [
    metricPoint('StatusWrittenBack', { source, status: write.status.erpStatus }),
    ...latencyPoint('WriteBackLatency', { source }, Date.parse(write.announcedAt), writtenAt),
  ];
}
