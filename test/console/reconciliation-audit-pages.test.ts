/** The console's Reconciliation and Audit pages in Chromium on the embedded runtime: a run, its plan, its audit. */

import type { Page } from 'playwright-core';
import type { OpsContext } from '../../cli/ops-context';
import { findReconciliationRun } from '../../cli/reconciliation-runs';
import type { RunningConsole } from '../../console/server/console-server';
import {
  localWarehouseBucketDir,
  openLocalWarehouse,
  queryObjects,
} from '../../local/warehouse/duckdb-warehouse';
import { postShopifyOrder } from '../e2e/support/deployed-platform';
import { eventually } from '../e2e/support/eventually';
import { shopifyOrder } from '../e2e/support/shopify-orders';
import type { RunningBrowser } from './support/chromium';
import {
  openConsoleInChromium,
  type PlatformWithErp,
  screenshot,
  startOperatedPlatform,
  stopConsoleTest,
} from './support/console-session';

/** How long the Reconcile function lets the stream trail (twice the local delivery interval), and a margin. */
const settledAfterMs = 2 * 60_000 + 10_000;

describe('the ops console: reconciliation and audit', () => {
  let running: PlatformWithErp;
  let context: OpsContext;
  let console_: RunningConsole;
  let chromium: RunningBrowser;
  let page: Page;
  let postedAt: number;
  let runId: string;
  const booked = shopifyOrder({ lines: [{ sku: 'TR-42-SLATE', quantity: 1, price: '89.99' }] });
  // More tents than the ERP holds: rejected, so the ERP never books it.
  const unbooked = shopifyOrder({ lines: [{ sku: 'TENT-2P', quantity: 3, price: '349.00' }] });

  async function warehouseRows(sql: string): Promise<Record<string, unknown>[]> {
    const connection = await openLocalWarehouse(
      localWarehouseBucketDir(running.platform.runtime.options.dataDir),
    );
    try {
      return await queryObjects(connection, sql);
    } finally {
      connection.closeSync();
    }
  }

  async function invoiceOf(order: { id: number }, timeoutMs = 60_000) {
    return eventually(
      async () => {
        const [invoice] = await running.erp.listDocuments({ type: 'invoice', externalRef: String(order.id) });
        return invoice;
      },
      timeoutMs,
      500,
    );
  }

  async function replayRecords() {
    return (await (await context.deps()).journal.search({ action: 'replay' })).records;
  }

  beforeAll(async () => {
    // Real speed: the reconciliation compares the ERP's clock with the runtime's.
    ({ running, context } = await startOperatedPlatform());
    const secret = running.secrets.shopify?.[0] as string;
    postedAt = Date.now();
    for (const order of [booked, unbooked])
      expect((await postShopifyOrder(running.platform.apiUrl, secret, JSON.stringify(order))).status).toBe(
        202,
      );
    await invoiceOf(booked);
    // The acceptance, the invoice and the rejection reach the warehouse.
    await eventually(
      async () => {
        const rows = await warehouseRows(
          "select event_id from erp_events where event_type in ('erp.order.accepted.v1', 'erp.invoice.posted.v1', 'erp.order.rejected.v1')",
        ).catch(() => []);
        return rows.length >= 3 ? rows : undefined;
      },
      150_000,
      500,
    );
    ({ console: console_, chromium, page } = await openConsoleInChromium(context, { erp: running.erp }));
  }, 300_000);

  afterAll(() => stopConsoleTest({ chromium, console: console_, context, running }));

  it('shows that no run is kept yet, and refuses a window it cannot read without starting one', async () => {
    // Act
    await page.goto(`${console_.url}/reconciliation`);
    const empty = await page.locator('#runs tbody').textContent();
    await page.fill('#run-form input[name="since"]', 'yesterday');
    await page.click('#run-form button[type="submit"]');
    const refused = await page.locator('.error').textContent();
    // Assess
    expect(empty).toContain('No reconciliation run is kept yet');
    expect(refused).toContain('"yesterday" is neither a duration');
    expect(refused).toContain('No reconciliation was started');
    expect(await page.locator('#runs tbody tr[data-run]').count()).toBe(0);
  });

  it('runs the Reconcile function and shows its mismatches by class, each linked to its transaction', async () => {
    // Prepare: past the stream's allowed lag, a difference is a mismatch, no longer `stale`.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, postedAt + settledAfterMs - Date.now())));
    await page.goto(`${console_.url}/reconciliation`);
    // Act
    await page.fill('#run-form input[name="since"]', '1h');
    await page.fill('#run-form input[name="until"]', new Date(Date.now() + 3_600_000).toISOString());
    await page.click('#run-form button[type="submit"]');
    runId = new URL(page.url()).pathname.split('/').at(-1) as string;
    const notice = await page.locator('.notice').textContent();
    const missing = await page.locator('#by-class tr[data-class="missing_in_erp"] td').allTextContents();
    const rows = await page.locator('#missing_in_erp tr[data-mismatch]').allTextContents();
    const plan = await page.locator('#plan-summary').textContent();
    await screenshot(page, 'reconciliation');
    await page.click(`#missing_in_erp tr[data-mismatch="order/${unbooked.id}"] a[data-transaction]`);
    const drilled = new URL(page.url()).pathname;
    await page.goto(`${console_.url}/reconciliation`);
    const listed = await page.locator(`#runs tr[data-run="${runId}"]`).textContent();
    const kept = await findReconciliationRun(context, runId);
    // Assess
    expect(notice).toContain(`Reconciliation ${runId} ran`);
    // Per entity type (order, invoice, payment, supplier, employee, purchase order, stock level, item price), then
    // the class's total.
    expect(missing.map((cell) => cell.trim())).toEqual([
      'missing_in_erp',
      '1',
      '0',
      '0',
      '0',
      '0',
      '0',
      '0',
      '0',
      '1',
    ]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toContain(String(unbooked.id));
    expect(rows[0]).toContain('the ERP has no document for it');
    expect(plan?.replace(/\s+/g, ' ')).toMatch(/\b[1-9]\d* event\(s\) of 1 transaction\(s\) to re-publish/);
    // The transaction the mismatch belongs to, by the correlation id the run kept for it.
    const [mismatch] = kept?.report.mismatches ?? [];
    expect(mismatch).toMatchObject({ class: 'missing_in_erp', key: String(unbooked.id) });
    expect(drilled).toBe(`/transaction/${mismatch?.correlationId}`);
    expect(listed).toContain('missing_in_erp 1');
  }, 240_000);

  it('dry-runs the plan, refuses it without a reason, then carries it out and the ERP books the order', async () => {
    // Prepare: the stock the rejected order lacked arrives.
    await running.erpAdmin.receiveStock('TENT-2P', 10);
    await page.goto(`${console_.url}/reconciliation/runs/${runId}`);
    await page.click('#plan-link');
    const dryRun = page.locator('#plan-dry-run');
    const events = Number(await dryRun.getAttribute('data-events'));
    const republish = await page.locator('#republish tbody').textContent();
    // Act: without a reason (the browser's own check set aside), then with one.
    await page.locator('#plan-form').evaluate((form) => form.setAttribute('novalidate', ''));
    await page.check('#plan-form input[name="confirm"]');
    await page.click('#plan-form button[type="submit"]');
    const refused = await page.locator('.error').textContent();
    const afterRefusal = await replayRecords();
    const confirmation = await page.locator('#plan-form label.confirm').textContent();
    await page.fill('#plan-form input[name="reason"]', 'INC-77 tents back in stock');
    await page.check('#plan-form input[name="confirm"]');
    await page.click('#plan-form button[type="submit"]');
    await page.locator('#plan-result').waitFor({ timeout: 120_000 });
    const republished = await page.locator('#plan-result').getAttribute('data-republished');
    const operator = await page.locator('dd[data-operator]').textContent();
    const invoice = await invoiceOf(unbooked, 90_000);
    // Assess
    expect(events).toBeGreaterThanOrEqual(1);
    expect(republish).toContain(String(unbooked.id));
    expect(refused).toContain('needs a reason');
    expect(refused).toContain('Nothing was replayed');
    expect(afterRefusal).toEqual([]);
    expect(confirmation).toContain(`Re-publish ${events} event(s)`);
    expect(republished).toBe(String(events));
    expect(operator).toBe('ops-jane');
    expect(invoice?.externalRef).toBe(String(unbooked.id));
  }, 240_000);

  it('shows the plan run on the Audit page with its operator and reason, filtered, linked to its run and transaction', async () => {
    // Act
    await page.goto(`${console_.url}/audit`);
    const entry = page.locator('#audit tbody tr[data-action="replay"]');
    const entries = await entry.count();
    const operator = await entry.locator('[data-operator]').textContent();
    const reason = await entry.locator('[data-reason]').textContent();
    const transaction = await entry.locator('a[data-transaction]').getAttribute('href');
    await screenshot(page, 'audit');
    await page.fill('#audit-filters input[name="operator"]', 'someone-else');
    await page.click('#audit-filters button[type="submit"]');
    const othersEntries = await page.locator('#audit tbody tr[data-audit-id]').count();
    await page.fill('#audit-filters input[name="operator"]', 'ops-jane');
    await page.selectOption('#audit-filters select[name="action"]', 'replay');
    await page.fill('#audit-filters input[name="since"]', '1h');
    await page.click('#audit-filters button[type="submit"]');
    const janeEntries = await page.locator('#audit tbody tr[data-audit-id]').count();
    await page.fill('#audit-filters input[name="until"]', 'tomorrow');
    await page.click('#audit-filters button[type="submit"]');
    const badUntil = await page.locator('.error').textContent();
    await page.goto(`${console_.url}/audit`);
    await page.click('#audit tbody tr[data-action="replay"] a[data-target-link]');
    const run = new URL(page.url()).pathname;
    // Assess
    expect(entries).toBe(1);
    expect(operator).toBe('ops-jane');
    expect(reason).toBe('INC-77 tents back in stock');
    expect(transaction).toBe(`/transaction/${unbooked.id}`);
    expect(othersEntries).toBe(0);
    expect(janeEntries).toBe(1);
    expect(badUntil).toContain('until: "tomorrow" is neither a duration');
    expect(run).toBe(`/reconciliation/runs/${runId}`);
  });

  it('runs the reconciliation of the same window again from a run, and keeps both runs', async () => {
    // Prepare
    await page.goto(`${console_.url}/reconciliation/runs/${runId}`);
    // Act
    await page.click('#run-form button[type="submit"]');
    const again = new URL(page.url()).pathname.split('/').at(-1);
    await page.goto(`${console_.url}/reconciliation`);
    const runs = await page.locator('#runs tbody tr[data-run]').count();
    // Assess
    expect(again).not.toBe(runId);
    expect(again).toMatch(/^[0-9A-Z]{26}$/);
    expect(runs).toBe(2);
  });
});
