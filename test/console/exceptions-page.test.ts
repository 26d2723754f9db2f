/** The ops console in a real browser (Chromium through playwright-core) on the embedded runtime: dead letters, replay. */

import { get } from 'node:http';
import type { Page } from 'playwright-core';
import { deadLetterQueueUrls, type OpsContext } from '../../cli/ops-context';
import type { RunningConsole } from '../../console/server/console-server';
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

type Order = ReturnType<typeof shopifyOrder>;

describe('the ops console: exceptions and dead letters', () => {
  let running: PlatformWithErp;
  let context: OpsContext;
  let console_: RunningConsole;
  let chromium: RunningBrowser;
  let page: Page;
  let queue: string;
  let parkingQueue: string;
  const orders = Array.from({ length: 5 }, () => shopifyOrder());
  // Two are parked and edited by hand; the other three are replayed together.
  const [parkedOrder, editedOrder, ...replayedOrders] = orders as [Order, Order, ...Order[]];

  beforeAll(async () => {
    // Ten times faster local time: the workflows' back-offs take seconds.
    ({ running, context } = await startOperatedPlatform({ clockFactor: 10 }));
    // An ERP outage (every reservation refused): every order is rejected into the exceptions queue.
    await running.erpAdmin.addFault({ route: '/reservations', kind: 'refuse', rate: 1 });
    const secret = running.secrets.shopify?.[0] as string;
    for (const order of orders)
      expect((await postShopifyOrder(running.platform.apiUrl, secret, JSON.stringify(order))).status).toBe(
        202,
      );
    const deadline = Date.now() + 90_000;
    while ((await exceptionsQueueDepth(context)) < orders.length) {
      if (Date.now() > deadline) throw new Error('the orders did not reach the exceptions queue');
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    await running.erpAdmin.clearFaults();
    const names = (await deadLetterQueueUrls(context.sqs, 'local')).map(
      (url) => url.split('/').at(-1) as string,
    );
    queue = names.find((name) => name.includes('ExceptionsQueue')) as string;
    parkingQueue = names.find((name) => name.includes('ParkingQueue')) as string;
    ({ console: console_, chromium, page } = await openConsoleInChromium(context, { erp: running.erp }));
  }, 240_000);

  afterAll(() => stopConsoleTest({ chromium, console: console_, context, running }));

  it('lists every dead-letter queue with its depth, and names the operator the credentials say', async () => {
    // Act
    await page.goto(`${console_.url}/exceptions`);
    // Assess
    await expect(page.locator('header nav a.active').textContent()).resolves.toBe('Exceptions');
    const exceptions = page.locator('#queues tr[data-queue*="ExceptionsQueue"]');
    await expect(exceptions.locator('[data-depth]').textContent()).resolves.toBe('5');
    await expect(exceptions.textContent()).resolves.toContain('ErpRefusedError (5)');
    expect(await page.locator('#queues tbody tr').count()).toBeGreaterThanOrEqual(5);
    await expect(page.locator('[data-operator]').textContent()).resolves.toBe('ops-jane');
    await screenshot(page, 'queues');
  });

  it('filters a queue by type and entity and shows a message with its failing step, error, ERP documents and personal data hashed until revealed', async () => {
    // Prepare
    const [first] = orders;
    await page.locator('#queues tr[data-queue*="ExceptionsQueue"] a').click();
    // Act
    await page.fill('input[name="type"]', 'commerce.order.*');
    await page.click('button[name="filter"]');
    const byType = await page.locator('#messages tbody tr[data-message-id]').count();
    await screenshot(page, 'queue');
    await page.fill('input[name="entity"]', `order/${first?.id}`);
    await page.click('button[name="filter"]');
    const byEntity = await page.locator('#messages [data-entity]').allTextContents();
    const listedOutcomes = await page.locator('#messages td[data-outcome]').allTextContents();
    await page.fill('input[name="type"]', 'billing.*');
    await page.fill('input[name="entity"]', '');
    await page.click('button[name="filter"]');
    const otherType = await page.locator('#messages tbody tr[data-message-id]').count();
    await page.fill('input[name="type"]', '');
    await page.fill('input[name="since"]', 'yesterday');
    await page.click('button[name="filter"]');
    const badTime = await page.locator('.error').textContent();
    await page.fill('input[name="since"]', '1h');
    await page.fill('input[name="entity"]', `order/${first?.id}`);
    await page.click('button[name="filter"]');
    await page.locator('#messages tbody tr[data-message-id] a').click();
    const facts = await page.locator('#message-facts').textContent();
    const outcome = page.locator('#case-outcome');
    const outcomeSeverity = await outcome.getAttribute('data-severity');
    const outcomeText = await outcome.textContent();
    const event = JSON.parse((await page.locator('#event').textContent()) ?? '{}');
    const erp = await page.locator('#erp-documents').textContent();
    await screenshot(page, 'message');
    await page.fill('#reveal-form input[name="reason"]', 'customer called, TICKET-12');
    await page.click('#reveal-form button[type="submit"]');
    const revealed = JSON.parse((await page.locator('#event').textContent()) ?? '{}');
    const [revealRecord] = await (await context.deps()).journal.list(1);
    // Assess
    expect(byType).toBe(5);
    expect(byEntity).toEqual([`order/${first?.id}`]);
    expect(otherType).toBe(0);
    expect(badTime).toContain('"yesterday" is neither a duration');
    // Refused at Reserve: nothing was booked, so nothing was compensated; the case is settled, not unknown.
    expect(listedOutcomes).toEqual(['failed; nothing compensated']);
    expect(outcomeSeverity).toBe('settled');
    expect(outcomeText).toContain('failed; nothing compensated');
    expect(outcomeText).toContain('The ERP and the bus agree the transaction did not happen');
    expect(facts).toContain('ErpRefusedError');
    expect(facts).toContain('Reserve');
    expect(facts).toContain('order-to-cash');
    expect(event).toMatchObject({ type: 'commerce.order.placed.v1', subject: `order/${first?.id}` });
    expect(erp).toContain(`The ERP holds no document for order ${first?.id}`);
    expect(event.data.customer.email).toMatch(/^sha256:[0-9a-f]{12}$/);
    expect(revealed.data.customer.email).toMatch(/@/);
    expect(revealed.data.customer.email).not.toBe(event.data.customer.email);
    expect(revealRecord).toMatchObject({
      action: 'reveal',
      operator: 'ops-jane',
      reason: 'customer called, TICKET-12',
      detail: { entity: `order/${first?.id}` },
    });
  });

  it('refuses a cross-site POST, a POST without the session token and a replay without a reason, changing nothing', async () => {
    // Prepare
    const replayUrl = `${console_.url}/exceptions/queues/${encodeURIComponent(queue)}/replay`;
    const form = { reason: 'INC-7', count: '3', confirm: 'yes' };
    // Act
    const crossSite = await fetch(replayUrl, {
      method: 'POST',
      headers: { origin: 'http://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form),
    });
    const noToken = await page.request.post(replayUrl, { form });
    const rebound = await statusWithHost(`evil.example:${console_.port}`);
    await page.goto(`${console_.url}/exceptions/queues/${encodeURIComponent(queue)}`);
    await page.fill('input[name="error"]', 'ErpRefusedError');
    await page.click('button[data-action="preview"]');
    await page
      .locator('#replay-form input[name="reason"]')
      .evaluate((input) => input.removeAttribute('required'));
    await page.check('#replay-form input[name="confirm"]');
    await page.click('#replay-form button[type="submit"]');
    const noReason = await page.locator('.error').textContent();
    // Assess
    expect(crossSite.status).toBe(403);
    expect(noToken.status()).toBe(403);
    expect(await noToken.text()).toContain('without this session’s CSRF token');
    expect(rebound).toBe(421);
    expect(noReason).toContain('A replay needs a reason');
    expect(await exceptionsQueueDepth(context)).toBe(5);
  });

  it('parks a message with a reason, refuses an edit its schema rejects and publishes one it accepts', async () => {
    // Prepare
    const open = async (order: Order) => {
      await page.goto(
        `${console_.url}/exceptions/queues/${encodeURIComponent(queue)}?entity=order/${order.id}`,
      );
      await page.locator('#messages tbody tr[data-message-id] a').click();
    };
    await open(parkedOrder);
    // Act: park, first without a reason.
    await page
      .locator('#park-form input[name="reason"]')
      .evaluate((input) => input.removeAttribute('required'));
    await page.check('#park-form input[name="confirm"]');
    await page.click('#park-form button[type="submit"]');
    const parkWithoutReason = await page.locator('.error').textContent();
    await page.fill('#park-form input[name="reason"]', 'customer asked to wait');
    await page.check('#park-form input[name="confirm"]');
    await page.click('#park-form button[type="submit"]');
    const parkedNotice = await page.locator('.notice').textContent();
    // Act: edit, first with a patch the event's schema refuses (a lower-case currency), then with one it accepts.
    await open(editedOrder);
    await page.fill('#edit-form textarea[name="patch"]', '{ "data": { "currency": "usd" } }');
    await page.fill('#edit-form input[name="reason"]', 'currency fixed by hand');
    await page.check('#edit-form input[name="confirm"]');
    await page.click('#edit-form button[type="submit"]');
    const refusedEdit = await page.locator('.error').textContent();
    const depthAfterRefusal = await exceptionsQueueDepth(context);
    await screenshot(page, 'edit-refused');
    await page.fill('#edit-form textarea[name="patch"]', '{ "data": { "currency": "USD" } }');
    await page.check('#edit-form input[name="confirm"]');
    await page.click('#edit-form button[type="submit"]');
    const editedNotice = await page.locator('.notice').textContent();
    await page.goto(`${console_.url}/exceptions/queues/${encodeURIComponent(parkingQueue)}`);
    const parkedEntities = await page.locator('#messages [data-entity]').allTextContents();
    const booked = await bookedDocuments(String(editedOrder.id));
    const journal = await (await context.deps()).journal.list(2);
    // Assess
    expect(parkWithoutReason).toContain('Parking needs a reason');
    expect(parkedNotice).toContain('customer asked to wait');
    expect(refusedEdit).toContain('does not match its schema');
    expect(refusedEdit).toContain('/data/currency');
    expect(depthAfterRefusal).toBe(4);
    expect(editedNotice).toContain('Published the edited event');
    expect(parkedEntities).toEqual([`order/${parkedOrder.id}`]);
    expect(booked.map((document) => document.type).sort()).toEqual(['invoice', 'sales-order']);
    expect(journal.map((record) => [record.action, record.operator, record.reason])).toEqual([
      ['edit', 'ops-jane', 'currency fixed by hand'],
      ['park', 'ops-jane', 'customer asked to wait'],
    ]);
    expect(await exceptionsQueueDepth(context)).toBe(3);
  }, 60_000);

  it('previews a replay, replays it with a reason at a rate, and the ERP books each order once', async () => {
    // Prepare: the preview of everything the outage refused.
    await page.goto(
      `${console_.url}/exceptions/queues/${encodeURIComponent(queue)}/preview?error=ErpRefusedError`,
    );
    const plan = page.locator('#plan');
    const preview = {
      matching: await plan.getAttribute('data-matching'),
      seenBefore: await plan.getAttribute('data-seen-before'),
      types: await page.locator('table.counts').first().textContent(),
      confirm: await page.locator('#replay-form label.confirm').textContent(),
    };
    await screenshot(page, 'preview');
    // Act
    await page.fill('#replay-form input[name="reason"]', 'INC-7 ERP outage');
    // Two a second: the replay runs long enough for the page to follow it.
    await page.fill('#replay-form input[name="rate"]', '2');
    // The page follows a running replay by polling its progress (the body of the last poll is gone with the reload).
    const polls: number[] = [];
    page.on('response', (response) => {
      if (response.url().endsWith('/progress')) polls.push(response.status());
    });
    await page.check('#replay-form input[name="confirm"]');
    await page.click('#replay-form button[type="submit"]');
    await page.locator('[data-run-status]', { hasText: /done|failed/ }).waitFor({ timeout: 30_000 });
    const published = await page.locator('#result').getAttribute('data-published');
    await screenshot(page, 'replay');
    const documents = await Promise.all(replayedOrders.map((order) => bookedDocuments(String(order.id))));
    const [audit] = await (await context.deps()).journal.list(1);
    // Assess
    expect(preview).toMatchObject({ matching: '3', seenBefore: '3' });
    expect(preview.types).toContain('commerce.order.placed.v1');
    expect(preview.confirm?.replace(/\s+/g, ' ').trim()).toBe(`Replay 3 message(s) from ${queue}`);
    expect(published).toBe('3');
    expect(polls.length).toBeGreaterThan(0);
    expect(new Set(polls)).toEqual(new Set([200]));
    for (const booked of documents)
      expect(booked.map((document) => document.type).sort()).toEqual(['invoice', 'sales-order']);
    expect(audit).toMatchObject({
      action: 'replay',
      operator: 'ops-jane',
      reason: 'INC-7 ERP outage',
      status: 'done',
    });
    expect(await exceptionsQueueDepth(context)).toBe(0);
  }, 90_000);

  /** The status the console answers a GET with another Host header (fetch cannot set Host). */
  function statusWithHost(host: string): Promise<number | undefined> {
    return new Promise((resolve, reject) => {
      const request = get(
        { host: '127.0.0.1', port: console_.port, path: '/exceptions', headers: { host } },
        (response) => {
          response.resume();
          resolve(response.statusCode);
        },
      );
      request.on('error', reject);
    });
  }

  /** The order's ERP documents once it is invoiced (or after 30 s, whatever it holds then). */
  async function bookedDocuments(externalRef: string) {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const documents = await running.erp.listDocuments({ externalRef });
      if (documents.some((document) => document.type === 'invoice') || Date.now() > deadline)
        return documents;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
});
