import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type ErpCredentials, staticErpCredentials } from '../../functions/shared/erp/erp-credentials';
import { ErpOutcomeUnknownError, ErpUnavailableError } from '../../functions/shared/erp/erp-errors';
import { HttpErpConnector } from '../../functions/shared/erp/http-erp-connector';
import {
  PlatformRefusedError,
  type PlatformStatusUpdate,
  PlatformUnavailableError,
} from '../../functions/shared/write-back/platform-status-port';
import { SandboxPlatformOutbox } from '../../functions/shared/write-back/sandbox-platform-outbox';
import { type ErpSandbox, type FaultKind, startErpSandbox } from '../../local/erp-sandbox/erp-sandbox-server';
import { ErpSandboxAdmin, type FaultRequest } from '../../local/erp-sandbox/sandbox-admin';
import { describeErpPortContract } from './erp-port-contract';

function apiKeyOf(erp: ErpSandbox): ErpCredentials {
  return staticErpCredentials(erp.credentials.apiKeys[0] as string);
}

async function sandbox(): Promise<{ erp: ErpSandbox; dir: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'concord-erp-'));
  return { erp: await startErpSandbox({ dataDir: dir, port: 0 }), dir };
}

describeErpPortContract('HttpErpConnector over the ERP sandbox', async () => {
  const { erp, dir } = await sandbox();
  return {
    port: new HttpErpConnector({ baseUrl: erp.url, credentials: apiKeyOf(erp) }),
    close: async () => {
      await erp.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('ERP sandbox (faults, idempotency, audit, outbox)', () => {
  let erp: ErpSandbox;
  let dir: string;
  let connector: HttpErpConnector;
  let admin: ErpSandboxAdmin;

  beforeAll(async () => {
    ({ erp, dir } = await sandbox());
    connector = new HttpErpConnector({ baseUrl: erp.url, credentials: apiKeyOf(erp), timeoutMs: 300 });
    admin = new ErpSandboxAdmin(erp.url, erp.credentials.adminToken);
  });

  afterAll(async () => {
    await erp.close();
    rmSync(dir, { recursive: true, force: true });
  });

  afterEach(async () => {
    await admin.clearFaults();
  });

  async function fault(body: FaultRequest): Promise<void> {
    await admin.addFault(body);
  }

  it('maps injected 5xx to ErpUnavailableError and 429 to ErpThrottledError with Retry-After', async () => {
    await fault({ route: '/credit-checks', kind: '5xx', rate: 1 });
    await expect(
      connector.checkCredit({ customerNumber: 'C-000001', amount: '1.00', currency: 'USD' }),
    ).rejects.toBeInstanceOf(ErpUnavailableError);
    await admin.clearFaults();
    await fault({ route: '/quotes', kind: '429', rate: 1, retryAfterSec: 7 });
    await expect(
      connector.quote({
        customerNumber: 'C-000001',
        currency: 'USD',
        lines: [{ sku: 'CAP-WOOL-OS', quantity: 1 }],
      }),
    ).rejects.toMatchObject({ name: 'ErpThrottledError', retryAfterSec: 7 });
  });

  it('fires a fault with `times` exactly that often and reports the count', async () => {
    await fault({ route: '/credit-checks', kind: '5xx', rate: 1, times: 2 });
    const check = () =>
      connector.checkCredit({ customerNumber: 'C-000001', amount: '1.00', currency: 'USD' });
    await expect(check()).rejects.toBeInstanceOf(ErpUnavailableError);
    await expect(check()).rejects.toBeInstanceOf(ErpUnavailableError);
    await expect(check()).resolves.toMatchObject({ decision: 'approved' });
    expect(await admin.faults()).toEqual([expect.objectContaining({ times: 2, fired: 2 })]);
    await expect(fault({ route: '/x', kind: '5xx', times: 0 })).rejects.toThrow(/answered 400/);
  });

  it('turns a timeout into ErpUnavailableError at the connector deadline', async () => {
    await fault({ route: '/credit-*', kind: 'timeout', rate: 1, latencyMs: 1000 });
    const started = Date.now();
    await expect(
      connector.checkCredit({ customerNumber: 'C-000001', amount: '1.00', currency: 'USD' }),
    ).rejects.toBeInstanceOf(ErpUnavailableError);
    expect(Date.now() - started).toBeLessThan(900);
  });

  it('adds latency without failing', async () => {
    await fault({ route: '/credit-checks', kind: 'latency', rate: 1, latencyMs: 150 });
    const started = Date.now();
    const decision = await new HttpErpConnector({ baseUrl: erp.url, credentials: apiKeyOf(erp) }).checkCredit(
      {
        customerNumber: 'C-000001',
        amount: '1.00',
        currency: 'USD',
      },
    );
    expect([decision.decision, Date.now() - started >= 150]).toEqual(['approved', true]);
  });

  describe.each<[FaultKind, string]>([
    ['5xx-after-commit', 'a gateway answers 504 with an HTML page'],
    ['reset-after-commit', 'the connection is reset'],
    ['timeout-after-commit', 'the answer is held past the deadline'],
  ])('after the ERP committed a change, %s (%s)', (kind) => {
    it('fails as ErpOutcomeUnknownError, and the ERP answers for the change under its key', async () => {
      // Prepare
      const key = `k-${kind}`;
      await fault({ route: '/sales-orders', kind, rate: 1, times: 1, latencyMs: 1000 });
      const create = () =>
        connector.createSalesOrder(
          {
            externalRef: `shop-${kind}`,
            customerNumber: 'C-000001',
            currency: 'USD',
            lines: [{ sku: 'CAP-WOOL-OS', quantity: 1 }],
          },
          key,
        );
      // Act
      const failure = await create().catch((error: unknown) => error);
      const lookup = await connector.lookupChange(key);
      const retried = await create();
      // Assess
      expect(failure).toBeInstanceOf(ErpOutcomeUnknownError);
      expect(lookup).toEqual({
        state: 'committed',
        result: expect.objectContaining({ externalRef: `shop-${kind}`, status: 'ACCEPTED' }),
      });
      expect(retried.number).toBe((lookup as { result: { number: string } }).result.number);
    });
  });

  it('fails a change whose answer is a 5xx before it committed as unknown, and confirms the key is absent', async () => {
    // Prepare
    await fault({ route: '/reservations', kind: '5xx', rate: 1, times: 1 });
    // Act
    const failure = await connector
      .reserveInventory(
        { orderRef: 'shop-5xx-before', lines: [{ sku: 'CAP-WOOL-OS', quantity: 1 }] },
        'k-5xx-before',
      )
      .catch((error: unknown) => error);
    // Assess
    expect(failure).toBeInstanceOf(ErpOutcomeUnknownError);
    expect(await connector.lookupChange('k-5xx-before')).toEqual({ state: 'absent' });
  });

  it('reports a change still being processed as in flight, never as absent', async () => {
    // Prepare: the ERP takes a second, the connector gives up after 300 ms
    await fault({ route: '/reservations', kind: 'latency', rate: 1, times: 1, latencyMs: 1000 });
    const failure = await connector
      .reserveInventory({ orderRef: 'shop-slow', lines: [{ sku: 'CAP-WOOL-OS', quantity: 1 }] }, 'k-slow')
      .catch((error: unknown) => error);
    // Act
    const during = await connector.lookupChange('k-slow');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const after = await connector.lookupChange('k-slow');
    // Assess
    expect(failure).toBeInstanceOf(ErpOutcomeUnknownError);
    expect(during).toEqual({ state: 'in-flight' });
    expect(after).toMatchObject({ state: 'committed', result: { orderRef: 'shop-slow', status: 'ACTIVE' } });
  });

  it('fails a request that never reached the ERP as ErpUnavailableError, change or not', async () => {
    // Prepare: nothing listens on the port of a closed server
    const closed = await sandbox();
    await closed.erp.close();
    rmSync(closed.dir, { recursive: true, force: true });
    const unreachable = new HttpErpConnector({
      baseUrl: closed.erp.url,
      credentials: apiKeyOf(closed.erp),
      timeoutMs: 300,
    });
    // Act
    const failure = await unreachable.postInvoice('SO-1', 'k-unreachable').catch((error: unknown) => error);
    // Assess
    expect(failure).toBeInstanceOf(ErpUnavailableError);
  });

  it('rejects an invalid fault', async () => {
    await expect(fault({ route: '/x', kind: 'explode' as never, rate: 1 })).rejects.toThrow(/answered 400/);
  });

  it('requires an Idempotency-Key on changes and refuses one reused for another request', async () => {
    const authorization = `Bearer ${erp.credentials.apiKeys[0]}`;
    const withoutKey = await fetch(`${erp.url}/invoices`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization },
      body: '{"orderNumber":"SO-1"}',
    });
    const post = (body: object) =>
      fetch(`${erp.url}/customers`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': 'k-1', authorization },
        body: JSON.stringify(body),
      });
    const first = await post({ crmId: 'crm-k1', fields: { name: 'A' } });
    const replay = await post({ crmId: 'crm-k1', fields: { name: 'A' } });
    const reused = await post({ crmId: 'crm-k1', fields: { name: 'B' } });
    expect([
      withoutKey.status,
      first.status,
      replay.status,
      replay.headers.get('idempotent-replayed'),
      reused.status,
    ]).toEqual([400, 201, 201, 'true', 422]);
    expect(await reused.json()).toMatchObject({ code: 'idempotency_key_reused' });
  });

  it('releases a credit hold as a finance user would, auditing it and emitting the release event', async () => {
    // Prepare
    const order = await connector.createSalesOrder(
      {
        externalRef: 'shop-hold-1',
        customerNumber: 'C-000003',
        currency: 'USD',
        lines: [{ sku: 'CAP-WOOL-OS', quantity: 1 }],
        creditHold: true,
      },
      'k-hold-1',
    );
    // Act
    await admin.releaseCreditHold(order.number);
    const outbox = await connector.readOutbox(0);
    const audit = await admin.audit(5);
    // Assess
    expect(outbox.at(-1)).toMatchObject({
      type: 'order.credit-released',
      payload: { orderNumber: order.number, releasedBy: 'finance' },
    });
    expect(audit.entries[0]).toMatchObject({ action: 'release-credit-hold', actor: 'finance' });
  });
});

describe('ERP sandbox credentials (the connector authenticates, the sandbox enforces it)', () => {
  let erp: ErpSandbox;
  let dir: string;

  beforeAll(async () => {
    ({ erp, dir } = await sandbox());
  });

  afterAll(async () => {
    await erp.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const order = (externalRef: string) => ({
    externalRef,
    customerNumber: 'C-000001',
    currency: 'USD',
    lines: [{ sku: 'CAP-WOOL-OS', quantity: 1 }],
  });

  it('refuses a change without an API key, or with another one, with 401 problem+json, and books nothing', async () => {
    // Prepare
    const post = (authorization?: string) =>
      fetch(`${erp.url}/sales-orders`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': `k-${authorization ?? 'none'}`,
          ...(authorization ? { authorization } : {}),
        },
        body: JSON.stringify(order('shop-unauthorized')),
      });
    // Act
    const answers = [
      await post(),
      await post('Bearer not-the-key'),
      await post(`Basic ${erp.credentials.apiKeys[0]}`),
    ];
    // Assess
    expect(answers.map((answer) => [answer.status, answer.headers.get('content-type')])).toEqual(
      answers.map(() => [401, 'application/problem+json']),
    );
    const connector = new HttpErpConnector({ baseUrl: erp.url, credentials: apiKeyOf(erp) });
    expect(await connector.findSalesOrder('shop-unauthorized')).toBeUndefined();
  });

  it('reads the API key again after a 401 (rotated since it was read) and succeeds', async () => {
    // Prepare: a source whose cached key is stale until it is read again
    const reads: boolean[] = [];
    const rotating: ErpCredentials = {
      apiKey: async (options) => {
        reads.push(options?.refresh ?? false);
        return options?.refresh ? (erp.credentials.apiKeys[0] as string) : 'the-key-before-rotation';
      },
    };
    // Act
    const created = await new HttpErpConnector({ baseUrl: erp.url, credentials: rotating }).createSalesOrder(
      order('shop-rotated'),
      'k-rotated',
    );
    // Assess
    expect(created.status).toBe('ACCEPTED');
    expect(reads).toEqual([false, true]);
  });

  it('fails as ErpUnavailableError when the ERP refuses the key read again too', async () => {
    // Act
    const failure = await new HttpErpConnector({
      baseUrl: erp.url,
      credentials: staticErpCredentials('wrong-key-0123456789'),
    })
      .createSalesOrder(order('shop-wrong-key'), 'k-wrong-key')
      .catch((error: unknown) => error);
    // Assess
    expect(failure).toBeInstanceOf(ErpUnavailableError);
    expect((failure as Error).message).toContain("refused Concord's API key");
  });

  it('keeps its admin API to its token, refusing browsers and text/plain posts', async () => {
    // Prepare
    const token = `Bearer ${erp.credentials.adminToken}`;
    const faults = (headers: Record<string, string>, body = '{"route":"/x","kind":"5xx"}') =>
      fetch(`${erp.url}/_admin/faults`, { method: 'POST', headers, body });
    // Act
    const answers = await Promise.all([
      faults({ 'content-type': 'application/json' }),
      faults({ 'content-type': 'application/json', authorization: `Bearer ${erp.credentials.apiKeys[0]}` }),
      faults({ 'content-type': 'text/plain', authorization: token }),
      faults({ 'content-type': 'application/json', authorization: token, origin: 'https://evil.example' }),
    ]);
    const active = await new ErpSandboxAdmin(erp.url, erp.credentials.adminToken).faults();
    // Assess
    expect(answers.map((answer) => answer.status)).toEqual([401, 401, 415, 403]);
    expect(active).toEqual([]);
  });

  it('keeps the same credentials across a restart on the same data directory', async () => {
    // Act
    const again = await startErpSandbox({ dataDir: dir, port: 0 });
    await again.close();
    // Assess
    expect(again.credentials).toEqual(erp.credentials);
  });
});

describe('ERP sandbox platform outbox (what the write-back sends to platforms)', () => {
  let erp: ErpSandbox;
  let dir: string;
  const update: PlatformStatusUpdate = {
    platform: 'shopify',
    origin: 'shopify://acme.myshopify.com',
    entity: 'order',
    externalRef: '7001',
    status: 'accepted',
    erpReference: 'SO-000001',
    fields: { erp_status: 'accepted', erp_order_number: 'SO-000001' },
    correlationId: 'corr-7001',
    sourceEventId: '01JD0000000000000000000000',
    occurredAt: '2026-11-27T10:00:00.000Z',
  };

  beforeAll(async () => {
    ({ erp, dir } = await sandbox());
  });

  afterAll(async () => {
    await erp.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function recorded(externalRef: string) {
    const response = await fetch(`${erp.url}/platform-outbox?externalRef=${externalRef}`);
    return ((await response.json()) as { updates: object[] }).updates;
  }

  it('records an update once per idempotency key', async () => {
    const outbox = new SandboxPlatformOutbox({ baseUrl: erp.url });
    await outbox.send(update, 'write-back:shopify:order/7001:accepted:SO-000001');
    await outbox.send(update, 'write-back:shopify:order/7001:accepted:SO-000001');
    expect(await recorded('7001')).toEqual([expect.objectContaining({ seq: 1, ...update })]);
  });

  it('refuses an invalid update with a reason and records nothing', async () => {
    const outbox = new SandboxPlatformOutbox({ baseUrl: erp.url });
    const invalid = { ...update, externalRef: '7002', status: 'shipped' } as unknown as PlatformStatusUpdate;
    const failure = (await outbox.send(invalid, 'k-7002').catch((error: unknown) => error)) as Error;
    expect(failure).toBeInstanceOf(PlatformRefusedError);
    expect(failure.message).toContain(
      'status must be one of accepted, credit-held, invoiced, customer-linked',
    );
    expect(await recorded('7002')).toEqual([]);
  });

  it('reports an outage as retryable', async () => {
    const admin = new ErpSandboxAdmin(erp.url, erp.credentials.adminToken);
    await admin.addFault({ route: '/platform-outbox', kind: '5xx', rate: 1 });
    const outbox = new SandboxPlatformOutbox({ baseUrl: erp.url });
    await expect(outbox.send({ ...update, externalRef: '7003' }, 'k-7003')).rejects.toBeInstanceOf(
      PlatformUnavailableError,
    );
    await admin.clearFaults();
  });
});
