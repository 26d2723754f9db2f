/** The Reconciliation and Audit pages' routes without a runtime: bad input is refused before the stage is asked. */

import type { QueryCommandInput } from '@aws-sdk/client-dynamodb';
import type { Hono } from 'hono';
import type { OpsContext } from '../../cli/ops-context';
import { createConsoleApp } from '../../console/server/app';
import { buildConsoleAssets, type ConsoleAssets } from '../../console/server/assets';
import type { ConsoleEnv } from '../../console/server/console-page';
import { auditPage, auditQueryOf, transactionsOf } from '../../console/server/pages/audit';
import { reconciliationPage, transactionOf } from '../../console/server/pages/reconciliation';
import { ReplayRuns } from '../../console/server/replay-runs';
import { OpsJournal } from '../../functions/replay/ops-journal';
import type { AuditRecord } from '../../functions/replay/ports';

const host = '127.0.0.1:4580';

describe('the Reconciliation and Audit routes', () => {
  let assets: ConsoleAssets;
  let app: Hono<ConsoleEnv>;
  let queries: QueryCommandInput[];
  let sent: string[];

  beforeAll(async () => {
    assets = await buildConsoleAssets();
  });

  beforeEach(() => {
    queries = [];
    sent = [];
    // Records what the pages ask of the stage: the S3 listing of kept runs, any Lambda invoke, the audit's reads.
    const context = {
      stage: 'test',
      operator: async () => 'jane',
      bucketName: async () => 'warehouse',
      functionName: async () => 'Concord-test-Stateless-Reconcile',
      s3: {
        async send(command: object) {
          sent.push(command.constructor.name);
          return { Contents: [] };
        },
      },
      lambda: {
        async send(command: object) {
          sent.push(command.constructor.name);
          return {};
        },
      },
      // The real journal over a DynamoDB that records each Query and holds nothing.
      deps: async () => ({
        journal: new OpsJournal(
          {
            async send(command: { input: QueryCommandInput }) {
              queries.push(command.input);
              return { Items: [] };
            },
          } as never,
          'audit',
        ),
      }),
    } as unknown as OpsContext;
    app = createConsoleApp({
      pages: [reconciliationPage, auditPage],
      services: { context, runs: new ReplayRuns() },
      assets,
      allowedHosts: () => [host],
    });
  });

  it('refuses an audit filter with a time or an action that is not one, without reading the journal', async () => {
    // Act
    const badTime = await app.request('/audit?since=yesterday', { headers: { host } });
    const badAction = await app.request('/audit?action=delete', { headers: { host } });
    const badCursor = await app.request('/audit?after=pk%3Dx', { headers: { host } });
    // Assess
    expect(badTime.status).toBe(400);
    expect(await badTime.text()).toContain('since: &quot;yesterday&quot; is neither a duration');
    expect(badAction.status).toBe(400);
    expect(await badAction.text()).toContain(
      'action: &quot;delete&quot; is none of replay, park, edit, reveal',
    );
    expect(badCursor.status).toBe(400);
    expect(await badCursor.text()).toContain('is not a cursor of this audit');
    expect(queries).toEqual([]);
  });

  it('reads the journal with the operator, action, queue and time range asked for', async () => {
    // Act
    const response = await app.request(
      '/audit?operator=jane&action=replay&queue=reconciliation%3A01X&since=2026-11-29T10:00:00Z&until=2026-11-29T11:00:00Z',
      { headers: { host } },
    );
    // Assess
    expect(response.status).toBe(200);
    expect(queries).toEqual([
      {
        TableName: 'audit',
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lower AND :upper',
        FilterExpression: '#operator = :operator AND #action = :action AND #queue = :queue',
        ExpressionAttributeNames: { '#operator': 'operator', '#action': 'action', '#queue': 'queue' },
        ExpressionAttributeValues: {
          ':pk': { S: 'audit' },
          ':lower': { S: '2026-11-29T10:00:00.000Z' },
          ':upper': { S: '2026-11-29T11:00:00.000Z#' },
          ':operator': { S: 'jane' },
          ':action': { S: 'replay' },
          ':queue': { S: 'reconciliation:01X' },
        },
        ScanIndexForward: false,
        Limit: 50,
        ExclusiveStartKey: undefined,
      },
    ]);
  });

  it('refuses a reconciliation window it cannot read, and invokes no function', async () => {
    // Prepare
    const page = await app.request('/reconciliation', { headers: { host } });
    const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const token = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] as string;
    // Act
    const response = await app.request('/reconciliation/run', {
      method: 'POST',
      headers: { host, cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: token, since: '2h', until: '3h' }).toString(),
    });
    // Assess
    expect(response.status).toBe(400);
    expect(await response.text()).toContain(
      'since 2h is not before until 3h. No reconciliation was started.',
    );
    expect(sent).not.toContain('InvokeCommand');
  });

  it('names the transaction of a mismatch by its correlation id, else an order by its shop id', () => {
    // Act
    const correlated = transactionOf({ entity: 'invoice', key: 'INV-1', correlationId: 'c-1' });
    const order = transactionOf({ entity: 'order', key: '5820741173332' });
    const invoice = transactionOf({ entity: 'invoice', key: 'INV-2' });
    // Assess
    expect(correlated).toBe('/transaction/c-1');
    expect(order).toBe('/transaction/5820741173332');
    expect(invoice).toBeUndefined();
  });

  it('finds the transactions an audit entry acted on, whatever its action', () => {
    // Prepare
    const entry = (detail: Record<string, unknown>): AuditRecord => ({
      id: '1',
      action: 'replay',
      operator: 'jane',
      reason: 'x',
      queue: 'q',
      at: '2026-11-29T10:00:00.000Z',
      status: 'done',
      detail,
    });
    // Act
    const plan = transactionsOf(entry({ entities: ['order/1', 'order/2'] }));
    const reveal = transactionsOf(entry({ entity: 'order/3', transaction: 'c-3' }));
    const edit = transactionsOf(entry({ before: { correlationid: 'c-4' } }));
    const none = transactionsOf(entry({ filter: {} }));
    // Assess
    expect(plan).toEqual(['1', '2']);
    expect(reveal).toEqual(['3', 'c-3']);
    expect(edit).toEqual(['c-4']);
    expect(none).toEqual([]);
  });

  it('turns durations into instants before now and refuses an empty time range', () => {
    // Prepare
    const now = new Date('2026-11-29T12:00:00Z');
    // Act
    const query = auditQueryOf({ since: '2h' }, undefined, now);
    // Assess
    expect(query).toEqual({ since: new Date('2026-11-29T10:00:00Z'), limit: 50 });
    expect(() => auditQueryOf({ since: '1h', until: '2h' }, undefined, now)).toThrow(
      'since 1h is not before until 2h',
    );
  });
});
