/**
 * The ERP's purchasing: purchase orders against the vendor master, budgets per cost centre, and the three-way match
 * of orders, goods receipts and supplier invoices. A port of its own, so that an ERP connector without purchasing
 * still implements ErpPort whole.
 */
import type { ChangeLookup } from './erp-port';

/** A purchase order's life in the ERP: booked (OPEN), budget committed (RELEASED), or CANCELLED. */
export type PurchaseOrderStatus = 'OPEN' | 'RELEASED' | 'CANCELLED';

/** The three-way match of a purchase order, its goods receipts and its supplier invoices, as the ERP computes it. */
export type MatchStatus =
  | 'awaiting-receipt'
  | 'awaiting-invoice'
  | 'price-mismatch'
  | 'quantity-mismatch'
  | 'matched';

/** Every match status, for the schemas and the write-back. */
export const matchStatuses: readonly MatchStatus[] = [
  'awaiting-receipt',
  'awaiting-invoice',
  'price-mismatch',
  'quantity-mismatch',
  'matched',
];

/** Why the ERP would not take a purchase order now; `ok` when it would. */
export type PurchaseOrderVerdict =
  | 'ok'
  | 'vendor_unknown'
  | 'vendor_blocked'
  | 'cost_centre_unknown'
  | 'cost_centre_closed'
  | 'budget_missing'
  | 'currency_mismatch'
  | 'budget_exceeded';

/** One line a purchase order asks for. */
export interface PurchaseOrderLineRequest {
  description: string;
  sku?: string;
  quantity: number;
  /** Decimal string in the order's currency. */
  unitPrice: string;
}

/** A line as the ERP holds it, with what was received and invoiced against it. */
export interface PurchaseOrderLine extends PurchaseOrderLineRequest {
  lineNo: number;
  lineTotal: string;
  receivedQuantity: number;
  invoicedQuantity: number;
  invoicedUnitPrices: string[];
}

/** A purchase order as the ERP holds it. */
export interface PurchaseOrder {
  poNumber: string;
  sourcePurchaseOrderId: string;
  vendorNumber: string;
  sourceSupplierId: string;
  costCentre: string;
  currency: string;
  total: string;
  status: PurchaseOrderStatus;
  matchStatus: MatchStatus;
  receivedQuantity: number;
  invoicedAmount: string;
  channel?: string;
  lines: PurchaseOrderLine[];
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** What the ERP answers to "could this order be placed now?": a verdict, never an error. */
export interface PurchaseOrderCheck {
  verdict: PurchaseOrderVerdict;
  reason: string;
  vendorNumber?: string;
  available?: string;
}

/** What a purchase order asks the ERP to book. */
export interface PurchaseOrderRequest {
  sourcePurchaseOrderId: string;
  sourceSupplierId: string;
  costCentre: string;
  currency: string;
  lines: PurchaseOrderLineRequest[];
  /** The platform the order came from (origin URI), which the ERP's announcements carry. */
  channel?: string;
}

/** The ERP's purchasing. Every change carries an idempotency key; lost answers are read back with lookupChange. */
export interface ErpPurchasingPort {
  /** Whether the order could be placed now (vendor known and not blocked, cost centre open, budget available). */
  checkPurchaseOrder(request: {
    sourceSupplierId: string;
    costCentre: string;
    currency: string;
    total: string;
  }): Promise<PurchaseOrderCheck>;
  /** Books the order (OPEN); one already booked for the platform's id is answered unchanged. */
  createPurchaseOrder(request: PurchaseOrderRequest, idempotencyKey: string): Promise<PurchaseOrder>;
  /** Commits the order's amount against its cost centre's budget (RELEASED). */
  releasePurchaseOrder(poNumber: string, idempotencyKey: string): Promise<PurchaseOrder>;
  /** Cancels an order with nothing received or invoiced, giving back a committed budget. */
  cancelPurchaseOrder(
    poNumber: string,
    request: { reason: string },
    idempotencyKey: string,
  ): Promise<PurchaseOrder>;
  /** The order booked for a platform's purchase order id, if any. */
  findPurchaseOrder(sourcePurchaseOrderId: string): Promise<PurchaseOrder | undefined>;
  /**
   * Every purchase order; or, given a window, those last changed in it (from inclusive, to exclusive): a receipt or
   * an invoice changes its order too, since it changes the match.
   */
  listPurchaseOrders(changed?: { fromIso: string; toIso: string }): Promise<PurchaseOrder[]>;
  lookupChange(idempotencyKey: string): Promise<ChangeLookup>;
}

/** A purchase order as the erp.purchase-order.* and receipt/invoice events carry it (the warehouse model's row). */
export interface PurchaseOrderSnapshot {
  poNumber: string;
  sourcePurchaseOrderId: string;
  vendorNumber: string;
  sourceSupplierId: string;
  costCentre: string;
  currency: string;
  total: string;
  status: PurchaseOrderStatus;
  matchStatus: MatchStatus;
  receivedQuantity: number;
  invoicedAmount: string;
  lineCount: number;
  version: number;
}

/** The snapshot of an order: its header, match status and totals, without the lines. */
export function purchaseOrderSnapshot(order: PurchaseOrder): PurchaseOrderSnapshot {
  return {
    poNumber: order.poNumber,
    sourcePurchaseOrderId: order.sourcePurchaseOrderId,
    vendorNumber: order.vendorNumber,
    sourceSupplierId: order.sourceSupplierId,
    costCentre: order.costCentre,
    currency: order.currency,
    total: order.total,
    status: order.status,
    matchStatus: order.matchStatus,
    receivedQuantity: order.receivedQuantity,
    invoicedAmount: order.invoicedAmount,
    lineCount: order.lines.length,
    version: order.version,
  };
}
