import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import {
  CreateArchiveCommand,
  CreateEventBusCommand,
  DescribeReplayCommand,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
  StartReplayCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { athenaWarehouseQuery } from '../../functions/reconcile/athena-warehouse';
import { startTestRuntime } from './support/local-runtime';

describe('EventBridge archive replay (through the AWS SDK)', () => {
  let local: Awaited<ReturnType<typeof startTestRuntime>>;

  beforeAll(async () => {
    local = await startTestRuntime();
  });

  afterAll(async () => {
    await local.stop();
  });

  async function queue(name: string) {
    const { QueueUrl } = await local.clients.sqs.send(new CreateQueueCommand({ QueueName: name }));
    const { Attributes } = await local.clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    return { url: QueueUrl as string, arn: Attributes?.QueueArn as string };
  }

  async function drain(url: string): Promise<Record<string, unknown>[]> {
    const bodies: Record<string, unknown>[] = [];
    for (;;) {
      const { Messages = [] } = await local.clients.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      if (Messages.length === 0) return bodies;
      bodies.push(...Messages.map((message) => JSON.parse(message.Body ?? '{}')));
    }
  }

  async function rule(name: string, target: { arn: string }) {
    const { RuleArn } = await local.clients.events.send(
      new PutRuleCommand({
        Name: name,
        EventBusName: 'replay-bus',
        EventPattern: JSON.stringify({ source: ['concord.erp', 'concord.ingest'] }),
      }),
    );
    await local.clients.events.send(
      new PutTargetsCommand({
        Rule: name,
        EventBusName: 'replay-bus',
        Targets: [{ Id: 'q', Arn: target.arn }],
      }),
    );
    return RuleArn as string;
  }

  it("replays an archive's window to the named rule only, each event marked with the replay's name", async () => {
    // Prepare: two rules on a bus with an archive of the ERP's events.
    const { EventBusArn } = await local.clients.events.send(
      new CreateEventBusCommand({ Name: 'replay-bus' }),
    );
    const warehouse = await queue('warehouse-target');
    const writeBack = await queue('write-back-target');
    const warehouseRule = await rule('warehouse', warehouse);
    await rule('write-back', writeBack);
    const { ArchiveArn } = await local.clients.events.send(
      new CreateArchiveCommand({
        ArchiveName: 'erp-events',
        EventSourceArn: EventBusArn,
        EventPattern: JSON.stringify({ source: ['concord.erp'] }),
      }),
    );
    const put = (source: string, id: string) =>
      local.clients.events.send(
        new PutEventsCommand({
          Entries: [
            { EventBusName: 'replay-bus', Source: source, DetailType: 't', Detail: JSON.stringify({ id }) },
          ],
        }),
      );
    const start = new Date(Date.now() - 2000);
    await put('concord.erp', 'a');
    await put('concord.ingest', 'not-archived');
    await put('concord.erp', 'b');
    await drain(warehouse.url);
    await drain(writeBack.url);

    // Act
    await local.clients.events.send(
      new StartReplayCommand({
        ReplayName: 'mend-warehouse',
        EventSourceArn: ArchiveArn,
        EventStartTime: start,
        // The drains above took more than a second: the events' second (times are to the second) is over.
        EventEndTime: new Date(Date.now() - 50),
        Destination: { Arn: EventBusArn, FilterArns: [warehouseRule] },
      }),
    );
    let state: string | undefined;
    for (let attempt = 0; attempt < 50 && state !== 'COMPLETED'; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      state = (await local.clients.events.send(new DescribeReplayCommand({ ReplayName: 'mend-warehouse' })))
        .State;
    }

    // Assert
    expect(state).toBe('COMPLETED');
    const replayed = await drain(warehouse.url);
    expect(replayed.map((event) => (event.detail as { id: string }).id).sort()).toEqual(['a', 'b']);
    expect(replayed.map((event) => event['replay-name'])).toEqual(['mend-warehouse', 'mend-warehouse']);
    expect(await drain(writeBack.url)).toEqual([]);
  });

  it('refuses a replay of the future or of an unknown archive, as AWS does', async () => {
    const { EventBusArn } = await local.clients.events.send(new CreateEventBusCommand({ Name: 'other-bus' }));
    const request = {
      ReplayName: 'bad',
      EventSourceArn: 'arn:aws:events:us-east-1:000000000000:archive/nope',
      EventStartTime: new Date(Date.now() - 60_000),
      EventEndTime: new Date(Date.now() - 1000),
      Destination: { Arn: EventBusArn },
    };
    await expect(local.clients.events.send(new StartReplayCommand(request))).rejects.toThrow(
      'Archive nope does not exist.',
    );
    const { ArchiveArn } = await local.clients.events.send(
      new CreateArchiveCommand({ ArchiveName: 'other', EventSourceArn: EventBusArn }),
    );
    await expect(
      local.clients.events.send(
        new StartReplayCommand({
          ...request,
          EventSourceArn: ArchiveArn,
          EventEndTime: new Date(Date.now() + 60_000),
        }),
      ),
    ).rejects.toThrow('EventEndTime must be in the past.');
  });
});

describe('Athena over DuckDB (through the AWS SDK)', () => {
  let local: Awaited<ReturnType<typeof startTestRuntime>>;
  let athena: AthenaClient;

  beforeAll(async () => {
    local = await startTestRuntime();
    athena = new AthenaClient({
      endpoint: local.runtime.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    local.runtime.athena.putWorkGroup('concord-test', 's3://warehouse/athena-results/');
    local.runtime.athena.putGlueTable({
      database: 'concord_test',
      name: 'events',
      tableType: 'EXTERNAL_TABLE',
      location: 's3://warehouse/events/',
    });
    const dir = path.join(
      local.dataDir,
      's3',
      'warehouse',
      'events',
      'event_type=erp.order.accepted.v1',
      'event_date=2026-11-27',
    );
    mkdirSync(dir, { recursive: true });
    const events = Array.from({ length: 1500 }, (_, index) => ({
      specversion: '1.0',
      id: `ev-${index}`,
      source: 'erp://sandbox',
      type: 'erp.order.accepted.v1',
      subject: `order/${index}`,
      time: '2026-11-27T10:00:00.000Z',
      correlationid: `c-${index}`,
      causationid: `s-${index}`,
      entityversion: 1,
      data: {
        erpOrderNumber: `SO-${index}`,
        sourceOrderId: String(index),
        customerNumber: 'C-1',
        currency: 'USD',
        total: '1.00',
      },
    }));
    writeFileSync(
      path.join(dir, 'Concord-test-1-2026-11-27-10-00-05-0f0e8b8e-5d2b-4c4e-9f57-3a1c1f2d9e11.jsonl.gz'),
      gzipSync(events.map((event) => JSON.stringify(event)).join('\n')),
    );
  });

  afterAll(async () => {
    athena.destroy();
    await local.stop();
  });

  it('answers a model query in pages, as the Reconcile function reads it', async () => {
    const query = athenaWarehouseQuery(athena, {
      workGroup: 'concord-test',
      database: 'concord_test',
      sleep: (ms) => new Promise((r) => setTimeout(r, ms / 10)),
    });
    const rows = await query(
      'SELECT source_order_id, status, CAST(total AS VARCHAR) AS total FROM orders ORDER BY 1',
    );
    expect(rows).toHaveLength(1500);
    expect(rows[0]).toEqual({ source_order_id: '0', status: 'ACCEPTED', total: '1.0000' });
  });

  it('reads no file but the warehouse snapshot, and writes none: any client of the edge can send SQL', async () => {
    const query = athenaWarehouseQuery(athena, { workGroup: 'concord-test', database: 'concord_test' });
    await expect(query("SELECT * FROM read_csv('/etc/passwd')")).rejects.toThrow(
      /file system operations are disabled/,
    );
    await expect(query(`COPY (SELECT 1) TO '${path.join(local.dataDir, 'written.csv')}'`)).rejects.toThrow(
      /file system operations are disabled/,
    );
  });

  it('fails a bad query with the engine reason, and refuses an unknown workgroup or database', async () => {
    const { QueryExecutionId } = await athena.send(
      new StartQueryExecutionCommand({
        QueryString: 'SELECT nope FROM orders',
        WorkGroup: 'concord-test',
        QueryExecutionContext: { Database: 'concord_test' },
      }),
    );
    let state: string | undefined;
    let reason: string | undefined;
    for (let attempt = 0; attempt < 50 && (!state || state === 'RUNNING'); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const { QueryExecution } = await athena.send(new GetQueryExecutionCommand({ QueryExecutionId }));
      state = QueryExecution?.Status?.State;
      reason = QueryExecution?.Status?.StateChangeReason;
    }
    expect(state).toBe('FAILED');
    expect(reason).toMatch(/nope/);
    await expect(athena.send(new GetQueryResultsCommand({ QueryExecutionId }))).rejects.toThrow(
      /not yet finished|FAILED/,
    );
    await expect(
      athena.send(
        new StartQueryExecutionCommand({
          QueryString: 'SELECT 1',
          WorkGroup: 'nope',
          QueryExecutionContext: { Database: 'concord_test' },
        }),
      ),
    ).rejects.toThrow('WorkGroup nope is not found.');
    await expect(
      athena.send(
        new StartQueryExecutionCommand({
          QueryString: 'SELECT 1',
          WorkGroup: 'concord-test',
          QueryExecutionContext: { Database: 'nope' },
        }),
      ),
    ).rejects.toThrow('Database nope has no events table.');
  });
});
