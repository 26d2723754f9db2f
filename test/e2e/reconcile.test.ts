import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ListQueuesCommand } from '@aws-sdk/client-sqs';
import type { HttpErpConnector } from '../../functions/shared/erp/http-erp-connector';
import type { ReconciliationReport } from '../../functions/shared/reconciliation/report';
import {
  localWarehouseBucketDir,
  openLocalWarehouse,
  queryObjects,
} from '../../local/warehouse/duckdb-warehouse';
import { concord } from './support/concord-cli';
import { drainQueue, observeBus, postShopifyOrder, startPlatformWithErp } from './support/deployed-platform';
import { eventually } from './support/eventually';
import { shopifyOrder } from './support/shopify-orders';

/**
 * Three orders through order-to-cash at real speed (the bus archive stamps events with the runtime's clock, which
 * must agree with the ERP's for an archive replay), then the warehouse and the ERP are made to disagree.
 */
describe('three-way reconciliation on the embedded runtime', () => {
  let running: Awaited<ReturnType<typeof startPlatformWithErp>>;
  let erp: HttpErpConnector;
  let dataDir: string;
  const planFile = path.join(tmpdir(), `concord-plan-${process.pid}.json`);
  const booked = shopifyOrder({ lines: [{ sku: 'TR-42-SLATE', quantity: 1, price: '89.99' }] });
  const outOfStock = shopifyOrder({ lines: [{ sku: 'TENT-2P', quantity: 3, price: '349.00' }] });
  const adjusted = shopifyOrder({ lines: [{ sku: 'SOCK-MER-M', quantity: 2, price: '39.99' }] });
  // A window around the test; the runtime and the ERP stamp times with the same clock here.
  const window = () => ['--since', '1h', '--until', new Date(Date.now() + 3_600_000).toISOString()];

  async function reconcile(...extra: string[]): Promise<{ code: number; report: ReconciliationReport }> {
    const { code, stdout, stderr } = await concord([
      'reconcile',
      ...window(),
      '--data-dir',
      dataDir,
      '--erp-url',
      running.erpUrl,
      '--lag',
      '0s',
      '--json',
      ...extra,
    ]);
    if (code !== 0 && code !== 2) throw new Error(`concord reconcile failed (${code}): ${stderr}`);
    return { code, report: JSON.parse(stdout) as ReconciliationReport };
  }

  const classes = (report: ReconciliationReport) =>
    report.mismatches.map((mismatch) => `${mismatch.class} ${mismatch.entity} ${mismatch.key}`);

  async function warehouse(sql: string) {
    const connection = await openLocalWarehouse(localWarehouseBucketDir(dataDir));
    try {
      return await queryObjects(connection, sql);
    } finally {
      connection.closeSync();
    }
  }

  /** Waits for the stream to deliver, until the warehouse holds `count` rows of `sql`'s answer. */
  async function delivered(sql: string, count: number) {
    return eventually(
      async () => {
        const rows = await warehouse(sql).catch(() => []);
        return rows.length >= count ? rows : undefined;
      },
      150_000,
      500,
    );
  }

  async function invoiceOf(order: { id: number }) {
    return eventually(
      async () => {
        const [invoice] = await erp.listDocuments({ type: 'invoice', externalRef: String(order.id) });
        return invoice;
      },
      30_000,
      500,
    );
  }

  beforeAll(async () => {
    running = await startPlatformWithErp();
    dataDir = running.platform.runtime.options.dataDir;
    erp = running.erp;
    const secret = running.secrets.shopify?.[0] as string;
    for (const order of [booked, outOfStock, adjusted])
      expect((await postShopifyOrder(running.platform.apiUrl, secret, JSON.stringify(order))).status).toBe(
        202,
      );
    await invoiceOf(booked);
    await invoiceOf(adjusted);
    // Accepted and invoiced for two orders, and the rejection of the third.
    await delivered(
      "select event_id from erp_events where event_type in ('erp.order.accepted.v1', 'erp.invoice.posted.v1', 'erp.order.rejected.v1')",
      5,
    );
  }, 240_000);

  afterAll(async () => {
    rmSync(planFile, { force: true });
    await running?.stop();
  });

  it('shows in the warehouse models exactly what the ERP booked, and names the order the ERP never booked', async () => {
    // Act
    const { code, report } = await reconcile();
    // Assert
    const documents = await erp.listDocuments({});
    const orders = await warehouse(
      'select erp_order_number, source_order_id, status, total, currency from orders',
    );
    const invoices = await warehouse(
      'select invoice_number, source_order_id, status, amount, currency from invoices',
    );
    const asDecimal = (amount: string) => Number(amount).toFixed(4);
    expect(
      orders.sort((a, b) => String(a.erp_order_number).localeCompare(String(b.erp_order_number))),
    ).toEqual(
      documents
        .filter((document) => document.type === 'sales-order')
        .map((document) => ({
          erp_order_number: document.number,
          source_order_id: document.externalRef,
          status: document.status,
          total: asDecimal(document.amount),
          currency: document.currency,
        })),
    );
    expect(invoices.sort((a, b) => String(a.invoice_number).localeCompare(String(b.invoice_number)))).toEqual(
      documents
        .filter((document) => document.type === 'invoice')
        .map((document) => ({
          invoice_number: document.number,
          source_order_id: document.externalRef,
          status: document.status,
          amount: asDecimal(document.amount),
          currency: document.currency,
        })),
    );
    expect(code).toBe(2);
    expect(classes(report)).toEqual([`missing_in_erp order ${outOfStock.id}`]);
    expect(report.totals.order).toMatchObject({
      saas: { count: 3 },
      erp: { count: 2 },
      warehouse: { count: 2 },
    });
  });

  it('names exactly what a lost warehouse file and a by-hand ERP change make differ', async () => {
    // Prepare: the invoices' delivered file is lost; finance adjusts an order's total in the ERP.
    const invoiceDir = path.join(
      localWarehouseBucketDir(dataDir),
      'events',
      'event_type=erp.invoice.posted.v1',
    );
    rmSync(invoiceDir, { recursive: true });
    const [adjustedOrder] = await erp.listDocuments({
      type: 'sales-order',
      externalRef: String(adjusted.id),
    });
    await running.erpAdmin.adjustOrderTotal(String(adjustedOrder?.number), '1.00');
    const invoices = [(await invoiceOf(booked)).number, (await invoiceOf(adjusted)).number];

    // Act
    const { report } = await reconcile('--plan-out', planFile);

    // Assert
    expect(classes(report)).toEqual(
      [
        `missing_in_warehouse invoice ${invoices[0]}`,
        `missing_in_warehouse invoice ${invoices[1]}`,
        `status_differs order ${booked.id}`,
        `missing_in_erp order ${outOfStock.id}`,
        `amount_differs order ${adjusted.id}`,
        `status_differs order ${adjusted.id}`,
      ].sort((a, b) => {
        const [classA, entityA, keyA] = a.split(' ');
        const [classB, entityB, keyB] = b.split(' ');
        return (
          String(entityA).localeCompare(String(entityB)) ||
          String(keyA).localeCompare(String(keyB)) ||
          String(classA).localeCompare(String(classB))
        );
      }),
    );
    expect(report.mismatches.find((mismatch) => mismatch.class === 'amount_differs')?.detail).toMatch(
      /^the ERP says 1\.00 USD, the warehouse says 8\d\.\d+ USD$/,
    );
  });

  it('runs the same comparison in the Reconcile function, which announces it and queues each mismatch', async () => {
    // Prepare
    const observer = await observeBus(running.clients, 'reconciliations', {
      source: ['concord.governance'],
    });
    const { QueueUrls = [] } = await running.clients.sqs.send(
      new ListQueuesCommand({ QueueNamePrefix: 'Concord-local-Stateful-ExceptionsQueue' }),
    );
    await drainQueue(running.clients.sqs, QueueUrls[0] as string);

    // Act
    const { code, stdout } = await concord(['reconcile', '--function', ...window(), '--json'], {
      CONCORD_EDGE_PORT: new URL(running.platform.runtime.endpoint).port,
    });

    // Assert: the same documents; the function allows the stream two minutes, so the youngest count as stale.
    expect(code).toBe(2);
    const report = JSON.parse(stdout) as ReconciliationReport;
    const local = (await reconcile()).report;
    const keys = (mismatches: ReconciliationReport['mismatches']) => [
      ...new Set(mismatches.map((mismatch) => `${mismatch.entity} ${mismatch.key}`)),
    ];
    expect(keys(report.mismatches)).toEqual(keys(local.mismatches));
    const count = report.mismatches.length;
    const [completed] = (await eventually(async () => {
      const events = await drainQueue(running.clients.sqs, observer);
      return events.length > 0 ? events : undefined;
    }, 30_000)) as {
      'detail-type': string;
      detail: { data: { mismatchCount: number; reconciliationId: string } };
    }[];
    expect(completed?.['detail-type']).toBe('governance.reconciliation.completed.v1');
    expect(completed?.detail.data).toMatchObject({ mismatchCount: count, reconciliationId: report.id });
    const queued = (await drainQueue(running.clients.sqs, QueueUrls[0] as string)) as {
      kind: string;
      reconciliationId: string;
    }[];
    expect(
      queued.filter(
        (message) => message.kind === 'reconciliation-mismatch' && message.reconciliationId === report.id,
      ),
    ).toHaveLength(count);
  }, 90_000);

  it('is clean once the replay plan ran and finance reverted its adjustment', async () => {
    // Prepare: the stock the third order lacked arrives.
    await running.erpAdmin.receiveStock('TENT-2P', 10);

    // Act
    const replay = await concord(
      ['replay', '--plan', planFile, '--reason', 'reconciliation test', '--yes', '--json'],
      {
        CONCORD_EDGE_PORT: new URL(running.platform.runtime.endpoint).port,
      },
    );

    // Assert: the order is booked, the invoices are back; only the by-hand change remains, and no replay mends it.
    expect(replay.code).toBe(0);
    expect(JSON.parse(replay.stdout)).toMatchObject({
      republished: 1,
      archiveReplays: [{ state: 'COMPLETED' }],
    });
    await invoiceOf(outOfStock);
    await delivered('select invoice_number from invoices', 3);
    const afterReplay = await reconcile();
    expect(classes(afterReplay.report)).toEqual([`amount_differs order ${adjusted.id}`]);

    const [adjustedOrder] = await erp.listDocuments({
      type: 'sales-order',
      externalRef: String(adjusted.id),
    });
    const [adjustedInvoice] = await erp.listDocuments({ type: 'invoice', externalRef: String(adjusted.id) });
    await running.erpAdmin.adjustOrderTotal(String(adjustedOrder?.number), String(adjustedInvoice?.amount));
    const clean = await reconcile();
    expect(clean.report.mismatches).toEqual([]);
    expect(clean.code).toBe(0);
    expect(clean.report.totals.invoice.erp).toEqual(clean.report.totals.invoice.warehouse);
  }, 300_000);

  it('refuses a plan file that is not a plan, before it reaches the stage', async () => {
    const bad = path.join(tmpdir(), `concord-not-a-plan-${process.pid}.json`);
    writeFileSync(bad, JSON.stringify({ kind: 'something-else' }));
    // No endpoint answers on this port: the plan is refused before anything is asked of a stage.
    const { code, stderr } = await concord(['replay', '--plan', bad, '--reason', 'x'], {
      CONCORD_EDGE_PORT: '9',
    });
    rmSync(bad);
    expect(code).toBe(1);
    expect(stderr).toContain('not a replay plan');
  });
});
