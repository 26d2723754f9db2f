/**
 * The relay's mappers for the ERP purchasing's outbox entries: goods receipts, supplier invoices and the three-way
 * match after each, as authoritative events about the purchase order, carrying the order's channel as their origin so
 * that the match is written back to the platform the order came from.
 */

import {
  type PurchaseOrder,
  type PurchaseOrderSnapshot,
  purchaseOrderSnapshot,
} from '../shared/erp/erp-purchasing-port';
import { ConcordError } from '../shared/errors';
import { buildCanonicalEvent, type CanonicalEvent } from '../shared/events/envelope';
import { idOf } from '../shared/ids';
import type { OutboxEntry } from './relay';

/**
 * A purchasing entry's payload lacks a field or has it mistyped. The relay reads any mapper's error as an invalid
 * entry and dead-letters it with this message.
 */
export class PurchasingOutboxPayloadError extends ConcordError {
  override readonly name = 'PurchasingOutboxPayloadError';
}

function invalid(field: string, rule: string): never {
  throw new PurchasingOutboxPayloadError(`payload.${field} ${rule}`);
}

function object(value: unknown, field: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    invalid(field, 'must be an object');
  return value as Record<string, unknown>;
}

function text(record: Record<string, unknown>, field: string, path: string): string {
  const value = record[field];
  if (typeof value !== 'string' || value === '')
    invalid(path ? `${path}.${field}` : field, 'must be a non-empty string');
  return value;
}

function isoTime(value: string, field: string): string {
  const time = new Date(value);
  if (Number.isNaN(time.getTime())) invalid(field, `"${value}" is not a timestamp`);
  return time.toISOString();
}

/** The order as the entry carries it; its version orders every event about it. */
function orderOf(payload: Record<string, unknown>): {
  order: PurchaseOrder;
  snapshot: PurchaseOrderSnapshot;
} {
  const order = object(payload.purchaseOrder, 'purchaseOrder');
  if (!Array.isArray(order.lines)) invalid('purchaseOrder.lines', 'must be a list');
  if (!Number.isSafeInteger(order.version) || (order.version as number) < 1)
    invalid('purchaseOrder.version', 'must be a positive integer');
  text(order, 'poNumber', 'purchaseOrder');
  text(order, 'sourcePurchaseOrderId', 'purchaseOrder');
  return {
    order: order as unknown as PurchaseOrder,
    snapshot: purchaseOrderSnapshot(order as unknown as PurchaseOrder),
  };
}

function identity(entry: OutboxEntry, erpSourceUri: string, at: string, channel: string | undefined) {
  // The entry's own id: a relay re-run before its cursor moved announces the same event; each receipt or invoice
  // starts a transaction of its own, so it is the correlation too.
  const id = idOf(`${erpSourceUri}/outbox/${entry.seq}`, Date.parse(at));
  return {
    id,
    correlationId: id,
    causationId: `erp-outbox:${entry.seq}`,
    ...(channel ? { origin: channel } : {}),
  };
}

type Mapper = (entry: OutboxEntry, erpSourceUri: string) => CanonicalEvent;

/** Outbox entry type → canonical event; the order's ERP version is the entity version of each. */
export const purchaseOrderMappers: Record<string, Mapper> = {
  'goods-receipt.recorded': (entry, erpSourceUri) => {
    const { order, snapshot } = orderOf(entry.payload);
    const receipt = object(entry.payload.receipt, 'receipt');
    const at = isoTime(text(receipt, 'receivedAt', 'receipt'), 'receipt.receivedAt');
    return buildCanonicalEvent(
      {
        type: 'erp.goods-receipt.recorded.v1',
        source: erpSourceUri,
        subject: `purchase-order/${snapshot.sourcePurchaseOrderId}`,
        time: at,
        entityVersion: snapshot.version,
        data: {
          receiptNumber: text(receipt, 'receiptNumber', 'receipt'),
          poNumber: snapshot.poNumber,
          sourcePurchaseOrderId: snapshot.sourcePurchaseOrderId,
          lines: receipt.lines as never,
          receivedAt: at,
          purchaseOrder: snapshot,
        },
      },
      identity(entry, erpSourceUri, at, order.channel),
    );
  },
  'supplier-invoice.recorded': (entry, erpSourceUri) => {
    const { order, snapshot } = orderOf(entry.payload);
    const invoice = object(entry.payload.invoice, 'invoice');
    const at = isoTime(text(invoice, 'recordedAt', 'invoice'), 'invoice.recordedAt');
    return buildCanonicalEvent(
      {
        type: 'erp.supplier-invoice.recorded.v1',
        source: erpSourceUri,
        subject: `purchase-order/${snapshot.sourcePurchaseOrderId}`,
        time: at,
        entityVersion: snapshot.version,
        data: {
          invoiceNumber: text(invoice, 'invoiceNumber', 'invoice'),
          supplierInvoiceRef: text(invoice, 'supplierInvoiceRef', 'invoice'),
          poNumber: snapshot.poNumber,
          sourcePurchaseOrderId: snapshot.sourcePurchaseOrderId,
          currency: text(invoice, 'currency', 'invoice'),
          amount: text(invoice, 'amount', 'invoice'),
          lines: invoice.lines as never,
          recordedAt: at,
          purchaseOrder: snapshot,
        },
      },
      identity(entry, erpSourceUri, at, order.channel),
    );
  },
  'purchase-order.match-updated': (entry, erpSourceUri) => {
    const { order, snapshot } = orderOf(entry.payload);
    const at = isoTime(entry.at, 'at');
    return buildCanonicalEvent(
      {
        type: 'erp.purchase-order.match-updated.v1',
        source: erpSourceUri,
        subject: `purchase-order/${snapshot.sourcePurchaseOrderId}`,
        time: at,
        entityVersion: snapshot.version,
        data: {
          poNumber: snapshot.poNumber,
          sourcePurchaseOrderId: snapshot.sourcePurchaseOrderId,
          matchStatus: snapshot.matchStatus,
          cause: text(entry.payload, 'cause', ''),
          purchaseOrder: snapshot,
          updatedAt: at,
        },
      },
      identity(entry, erpSourceUri, at, order.channel),
    );
  },
};
