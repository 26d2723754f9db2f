import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { canonicalCatalog } from '../../../functions/shared/generated/catalog';
import { modelsSince, warehouseModels } from '../../../functions/shared/warehouse/models';
import { openLocalWarehouse, queryObjects } from '../../../local/warehouse/duckdb-warehouse';
import { deliver, erpEvent } from '../../support/warehouse-files';

const t = (minutes: number) => Date.UTC(2026, 10, 27, 10, minutes);
const released = erpEvent(
  'erp.order.credit-released.v1',
  'order/A',
  t(2),
  {
    erpOrderNumber: 'SO-1',
    sourceOrderId: 'A',
    customerNumber: 'C-1',
    releasedBy: 'jane.finance',
    releasedAt: '2026-11-27T10:02:00Z',
  },
  'ev-released',
);

let bucketDir: string;
let connection: DuckDBConnection;

beforeAll(async () => {
  bucketDir = mkdtempSync(path.join(tmpdir(), 'concord-warehouse-'));
  // The invoice arrives before the hold and the release it follows; the release is delivered twice.
  deliver(bucketDir, '2026-11-27T10:05:00Z', [
    erpEvent('erp.invoice.posted.v1', 'invoice/INV-1', t(3), {
      invoiceNumber: 'INV-1',
      erpOrderNumber: 'SO-1',
      sourceOrderId: 'A',
      customerNumber: 'C-1',
      amount: '100.00',
      tax: '8.00',
      currency: 'USD',
      dueDate: '2026-12-27',
      postedAt: '2026-11-27T10:03:00Z',
    }),
    released,
    erpEvent('erp.order.accepted.v1', 'order/B', t(1), {
      erpOrderNumber: 'SO-2',
      sourceOrderId: 'B',
      customerNumber: 'C-2',
      currency: 'EUR',
      lines: [],
      subtotal: '46.22',
      tax: '3.78',
      total: '50.00',
      acceptedAt: '2026-11-27T10:01:00Z',
    }),
    erpEvent('erp.order.rejected.v1', 'order/C', t(1), {
      sourceOrderId: 'C',
      reasonCode: 'out_of_stock',
      reason: 'TENT-2P: 0 available',
      failedStep: 'ReserveStock',
      compensated: [],
      rejectedAt: '2026-11-27T10:01:00Z',
    }),
    {
      ...erpEvent('commerce.order.placed.v1', 'order/A', t(0), { sourceOrderId: 'A' }),
      source: 'shopify://shop',
    },
  ]);
  deliver(bucketDir, '2026-11-27T10:10:00Z', [
    erpEvent('erp.order.credit-held.v1', 'order/A', t(1), {
      erpOrderNumber: 'SO-1',
      sourceOrderId: 'A',
      customerNumber: 'C-1',
      total: '100.00',
      currency: 'USD',
      availableCredit: '20.00',
      reason: 'credit limit exceeded',
      heldAt: '2026-11-27T10:01:00Z',
    }),
    released,
    erpEvent('erp.order.cancelled.v1', 'order/B', t(3), {
      erpOrderNumber: 'SO-2',
      sourceOrderId: 'B',
      reason: 'customer',
      cancelledAt: '2026-11-27T10:03:00Z',
    }),
    erpEvent('erp.order.amended.v1', 'order/B', t(2), {
      erpOrderNumber: 'SO-2',
      sourceOrderId: 'B',
      erpVersion: 2,
      total: '55.00',
      currency: 'EUR',
      amendedAt: '2026-11-27T10:02:00Z',
    }),
    erpEvent('erp.payment.applied.v1', 'payment/pi_1', t(4), {
      erpPaymentId: 'PAY-1',
      paymentId: 'pi_1',
      invoiceNumber: 'INV-1',
      kind: 'APPLIED',
      amount: '60.00',
      currency: 'USD',
      invoiceStatus: 'PARTIALLY_PAID',
      appliedAt: '2026-11-27T10:04:00Z',
    }),
    erpEvent('erp.payment.applied.v1', 'payment/pi_1', t(5), {
      erpPaymentId: 'PAY-2',
      paymentId: 'pi_1',
      invoiceNumber: 'INV-1',
      kind: 'REFUND',
      amount: '10.00',
      currency: 'USD',
      invoiceStatus: 'PARTIALLY_PAID',
      appliedAt: '2026-11-27T10:05:00Z',
    }),
    erpEvent('erp.customer.synced.v1', 'customer/C-1', t(1), {
      customerNumber: 'C-1',
      crmContactId: 'crm-1',
      appliedFields: ['email'],
      refusedFields: [],
      syncedAt: '2026-11-27T10:01:00Z',
    }),
    erpEvent('erp.customer.synced.v1', 'customer/C-1', t(6), {
      customerNumber: 'C-1',
      crmContactId: 'crm-1',
      appliedFields: ['phone', 'email'],
      refusedFields: ['creditLimit'],
      syncedAt: '2026-11-27T10:06:00Z',
    }),
  ]);
  connection = await openLocalWarehouse(bucketDir);
});

afterAll(() => {
  connection?.closeSync();
  rmSync(bucketDir, { recursive: true, force: true });
});

const rows = (sql: string) => queryObjects(connection, sql);

describe('warehouse models on DuckDB', () => {
  it('keeps each authoritative event once, however often it was delivered, and nothing the SaaS platforms sent', async () => {
    expect(await rows("select count(*) as n from raw_events where id = 'ev-released'")).toEqual([{ n: '2' }]);
    expect(await rows("select count(*) as n from erp_events where event_id = 'ev-released'")).toEqual([
      { n: '1' },
    ]);
    expect(await rows("select count(*) as n from erp_events where event_type like 'commerce.%'")).toEqual([
      { n: '0' },
    ]);
  });

  it('gives each order the state of its latest entity version, whatever order the events arrived in', async () => {
    expect(
      await rows(
        'select source_order_id, erp_order_number, customer_number, status, total, currency from orders order by 1',
      ),
    ).toEqual([
      {
        source_order_id: 'A',
        erp_order_number: 'SO-1',
        customer_number: 'C-1',
        status: 'INVOICED',
        total: '100.0000',
        currency: 'USD',
      },
      // Amended to 55.00, then cancelled: the cancellation states no total, the amendment's stays.
      {
        source_order_id: 'B',
        erp_order_number: 'SO-2',
        customer_number: 'C-2',
        status: 'CANCELLED',
        total: '55.0000',
        currency: 'EUR',
      },
    ]);
    expect(
      await rows(
        "select event_type, status from order_status_history where source_order_id = 'A' order by entity_version",
      ),
    ).toEqual([
      { event_type: 'erp.order.credit-held.v1', status: 'CREDIT_HOLD' },
      { event_type: 'erp.order.credit-released.v1', status: 'ACCEPTED' },
      { event_type: 'erp.invoice.posted.v1', status: 'INVOICED' },
    ]);
    // An order rejected before the ERP booked it has a history and no order row.
    expect(await rows("select status, reason from order_status_history where source_order_id = 'C'")).toEqual(
      [{ status: 'REJECTED', reason: 'TENT-2P: 0 available' }],
    );
  });

  it('carries lineage on every row: correlation id, source event id, event id, entity version, load time', async () => {
    expect(
      await rows(
        "select correlation_id, source_event_id, event_id, entity_version, loaded_at from orders where source_order_id = 'B'",
      ),
    ).toEqual([
      {
        correlation_id: 'corr-order/B',
        source_event_id: 'saas-order/B',
        event_id: expect.any(String),
        entity_version: String(t(3)),
        loaded_at: '2026-11-27 10:10:00',
      },
    ]);
    // The release was delivered at 10:05 and again at 10:10: its load time is the first delivery's.
    expect(await rows("select loaded_at from erp_events where event_id = 'ev-released'")).toEqual([
      { loaded_at: '2026-11-27 10:05:00' },
    ]);
  });

  it('nets refunds against the invoice, and keeps the invoice status the latest payment left', async () => {
    expect(
      await rows('select invoice_number, amount, paid_amount, status, source_order_id from invoices'),
    ).toEqual([
      {
        invoice_number: 'INV-1',
        amount: '100.0000',
        paid_amount: '50.0000',
        status: 'PARTIALLY_PAID',
        source_order_id: 'A',
      },
    ]);
    expect(await rows('select erp_payment_id, kind, amount from payments order by 1')).toEqual([
      { erp_payment_id: 'PAY-1', kind: 'APPLIED', amount: '60.0000' },
      { erp_payment_id: 'PAY-2', kind: 'REFUND', amount: '10.0000' },
    ]);
  });

  it('reads only the partitions delivered since a day when asked to, with the same SQL', async () => {
    expect(await rows(`${modelsSince('2026-11-27')}select count(*) as n from orders`)).toEqual([{ n: '2' }]);
    expect(await rows(`${modelsSince('2026-11-28')}select count(*) as n from orders`)).toEqual([{ n: '0' }]);
    expect(() => modelsSince("2026-11-28' OR true")).toThrow('not a yyyy-MM-dd date');
  });

  it('keeps the latest synchronisation of each customer', async () => {
    expect(await rows('select customer_number, applied_fields, refused_fields from customers')).toEqual([
      { customer_number: 'C-1', applied_fields: '["phone","email"]', refused_fields: '["creditLimit"]' },
    ]);
  });

  it('hashes personal data: who released a credit hold is a SHA-256, never the name', async () => {
    const [row] = await rows(
      "select released_by_hash from order_status_history where event_id = 'ev-released'",
    );
    expect(row?.released_by_hash).toBe(createHash('sha256').update('jane.finance').digest('hex'));
    const everything = JSON.stringify(await rows('select * from order_status_history'));
    expect(everything).not.toContain('jane.finance');
  });

  it('reads every x-pii field of an ERP event only through the hash', () => {
    const sql = warehouseModels.map((model) => model.sql).join('\n');
    const piiFields = Object.values(canonicalCatalog)
      .filter((info) => info.type.startsWith('erp.'))
      .flatMap((info) => info.piiPaths);
    expect(piiFields).toContain('releasedBy');
    for (const field of piiFields) {
      const read = `json_extract_scalar(data, '$.${field}')`;
      expect({ field, reads: sql.split(read).length - 1 }).toEqual({
        field,
        reads: sql.split(`lower(to_hex(sha256(to_utf8(${read}))))`).length - 1,
      });
    }
    expect(sql).toContain("lower(to_hex(sha256(to_utf8(json_extract_scalar(data, '$.releasedBy')))))");
  });
});

describe('one SQL for Athena and DuckDB', () => {
  it('produces exactly the columns and types each model declares to Glue', async () => {
    const duckdbType = {
      string: 'VARCHAR',
      bigint: 'BIGINT',
      'decimal(19,4)': 'DECIMAL(19,4)',
      timestamp: 'TIMESTAMP',
    };
    for (const model of warehouseModels) {
      const described = await rows(`describe ${model.name}`);
      expect({
        model: model.name,
        columns: described.map((column) => `${column.column_name} ${column.column_type}`),
      }).toEqual({
        model: model.name,
        columns: model.columns.map((column) => `${column.name} ${duckdbType[column.type]}`),
      });
    }
  });

  it('calls only Trino functions that DuckDB has with the same meaning, or that dialect.ts bridges', () => {
    // Checked against the Trino 4xx function reference Athena engine 3 follows.
    const sameOnBoth = [
      'coalesce',
      'concat',
      'greatest',
      'lower',
      'max',
      'max_by',
      'min',
      'regexp_extract',
      'replace',
      'row_number',
      'substr',
      'sum',
      'to_hex',
      'json_extract',
    ];
    const bridged = ['json_extract_scalar', 'json_format', 'from_iso8601_timestamp', 'to_utf8', 'sha256'];
    const keywords = new Set([
      'as',
      'in',
      'over',
      'filter',
      'and',
      'or',
      'not',
      'from',
      'select',
      'where',
      'cast',
      'decimal',
      'join',
      'on',
      'by',
      'then',
      'else',
      'end',
      'when',
      'case',
      'is',
      'null',
      'like',
    ]);
    const called = new Set(
      warehouseModels.flatMap((model) =>
        [...model.sql.matchAll(/\b([a-z_][a-z0-9_]*)\s*\(/gi)]
          .map((match) => (match[1] as string).toLowerCase())
          .filter((name) => !keywords.has(name) && !warehouseModels.some((other) => other.name === name)),
      ),
    );
    expect([...called].filter((name) => !sameOnBoth.includes(name) && !bridged.includes(name))).toEqual([]);
  });

  it('answers the bridged functions as Trino does', async () => {
    expect(
      await rows(`select lower(to_hex(sha256(to_utf8('a')))) as hash,
        json_extract_scalar('{"a":{"b":1},"c":"x"}', '$.a') as object_scalar,
        json_extract_scalar('{"a":{"b":1},"c":"x"}', '$.c') as text_scalar,
        json_format(json_extract('{"a":["x","y"]}', '$.a')) as formatted,
        CAST(from_iso8601_timestamp('2026-11-27T11:00:00.123+01:00') AS TIMESTAMP) as utc`),
    ).toEqual([
      {
        // Trino: lower(to_hex(sha256(to_utf8('a')))).
        hash: 'ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb',
        object_scalar: null,
        text_scalar: 'x',
        formatted: '["x","y"]',
        utc: '2026-11-27 10:00:00.123',
      },
    ]);
  });
});

describe('the orders model when the events disagree', () => {
  let oddDir: string;
  let odd: DuckDBConnection;
  const accepted = (order: string, minute: number, total: string | null = '100.00') =>
    erpEvent('erp.order.accepted.v1', `order/${order}`, t(minute), {
      erpOrderNumber: `SO-${order}`,
      sourceOrderId: order,
      customerNumber: 'C-1',
      currency: total === null ? null : 'USD',
      lines: [],
      subtotal: total,
      tax: '0.00',
      total,
      acceptedAt: '2026-11-27T10:00:00Z',
    });
  const rejected = (order: string, minute: number, extra: Record<string, unknown> = {}) =>
    erpEvent('erp.order.rejected.v1', `order/${order}`, t(minute), {
      sourceOrderId: order,
      reasonCode: 'ErpUnavailableError',
      reason: 'HTTP 504',
      compensated: ['ReleaseInventory'],
      rejectedAt: '2026-11-27T10:00:00Z',
      ...extra,
    });
  const amended = (order: string, minute: number) =>
    erpEvent('erp.order.amended.v1', `order/${order}`, t(minute), {
      erpOrderNumber: `SO-${order}`,
      sourceOrderId: order,
      erpVersion: 2,
      total: '55.00',
      currency: 'EUR',
      amendedAt: '2026-11-27T10:00:00Z',
    });
  const cancelled = (order: string, minute: number) =>
    erpEvent('erp.order.cancelled.v1', `order/${order}`, t(minute), {
      erpOrderNumber: `SO-${order}`,
      sourceOrderId: order,
      reason: 'other',
      cancelledAt: '2026-11-27T10:00:00Z',
    });

  beforeAll(async () => {
    // Prepare
    oddDir = mkdtempSync(path.join(tmpdir(), 'concord-warehouse-odd-'));
    deliver(oddDir, '2026-11-27T10:05:00Z', [
      // Announced as rejected after an HTML 504, while the ERP had booked it; then amended.
      rejected('R', 1),
      amended('R', 2),
      // Rejected after booking, its compensation cancelled the order; the cancellation's event is lost.
      accepted('X', 1),
      rejected('X', 3, { erpOrderNumber: 'SO-X', compensated: ['CancelSalesOrder', 'ReleaseInventory'] }),
      // Rejected, then a re-run of the flow booked it.
      rejected('B', 1),
      accepted('B', 2),
      // Only the amendment, the cancellation or the invoice reached the warehouse.
      amended('M', 2),
      cancelled('K', 2),
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
      // An acceptance that states no total and no currency.
      accepted('N', 1, null),
      // Rejected before the ERP booked anything: no event numbers a document.
      rejected('C', 1),
    ]);
    odd = await openLocalWarehouse(oddDir);
  });

  afterAll(() => {
    odd?.closeSync();
    rmSync(oddDir, { recursive: true, force: true });
  });

  it('gives every order an ERP event numbers a status, from its latest status-bearing change', async () => {
    // Act
    const orders = await queryObjects(
      odd,
      'select source_order_id, erp_order_number, status, total, currency from orders order by 1',
    );

    // Assess
    expect(orders).toEqual([
      {
        source_order_id: 'B',
        erp_order_number: 'SO-B',
        status: 'ACCEPTED',
        total: '100.0000',
        currency: 'USD',
      },
      { source_order_id: 'I', erp_order_number: 'SO-I', status: 'INVOICED', total: null, currency: 'USD' },
      { source_order_id: 'K', erp_order_number: 'SO-K', status: 'CANCELLED', total: null, currency: null },
      {
        source_order_id: 'M',
        erp_order_number: 'SO-M',
        status: 'ACCEPTED',
        total: '55.0000',
        currency: 'EUR',
      },
      { source_order_id: 'N', erp_order_number: 'SO-N', status: 'ACCEPTED', total: null, currency: null },
      {
        source_order_id: 'R',
        erp_order_number: 'SO-R',
        status: 'REJECTED',
        total: '55.0000',
        currency: 'EUR',
      },
      {
        source_order_id: 'X',
        erp_order_number: 'SO-X',
        status: 'CANCELLED',
        total: '100.0000',
        currency: 'USD',
      },
    ]);
  });

  it('keeps a rejection in the history beside the amendment that followed it, which changes no status', async () => {
    // Act
    const history = await queryObjects(
      odd,
      "select event_type, erp_order_number, status from order_status_history where source_order_id = 'R' order by entity_version",
    );

    // Assess
    expect(history).toEqual([
      { event_type: 'erp.order.rejected.v1', erp_order_number: null, status: 'REJECTED' },
      { event_type: 'erp.order.amended.v1', erp_order_number: 'SO-R', status: null },
    ]);
  });

  it('answers the same orders when read over the partitions since a day', async () => {
    // Act
    const since = await queryObjects(
      odd,
      `${modelsSince('2026-11-27')}select count(*) as n, count(status) as with_status from orders`,
    );

    // Assess
    expect(since).toEqual([{ n: '7', with_status: '7' }]);
  });
});
