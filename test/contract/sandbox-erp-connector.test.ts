import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ErpOutcomeUnknownError, ErpUnavailableError } from '../../functions/shared/erp/erp-errors';
import { SandboxErpConnector } from '../../functions/shared/erp/sandbox-erp-connector';
import {
  PlatformRefusedError,
  type PlatformStatusUpdate,
  PlatformUnavailableError,
} from '../../functions/shared/write-back/platform-status-port';
import { SandboxPlatformOutbox } from '../../functions/shared/write-back/sandbox-platform-outbox';
import { type ErpSandbox, startErpSandbox } from '../../local/erp-sandbox/erp-sandbox-server';
import { describeErpPortContract } from './erp-port-contract';

async function sandbox(): Promise<{ erp: ErpSandbox; dir: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'concord-erp-'));
  return { erp: await startErpSandbox({ dataDir: dir, port: 0 }), dir };
}

describeErpPortContract('SandboxErpConnector over the ERP sandbox', async () => {
  const { erp, dir } = await sandbox();
  return {
    port: new SandboxErpConnector({ baseUrl: erp.url }),
    close: async () => {
      await erp.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('ERP sandbox (faults, idempotency, audit, outbox)', () => {
  let erp: ErpSandbox;
  let dir: string;
  let connector: SandboxErpConnector;

  beforeAll(async () => {
    ({ erp, dir } = await sandbox());
    connector = new SandboxErpConnector({ baseUrl: erp.url, timeoutMs: 300 });
  });

  afterAll(async () => {
    await erp.close();
    rmSync(dir, { recursive: true, force: true });
  });

  afterEach(async () => {
    await fetch(`${erp.url}/_admin/faults`, { method: 'DELETE' });
  });

  async function fault(body: object): Promise<number> {
    return (
      await fetch(`${erp.url}/_admin/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    ).status;
  }

  it('maps injected 5xx to ErpUnavailableError and 429 to ErpThrottledError with Retry-After', async () => {
    await fault({ route: '/credit-checks', kind: '5xx', rate: 1 });
    await expect(
      connector.checkCredit({ customerNumber: 'C-000001', amount: '1.00', currency: 'USD' }),
    ).rejects.toBeInstanceOf(ErpUnavailableError);
    await fetch(`${erp.url}/_admin/faults`, { method: 'DELETE' });
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
    const { faults } = (await (await fetch(`${erp.url}/_admin/faults`)).json()) as { faults: object[] };
    expect(faults).toEqual([expect.objectContaining({ times: 2, fired: 2 })]);
    expect(await fault({ route: '/x', kind: '5xx', times: 0 })).toBe(400);
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
    const decision = await new SandboxErpConnector({ baseUrl: erp.url }).checkCredit({
      customerNumber: 'C-000001',
      amount: '1.00',
      currency: 'USD',
    });
    expect([decision.decision, Date.now() - started >= 150]).toEqual(['approved', true]);
  });

  describe.each([
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
    const unreachable = new SandboxErpConnector({ baseUrl: closed.erp.url, timeoutMs: 300 });
    // Act
    const failure = await unreachable.postInvoice('SO-1', 'k-unreachable').catch((error: unknown) => error);
    // Assess
    expect(failure).toBeInstanceOf(ErpUnavailableError);
  });

  it('rejects an invalid fault', async () => {
    expect(await fault({ route: '/x', kind: 'explode', rate: 1 })).toBe(400);
  });

  it('requires an Idempotency-Key on changes and refuses one reused for another request', async () => {
    const withoutKey = await fetch(`${erp.url}/invoices`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"orderNumber":"SO-1"}',
    });
    const post = (body: object) =>
      fetch(`${erp.url}/customers`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': 'k-1' },
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
    const released = await fetch(`${erp.url}/_admin/credit-holds/${order.number}/release`, {
      method: 'POST',
    });
    const outbox = (await (await fetch(`${erp.url}/outbox?after=0`)).json()) as {
      events: { type: string; payload: { orderNumber: string; releasedBy: string } }[];
    };
    const audit = (await (await fetch(`${erp.url}/_admin/audit?limit=5`)).json()) as {
      entries: { action: string; actor: string }[];
    };
    // Assess
    expect(released.status).toBe(200);
    expect(outbox.events.at(-1)).toMatchObject({
      type: 'order.credit-released',
      payload: { orderNumber: order.number, releasedBy: 'finance' },
    });
    expect(audit.entries[0]).toMatchObject({ action: 'release-credit-hold', actor: 'finance' });
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
    await fetch(`${erp.url}/_admin/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ route: '/platform-outbox', kind: '5xx', rate: 1 }),
    });
    const outbox = new SandboxPlatformOutbox({ baseUrl: erp.url });
    await expect(outbox.send({ ...update, externalRef: '7003' }, 'k-7003')).rejects.toBeInstanceOf(
      PlatformUnavailableError,
    );
    await fetch(`${erp.url}/_admin/faults`, { method: 'DELETE' });
  });
});
