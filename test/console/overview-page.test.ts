/** The console's Overview: its routes' input checks without a runtime, then the page in Chromium on the embedded runtime. */
import { InvokeCommand } from '@aws-sdk/client-lambda';
import type { Hono } from 'hono';
import type { Page } from 'playwright-core';
import type { OpsContext } from '../../cli/ops-context';
import { createConsoleApp } from '../../console/server/app';
import { buildConsoleAssets } from '../../console/server/assets';
import type { ConsoleEnv } from '../../console/server/console-page';
import type { RunningConsole } from '../../console/server/console-server';
import { parseOverviewWindow, readOverview, runbookOf } from '../../console/server/overview/read-overview';
import { overviewPage } from '../../console/server/pages/overview';
import { consolePages } from '../../console/server/pages/registry';
import { ReplayRuns } from '../../console/server/replay-runs';
import { stageConfig } from '../../infra/config/stage-config';
import { postShopifyOrder } from '../e2e/support/deployed-platform';
import { shopifyOrder } from '../e2e/support/shopify-orders';
import type { RunningBrowser } from './support/chromium';
import {
  openConsoleInChromium,
  type PlatformWithErp,
  screenshot,
  startOperatedPlatform,
  stopConsoleTest,
} from './support/console-session';

const host = '127.0.0.1:4580';

/** The row of one declared source in the Overview's webhooks table. */
function sourceRows(page: Page, source: string) {
  return page.locator(`#webhooks tr[data-source="${source}"]`);
}

describe('overviewPage', () => {
  let app: Hono<ConsoleEnv>;

  beforeAll(async () => {
    app = createConsoleApp({
      pages: consolePages,
      services: {
        context: { stage: 'test', operator: async () => 'jane' } as unknown as OpsContext,
        runs: new ReplayRuns(),
      },
      assets: await buildConsoleAssets(),
      allowedHosts: () => [host],
    });
  });

  it('is the home: first in the navigation, where / lands', async () => {
    // Act
    const response = await app.request('/', { headers: { host } });
    // Assess
    expect(consolePages[0]).toBe(overviewPage);
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/overview');
  });

  it('refuses a window it does not offer, naming the ones it does, before reading anything', async () => {
    // Act
    const response = await app.request('/overview?window=3d', { headers: { host } });
    const text = await response.text();
    // Assess: the stub context has no clients, so reaching the stage would have been a 500
    expect(response.status).toBe(400);
    expect(text).toContain('window &quot;3d&quot; is not one of 1h, 24h, 7d');
  });

  it('shows the runbook an alarm names, with a section per heading under its anchor', async () => {
    // Act
    const response = await app.request('/overview/runbooks/docs/observability.md', { headers: { host } });
    const text = await response.text();
    // Assess
    expect(response.status).toBe(200);
    expect(text).toContain('id="unknown-outcomes"');
    expect(text).toContain('id="invoice-posted-and-payment-applied-slos"');
  });

  it('serves nothing but the docs’ markdown', async () => {
    // Act
    const outside = await app.request('/overview/runbooks/docs/../package.json', { headers: { host } });
    const missing = await app.request('/overview/runbooks/docs/no-such-runbook.md', { headers: { host } });
    // Assess
    expect(outside.status).toBe(404);
    expect(missing.status).toBe(404);
  });

  it('reads the runbook at the end of an alarm description, and defaults the window to the last hour', () => {
    // Act
    const runbook = runbookOf(
      'The ERP’s answer is unknown: the transaction waits. docs/observability.md#unknown-outcomes',
    );
    // Assess
    expect(runbook).toBe('docs/observability.md#unknown-outcomes');
    expect(runbookOf('no link here')).toBeUndefined();
    expect(parseOverviewWindow(undefined)).toBe('1h');
    expect(parseOverviewWindow('7d')).toBe('7d');
  });
});

describe('the ops console: overview', () => {
  let running: PlatformWithErp;
  let context: OpsContext;
  let console_: RunningConsole;
  let chromium: RunningBrowser;
  let page: Page;
  const booked = Array.from({ length: 3 }, () => shopifyOrder());
  // Globex's credit limit is 250.00 USD: this order is booked on credit hold.
  const held = shopifyOrder({
    email: 'ap@globex.example',
    lines: [{ sku: 'JKT-RAIN-L', quantity: 2, price: '219.00' }],
  });
  const refused = shopifyOrder();
  let reconciliationKey: string;

  async function until<T>(read: () => Promise<T | undefined>, what: string, timeoutMs = 120_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = await read();
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }

  beforeAll(async () => {
    // Ten times faster local time: the workflows' back-offs and the alarms' periods take seconds.
    ({ running, context } = await startOperatedPlatform({ clockFactor: 10 }));
    const secret = running.secrets.shopify?.[0] as string;
    const post = async (order: ReturnType<typeof shopifyOrder>) =>
      expect((await postShopifyOrder(running.platform.apiUrl, secret, JSON.stringify(order))).status).toBe(
        202,
      );
    // One order refused by the ERP (reservations refused), alone, so that the fault touches no other.
    await running.erpAdmin.addFault({ route: '/reservations', kind: 'refuse', rate: 1 });
    await post(refused);
    const config = stageConfig('local');
    await until(async () => {
      const reading = await readOverview(context, config, '1h');
      return (reading.flows[0]?.refused ?? 0) >= 1 ? true : undefined;
    }, 'the refused order');
    await running.erpAdmin.clearFaults();
    for (const order of [...booked, held]) await post(order);
    await until(async () => {
      const reading = await readOverview(context, config, '1h');
      const [orders] = reading.flows;
      const exceptionsAlarm = reading.alarms.find(
        (alarm) => alarm.name.includes('ExceptionsQueueMessagesAlarm') && alarm.state === 'ALARM',
      );
      return orders && orders.done >= 3 && (orders.held ?? 0) >= 1 && exceptionsAlarm ? true : undefined;
    }, 'the booked and held orders, and the exceptions alarm');
    // A reconciliation run in the stage's Reconcile function, as the daily schedule runs it: the last one shown.
    const { FunctionError, Payload } = await context.lambda.send(
      new InvokeCommand({
        FunctionName: await context.functionName('Reconcile'),
        Payload: JSON.stringify({ since: new Date(Date.now() - 3_600_000).toISOString() }),
      }),
    );
    expect(FunctionError).toBeUndefined();
    reconciliationKey = JSON.parse(Buffer.from(Payload ?? new Uint8Array()).toString('utf8')).reportKey;
    ({
      console: console_,
      chromium,
      page,
    } = await openConsoleInChromium(context, { viewport: { width: 1440, height: 900 } }));
  }, 300_000);

  afterAll(() => stopConsoleTest({ chromium, console: console_, context, running }));

  it('lands on the overview and counts the orders per flow as the pipeline ended them', async () => {
    // Act
    await page.goto(`${console_.url}/`);
    // Assess
    expect(new URL(page.url()).pathname).toBe('/overview');
    await expect(page.locator('header nav a.active').textContent()).resolves.toBe('Overview');
    const orders = page.locator('#flows tr[data-flow="order-to-cash"]').first();
    await expect(orders.locator('[data-count="done"]').textContent()).resolves.toMatch(/^3 booked/);
    await expect(orders.locator('[data-count="held"]').textContent()).resolves.toBe('1');
    await expect(orders.locator('[data-count="refused"]').textContent()).resolves.toBe('1');
    await expect(orders.locator('[data-count="refused"]').getAttribute('title')).resolves.toBe(
      'ErpRefusedError 1',
    );
    await expect(orders.locator('[data-count="ended"]').textContent()).resolves.toBe('5');
    await expect(page.locator('[data-tile="webhooks-in"] [data-tile-value]').textContent()).resolves.toBe(
      '5',
    );
    await expect(page.locator('[data-tile="booked"] [data-tile-value]').textContent()).resolves.toBe('3');
    // Every declared interface with its owner and criticality; one that sent nothing shows 0
    const shopify = sourceRows(page, 'shopify');
    await expect(shopify.textContent()).resolves.toMatch(/revenue-critical/);
    await expect(shopify.locator('td').last().textContent()).resolves.toBe('5');
    await expect(sourceRows(page, 'hibob').locator('td').last().textContent()).resolves.toBe('0');
    // Latencies of the booked orders, within the order-accepted SLO
    const accepted = await page.locator('#slos tr[data-slo="orderAccepted"]').textContent();
    expect(accepted).toContain('met');
    expect(accepted).toMatch(/p99 \d/);
    await expect(orders.locator('svg.spark polyline').getAttribute('points')).resolves.toMatch(/\d/);
  });

  it('shows the dead-letter queues with depth and age, the firing alarm with its runbook, the last reconciliation and the cost', async () => {
    // Prepare
    await page.goto(`${console_.url}/overview?window=24h`);
    // Act
    const exceptions = page.locator('#queues tr[data-queue*="ExceptionsQueue"]');
    const firing = page.locator('#firing tr[data-alarm*="ExceptionsQueueMessagesAlarm"]');
    // Assess
    await expect(page.locator('nav.windows a.active').textContent()).resolves.toBe('24h');
    // The refused order, and whatever mismatches the reconciliation sent there
    const depth = Number(await exceptions.locator('[data-depth]').textContent());
    expect(depth).toBeGreaterThanOrEqual(1);
    await expect(exceptions.locator('[data-oldest]').textContent()).resolves.not.toBe('-');
    expect(await page.locator('#queues tr[data-queue*="Dlq"]').count()).toBeGreaterThanOrEqual(4);
    await expect(page.locator('[data-tile="exceptions"] [data-tile-value]').textContent()).resolves.toBe(
      String(depth),
    );
    await expect(firing.getAttribute('data-state')).resolves.toBe('ALARM');
    await expect(
      page.locator('#alarms li[data-alarm*="OrderAcceptedSloFastBurn"]').getAttribute('data-state'),
    ).resolves.not.toBe('ALARM');
    await expect(page.locator('#cost').textContent()).resolves.toMatch(/\$\d+\.\d\d per million orders/);
    const runId = reconciliationKey.split('/')[2] as string;
    await expect(page.locator('#reconciliation a').getAttribute('href')).resolves.toBe(
      `/reconciliation/runs/${runId}`,
    );
    await expect(page.locator('#reconciliation [data-mismatches]').textContent()).resolves.toMatch(
      /clean|mismatches/,
    );
    await screenshot(page, 'overview');
    const run = await page.request.get(`${console_.url}/reconciliation/runs/${runId}`);
    expect(run.status()).toBe(200);
    await expect(run.text()).resolves.toContain(runId);
    await firing.locator('a[data-runbook]').click();
    await expect(page.locator('h1').textContent()).resolves.toBe('docs/runbooks/replay.md');
  });

  it('refuses an unknown window on the page, where the operator looks', async () => {
    // Act
    const response = await page.goto(`${console_.url}/overview?window=forever`);
    // Assess
    expect(response?.status()).toBe(400);
    await expect(page.locator('.error').textContent()).resolves.toContain('window "forever" is not one of');
  });
});
