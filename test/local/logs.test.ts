import { rmSync } from 'node:fs';
import {
  CloudWatchLogsClient,
  DescribeLogGroupsCommand,
  type FilteredLogEvent,
  FilterLogEventsCommand,
  InvalidParameterException,
  ResourceNotFoundException,
} from '@aws-sdk/client-cloudwatch-logs';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { resourceHandlers } from '../../local/deploy/resource-handlers';
import { LocalRuntime } from '../../local/runtime';
import { startTestRuntime } from './support/local-runtime';

const stackName = 'Concord-local-Stateless';
const groupName = `${stackName}-IngestLogs1A2B3C4D-LOCAL12345678`;

describe('CloudWatch Logs (through the AWS SDK)', () => {
  let local: Awaited<ReturnType<typeof startTestRuntime>>;
  let logs: CloudWatchLogsClient;
  // The runtime started again on the same data, by the restart case.
  let restarted: LocalRuntime | undefined;
  let context: Parameters<NonNullable<(typeof resourceHandlers)[string]>['deploy']>[1];

  beforeAll(async () => {
    local = await startTestRuntime();
    logs = new CloudWatchLogsClient({
      endpoint: local.runtime.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    context = {
      runtime: local.runtime,
      stackName,
      logicalId: 'IngestLogs1A2B3C4D',
      region: 'us-east-1',
      accountId: '000000000000',
      generatedName: () => groupName,
    } as unknown as typeof context;
    // The template's log group, and the function writing to it (its LoggingConfig), as a deployment makes them.
    const group = await resourceHandlers['AWS::Logs::LogGroup']?.deploy({ RetentionInDays: 14 }, context);
    await local.deployFunction(
      'ingest',
      `exports.handler = async (event) => {
         console.log(JSON.stringify({ level: 'INFO', message: 'Webhook accepted', correlationId: event.correlationId, businessKey: event.order, attempt: event.attempt }));
         console.log('plain text line for ' + event.correlationId);
         return 'ok';
       };`,
    );
    local.runtime.logs.routeFunction('ingest', group?.physicalId);
    for (const [index, correlationId] of ['01TRACE-A', '01TRACE-B', '01TRACE-C'].entries())
      await local.clients.lambda.send(
        new InvokeCommand({
          FunctionName: 'ingest',
          Payload: Buffer.from(
            JSON.stringify({ correlationId, order: `order/${index + 1}`, attempt: index }),
          ),
        }),
      );
  });

  afterAll(async () => {
    logs.destroy();
    if (!restarted) return local.stop();
    for (const client of Object.values(local.clients)) client.destroy();
    await restarted.stop();
    rmSync(local.dataDir, { recursive: true, force: true });
  });

  async function filter(filterPattern: string): Promise<FilteredLogEvent[]> {
    const { events = [] } = await logs.send(
      new FilterLogEventsCommand({ logGroupName: groupName, filterPattern }),
    );
    return events;
  }

  it('lists the template log groups by the stage prefix', async () => {
    // Act
    const { logGroups = [] } = await logs.send(
      new DescribeLogGroupsCommand({ logGroupNamePrefix: 'Concord-local-' }),
    );
    // Assess
    expect(logGroups).toEqual([
      expect.objectContaining({
        logGroupName: groupName,
        retentionInDays: 14,
        arn: `arn:aws:logs:us-east-1:000000000000:log-group:${groupName}:*`,
      }),
    ]);
  });

  it('finds a function line by a quoted term', async () => {
    // Act
    const events = await filter('"01TRACE-B"');
    // Assess
    expect(events.map((event) => event.message)).toEqual([
      expect.stringContaining('"correlationId":"01TRACE-B"'),
      'plain text line for 01TRACE-B',
    ]);
    expect(events[0]?.timestamp).toEqual(expect.any(Number));
    expect(events[0]?.logStreamName).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\]/);
  });

  it('finds lines by plain terms, all of them required, and any of the ? terms', async () => {
    // Act
    const all = await filter('plain 01TRACE-C');
    const any = await filter('?01TRACE-A ?01TRACE-C');
    const excluded = await filter('Webhook -01TRACE-A');
    // Assess
    expect(all.map((event) => event.message)).toEqual(['plain text line for 01TRACE-C']);
    expect(any).toHaveLength(4);
    expect(excluded.map((event) => JSON.parse(event.message ?? '{}').correlationId)).toEqual([
      '01TRACE-B',
      '01TRACE-C',
    ]);
  });

  it('finds JSON lines by a selector pattern', async () => {
    // Act
    const byCorrelation = await filter('{ $.correlationId = "01TRACE-A" }');
    const byEither = await filter('{ ($.businessKey = "order/3") || ($.attempt = 1 && $.level = "INFO") }');
    const byWildcard = await filter('{ $.correlationId = "01TRACE-*" && $.attempt >= 1 }');
    // Assess
    expect(byCorrelation.map((event) => JSON.parse(event.message ?? '{}').businessKey)).toEqual(['order/1']);
    expect(byEither.map((event) => JSON.parse(event.message ?? '{}').businessKey)).toEqual([
      'order/2',
      'order/3',
    ]);
    expect(byWildcard).toHaveLength(2);
  });

  it('pages with limit and nextToken, in time order, by the log group ARN', async () => {
    // Prepare
    const seen: string[] = [];
    let nextToken: string | undefined;
    // Act
    do {
      const page = await logs.send(
        new FilterLogEventsCommand({
          logGroupIdentifier: `arn:aws:logs:us-east-1:000000000000:log-group:${groupName}`,
          filterPattern: 'plain',
          limit: 2,
          nextToken,
        }),
      );
      expect(page.events?.length).toBeLessThanOrEqual(2);
      seen.push(...(page.events ?? []).map((event) => event.message ?? ''));
      nextToken = page.nextToken;
    } while (nextToken);
    // Assess
    expect(seen).toEqual([
      'plain text line for 01TRACE-A',
      'plain text line for 01TRACE-B',
      'plain text line for 01TRACE-C',
    ]);
  });

  it('keeps only the events between startTime and endTime', async () => {
    // Prepare
    const [first, second] = await filter('{ $.level = "INFO" }');
    // Act
    const { events = [] } = await logs.send(
      new FilterLogEventsCommand({
        logGroupName: groupName,
        filterPattern: 'Webhook',
        startTime: second?.timestamp,
        endTime: second?.timestamp,
      }),
    );
    // Assess
    expect(first?.timestamp).toBeLessThanOrEqual(second?.timestamp ?? 0);
    expect(events.map((event) => event.eventId)).toContain(second?.eventId);
    expect(events.map((event) => event.timestamp)).toEqual(Array(events.length).fill(second?.timestamp));
  });

  it('answers AWS errors for an unknown group and a malformed pattern', async () => {
    // Act
    const unknown = logs.send(new FilterLogEventsCommand({ logGroupName: 'nope' }));
    const malformed = logs.send(
      new FilterLogEventsCommand({ logGroupName: groupName, filterPattern: '{ $.correlationId = }' }),
    );
    // Assess
    await expect(unknown).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(malformed).rejects.toBeInstanceOf(InvalidParameterException);
  });

  it('keeps the lines across a restart', async () => {
    // Prepare
    await local.runtime.stop();
    restarted = await LocalRuntime.start({ dataDir: local.dataDir, edgePort: 0 });
    logs.destroy();
    logs = new CloudWatchLogsClient({
      endpoint: restarted.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    // Act
    const events = await filter('{ $.correlationId = "01TRACE-C" }');
    // Assess
    expect(events).toHaveLength(1);
  });
});
