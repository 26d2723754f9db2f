/** The console's Transaction page: its input checks without a runtime, then orders through the real pipeline in Chromium. */

import type { Hono } from 'hono';
import type { Page } from 'playwright-core';
import type { OpsContext } from '../../cli/ops-context';
import { createConsoleApp } from '../../console/server/app';
import { buildConsoleAssets } from '../../console/server/assets';
import type { ConsoleEnv } from '../../console/server/console-page';
import type { RunningConsole } from '../../console/server/console-server';
import { transactionPage } from '../../console/server/pages/transaction';
import { ReplayRuns } from '../../console/server/replay-runs';
import { postShopifyOrder } from '../e2e/support/deployed-platform';
import { shopifyOrder } from '../e2e/support/shopify-orders';
import type { RunningBrowser } from './support/chromium';
import {
  exceptionsQueueDepth,
  openConsoleInChromium,
  type PlatformWithErp,
  screenshot,
  startOperatedPlatform,
  stopConsoleTest,
} from './support/console-session';

const host = '127.0.0.1:4580';

describe('the Transaction page routes', () => {
  let app: Hono<ConsoleEnv>;
  let reads: string[];

  beforeAll(async () => {
    const assets = await buildConsoleAssets();
    reads = [];
    // Any read of the stage is recorded: refused input must not reach it.
    const context = new Proxy({ stage: 'test', operator: async () => 'jane' } as unknown as OpsContext, {
      get(target, key) {
        if (key in target) return target[key as keyof OpsContext];
        reads.push(String(key));
        throw new Error(`the stage was read (${String(key)})`);
      },
    });
    app = createConsoleApp({
      pages: [transactionPage],
      services: { context, runs: new ReplayRuns() },
      assets,
      allowedHosts: () => [host],
    });
  });

  it('sends a searched id to its transaction', async () => {
    // Act
    const response = await app.request('/transaction?id=+order%2F42+&since=2h', { headers: { host } });
    // Assess
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/transaction/order/42?since=2h');
  });

  it.each([
    ['/transaction?id=%3Cscript%3E', 'is not an order id'],
    ['/transaction?id=', 'Name an order id'],
    ['/transaction?id=42&since=yesterday', 'The window takes a duration'],
    ['/transaction/order%2F42%2Fx%2Fy', 'is not an order id'],
    ['/transaction/42?since=0h', 'The window takes a duration'],
  ])('refuses %s with a 400 that says why, reading nothing', async (url, message) => {
    // Act
    const response = await app.request(url, { headers: { host } });
    const text = await response.text();
    // Assess
    expect(response.status).toBe(400);
    expect(text).toContain(message);
    expect(text).not.toContain('<script>');
    expect(reads).toEqual([]);
  });

  it('refuses a reveal without the session token', async () => {
    // Act
    const response = await app.request('/transaction/reveal', {
      method: 'POST',
      headers: { host, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'id=42&reason=because',
    });
    // Assess
    expect(response.status).toBe(403);
    expect(reads).toEqual([]);
  });
});

describe('the Transaction page in a browser', () => {
  let running: PlatformWithErp;
  let context: OpsContext;
  let console_: RunningConsole;
  let chromium: RunningBrowser;
  let page: Page;
  const booked = shopifyOrder();
  const refused = shopifyOrder();

  async function waitFor(what: string, done: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + 90_000;
    while (!(await done())) {
      if (Date.now() > deadline) throw new Error(`${what} did not happen`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  beforeAll(async () => {
    ({ running, context } = await startOperatedPlatform({ clockFactor: 10 }));
    const secret = running.secrets.shopify?.[0] as string;
    // One order booked and invoiced; one refused by the ERP (every reservation refused) into the exceptions queue.
    expect((await postShopifyOrder(running.platform.apiUrl, secret, JSON.stringify(booked))).status).toBe(
      202,
    );
    await waitFor('the invoice', async () =>
      (await running.erp.listDocuments({ externalRef: String(booked.id) })).some(
        (document) => document.type === 'invoice',
      ),
    );
    await running.erpAdmin.addFault({ route: '/reservations', kind: 'refuse', rate: 1 });
    expect((await postShopifyOrder(running.platform.apiUrl, secret, JSON.stringify(refused))).status).toBe(
      202,
    );
    await waitFor('the dead letter', async () => (await exceptionsQueueDepth(context)) >= 1);
    await running.erpAdmin.clearFaults();
    ({
      console: console_,
      chromium,
      page,
    } = await openConsoleInChromium(context, { erp: running.erp, viewport: { width: 1500, height: 1000 } }));
  }, 240_000);

  afterAll(() => stopConsoleTest({ chromium, console: console_, context, running }));

  it('finds an order from the search box and shows its timeline: webhook, workflow steps and ERP documents', async () => {
    // Prepare
    await page.goto(`${console_.url}/transaction`);
    // Act
    await page.fill('#transaction-search input[name="id"]', String(booked.id));
    await page.click('#transaction-search button[type="submit"]');
    const timeline = await page.locator('#timeline').textContent();
    const facts = await page.locator('#transaction-facts').textContent();
    // Assess
    expect(new URL(page.url()).pathname).toBe(`/transaction/${booked.id}`);
    expect(facts).toContain(`order/${booked.id}`);
    expect(timeline).toContain('Ingest');
    expect(timeline).toContain('OrderToCash');
    expect(timeline).toContain('CreateSalesOrder (Task)');
    expect(timeline).toMatch(/sales-order SO-\d+ \S+ [\d.]+ USD/);
    expect(timeline).toMatch(/invoice INV-\d+ \S+ [\d.]+ USD/);
    expect(await page.locator('#timeline tr.step').count()).toBeGreaterThan(5);
  });

  it('draws the state machine with the path the order took, and a clicked state shows its input and output', async () => {
    // Prepare
    const graph = page.locator('section.execution').first();
    // Act
    const status = await graph.locator('.status').textContent();
    const visited = await graph
      .locator('svg .sm-state.visited')
      .evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-state')));
    const taken = await graph
      .locator('svg .sm-edge.taken')
      .evaluateAll((edges) => edges.map((edge) => edge.getAttribute('data-edge')));
    const hintBefore = await graph.locator('.sm-hint').isVisible();
    await graph.locator('svg a:has(g[data-state="Init"])').click();
    const init = graph.locator('[data-state-detail="Init"]');
    await init.waitFor({ state: 'visible' });
    const input = await init.locator('[data-input]').textContent();
    await graph.locator('svg a:has(g[data-state="CreateSalesOrder"])').click();
    const createSalesOrder = graph.locator('[data-state-detail="CreateSalesOrder"]');
    await createSalesOrder.waitFor({ state: 'visible' });
    const initHidden = await init.isHidden();
    const output = await createSalesOrder.locator('[data-output]').textContent();
    const hintAfter = await graph.locator('.sm-hint').isVisible();
    const unvisitedDetail = await graph.locator('svg a:has(g[data-state="Reject"])').count();
    await screenshot(page, 'transaction');
    // Assess
    expect(status).toBe('SUCCEEDED');
    expect(visited).toEqual(
      expect.arrayContaining(['Route', 'Init', 'Gate', 'Reserve', 'CreateSalesOrder', 'PostInvoice']),
    );
    expect(visited).not.toContain('Reject');
    expect(taken).toEqual(expect.arrayContaining(['Route→Init', 'Init→Gate', 'Reserve→CreateSalesOrder']));
    expect(taken).not.toContain('Route→Resume');
    expect(hintBefore).toBe(true);
    expect(hintAfter).toBe(false);
    expect(input).toContain(`order/${booked.id}`);
    expect(input).not.toContain('jane.doe@example.com');
    expect(input).toMatch(/"email": "sha256:[0-9a-f]{12}"/);
    expect(initHidden).toBe(true);
    expect(output).toContain('SO-');
    expect(unvisitedDetail).toBe(0);
  });

  it('reveals the personal data of the steps with a reason, and audits it', async () => {
    // Prepare
    await page.goto(`${console_.url}/transaction/${booked.id}`);
    // Act
    await page.fill('#reveal-form input[name="reason"]', 'customer asked, TICKET-12');
    await page.click('#reveal-form button[type="submit"]');
    await page.locator('section.execution svg a:has(g[data-state="Init"])').first().click();
    const input = await page.locator('[data-state-detail="Init"] [data-input]').first().textContent();
    const [audit] = await (await context.deps()).journal.list(1);
    // Assess
    expect(input).toContain('jane.doe@example.com');
    expect(audit).toMatchObject({
      action: 'reveal',
      operator: 'ops-jane',
      reason: 'customer asked, TICKET-12',
      queue: `transaction:${booked.id}`,
    });
  });

  it('shows a refused order: its dead letter linked to the exceptions, the caught step and the way to the exceptions queue', async () => {
    // Act
    await page.goto(`${console_.url}/transaction/order/${refused.id}`);
    const deadLetter = page.locator('#timeline tr.dead-letter').first();
    const deadLetterText = await deadLetter.textContent();
    const exceptionsLink = await deadLetter.locator('a').getAttribute('href');
    const graph = page.locator('section.execution').first();
    const caught = await graph
      .locator('svg .sm-state.caught')
      .evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-state')));
    const visited = await graph
      .locator('svg .sm-state.visited')
      .evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-state')));
    await graph.locator('svg a:has(g[data-state="Reserve"])').click();
    const error = await graph.locator('[data-state-detail="Reserve"] .error').textContent();
    // Assess
    expect(deadLetterText).toContain('ErpRefusedError');
    expect(exceptionsLink).toMatch(/^\/exceptions\/queues\/.*ExceptionsQueue.*\?entity=order%2F/);
    expect(caught).toContain('Reserve');
    expect(visited).toContain('ToExceptions');
    expect(visited).not.toContain('PostInvoice');
    expect(error).toContain('ErpRefusedError');
  });

  it('says when nothing names the id, with a 404', async () => {
    // Act
    const response = await page.goto(`${console_.url}/transaction/order/1?since=1h`);
    // Assess
    expect(response?.status()).toBe(404);
    await expect(page.locator('#nothing').textContent()).resolves.toContain(
      'Nothing about order/1 in the last 1h',
    );
  });
});
