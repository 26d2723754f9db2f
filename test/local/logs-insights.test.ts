import {
  CloudWatchLogsClient,
  DescribeQueriesCommand,
  GetLogRecordCommand,
  GetQueryResultsCommand,
  type GetQueryResultsCommandOutput,
  InvalidParameterException,
  MalformedQueryException,
  ResourceNotFoundException,
  StartQueryCommand,
  type StartQueryCommandInput,
  StopQueryCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { startTestRuntime } from './support/local-runtime';

const ingestGroup = '/aws/lambda/ingest';
const adapterGroup = '/aws/lambda/adapter';

describe('CloudWatch Logs Insights (through the AWS SDK)', () => {
  let local: Awaited<ReturnType<typeof startTestRuntime>>;
  let logs: CloudWatchLogsClient;
  let window: { startTime: number; endTime: number };

  beforeAll(async () => {
    local = await startTestRuntime();
    logs = new CloudWatchLogsClient({
      endpoint: local.runtime.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const startTime = Math.floor(Date.now() / 1000) - 60;
    // Two functions writing structured lines to their default groups, as Lambda creates them.
    await local.deployFunction(
      'ingest',
      `exports.handler = async (event) => {
         console.log(JSON.stringify({ level: 'INFO', message: 'Webhook accepted', correlation_id: event.id, order: { id: event.order }, durationMs: event.ms }));
         return 'ok';
       };`,
    );
    await local.deployFunction(
      'adapter',
      `exports.handler = async (event) => {
         console.log(JSON.stringify({ level: event.fail ? 'ERROR' : 'INFO', message: event.fail ? 'erp step failed' : 'erp step done', correlation_id: event.id, durationMs: event.ms }));
         return 'ok';
       };`,
    );
    const invoke = (FunctionName: string, payload: unknown) =>
      local.clients.lambda.send(
        new InvokeCommand({ FunctionName, Payload: Buffer.from(JSON.stringify(payload)) }),
      );
    await invoke('ingest', { id: '01Q-A', order: 1001, ms: 120 });
    await invoke('adapter', { id: '01Q-A', fail: true, ms: 900 });
    await invoke('adapter', { id: '01Q-A', fail: false, ms: 300 });
    await invoke('ingest', { id: '01Q-B', order: 1002, ms: 80 });
    await invoke('adapter', { id: '01Q-B', fail: false, ms: 100 });
    window = { startTime, endTime: Math.ceil(Date.now() / 1000) + 60 };
  });

  afterAll(async () => {
    logs.destroy();
    await local.stop();
  });

  /** Starts a query and polls until it is no longer scheduled or running, keeping every status seen. */
  async function query(
    input: Omit<StartQueryCommandInput, 'startTime' | 'endTime'> & { startTime?: number; endTime?: number },
  ): Promise<GetQueryResultsCommandOutput & { seen: string[] }> {
    const { queryId } = await logs.send(new StartQueryCommand({ ...window, ...input }));
    const seen: string[] = [];
    for (;;) {
      const answer = await logs.send(new GetQueryResultsCommand({ queryId }));
      seen.push(answer.status ?? '');
      if (answer.status !== 'Scheduled' && answer.status !== 'Running') return { ...answer, seen };
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  const cells = (answer: GetQueryResultsCommandOutput) =>
    (answer.results ?? []).map((row) => Object.fromEntries(row.map((cell) => [cell.field, cell.value])));

  it('finds one transaction across log groups, with JSON fields, @log and @ptr, sorted by time', async () => {
    // Act
    const answer = await query({
      logGroupNames: [ingestGroup, adapterGroup],
      queryString:
        'fields @timestamp, @log, message, order.id | filter correlation_id = "01Q-A" | sort @timestamp asc',
    });
    // Assess
    expect(answer.status).toBe('Complete');
    const rows = cells(answer);
    expect(rows.map((row) => [row['@log'], row.message, row['order.id']])).toEqual([
      ['000000000000:/aws/lambda/ingest', 'Webhook accepted', '1001'],
      ['000000000000:/aws/lambda/adapter', 'erp step failed', undefined],
      ['000000000000:/aws/lambda/adapter', 'erp step done', undefined],
    ]);
    expect(rows[0]?.['@timestamp']).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$/);
    expect(rows.map((row) => row['@ptr'])).toEqual(Array(rows.length).fill(expect.stringMatching(/./)));
    expect(answer.statistics).toEqual({
      recordsMatched: 3,
      recordsScanned: expect.any(Number),
      bytesScanned: expect.any(Number),
    });
    expect(answer.statistics?.recordsScanned).toBeGreaterThanOrEqual(5);
    expect(answer.seen.at(-1)).toBe('Complete');
  });

  it('answers every field of the event a @ptr names', async () => {
    // Prepare
    const answer = await query({
      logGroupName: ingestGroup,
      queryString: 'fields message | filter correlation_id = "01Q-B"',
    });
    const pointer = answer.results?.[0]?.find((cell) => cell.field === '@ptr')?.value;
    // Act
    const { logRecord } = await logs.send(new GetLogRecordCommand({ logRecordPointer: pointer }));
    const forged = logs.send(new GetLogRecordCommand({ logRecordPointer: 'not-a-pointer' }));
    // Assess
    expect(logRecord).toMatchObject({
      '@log': `000000000000:${ingestGroup}`,
      '@timestamp': expect.stringMatching(/^\d{13}$/),
      message: 'Webhook accepted',
      correlation_id: '01Q-B',
      'order.id': '1002',
      durationMs: '80',
    });
    await expect(forged).rejects.toBeInstanceOf(InvalidParameterException);
  });

  it('answers stats by a field, by log group identifiers (ARNs)', async () => {
    // Act
    const answer = await query({
      logGroupIdentifiers: [
        `arn:aws:logs:us-east-1:000000000000:log-group:${ingestGroup}`,
        `arn:aws:logs:us-east-1:000000000000:log-group:${adapterGroup}:*`,
      ],
      queryString:
        'filter ispresent(level) | stats count(*) as events, max(durationMs) as slowest, avg(durationMs) by level | sort level asc',
    });
    // Assess
    expect(cells(answer)).toEqual([
      { level: 'ERROR', events: '1', slowest: '900', 'avg(durationMs)': '900' },
      { level: 'INFO', events: '4', slowest: '300', 'avg(durationMs)': '150' },
    ]);
  });

  it('reads only the events between startTime and endTime, and at most the limit', async () => {
    // Act
    const before = await query({
      logGroupName: ingestGroup,
      queryString: 'fields @message',
      startTime: window.startTime - 7200,
      endTime: window.startTime - 3600,
    });
    const limited = await query({
      logGroupName: adapterGroup,
      queryString: 'fields message | filter ispresent(message)',
      limit: 1,
    });
    // Assess
    expect(before.results).toEqual([]);
    expect(before.statistics?.recordsScanned).toBe(0);
    expect(cells(limited)).toHaveLength(1);
    expect(limited.statistics?.recordsMatched).toBe(3);
  });

  it('runs a large query over several turns, Scheduled, then Running, then Complete, and lists it', async () => {
    // Prepare: more lines than the runtime reads in one turn of its event loop.
    for (let index = 0; index < 12_000; index += 1)
      local.runtime.logs.recordFunctionLine('bulk', JSON.stringify({ level: 'DEBUG', index }));
    const queryString = 'filter index >= 11990 | stats count(*) as n';
    const service = local.runtime.logs;
    // Act
    const { queryId } = (await service.handle('StartQuery', {
      ...window,
      logGroupName: '/aws/lambda/bulk',
      queryString,
    })) as { queryId: string };
    const scheduled = (await service.handle('GetQueryResults', { queryId })) as { status: string };
    await new Promise((resolve) => setImmediate(resolve));
    const running = (await service.handle('GetQueryResults', { queryId })) as {
      status: string;
      results: unknown[];
      statistics: { recordsScanned: number };
    };
    let answer: GetQueryResultsCommandOutput;
    do answer = await logs.send(new GetQueryResultsCommand({ queryId }));
    while (answer.status === 'Running');
    const { queries = [] } = await logs.send(
      new DescribeQueriesCommand({ logGroupName: '/aws/lambda/bulk', status: 'Complete' }),
    );
    // Assess
    expect(scheduled.status).toBe('Scheduled');
    expect(running).toMatchObject({ status: 'Running', results: [] });
    expect(running.statistics.recordsScanned).toBeGreaterThan(0);
    expect(running.statistics.recordsScanned).toBeLessThan(12_000);
    expect(answer.status).toBe('Complete');
    expect(cells(answer)).toEqual([{ n: '10' }]);
    expect(answer.statistics?.recordsScanned).toBe(12_000);
    expect(queries).toEqual([
      expect.objectContaining({
        queryId,
        queryString,
        status: 'Complete',
        logGroupName: '/aws/lambda/bulk',
        createTime: expect.any(Number),
      }),
    ]);
  });

  it('stops a query that has not finished and says so', async () => {
    // Prepare: started and stopped in one turn, so the stop finds it scheduled.
    const { queryId } = (await local.runtime.logs.handle('StartQuery', {
      ...window,
      logGroupName: '/aws/lambda/bulk',
      queryString: 'fields @message',
    })) as { queryId: string };
    await logs.send(new StopQueryCommand({ queryId }));
    // Act
    const answer = await logs.send(new GetQueryResultsCommand({ queryId }));
    const again = logs.send(new StopQueryCommand({ queryId }));
    // Assess
    expect(answer.status).toBe('Cancelled');
    expect(answer.results).toEqual([]);
    await expect(again).rejects.toBeInstanceOf(InvalidParameterException);
  });

  it('answers AWS errors for a malformed query, an unknown group or query, and ambiguous groups', async () => {
    // Act
    const malformed = logs.send(
      new StartQueryCommand({ ...window, logGroupName: ingestGroup, queryString: 'filter level = ' }),
    );
    const unknownGroup = logs.send(
      new StartQueryCommand({
        ...window,
        logGroupNames: [ingestGroup, '/aws/lambda/nope'],
        queryString: 'fields @message',
      }),
    );
    const unknownQuery = logs.send(new GetQueryResultsCommand({ queryId: 'no-such-query' }));
    const both = logs.send(
      new StartQueryCommand({
        ...window,
        logGroupName: ingestGroup,
        logGroupNames: [adapterGroup],
        queryString: 'fields @message',
      }),
    );
    const backwards = logs.send(
      new StartQueryCommand({
        logGroupName: ingestGroup,
        startTime: window.endTime,
        endTime: window.startTime,
        queryString: 'fields @message',
      }),
    );
    const tooMany = logs.send(
      new StartQueryCommand({
        ...window,
        logGroupName: ingestGroup,
        queryString: 'fields @message',
        limit: 10_001,
      }),
    );
    // Assess
    await expect(malformed).rejects.toBeInstanceOf(MalformedQueryException);
    await expect(unknownGroup).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(unknownQuery).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(both).rejects.toBeInstanceOf(InvalidParameterException);
    await expect(backwards).rejects.toBeInstanceOf(InvalidParameterException);
    await expect(tooMany).rejects.toBeInstanceOf(InvalidParameterException);
  });
});
