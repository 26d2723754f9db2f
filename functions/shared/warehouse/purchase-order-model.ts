/** The warehouse's purchase-order model: each ERP purchase order with its status and three-way match, from the ERP's events. */
import { latestBy, latestLineageBy, lineage, lineageSelect, text } from './model-sql';
import type { WarehouseModel } from './models';

/** The event types that carry the order's snapshot (`data.purchaseOrder`), each at the order's ERP version. */
const snapshotEvents = [
  'erp.purchase-order.released.v1',
  'erp.purchase-order.refused.v1',
  'erp.goods-receipt.recorded.v1',
  'erp.supplier-invoice.recorded.v1',
  'erp.purchase-order.match-updated.v1',
];

/**
 * The `purchase_orders` model. One row per ERP purchase order, every column from the order's latest ERP version
 * (`erp_version`), so an event delivered late (a receipt relayed after the invoice that followed it) never turns the
 * match back. A refusal before any order was booked has no snapshot and no row: the ERP holds nothing for it.
 */
export function purchaseOrdersModel(): WarehouseModel {
  const latest = latestBy('erp_version');
  const plain = [
    'source_purchase_order_id',
    'vendor_number',
    'source_supplier_id',
    'cost_centre',
    'currency',
    'total',
    'status',
    'match_status',
    'received_quantity',
    'invoiced_amount',
  ];
  return {
    name: 'purchase_orders',
    description:
      'Each ERP purchase order as the ERP last announced it: released or cancelled, and its three-way match of order, goods receipts and supplier invoices.',
    columns: [
      { name: 'po_number', type: 'string', comment: "the ERP's purchase order number" },
      {
        name: 'source_purchase_order_id',
        type: 'string',
        comment: "the order's id at the procurement platform",
      },
      { name: 'vendor_number', type: 'string', comment: "the ERP's vendor" },
      {
        name: 'source_supplier_id',
        type: 'string',
        comment: "the supplier's id at the procurement platform",
      },
      { name: 'cost_centre', type: 'string', comment: 'the ERP cost centre the order is charged to' },
      { name: 'currency', type: 'string', comment: 'ISO 4217' },
      { name: 'total', type: 'decimal(19,4)', comment: "the order's total as the ERP computed it" },
      { name: 'status', type: 'string', comment: 'OPEN, RELEASED (budget committed) or CANCELLED' },
      {
        name: 'match_status',
        type: 'string',
        comment: 'awaiting-receipt, awaiting-invoice, price-mismatch, quantity-mismatch or matched',
      },
      { name: 'received_quantity', type: 'bigint', comment: 'units received over every line' },
      { name: 'invoiced_amount', type: 'decimal(19,4)', comment: 'the supplier invoices booked against it' },
      {
        name: 'erp_version',
        type: 'bigint',
        comment: "the order's version in the ERP, which orders the rows",
      },
      { name: 'updated_at', type: 'timestamp', comment: 'the latest ERP event about the order' },
      ...lineage,
    ],
    sql: `SELECT po_number, ${plain.map(latest).join(', ')},
  max(erp_version) AS erp_version, max(event_time) AS updated_at,
  ${latestLineageBy('erp_version')}
FROM (
  SELECT ${text('purchaseOrder.poNumber')} AS po_number,
    ${text('purchaseOrder.sourcePurchaseOrderId')} AS source_purchase_order_id,
    ${text('purchaseOrder.vendorNumber')} AS vendor_number, ${text('purchaseOrder.sourceSupplierId')} AS source_supplier_id,
    ${text('purchaseOrder.costCentre')} AS cost_centre, ${text('purchaseOrder.currency')} AS currency,
    CAST(${text('purchaseOrder.total')} AS DECIMAL(19,4)) AS total, ${text('purchaseOrder.status')} AS status,
    ${text('purchaseOrder.matchStatus')} AS match_status,
    CAST(${text('purchaseOrder.receivedQuantity')} AS BIGINT) AS received_quantity,
    CAST(${text('purchaseOrder.invoicedAmount')} AS DECIMAL(19,4)) AS invoiced_amount,
    CAST(${text('purchaseOrder.version')} AS BIGINT) AS erp_version,
    event_time, ${lineageSelect}
  FROM erp_events
  WHERE event_type IN (${snapshotEvents.map((type) => `'${type}'`).join(', ')})
    AND ${text('purchaseOrder.poNumber')} IS NOT NULL
) snapshots
GROUP BY po_number`,
  };
}
