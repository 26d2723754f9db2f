import { createHmac } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InvokeCommand, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { ListQueuesCommand } from '@aws-sdk/client-sqs';
import { signWebhook } from '../../cli/webhook-signing';
import { staticErpCredentials } from '../../functions/shared/erp/erp-credentials';
import { HttpErpEmployeeConnector } from '../../functions/shared/erp/http-erp-employee-connector';
import { HttpErpPurchasingConnector } from '../../functions/shared/erp/http-erp-purchasing-connector';
import { HttpErpVendorConnector } from '../../functions/shared/erp/http-erp-vendor-connector';
import type { ReplayPlan } from '../../functions/shared/reconciliation/replay-plan';
import type { ReconciliationReport } from '../../functions/shared/reconciliation/report';
import { sourceDefinitions } from '../../functions/shared/sources/source-registry';
import type { ErpSandbox } from '../../local/erp-sandbox/erp-sandbox-server';
import {
  localWarehouseBucketDir,
  openLocalWarehouse,
  queryObjects,
} from '../../local/warehouse/duckdb-warehouse';
import { concord } from './support/concord-cli';
import { drainQueue, startPlatformWithErp } from './support/deployed-platform';
import { eventually } from './support/eventually';

const supplierId = '5b0f3c2e-6d1a-4f7e-9c31-0d2b8e4a7f10';
const hrisId = '2001';
const plainValues = [
  'greta.lindqvist@nordlicht.example',
  'Greta Lindqvist',
  'jonas.weber@nordlicht.example',
  'Jonas Weber',
  '+49 30 901821',
  'Ines',
  'ines@acme.example',
];
const fixture = (name: string) => readFileSync(path.join(__dirname, '../fixtures/spendesk', name), 'utf8');

/**
 * Suppliers and employees reconciled on the embedded runtime at real speed (the comparison's lag is measured with
 * the runtime's clock against the ERP's): a supplier change the ERP refused, a hire the ERP refused for a cost
 * centre it did not yet have; the plan carried out, then a clean reconciliation. Then a purchase order released
 * through procure-to-pay, which agrees, beside one booked in the ERP by hand and never announced. Last, a goods
 * receipt's stock levels and a price change, which agree once the relay delivered them to the warehouse.
 */
describe('supplier and employee reconciliation on the embedded runtime', () => {
  let running: Awaited<ReturnType<typeof startPlatformWithErp>>;
  let sandbox: ErpSandbox;
  let vendors: HttpErpVendorConnector;
  let employees: HttpErpEmployeeConnector;
  let purchasing: HttpErpPurchasingConnector;
  let dataDir: string;
  const planFile = path.join(tmpdir(), `concord-masters-plan-${process.pid}.json`);
  const window = () => ['--since', '1h', '--until', new Date(Date.now() + 3_600_000).toISOString()];

  async function reconcile(
    ...extra: string[]
  ): Promise<{ code: number; stdout: string; report: ReconciliationReport }> {
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
    return { code, stdout, report: JSON.parse(stdout) as ReconciliationReport };
  }

  /** Rows of `sql` once the warehouse holds `count` of them: the stream's buffer is flushed rather than waited for. */
  async function delivered(sql: string, count: number) {
    return eventually(
      async () => {
        running.platform.runtime.firehose.flushAll();
        const connection = await openLocalWarehouse(localWarehouseBucketDir(dataDir));
        try {
          const rows = await queryObjects(connection, sql).catch(() => []);
          return rows.length >= count ? rows : undefined;
        } finally {
          connection.closeSync();
        }
      },
      60_000,
      500,
    );
  }

  async function postSpendesk(body: string) {
    const signature = createHmac('sha256', running.secrets.spendesk?.[0] as string)
      .update(body)
      .digest('hex');
    const answer = await fetch(`${running.platform.apiUrl}/webhooks/spendesk`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-spendesk-webhook-signature': signature },
      body,
    });
    expect(answer.status).toBe(202);
  }

  async function postBob(payload: object) {
    const body = JSON.stringify(payload);
    const url = `${running.platform.apiUrl}/webhooks/hibob`;
    const answer = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...signWebhook('hmac', running.secrets.hibob?.[0] as string, body, url, {
          signature: sourceDefinitions().hibob?.signature,
        }),
      },
      body,
    });
    expect(answer.status).toBe(202);
  }

  const exceptions: { businessKey?: string }[] = [];

  /** Waits for the exceptions queue to hold a record of the business key. */
  async function exception(businessKey: string) {
    const { QueueUrls = [] } = await running.clients.sqs.send(
      new ListQueuesCommand({ QueueNamePrefix: 'Concord-local-Stateful-ExceptionsQueue' }),
    );
    return eventually(
      async () => {
        exceptions.push(
          ...((await drainQueue(running.clients.sqs, QueueUrls[0] as string)) as { businessKey?: string }[]),
        );
        return exceptions.find((body) => body.businessKey === businessKey);
      },
      30_000,
      500,
    );
  }

  async function admin(route: string, body: unknown, method = 'PUT') {
    const answer = await fetch(`${sandbox.url}${route}`, {
      method,
      headers: {
        authorization: `Bearer ${sandbox.credentials.adminToken}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify(body),
    });
    expect(answer.status).toBe(200);
  }

  beforeAll(async () => {
    running = await startPlatformWithErp();
    sandbox = running.platform.erp as ErpSandbox;
    dataDir = running.platform.runtime.options.dataDir;
    const connection = {
      baseUrl: sandbox.url,
      credentials: staticErpCredentials(sandbox.credentials.apiKeys[0] as string),
    };
    vendors = new HttpErpVendorConnector(connection);
    employees = new HttpErpEmployeeConnector(connection);
    purchasing = new HttpErpPurchasingConnector(connection);

    // A supplier created at Spendesk and booked as a vendor; its next change refused by the ERP, to the exceptions queue.
    await postSpendesk(fixture('suppliers-created.json'));
    await eventually(() => vendors.findVendor(supplierId), 30_000, 300);
    await running.erpAdmin.addFault({ route: '/vendors*', kind: 'refuse', times: 1 });
    await postSpendesk(fixture('suppliers-updated.json'));
    await exception(`supplier/${supplierId}`);
    await running.erpAdmin.clearFaults();
    // A hire into a cost centre the ERP does not have yet: refused, to the exceptions queue.
    await admin(`/_admin/hibob/people/${hrisId}`, {
      companyId: 636192,
      person: {
        firstName: 'Ines',
        surname: 'Tester',
        email: 'ines@acme.example',
        work: { title: 'Analyst', department: 'Finance', costCentre: 'CC-7777' },
      },
    });
    await postBob({
      companyId: 636192,
      type: 'employee.joined',
      triggeredBy: '3332883804594373380',
      triggeredAt: new Date().toISOString().slice(0, 23),
      version: 'v2',
      data: { employeeId: hrisId, effectiveDate: '2026-11-02' },
    });
    await exception(`employee/${hrisId}`);
    await delivered(
      "select id from raw_events where event_type in ('procurement.supplier.created.v1', 'procurement.supplier.changed.v1', 'hr.employee.hired.v1', 'erp.supplier.synced.v1')",
      4,
    );
  }, 120_000);

  afterAll(async () => {
    rmSync(planFile, { force: true });
    await running?.stop();
  });

  it('names the vendor the ERP holds with older values and the employee it lacks, by hash, and plans their replays', async () => {
    // Act
    const { code, stdout, report } = await reconcile('--plan-out', planFile);

    // Assess
    expect(code).toBe(2);
    expect(
      report.mismatches.map((mismatch) => `${mismatch.class} ${mismatch.entity} ${mismatch.key}`),
    ).toEqual([`missing_in_erp employee ${hrisId}`, `fields_differ supplier ${supplierId}`]);
    const supplier = report.mismatches.find((mismatch) => mismatch.entity === 'supplier');
    expect(supplier?.fields?.map((difference) => `${difference.field} ${difference.personal}`)).toEqual([
      'contactName true',
      'contactEmail true',
      'contactPhone true',
      'address false',
    ]);
    for (const difference of supplier?.fields?.filter((field) => field.personal) ?? [])
      for (const side of [difference.saas, difference.erp]) expect(side).toMatch(/^sha256:[0-9a-f]{64}$/);
    for (const value of plainValues) expect(stdout).not.toContain(value);
    const plan = JSON.parse(readFileSync(planFile, 'utf8')) as ReplayPlan;
    expect(
      plan.republish.map(
        (entry) => `${entry.entity} ${entry.key} ${entry.events.map((event) => event.type)}`,
      ),
    ).toEqual([
      `employee ${hrisId} hr.employee.hired.v1`,
      `supplier ${supplierId} procurement.supplier.created.v1,procurement.supplier.changed.v1`,
    ]);
    expect(plan.archiveReplays).toEqual([]);
    expect(report.totals.supplier).toMatchObject({
      saas: { count: 1 },
      erp: { count: 1 },
      warehouse: { count: 1 },
    });
    expect(report.totals.employee).toMatchObject({
      saas: { count: 1 },
      erp: { count: 0 },
      warehouse: { count: 0 },
    });
  });

  it('is clean once the cost centre exists and the plan ran', async () => {
    // Prepare: the controllers open the cost centre the hire named.
    await admin('/_admin/cost-centres/CC-7777', { name: 'Finance Ops', status: 'OPEN' });

    // Act
    const replay = await concord(
      ['replay', '--plan', planFile, '--reason', 'master reconciliation test', '--yes', '--json'],
      {
        CONCORD_EDGE_PORT: new URL(running.platform.runtime.endpoint).port,
      },
    );

    // Assess
    expect(replay.code).toBe(0);
    expect(JSON.parse(replay.stdout)).toMatchObject({ republished: 3, failed: [] });
    const hired = await eventually(() => employees.findEmployee(hrisId), 30_000, 300);
    expect(hired).toMatchObject({ costCentre: 'CC-7777', startDate: '2026-11-02' });
    await eventually(
      async () =>
        (await vendors.findVendor(supplierId))?.contactEmail === 'jonas.weber@nordlicht.example'
          ? true
          : undefined,
      30_000,
      300,
    );
    await delivered("select employee_number from employees where cost_centre = 'CC-7777'", 1);
    await delivered('select vendor_number from suppliers where vendor_version = 2', 1);
    const clean = await reconcile();
    expect(clean.report.mismatches).toEqual([]);
    expect(clean.code).toBe(0);
    expect(clean.report.totals.employee).toMatchObject({
      saas: { count: 1 },
      erp: { count: 1 },
      warehouse: { count: 1 },
    });
  }, 120_000);

  it('reconciles a purchase order procure-to-pay released with the ERP and the warehouse, and names one no event announced', async () => {
    // Prepare: the supplier's vendor gets an order through Spendesk; another is booked in the ERP by hand, never released.
    const orderId = 'po_8f2d4c1a-7b3e-4e9a-a1c5-3d6f0b2e9a41';
    await postSpendesk(fixture('purchase_orders-created.json'));
    await delivered(
      `select po_number from purchase_orders where source_purchase_order_id = '${orderId}' and status = 'RELEASED'`,
      1,
    );
    const byHand = await purchasing.createPurchaseOrder(
      {
        sourcePurchaseOrderId: 'po_by_hand_1',
        sourceSupplierId: supplierId,
        costCentre: 'CC-1000',
        currency: 'EUR',
        lines: [{ description: 'Desk', quantity: 1, unitPrice: '400.00' }],
      },
      'reconcile-masters:po_by_hand_1',
    );

    // Act
    const { code, report } = await reconcile('--plan-out', planFile);

    // Assess
    expect(code).toBe(2);
    expect(
      report.mismatches.map(
        (mismatch) => `${mismatch.class} ${mismatch.entity} ${mismatch.key} ${mismatch.records?.erp?.status}`,
      ),
    ).toEqual(['missing_in_warehouse purchase-order po_by_hand_1 OPEN']);
    expect(report.mismatches[0]?.erpDocument).toBe(byHand.poNumber);
    expect(report.totals['purchase-order']).toEqual({
      saas: { count: 1, sums: { EUR: '1890.00' } },
      erp: { count: 2, sums: { EUR: '2290.00' } },
      warehouse: { count: 1, sums: { EUR: '1890.00' } },
    });
    const plan = JSON.parse(readFileSync(planFile, 'utf8')) as ReplayPlan;
    expect(plan.republish).toEqual([]);
    expect(plan.archiveReplays).toEqual([]);
    expect(plan.review).toEqual([
      expect.objectContaining({
        entity: 'purchase-order',
        key: 'po_by_hand_1',
        detail: expect.stringMatching(/never released/),
      }),
    ]);
  }, 90_000);

  it('reconciles the stock levels of a goods receipt and a price change with the warehouse once delivered', async () => {
    // Prepare: a two-line receipt and a new EUR price of a catalogue item, announced through the ERP's outbox.
    await admin(
      '/_admin/stock-movements',
      {
        reference: 'GR-RECONCILE-1',
        lines: [
          { sku: 'TR-42-SLATE', locationId: 'BER-1', quantity: 6 },
          { sku: 'TR-42-SLATE', locationId: 'HAM-1', quantity: 2 },
        ],
      },
      'POST',
    );
    await admin('/_admin/items/TR-42-SLATE/prices/EUR', { amount: '119.90' });
    // The relay run now, as its one-minute schedule would, only sooner.
    const { Functions = [] } = await running.clients.lambda.send(new ListFunctionsCommand({}));
    const relay = Functions.find((fn) => fn.FunctionName?.includes('ErpOutboxRelay'))?.FunctionName;
    const relayed = await running.clients.lambda.send(
      new InvokeCommand({ FunctionName: relay, Payload: Buffer.from('{}') }),
    );
    expect(relayed.FunctionError).toBeUndefined();
    await delivered("select location_id from stock_levels where sku = 'TR-42-SLATE'", 2);
    await delivered("select currency from item_prices where sku = 'TR-42-SLATE' and currency = 'EUR'", 1);

    // Act
    const { report } = await reconcile();

    // Assess
    expect(
      report.mismatches.filter((mismatch) => ['stock-level', 'item-price'].includes(mismatch.entity)),
    ).toEqual([]);
    expect(report.totals['stock-level']).toEqual({
      erp: { count: 2, sums: {} },
      warehouse: { count: 2, sums: {} },
    });
    expect(report.totals['item-price']).toEqual({
      erp: { count: 1, sums: {} },
      warehouse: { count: 1, sums: {} },
    });
  }, 90_000);
});
