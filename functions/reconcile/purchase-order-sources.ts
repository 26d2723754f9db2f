/** The purchase-order kind of record reconciliation: Spendesk's approved orders, the ERP's purchasing, the `purchase_orders` model. */
import { formatDecimal, parseDecimal } from '../shared/decimal';
import type { ErpPurchasingPort, PurchaseOrder } from '../shared/erp/erp-purchasing-port';
import type { MasterFieldSpec } from './master-reconciliation';
import {
  type ErpMasterKind,
  erpRecordKind,
  masterModelSql,
  type SaasMasterKind,
  type WarehouseMasterKind,
} from './master-sources';
import {
  day,
  type ReadRange,
  required,
  sqlText,
  UnreadableRowError,
  type WarehouseQuery,
} from './reconcile-sources';

/**
 * The fields a purchase order is compared on. The platform states the currency and its own total of the lines (the
 * ERP computes its own, which should be the same); the status and the three-way match are the ERP's alone, so only
 * the ERP and the warehouse are compared on them.
 */
export const purchaseOrderFields: readonly MasterFieldSpec[] = [
  { name: 'status', personal: false },
  { name: 'total', personal: false },
  { name: 'currency', personal: false },
  { name: 'matchStatus', personal: false },
];

/** The totals a report sums per currency. */
export const purchaseOrderSums = { amount: 'total', currency: 'currency' } as const;

/** The event types whose `data.purchaseOrder` snapshot the `purchase_orders` model reads (purchase-order-model.ts). */
const snapshotEventTypes = [
  'erp.purchase-order.released.v1',
  'erp.purchase-order.refused.v1',
  'erp.goods-receipt.recorded.v1',
  'erp.supplier-invoice.recorded.v1',
  'erp.purchase-order.match-updated.v1',
];

const refusedEventType = 'erp.purchase-order.refused.v1';

/** An amount in one form whatever its writer ("120", "120.0000" and "120.00" are one total). */
function amountOf(value: string | null | undefined, name: string): string | null {
  if (value === null || value === undefined || value === '') return null;
  try {
    return formatDecimal(parseDecimal(value));
  } catch {
    throw new UnreadableRowError(`its ${name} "${value}" is not a decimal amount`);
  }
}

/** Spendesk's approved purchase orders, as ingest published them: the currency and the total they state. */
export const purchaseOrderSaasKind: SaasMasterKind = {
  entity: 'purchase-order',
  keyName: 'sourcePurchaseOrderId',
  types: { 'procurement.purchase-order.created.v1': 'created' },
  columns: `json_extract_scalar(data, '$.sourcePurchaseOrderId') AS record_key,
  json_extract_scalar(data, '$.currency') AS currency, json_extract_scalar(data, '$.total') AS total`,
  valuesOf(row) {
    const currency = required(row, 'currency');
    if (!/^[A-Z]{3}$/.test(currency))
      throw new UnreadableRowError(`its currency "${currency}" is not ISO 4217`);
    return { currency, total: amountOf(required(row, 'total'), 'total') as string };
  },
};

/** The ERP's purchase orders through its purchasing port. */
export function purchaseOrderErpKind(
  purchasing: Pick<ErpPurchasingPort, 'listPurchaseOrders' | 'findPurchaseOrder'>,
): ErpMasterKind<PurchaseOrder> {
  return erpRecordKind<PurchaseOrder>({
    entity: 'purchase-order',
    listChanged: (range) => purchasing.listPurchaseOrders(range),
    find: (key) => purchasing.findPurchaseOrder(key),
    number: 'poNumber',
    key: 'sourcePurchaseOrderId',
    status: (order) => order.status,
    fields: (order) => ({
      status: order.status ?? null,
      total: amountOf(order.total, 'total'),
      currency: order.currency ?? null,
      matchStatus: order.matchStatus ?? null,
    }),
  });
}

/** The `purchase_orders` model over the order events only: each order at its latest ERP version. */
export const purchaseOrderWarehouseKind: WarehouseMasterKind = {
  entity: 'purchase-order',
  sql: `${masterModelSql('purchase_orders', snapshotEventTypes)}SELECT po_number AS number,
  source_purchase_order_id AS record_key, CAST(erp_version AS VARCHAR) AS version, status, updated_at AS synced_at,
  correlation_id, source_event_id, currency, CAST(total AS VARCHAR) AS total, match_status
FROM purchase_orders`,
  fieldsOf(row) {
    return {
      status: required(row, 'status'),
      total: amountOf(required(row, 'total'), 'total'),
      currency: required(row, 'currency'),
      matchStatus: required(row, 'match_status'),
    };
  },
};

/**
 * The platform orders the ERP refused by rule in the range (vendor unknown or blocked, cost centre closed, budget
 * exceeded), each with the ERP's reason: `procure-to-pay` put each on the exceptions queue, so the ERP holding no
 * order for one is the outcome, not an order missing.
 */
export async function readPurchaseOrderRefusals(
  query: WarehouseQuery,
  range: ReadRange,
): Promise<Map<string, string>> {
  const rows = await query(`SELECT json_extract_scalar(data, '$.sourcePurchaseOrderId') AS record_key,
  json_extract_scalar(data, '$.reasonCode') AS reason_code
FROM raw_events
WHERE event_type = ${sqlText(refusedEventType)}
  AND event_date BETWEEN ${sqlText(day(range.from))} AND ${sqlText(day(range.to))}`);
  const refused = new Map<string, string>();
  for (const row of rows) if (row.record_key) refused.set(row.record_key, row.reason_code ?? 'refused');
  return refused;
}
