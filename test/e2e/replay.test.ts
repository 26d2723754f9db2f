import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { opsContext } from '../../cli/ops-context';
import { signWebhook } from '../../cli/webhook-signing';
import { runReplay } from '../../functions/replay/replay';
import type { HttpErpConnector } from '../../functions/shared/erp/http-erp-connector';
import { concord } from './support/concord-cli';
import { drainQueue, observeBus, postShopifyOrder, startPlatformWithErp } from './support/deployed-platform';
import { eventually } from './support/eventually';
import { shopifyOrder } from './support/shopify-orders';

interface QueueSummary {
  name: string;
  depth: number;
  topErrors: { code: string; count: number }[];
}

describe('dead letters and governed replay (the concord CLI against the embedded runtime)', () => {
  let running: Awaited<ReturnType<typeof startPlatformWithErp>>;
  let env: NodeJS.ProcessEnv;
  let erp: HttpErpConnector;
  const orders = Array.from({ length: 6 }, () => shopifyOrder());

  async function ops(args: string[]) {
    const result = await concord(args, env);
    return {
      ...result,
      json: result.code === 0 && args.includes('--json') ? JSON.parse(result.stdout) : undefined,
    };
  }

  async function exceptionsDepth(): Promise<number> {
    const { json } = await ops(['dlq', 'list', '--json']);
    return (json as QueueSummary[]).find((queue) => queue.name.includes('ExceptionsQueue'))?.depth ?? 0;
  }

  beforeAll(async () => {
    // Ten times faster local time: the workflows' back-offs and the relay's schedule take seconds.
    running = await startPlatformWithErp({ clockFactor: 10 });
    // The operator is who the credentials say: the runtime's STS names the key the CLI signs with "jane".
    env = {
      AWS_ENDPOINT_URL: running.platform.runtime.endpoint,
      AWS_ACCESS_KEY_ID: 'AKIAJANE',
      AWS_SECRET_ACCESS_KEY: 'local',
    };
    writeFileSync(
      path.join(running.platform.runtime.options.dataDir, 'operators.json'),
      JSON.stringify({ accessKeys: { AKIAJANE: 'jane' } }),
    );
    erp = running.erp;
    // The ERP refuses every reservation (a rule since fixed): every order is rejected into the exceptions queue.
    await running.erpAdmin.addFault({ route: '/reservations', kind: 'refuse', rate: 1 });
    const secret = running.secrets.shopify?.[0] as string;
    for (const order of orders)
      expect((await postShopifyOrder(running.platform.apiUrl, secret, JSON.stringify(order))).status).toBe(
        202,
      );
    const deadline = Date.now() + 90_000;
    while ((await exceptionsDepth()) < orders.length) {
      if (Date.now() > deadline) throw new Error('the orders did not reach the exceptions queue');
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    await running.erpAdmin.clearFaults();
  }, 180_000);

  afterAll(async () => {
    await running.stop();
  });

  it('lists every dead-letter queue with its depth and top error codes', async () => {
    const { json } = await ops(['dlq', 'list', '--json']);
    const queues = json as QueueSummary[];
    expect(
      queues.map((queue) => queue.name).filter((name) => /Dlq/.test(name)).length,
    ).toBeGreaterThanOrEqual(5);
    expect(queues.find((queue) => queue.name.includes('ExceptionsQueue'))).toMatchObject({
      depth: 6,
      topErrors: [{ code: 'ErpRefusedError', count: 6 }],
    });
    const table = await ops(['dlq', 'list']);
    expect(table.stdout).toMatch(/^QUEUE\s+DEPTH\s+IN FLIGHT\s+OLDEST\s+TOP ERRORS$/m);
  });

  it('shows the messages of a queue with their event, entity, correlation id and error', async () => {
    const { json } = await ops(['dlq', 'show', 'Exceptions', '--type', 'commerce.order.*', '--json']);
    expect(json).toHaveLength(6);
    expect(json[0]).toMatchObject({
      kind: 'exception',
      eventType: 'commerce.order.placed.v1',
      errorCode: 'ErpRefusedError',
      target: 'order-to-cash',
      failedStep: 'Reserve',
      correlationId: expect.any(String),
      // Refused at Reserve: nothing was booked, so nothing was compensated.
      outcome: 'failed',
      compensated: [],
    });
    expect(json[0]).not.toHaveProperty('compensationFailure');
    const table = await ops(['dlq', 'show', 'Exceptions', '--type', 'commerce.order.*']);
    expect(table.stdout).toMatch(
      /^MESSAGE ID\s+TYPE\s+ENTITY\s+CORRELATION ID\s+ERROR\s+OUTCOME\s+RULE\/TARGET/m,
    );
    expect(table.stdout).toContain('failed; nothing compensated');
    expect(new Set(json.map((letter: { entity: string }) => letter.entity))).toEqual(
      new Set(orders.map((order) => `order/${order.id}`)),
    );
  });

  it('dry-runs a replay: what it would publish, changing nothing', async () => {
    const { json } = await ops(['replay', 'Exceptions', '--error', 'ErpRefusedError', '--dry-run', '--json']);
    expect(json).toMatchObject({
      matching: 6,
      byType: { 'commerce.order.placed.v1': 6 },
      byError: { ErpRefusedError: 6 },
      seenBefore: 6,
      notReplayable: 0,
    });
    expect(await exceptionsDepth()).toBe(6);
  });

  it('refuses a replay without a reason, and an unknown queue, with one line and exit code 1', async () => {
    const noReason = await ops(['replay', 'Exceptions']);
    const unknown = await ops(['dlq', 'show', 'NoSuchQueue']);
    const unconfirmed = await ops(['replay', 'Exceptions', '--reason', 'INC-42 ERP outage', '--json']);
    expect(unconfirmed.code).toBe(2);
    expect(JSON.parse(unconfirmed.stdout)).toEqual({
      error: {
        name: 'ConfirmationRequiredError',
        message: expect.stringMatching(
          /^"Replay 6 messages from Concord-local-Stateful-ExceptionsQueue\S+ to the bus concord-local\?" needs an answer, but stdin is not a terminal: pass --yes/,
        ),
      },
    });
    expect([noReason.code, noReason.stderr.trim()]).toEqual([
      1,
      'concord: a replay needs --reason (an incident or ticket): it goes into the audit',
    ]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no dead-letter queue matches "NoSuchQueue"');
    expect(await exceptionsDepth()).toBe(6);
  });

  it('replays at a bounded rate, resumes an interrupted replay without publishing twice, and books each order once', async () => {
    // Act 1: two orders at 5/s.
    const first = await ops([
      'replay',
      'Exceptions',
      '--max',
      '2',
      '--rate',
      '5',
      '--reason',
      'INC-42 ERP outage',
      '--yes',
      '--json',
    ]);
    // Act 2: a replay that dies after re-publishing its first event, before deleting the message.
    const context = opsContext({ endpoint: env.AWS_ENDPOINT_URL });
    const deps = await context.deps();
    const send = deps.sqs.send.bind(deps.sqs);
    let deletes = 0;
    deps.sqs.send = ((command: unknown, ...rest: unknown[]) => {
      if (command instanceof DeleteMessageCommand && deletes++ === 0) throw new Error('killed');
      return (send as (...args: unknown[]) => unknown)(command, ...rest);
    }) as typeof deps.sqs.send;
    const { json: queues } = await ops(['dlq', 'list', '--json']);
    const exceptionsUrl = (queues as (QueueSummary & { url: string })[]).find((queue) =>
      queue.name.includes('ExceptionsQueue'),
    )?.url as string;
    const crashed = await runReplay(deps, {
      queueUrl: exceptionsUrl,
      filter: {},
      operator: 'jane',
      reason: 'INC-42 ERP outage',
      // The message it held comes back quickly (local time runs ten times faster).
      visibilitySec: 5,
    }).catch((error: Error) => error);
    context.close();
    const [interrupted] = (await ops(['audit', '--json'])).json as { id: string; status: string }[];
    await new Promise((resolve) => setTimeout(resolve, 1000));
    // Act 3: resume it.
    const resumed = await ops([
      'replay',
      'Exceptions',
      '--resume',
      interrupted?.id as string,
      '--reason',
      'INC-42 ERP outage',
      '--yes',
      '--json',
    ]);
    // Assess: six orders booked and invoiced exactly once, the queue empty, every replay audited.
    expect(first.json).toMatchObject({ published: 2, resumedDeletes: 0, failed: [], interrupted: false });
    expect((crashed as Error).message).toBe('killed');
    expect(interrupted?.status).toBe('interrupted');
    expect(resumed.json).toMatchObject({ published: 3, resumedDeletes: 1, interrupted: false });
    for (const order of orders) {
      const documents = await waitForInvoice(String(order.id));
      expect(documents.map((document) => document.type).sort()).toEqual(['invoice', 'sales-order']);
    }
    expect(await exceptionsDepth()).toBe(0);
    const audit = (await ops(['audit', '--json'])).json as {
      operator: string;
      reason: string;
      status: string;
    }[];
    expect(audit.slice(0, 2).map((record) => [record.operator, record.reason, record.status])).toEqual([
      ['jane', 'INC-42 ERP outage', 'done'],
      ['jane', 'INC-42 ERP outage', 'done'],
    ]);
  }, 120_000);

  it('parks a dead letter with a reason, edits an invalid one into a valid event, and replays the parked one later', async () => {
    // Prepare: two more orders fail; the second one's dead letter is replaced by a copy whose event breaks its
    // schema (no currency), as a mapping bug would leave it.
    const [parked, broken] = [shopifyOrder(), shopifyOrder()];
    await running.erpAdmin.addFault({ route: '/reservations', kind: 'refuse', rate: 1 });
    const secret = running.secrets.shopify?.[0] as string;
    for (const order of [parked, broken])
      await postShopifyOrder(running.platform.apiUrl, secret, JSON.stringify(order));
    const deadline = Date.now() + 60_000;
    while ((await exceptionsDepth()) < 2 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 500));
    await running.erpAdmin.clearFaults();
    const letters = (await ops(['dlq', 'show', 'Exceptions', '--json'])).json as {
      messageId: string;
      entity: string;
      entry: { detail: { data: Record<string, unknown> } };
    }[];
    const parkedLetter = letters.find((letter) => letter.entity === `order/${parked.id}`);
    const brokenLetter = letters.find((letter) => letter.entity === `order/${broken.id}`);
    const context = opsContext({ endpoint: env.AWS_ENDPOINT_URL });
    const { sqs } = context;
    const queueUrl = (
      ((await ops(['dlq', 'list', '--json'])).json as { name: string; url: string }[]).find((queue) =>
        queue.name.includes('ExceptionsQueue'),
      ) as { url: string }
    ).url;
    const { currency: _currency, ...dataWithoutCurrency } = brokenLetter?.entry.detail.data ?? {};
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 30 }),
    );
    const original = Messages.find((message) => message.MessageId === brokenLetter?.messageId);
    const body = JSON.parse(original?.Body ?? '{}');
    const { MessageId: invalidId } = await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: JSON.stringify({ ...body, event: { ...body.event, data: dataWithoutCurrency } }),
      }),
    );
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: original?.ReceiptHandle }));
    for (const message of Messages.filter((candidate) => candidate !== original))
      await sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: queueUrl,
          ReceiptHandle: message.ReceiptHandle,
          VisibilityTimeout: 0,
        }),
      );
    context.close();
    const dir = mkdtempSync(path.join(tmpdir(), 'concord-patch-'));
    writeFileSync(path.join(dir, 'still-broken.json'), JSON.stringify({ data: { currency: 'usd' } }));
    writeFileSync(path.join(dir, 'fix.json'), JSON.stringify({ data: { currency: 'USD' } }));
    // Act
    const park = await ops([
      'dlq',
      'park',
      'Exceptions',
      parkedLetter?.messageId as string,
      '--reason',
      'customer asked to wait',
      '--yes',
      '--json',
    ]);
    const inParking = (await ops(['dlq', 'show', 'Parking', '--json'])).json as {
      parkedReason: string;
      entity: string;
    }[];
    const refused = await ops([
      'replay',
      'Exceptions',
      '--edit',
      invalidId as string,
      '--patch',
      path.join(dir, 'still-broken.json'),
      '--reason',
      'fix currency',
    ]);
    const depthAfterRefusal = await exceptionsDepth();
    const edited = await ops([
      'replay',
      'Exceptions',
      '--edit',
      invalidId as string,
      '--patch',
      path.join(dir, 'fix.json'),
      '--reason',
      'fix currency',
      '--json',
    ]);
    const fromParking = await ops(['replay', 'Parking', '--reason', 'customer ready', '--yes', '--json']);
    rmSync(dir, { recursive: true, force: true });
    // Assess
    expect(park.json).toEqual({ parked: [parkedLetter?.messageId], notFound: [] });
    expect(inParking).toEqual([
      expect.objectContaining({ parkedReason: 'customer asked to wait', entity: `order/${parked.id}` }),
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('/data/currency');
    expect(depthAfterRefusal).toBe(1);
    expect(edited.json).toMatchObject({ eventId: expect.any(String) });
    expect(fromParking.json).toMatchObject({ published: 1 });
    for (const order of [parked, broken]) {
      const documents = await waitForInvoice(String(order.id));
      expect(documents.map((document) => document.type).sort()).toEqual(['invoice', 'sales-order']);
    }
    expect(await exceptionsDepth()).toBe(0);
    const audit = (await ops(['audit', '--json'])).json as { action: string; reason: string }[];
    expect(audit.slice(0, 3).map((record) => [record.action, record.reason])).toEqual([
      ['replay', 'customer ready'],
      ['edit', 'fix currency'],
      ['park', 'customer asked to wait'],
    ]);
  }, 120_000);

  it('replays from the raw archive through a fixed mapping what the old one quarantined', async () => {
    // Prepare: a payment without a currency, which the current declared mapping cannot map (422, quarantined).
    const payment = JSON.parse(
      readFileSync(path.join(__dirname, '../fixtures/billing-hub/payment-succeeded.json'), 'utf8'),
    );
    payment.data.id = `pay_${Date.now()}`;
    delete payment.data.currency;
    const body = JSON.stringify({ ...payment, timestamp: new Date().toISOString() });
    const url = `${running.platform.apiUrl}/webhooks/billing-hub`;
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...signWebhook('standard-webhooks', running.secrets['billing-hub']?.[0] as string, body, url),
      },
      body,
    });
    const observer = await observeBus(running.clients, 'observe-archive-replay', {
      'detail-type': ['billing.payment.succeeded.v1'],
      detail: { replayid: [{ exists: true }] },
    });
    // The fix: a payment without a currency is in the account's currency, USD.
    const sources = JSON.parse(
      readFileSync(path.join(__dirname, '../../schemas/governance/sources.json'), 'utf8'),
    );
    const succeeded = sources.sources['billing-hub'].declared.types['payment.succeeded'];
    succeeded.data = succeeded.data.replace(
      '$uppercase(data.currency)',
      "$uppercase(data.currency ? data.currency : 'usd')",
    );
    const dir = mkdtempSync(path.join(tmpdir(), 'concord-sources-'));
    writeFileSync(path.join(dir, 'sources.json'), JSON.stringify(sources));
    // Act
    const before = await ops([
      'replay',
      '--from-archive',
      '--since',
      '10m',
      '--source',
      'billing-hub',
      '--dry-run',
      '--json',
    ]);
    const replayed = await ops([
      'replay',
      '--from-archive',
      '--since',
      '10m',
      '--source',
      'billing-hub',
      '--sources',
      path.join(dir, 'sources.json'),
      '--reason',
      'currency mapping fix',
      '--yes',
      '--json',
    ]);
    rmSync(dir, { recursive: true, force: true });
    const deadline = Date.now() + 15_000;
    let events: { detail: { data: { paymentId: string; currency: string }; replayreason: string } }[] = [];
    while (events.length === 0 && Date.now() < deadline) {
      events = (await drainQueue(running.clients.sqs, observer)) as typeof events;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // Assess
    expect(response.status).toBe(422);
    expect(before.json.unmappable).toEqual([
      expect.objectContaining({ source: 'billing-hub', reason: expect.stringContaining('/data') }),
    ]);
    expect(replayed.json).toMatchObject({
      published: 1,
      unmappable: [],
      byType: { 'billing.payment.succeeded.v1': 1 },
    });
    expect(
      events.map((event) => [
        event.detail.data.paymentId,
        event.detail.data.currency,
        event.detail.replayreason,
      ]),
    ).toEqual([[payment.data.id, 'USD', 'currency mapping fix']]);
  }, 60_000);

  it('traces one order through ingest, the failed and the replayed workflow, the ERP and the version gate', async () => {
    // Prepare: the first order failed in the outage and was booked by a replay (above).
    const [order] = orders;
    const options = [
      '--data-dir',
      running.platform.runtime.options.dataDir,
      '--erp-url',
      running.erpUrl,
      '--json',
    ];
    // Act
    const byOrder = await ops(['trace', String(order?.id), ...options]);
    const [correlationId] = byOrder.json.subject.correlationIds as string[];
    const byCorrelation = await ops(['trace', correlationId as string, ...options]);
    const table = await ops(['trace', String(order?.id), ...options.slice(0, -1)]);
    // Assess
    const what = (byOrder.json.entries as { where: string; what: string }[]).map(
      (entry) => `${entry.where}: ${entry.what}`,
    );
    expect(what).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^IngestWebhook: events published: commerce\.order\.placed\.v1$/),
        expect.stringMatching(/^ErpAdapter: erp step failed: order-to-cash reserveInventory$/),
        expect.stringMatching(/^ErpAdapter: erp step done: order-to-cash createSalesOrder$/),
        expect.stringMatching(/^ERP: sales-order SO-\d+ INVOICED/),
        expect.stringMatching(/^ERP: invoice INV-\d+ OPEN/),
        expect.stringMatching(/^version gate: order\/\d+ at version \d+$/),
        'ops audit: replay by jane: INC-42 ERP outage',
      ]),
    );
    expect(byCorrelation.json.subject.entities).toEqual([`order/${order?.id}`]);
    expect(table.stdout).toMatch(/^TIME\s+WHERE\s+WHAT$/m);
    // And when each of its events reached the warehouse (the stream delivers every 6 s at this clock factor).
    const delivered = await eventually(
      async () => {
        const traced = await ops(['trace', String(order?.id), ...options]);
        const lines = (traced.json.entries as { where: string; what: string }[])
          .filter((entry) => entry.where === 'warehouse')
          .map((entry) => entry.what);
        return lines.some((line) => line.startsWith('erp.invoice.posted.v1')) ? lines : undefined;
      },
      30_000,
      1000,
    );
    expect(delivered).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          new RegExp(
            `^commerce\\.order\\.placed\\.v1 order/${order?.id} taken into the warehouse stream \\(event \\w+\\)$`,
          ),
        ),
        expect.stringMatching(new RegExp(`^erp\\.order\\.accepted\\.v1 order/${order?.id} taken into`)),
        expect.stringMatching(/^erp\.invoice\.posted\.v1 invoice\/INV-\d+ taken into/),
      ]),
    );
  }, 60_000);

  async function waitForInvoice(externalRef: string) {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const documents = await erp.listDocuments({ externalRef });
      if (documents.some((document) => document.type === 'invoice') || Date.now() > deadline)
        return documents;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
});
