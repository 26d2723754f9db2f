import {
  CloudWatchLogsClient,
  DescribeLogGroupsCommand,
  GetQueryResultsCommand,
  StartQueryCommand,
  StopQueryCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import {
  functionLogEntries,
  LogsQueryFailedError,
  LogsQueryTimeoutError,
  logsServiceTime,
  runLogsQuery,
  sinceMs,
  traceSubject,
} from '../../cli/trace-timeline';
import { startTestRuntime } from './support/local-runtime';

const ingestGroup = 'Concord-local-Stateless-IngestWebhookLogs1A2B3C4D-LOCAL1';
const adapterGroup = 'Concord-local-Stateless-ErpAdapterLogs5E6F7A8B-LOCAL2';

describe('concord trace through Logs Insights (embedded runtime)', () => {
  let local: Awaited<ReturnType<typeof startTestRuntime>>;
  let logs: CloudWatchLogsClient;

  beforeAll(async () => {
    // A clock ten times faster than real time: the trace must take the window from the service's clock.
    local = await startTestRuntime({ clockFactor: 10 });
    logs = new CloudWatchLogsClient({
      endpoint: local.runtime.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const service = local.runtime.logs;
    service.createLogGroup(ingestGroup);
    service.createLogGroup(adapterGroup);
    service.routeFunction('ingest', ingestGroup);
    service.routeFunction('adapter', adapterGroup);
    // The ingest names the order only inside its published events; the adapter names both ids.
    service.recordFunctionLine(
      'ingest',
      JSON.stringify({
        level: 'INFO',
        message: 'events published',
        events: [{ subject: 'order/77', correlationId: '01TRACE', type: 'commerce.order.placed.v1' }],
      }),
    );
    service.recordFunctionLine('ingest', 'START RequestId: 01TRACE-not-json');
    service.recordFunctionLine(
      'adapter',
      JSON.stringify({
        level: 'INFO',
        message: 'erp step done',
        correlationId: '01TRACE',
        businessKey: 'order/77',
        flow: 'order-to-cash',
        operation: 'createSalesOrder',
      }),
    );
    service.recordFunctionLine(
      'adapter',
      JSON.stringify({
        level: 'INFO',
        message: 'erp step done',
        correlationId: '01OTHER',
        businessKey: 'order/78',
      }),
    );
    // Ahead of real time, as a runtime that has run for a while at this factor is.
    await new Promise((resolve) => setTimeout(resolve, 300));
  });

  afterAll(async () => {
    logs.destroy();
    await local.stop();
  });

  it('finds the lines of one order in every log group, and the correlation id they carry', async () => {
    // Prepare
    const subject = traceSubject('77');
    // Act
    const { entries, warnings } = await functionLogEntries(logs, 'local', subject, {
      sinceMs: sinceMs('1h'),
      now: (logGroupName) => logsServiceTime(logs, logGroupName),
    });
    // Assess
    expect(entries.map((entry) => `${entry.where}: ${entry.what}`)).toEqual([
      'IngestWebhook: events published: commerce.order.placed.v1',
      'ErpAdapter: erp step done: order-to-cash createSalesOrder',
    ]);
    expect(entries[0]?.at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect([...subject.correlationIds]).toEqual(['01TRACE']);
    expect(warnings).toEqual([]);
  });

  it('reads the service clock, which runs ahead of this machine', async () => {
    // Act
    const serviceNow = await logsServiceTime(logs, ingestGroup);
    // Assess
    expect(serviceNow.getTime()).toBeGreaterThan(Date.now());
    expect(Math.abs(serviceNow.getTime() - local.runtime.clock.now())).toBeLessThan(5000);
  });

  it('reads nothing outside the --since window', async () => {
    // Prepare: a window that ends two hours after the lines and reaches back only one.
    const later = new Date((await logsServiceTime(logs, ingestGroup)).getTime() + 2 * 3_600_000);
    // Act
    const { entries } = await functionLogEntries(logs, 'local', traceSubject('77'), {
      sinceMs: sinceMs('1h'),
      now: later,
    });
    // Assess
    expect(entries).toEqual([]);
  });

  it('finds nothing, without querying, for a stage with no log groups', async () => {
    // Act
    const { entries } = await functionLogEntries(logs, 'prod', traceSubject('77'), {
      sinceMs: sinceMs('24h'),
      now: new Date(),
    });
    // Assess
    expect(entries).toEqual([]);
  });
});

describe('runLogsQuery (AWS answers, mocked)', () => {
  const logs = new CloudWatchLogsClient({ region: 'us-east-1' });
  // This client only: the embedded runtime's suite above talks to a real service.
  const logsMock = mockClient(logs);
  const now = new Date('2026-11-29T12:00:00.000Z');

  beforeEach(() => logsMock.reset());

  it('asks for one window over every group and polls until Complete', async () => {
    // Prepare
    logsMock.on(StartQueryCommand).resolves({ queryId: 'q-1' });
    logsMock
      .on(GetQueryResultsCommand)
      .resolvesOnce({ status: 'Scheduled' })
      .resolvesOnce({ status: 'Running', results: [] })
      .resolves({
        status: 'Complete',
        results: [
          [
            { field: '@message', value: 'hello' },
            { field: '@ptr', value: 'p' },
          ],
        ],
        statistics: { recordsMatched: 1 },
      });
    // Act
    const answer = await runLogsQuery(logs, ['a', 'b'], 'fields @message', {
      sinceMs: sinceMs('24h'),
      now,
      pollMs: 1,
    });
    // Assess
    expect(answer).toEqual({ rows: [{ '@message': 'hello', '@ptr': 'p' }], recordsMatched: 1 });
    expect(logsMock.commandCalls(StartQueryCommand)[0]?.args[0].input).toEqual({
      logGroupNames: ['a', 'b'],
      startTime: now.getTime() / 1000 - 86_400,
      endTime: now.getTime() / 1000,
      queryString: 'fields @message',
      limit: 10_000,
    });
    expect(logsMock.commandCalls(GetQueryResultsCommand)).toHaveLength(3);
  });

  it('stops a query that outlives the timeout and says what to do', async () => {
    // Prepare
    logsMock.on(StartQueryCommand).resolves({ queryId: 'q-slow' });
    logsMock.on(GetQueryResultsCommand).resolves({ status: 'Running' });
    logsMock.on(StopQueryCommand).resolves({ success: true });
    // Act
    const answer = runLogsQuery(logs, ['a'], 'fields @message', {
      sinceMs: sinceMs('7d'),
      now,
      timeoutMs: 30,
      pollMs: 5,
    });
    // Assess
    await expect(answer).rejects.toThrow(LogsQueryTimeoutError);
    await expect(answer).rejects.toThrow(
      /q-slow did not complete within 0 s \(still Running\).*shorter --since/,
    );
    expect(logsMock.commandCalls(StopQueryCommand)[0]?.args[0].input).toEqual({ queryId: 'q-slow' });
  });

  it('fails, naming the status, when the query ends without results', async () => {
    // Prepare
    logsMock.on(StartQueryCommand).resolves({ queryId: 'q-bad' });
    logsMock.on(GetQueryResultsCommand).resolves({ status: 'Failed' });
    // Act
    const answer = runLogsQuery(logs, ['a'], 'fields @message', { sinceMs: 1000, now, pollMs: 1 });
    // Assess
    await expect(answer).rejects.toThrow(LogsQueryFailedError);
    await expect(answer).rejects.toThrow('Logs Insights query q-bad ended Failed');
  });

  it('warns when Insights cut the answer at its row limit', async () => {
    // Prepare
    logsMock.on(DescribeLogGroupsCommand).resolves({ logGroups: [{ logGroupName: ingestGroup }] });
    logsMock.on(StartQueryCommand).resolves({ queryId: 'q-many' });
    logsMock.on(GetQueryResultsCommand).resolves({
      status: 'Complete',
      results: [[{ field: '@message', value: '{"correlationId":"01TRACE","message":"m"}' }]],
      statistics: { recordsMatched: 12_000 },
    });
    // Act
    const { entries, warnings } = await functionLogEntries(logs, 'local', traceSubject('01TRACE'), {
      sinceMs: 1000,
      now,
      pollMs: 1,
    });
    // Assess
    expect(entries).toHaveLength(1);
    expect(warnings).toEqual([
      expect.stringMatching(/^12000 log lines matched but Logs Insights answers at most 1/),
    ]);
    expect(logsMock.commandCalls(StartQueryCommand)[0]?.args[0].input.queryString).toBe(
      'fields @timestamp, @log, @message\n| filter @message like "01TRACE"\n| sort @timestamp asc\n| limit 10000',
    );
  });
});

describe('sinceMs', () => {
  it('reads s, m, h, d and w, and refuses anything else naming the flag', () => {
    // Act
    const read = ['90s', '30m', '24h', '7d', '1w'].map(sinceMs);
    const refused = ['', '0h', '24', 'h', '1y', '-1h', '1.5h'].map((text) => () => sinceMs(text));
    // Assess
    expect(read).toEqual([90_000, 1_800_000, 86_400_000, 604_800_000, 604_800_000]);
    for (const refusal of refused)
      expect(refusal).toThrow(/^--since takes a duration such as 30m, 24h or 7d/);
  });
});
