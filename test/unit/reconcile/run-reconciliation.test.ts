import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { runReconciliation } from '../../../functions/reconcile/run-reconciliation';
import type { ErpDocument } from '../../../functions/shared/erp/erp-port';
import { duckdbWarehouseQuery, openLocalWarehouse } from '../../../local/warehouse/duckdb-warehouse';
import { deliver, erpEvent } from '../../support/warehouse-files';

const t = (minutes: number) => Date.UTC(2026, 10, 27, 10, minutes);
const window = { from: new Date('2026-11-27T00:00:00Z'), to: new Date('2026-11-28T00:00:00Z') };
const placed = (order: string, id: string, data: Record<string, unknown> = { sourceOrderId: order }) => ({
  ...erpEvent('commerce.order.placed.v1', `order/${order}`, t(0), data, id),
  source: 'shopify://shop',
});
const accepted = (order: string, total: string) =>
  erpEvent('erp.order.accepted.v1', `order/${order}`, t(1), {
    erpOrderNumber: `SO-${order}`,
    sourceOrderId: order,
    customerNumber: 'C-1',
    currency: 'USD',
    lines: [],
    subtotal: total,
    tax: '0.00',
    total,
    acceptedAt: '2026-11-27T10:01:00Z',
  });

function salesOrder(order: string, status: string, amount: string): ErpDocument {
  return {
    type: 'sales-order',
    number: `SO-${order}`,
    externalRef: order,
    status,
    currency: 'USD',
    amount,
    createdAt: '2026-11-27T10:01:00.000Z',
    updatedAt: '2026-11-27T10:01:00.000Z',
  };
}

let bucketDir: string;
let connection: DuckDBConnection;

beforeAll(async () => {
  bucketDir = mkdtempSync(path.join(tmpdir(), 'concord-run-reconciliation-'));
  deliver(bucketDir, '2026-11-27T10:05:00Z', [
    placed('1', 'ev-1'),
    placed('2', 'ev-2'),
    placed('R', 'ev-R'),
    placed('I', 'ev-I'),
    // A SaaS event without the shop's order id: nothing can key it.
    placed('?', 'ev-keyless', { lines: [] }),
    accepted('1', '100.00'),
    accepted('2', '50.00'),
    // Announced as rejected (an HTML 504 after the ERP booked it), then amended.
    erpEvent('erp.order.rejected.v1', 'order/R', t(1), {
      sourceOrderId: 'R',
      reasonCode: 'SyntaxError',
      reason: 'Unexpected token < in JSON',
      compensated: ['ReleaseInventory'],
      rejectedAt: '2026-11-27T10:01:00Z',
    }),
    erpEvent('erp.order.amended.v1', 'order/R', t(2), {
      erpOrderNumber: 'SO-R',
      sourceOrderId: 'R',
      erpVersion: 2,
      total: '55.00',
      currency: 'USD',
      amendedAt: '2026-11-27T10:02:00Z',
    }),
    // An invoice for an order whose own events never reached the warehouse: its order row states no total.
    erpEvent('erp.invoice.posted.v1', 'invoice/INV-9', t(3), {
      invoiceNumber: 'INV-9',
      erpOrderNumber: 'SO-I',
      sourceOrderId: 'I',
      customerNumber: 'C-1',
      amount: '9.00',
      tax: '0.00',
      currency: 'USD',
      dueDate: '2026-12-27',
      postedAt: '2026-11-27T10:03:00Z',
    }),
  ]);
  connection = await openLocalWarehouse(bucketDir);
});

afterAll(() => {
  connection?.closeSync();
  rmSync(bucketDir, { recursive: true, force: true });
});

describe('runReconciliation', () => {
  it('reports a reconciliation with one malformed row and still reconciles the rest', async () => {
    // Prepare
    const documents: ErpDocument[] = [
      salesOrder('1', 'ACCEPTED', '100.00'),
      salesOrder('2', 'ACCEPTED', '60.00'),
      salesOrder('R', 'ACCEPTED', '55.00'),
      salesOrder('I', 'INVOICED', '9.00'),
      {
        ...salesOrder('I', 'OPEN', '9.00'),
        type: 'invoice',
        number: 'INV-9',
        createdAt: '2026-11-27T10:03:00.000Z',
        updatedAt: '2026-11-27T10:03:00.000Z',
      },
    ];

    // Act
    const { report, plan } = await runReconciliation(
      {
        warehouse: duckdbWarehouseQuery(connection),
        erp: { listDocuments: async () => documents },
        now: () => new Date('2026-11-28T03:00:00Z'),
        newId: () => 'rec-1',
        allowedLagMs: 120_000,
      },
      window,
    );

    // Assess
    expect(
      report.mismatches.map((mismatch) => `${mismatch.class} ${mismatch.entity} ${mismatch.key}`),
    ).toEqual([
      'amount_differs order 2',
      'unreadable order ev-keyless',
      'unreadable order I',
      'status_differs order R',
    ]);
    expect(report.mismatches.find((mismatch) => mismatch.key === 'I')).toMatchObject({
      erpDocument: 'SO-I',
      erp: { status: 'INVOICED', amount: '9.00' },
      unreadable: {
        side: 'warehouse',
        reason: 'it has no amount',
        row: { number: 'SO-I', status: 'INVOICED' },
      },
    });
    expect(report.mismatches.find((mismatch) => mismatch.key === 'ev-keyless')).toMatchObject({
      unreadable: { side: 'saas', reason: 'it has no source_order_id', row: { id: 'ev-keyless' } },
    });
    expect(report.mismatches.find((mismatch) => mismatch.key === 'R')?.detail).toBe(
      'the ERP says ACCEPTED, the warehouse says REJECTED',
    );
    expect(report.byClass).toMatchObject({ unreadable: 2, amount_differs: 1, status_differs: 1 });
    // Order 1 and the invoice agree: each counted, none a mismatch.
    expect(report.totals.order.warehouse.count).toBe(3);
    expect(report.totals.invoice).toMatchObject({ erp: { count: 1 }, warehouse: { count: 1 } });
    expect(plan.archiveReplays.flatMap((replay) => replay.documents)).toEqual(['order:SO-I']);
    expect(plan.review.map((item) => `${item.class} ${item.key}`)).toEqual([
      'amount_differs 2',
      'unreadable ev-keyless',
      'status_differs R',
    ]);
  });
});
