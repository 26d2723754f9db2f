import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { runReconciliation } from '../../../functions/reconcile/run-reconciliation';
import type { PurchaseOrder } from '../../../functions/shared/erp/erp-purchasing-port';
import { duckdbWarehouseQuery, openLocalWarehouse } from '../../../local/warehouse/duckdb-warehouse';
import { deliver, erpEvent } from '../../support/warehouse-files';

const t = (minutes: number) => Date.UTC(2026, 10, 27, 10, minutes);
const window = { from: new Date('2026-11-27T00:00:00Z'), to: new Date('2026-11-28T00:00:00Z') };
const at = (minutes: number) => new Date(t(minutes)).toISOString();

const approved = (key: string, minute: number, total: string, id: string) => ({
  ...erpEvent(
    'procurement.purchase-order.created.v1',
    `purchase-order/${key}`,
    t(minute),
    {
      sourcePurchaseOrderId: key,
      sourceCompanyId: 'co',
      sourceSupplierId: 'sup-1',
      costCentre: 'CC-1000',
      currency: 'EUR',
      total,
      lines: [{ description: 'Chairs', quantity: 1, unitPrice: total }],
    },
    id,
  ),
  source: 'spendesk://co',
});
const order = (key: string, fields: Partial<PurchaseOrder>): PurchaseOrder => ({
  poNumber: `PO-${key}`,
  sourcePurchaseOrderId: key,
  vendorNumber: 'V-1',
  sourceSupplierId: 'sup-1',
  costCentre: 'CC-1000',
  currency: 'EUR',
  total: '120.00',
  status: 'RELEASED',
  matchStatus: 'awaiting-receipt',
  receivedQuantity: 0,
  invoicedAmount: '0.00',
  lines: [],
  version: 2,
  createdAt: at(1),
  updatedAt: at(2),
  ...fields,
});
/** An ERP event carrying the order's snapshot at its version, announced at the order's change time. */
const announced = (type: string, record: PurchaseOrder, minute: number) =>
  erpEvent(type, `purchase-order/${record.sourcePurchaseOrderId}`, t(minute), {
    sourcePurchaseOrderId: record.sourcePurchaseOrderId,
    poNumber: record.poNumber,
    purchaseOrder: {
      poNumber: record.poNumber,
      sourcePurchaseOrderId: record.sourcePurchaseOrderId,
      vendorNumber: record.vendorNumber,
      sourceSupplierId: record.sourceSupplierId,
      costCentre: record.costCentre,
      currency: record.currency,
      total: record.total,
      status: record.status,
      matchStatus: record.matchStatus,
      receivedQuantity: record.receivedQuantity,
      invoicedAmount: record.invoicedAmount,
      lineCount: 1,
      version: record.version,
    },
  });

// The ERP's orders: a agrees; b's receipt never reached the warehouse; e the ERP totalled otherwise; f never released.
const orders = [
  order('a', { matchStatus: 'matched', version: 4, updatedAt: at(6) }),
  order('b', { matchStatus: 'awaiting-invoice', receivedQuantity: 1, version: 3, updatedAt: at(10) }),
  order('e', { total: '90.00', updatedAt: at(4) }),
  order('f', { status: 'OPEN', version: 1, updatedAt: at(7) }),
];

let bucketDir: string;
let connection: DuckDBConnection;

beforeAll(async () => {
  bucketDir = mkdtempSync(path.join(tmpdir(), 'concord-run-purchase-order-reconciliation-'));
  const [a, b, e] = orders as [PurchaseOrder, PurchaseOrder, PurchaseOrder, PurchaseOrder];
  deliver(bucketDir, '2026-11-27T10:20:00Z', [
    approved('a', 1, '120', 'ev-a'),
    announced('erp.purchase-order.released.v1', { ...a, matchStatus: 'awaiting-receipt', version: 2 }, 2),
    announced('erp.purchase-order.match-updated.v1', a, 6),
    approved('b', 1, '120.00', 'ev-b'),
    announced('erp.purchase-order.released.v1', { ...b, matchStatus: 'awaiting-receipt', version: 2 }, 5),
    // c: approved, never booked, never refused.
    approved('c', 2, '50.00', 'ev-c'),
    // d: approved and refused by rule (a blocked vendor): the ERP holding none is the outcome.
    approved('d', 2, '75.00', 'ev-d'),
    erpEvent('erp.purchase-order.refused.v1', 'purchase-order/d', t(3), {
      sourcePurchaseOrderId: 'd',
      reasonCode: 'vendor_blocked',
      reason: 'the vendor V-1 is blocked',
      compensated: [],
      refusedAt: at(3),
    }),
    approved('e', 1, '100.00', 'ev-e'),
    announced('erp.purchase-order.released.v1', e, 4),
    approved('f', 1, '120.00', 'ev-f'),
  ]);
  connection = await openLocalWarehouse(bucketDir);
});

afterAll(() => {
  connection?.closeSync();
  rmSync(bucketDir, { recursive: true, force: true });
});

describe('runReconciliation (purchase orders)', () => {
  it('reconciles purchase orders three ways, comparing the match, and plans what mends them', async () => {
    // Prepare
    const asked: string[] = [];

    // Act
    const { report, plan } = await runReconciliation(
      {
        warehouse: duckdbWarehouseQuery(connection),
        erp: { listDocuments: async () => [] },
        purchasing: {
          listPurchaseOrders: async (range) => {
            asked.push(`orders ${range?.fromIso}…${range?.toIso}`);
            return orders;
          },
          findPurchaseOrder: async (key) => {
            asked.push(`order ${key}`);
            return orders.find((record) => record.sourcePurchaseOrderId === key);
          },
        },
        now: () => new Date('2026-11-28T03:00:00Z'),
        newId: () => 'rec-po',
        allowedLagMs: 120_000,
      },
      window,
    );

    // Assess
    expect(
      report.mismatches.map(
        (mismatch) => `${mismatch.class} ${mismatch.entity} ${mismatch.key} ${mismatch.erpDocument ?? '-'}`,
      ),
    ).toEqual([
      'fields_differ purchase-order b PO-b',
      'missing_in_erp purchase-order c -',
      'fields_differ purchase-order e PO-e',
      'missing_in_warehouse purchase-order f PO-f',
    ]);
    const [behind, , totalled] = report.mismatches;
    expect(behind?.fields).toEqual([
      { field: 'matchStatus', personal: false, erp: 'awaiting-invoice', warehouse: 'awaiting-receipt' },
      { field: 'version', personal: false, erp: '3', warehouse: '2' },
    ]);
    expect(totalled?.fields).toEqual([{ field: 'total', personal: false, saas: '100.00', erp: '90.00' }]);
    // The refused d is read by key (no ERP order), c too; neither is in the listing.
    expect(asked).toEqual(['orders 2026-11-26T00:00:00.000Z…2026-11-29T00:00:00.000Z', 'order c', 'order d']);
    expect(report.totals['purchase-order']).toEqual({
      saas: { count: 6, sums: { EUR: '585.00' } },
      erp: { count: 4, sums: { EUR: '450.00' } },
      warehouse: { count: 3, sums: { EUR: '330.00' } },
    });
    expect(
      plan.republish.map((entry) => `${entry.entity} ${entry.key} ${entry.events.map((event) => event.id)}`),
    ).toEqual(['purchase-order c ev-c']);
    expect(plan.archiveReplays).toEqual([
      { target: 'warehouse', from: at(3), to: at(12), documents: ['purchase-order:PO-b'] },
    ]);
    expect(plan.review.map((entry) => `${entry.class} ${entry.key}: ${entry.detail}`)).toEqual([
      expect.stringMatching(/^fields_differ e: .*differ on total: the ERP answers a replayed order/),
      expect.stringMatching(/^missing_in_warehouse f: .*never released/),
    ]);
  });
});
