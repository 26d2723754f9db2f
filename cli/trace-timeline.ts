/**
 * One business transaction's timeline, by correlation id or entity (an order id is `order/<id>`): the function log
 * lines that name it (ingest, every workflow step, write-back), its version record, the ERP documents, every dead
 * letter about it, every ops action that touched it and when each of its events reached the warehouse, in time order.
 */
import {
  type CloudWatchLogsClient,
  DescribeQueriesCommand,
  GetQueryResultsCommand,
  paginateDescribeLogGroups,
  StartQueryCommand,
  StopQueryCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { isoFromWarehouse, sqlText, type WarehouseQuery } from '../functions/reconcile/reconcile-sources';
import { SqsDeadLetterQueues } from '../functions/replay/adapters/sqs-dead-letter-queues';
import type { OpsJournal } from '../functions/replay/ops-journal';
import { peekQueue } from '../functions/replay/replay';
import type { ErpPort } from '../functions/shared/erp/erp-port';
import { ConcordError } from '../functions/shared/errors';
import { loadedAt } from '../functions/shared/warehouse/models';
import { OperatorInputError } from './error-output';
import { deadLetterQueueUrls } from './ops-context';

/**
 * `Concord-local-Stateless-ErpAdapterFunction39B3…` (a function) or `Concord-local-Stateless-ErpAdapterLogs5A1C…` (its
 * log group) → `ErpAdapter`: the construct id a person knows.
 */
export function shortFunctionName(physicalName: string): string {
  return physicalName
    .replace(/^(\/aws\/lambda\/)?Concord-[a-z]+-Stateless-/, '')
    .replace(/(Function|Logs)[A-Z0-9]+.*$/, '');
}

/** One thing that happened. */
export interface TimelineEntry {
  at: string;
  where: string;
  what: string;
}

/** What a trace starts from, and what it found out along the way. */
export interface TraceSubject {
  correlationIds: Set<string>;
  entities: Set<string>;
}

/** `01M8…` (a ULID) is a correlation id; `order/123` an entity; a bare number an order id. */
export function traceSubject(designation: string): TraceSubject {
  if (designation.includes('/')) return { correlationIds: new Set(), entities: new Set([designation]) };
  if (/^\d+$/.test(designation))
    return { correlationIds: new Set(), entities: new Set([`order/${designation}`]) };
  return { correlationIds: new Set([designation]), entities: new Set() };
}

interface LogLine {
  timestamp?: string;
  message?: string;
  correlationId?: string;
  businessKey?: string;
  operation?: string;
  flow?: string;
  events?: { subject?: string; correlationId?: string; type?: string }[];
  externalRef?: string;
  status?: string;
  platform?: string;
}

function mentions(line: LogLine, subject: TraceSubject): boolean {
  if (line.correlationId && subject.correlationIds.has(line.correlationId)) return true;
  if (line.businessKey && subject.entities.has(line.businessKey)) return true;
  return (line.events ?? []).some(
    (event) =>
      (event.correlationId && subject.correlationIds.has(event.correlationId)) ||
      (event.subject && subject.entities.has(event.subject)),
  );
}

/**
 * The stage's log groups: each function's own (named by CloudFormation after the stack), and Lambda's default
 * `/aws/lambda/<function>` for a function deployed without one.
 */
async function stageLogGroups(logs: CloudWatchLogsClient, stage: string): Promise<string[]> {
  const names: string[] = [];
  for (const logGroupNamePrefix of [`Concord-${stage}-`, `/aws/lambda/Concord-${stage}-`])
    for await (const page of paginateDescribeLogGroups({ client: logs }, { logGroupNamePrefix }))
      names.push(
        ...(page.logGroups ?? []).flatMap((group) => (group.logGroupName ? [group.logGroupName] : [])),
      );
  return names;
}

/** A Logs Insights query that did not complete within the time the trace waits. */
export class LogsQueryTimeoutError extends ConcordError {
  override readonly name = 'LogsQueryTimeoutError';

  constructor(
    readonly queryId: string,
    readonly waitedMs: number,
    readonly status: string,
    cause?: unknown,
  ) {
    super(
      `Logs Insights query ${queryId} did not complete within ${Math.round(waitedMs / 1000)} s (still ${status}); ` +
        'it was stopped: try a shorter --since',
      { cause },
    );
  }
}

/** DescribeQueries did not list a query just started: the Logs service's clock cannot be read from it. */
export class LogsQueryNotListedError extends ConcordError {
  override readonly name = 'LogsQueryNotListedError';
}

/** A Logs Insights query that ended without results (Failed, Cancelled, Timeout or Unknown). */
export class LogsQueryFailedError extends ConcordError {
  override readonly name = 'LogsQueryFailedError';

  constructor(
    readonly queryId: string,
    readonly status: string,
    cause?: unknown,
  ) {
    super(`Logs Insights query ${queryId} ended ${status}: the function log lines could not be read`, {
      cause,
    });
  }
}

/** How the trace reads the function logs: the window (`--since`) and how long it waits for Logs Insights. */
export interface LogsQueryOptions {
  /** How far back the query reads, in ms (`--since`, 24 h by default). */
  sinceMs: number;
  /**
   * The service's current time. On AWS it is this machine's; the embedded runtime's clock may run faster than real
   * time (its clock factor), so there it is read from the service ({@link logsServiceTime}).
   */
  now: Date;
  /** How long to poll GetQueryResults before giving up (60 s by default). */
  timeoutMs?: number;
  /** The first wait between polls, doubled up to 1 s (100 ms by default). */
  pollMs?: number;
}

/** AWS's quota: one query covers at most 50 log groups. */
const maxGroupsPerQuery = 50;
/** The most rows Logs Insights answers for one query. */
const maxQueryRows = 10_000;

/** `30m`, `24h`, `7d`: the window `--since` names, in ms; anything else is refused, naming the flag. */
export function sinceMs(text: string): number {
  const match = /^(\d+)(s|m|h|d|w)$/.exec(text.trim());
  const units: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
  const ms = match ? Number(match[1]) * (units[match[2] as string] as number) : Number.NaN;
  if (!(ms > 0))
    throw new OperatorInputError(
      `--since takes a duration such as 30m, 24h or 7d, got ${JSON.stringify(text)}`,
    );
  return ms;
}

/** A Logs Insights string literal: backslashes and double quotes escaped. */
function insightsString(text: string): string {
  return `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

/** `2026-11-29 10:00:04.000` (how Insights writes @timestamp) → ISO 8601. */
function isoFromInsights(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const ms = Date.parse(`${text.replace(' ', 'T')}Z`);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/**
 * The time as a CloudWatch Logs service sees it: the createTime of an empty query (over no time at all, so nothing
 * is scanned) that DescribeQueries reports. For the embedded runtime, whose clock may run ahead of this machine's.
 */
export async function logsServiceTime(logs: CloudWatchLogsClient, logGroupName: string): Promise<Date> {
  const { queryId } = await logs.send(
    new StartQueryCommand({
      logGroupName,
      startTime: 0,
      endTime: 0,
      queryString: 'fields @timestamp | limit 1',
    }),
  );
  const { queries = [] } = await logs.send(new DescribeQueriesCommand({ logGroupName }));
  const createTime = queries.find((query) => query.queryId === queryId)?.createTime;
  if (createTime === undefined)
    throw new LogsQueryNotListedError(`the Logs service did not list its query ${queryId}`);
  return new Date(createTime);
}

/**
 * Runs one Logs Insights query and polls GetQueryResults until it is Complete: each row as { field: value }, and how
 * many events matched (more than the rows when the answer was cut at its limit). A query still running at the
 * timeout is stopped, so that it does not keep scanning (and billing) for nobody.
 */
export async function runLogsQuery(
  logs: CloudWatchLogsClient,
  logGroupNames: string[],
  queryString: string,
  options: LogsQueryOptions,
): Promise<{ rows: Record<string, string>[]; recordsMatched: number }> {
  const endTime = Math.ceil(options.now.getTime() / 1000);
  const { queryId = '' } = await logs.send(
    new StartQueryCommand({
      logGroupNames,
      startTime: Math.floor((options.now.getTime() - options.sinceMs) / 1000),
      endTime,
      queryString,
      limit: maxQueryRows,
    }),
  );
  const timeoutMs = options.timeoutMs ?? 60_000;
  const started = Date.now();
  let pause = options.pollMs ?? 100;
  for (;;) {
    const answer = await logs.send(new GetQueryResultsCommand({ queryId }));
    const status = answer.status ?? 'Unknown';
    if (status === 'Complete')
      return {
        rows: (answer.results ?? []).map((row) =>
          Object.fromEntries(row.map((cell) => [cell.field ?? '', cell.value ?? ''])),
        ),
        recordsMatched: answer.statistics?.recordsMatched ?? 0,
      };
    if (status !== 'Scheduled' && status !== 'Running') throw new LogsQueryFailedError(queryId, status);
    if (Date.now() - started >= timeoutMs) {
      await logs.send(new StopQueryCommand({ queryId })).catch(() => {
        // It may have ended in the meantime; the timeout is what the operator needs to hear about.
      });
      throw new LogsQueryTimeoutError(queryId, Date.now() - started, status);
    }
    await new Promise((resolve) => setTimeout(resolve, pause));
    pause = Math.min(pause * 2, 1000);
  }
}

/**
 * The function log lines about the transaction, through Logs Insights (the embedded runtime's or AWS's): one query
 * over all of the stage's log groups for the lines that contain any of the ids known, then each JSON line is checked
 * to name one of them. `warnings` says when an answer was cut at Insights' 10 000 rows.
 */
export async function functionLogEntries(
  logs: CloudWatchLogsClient,
  stage: string,
  subject: TraceSubject,
  options: Omit<LogsQueryOptions, 'now'> & { now?: Date | ((logGroupName: string) => Promise<Date>) },
): Promise<{ entries: TimelineEntry[]; warnings: string[] }> {
  const groups = await stageLogGroups(logs, stage);
  const entries: TimelineEntry[] = [];
  const warnings: string[] = [];
  if (groups.length === 0) return { entries, warnings };
  const now =
    typeof options.now === 'function' ? await options.now(groups[0] as string) : (options.now ?? new Date());
  // Two passes: a line found by correlation id names the entity (and the reverse), which finds more lines.
  for (let pass = 0; pass < 2; pass += 1) {
    entries.length = 0;
    warnings.length = 0;
    const needles = [...subject.correlationIds, ...subject.entities];
    if (needles.length === 0) return { entries, warnings };
    const queryString = [
      'fields @timestamp, @log, @message',
      `filter ${needles.map((needle) => `@message like ${insightsString(needle)}`).join(' or ')}`,
      'sort @timestamp asc',
      `limit ${maxQueryRows}`,
    ].join('\n| ');
    for (let index = 0; index < groups.length; index += maxGroupsPerQuery) {
      const batch = groups.slice(index, index + maxGroupsPerQuery);
      const { rows, recordsMatched } = await runLogsQuery(logs, batch, queryString, { ...options, now });
      if (recordsMatched > rows.length)
        warnings.push(
          `${recordsMatched} log lines matched but Logs Insights answers at most ${rows.length}: the earliest are shown; narrow --since`,
        );
      for (const row of rows) {
        const text = (row['@message'] ?? '').trim();
        if (!text.startsWith('{')) continue;
        let line: LogLine;
        try {
          line = JSON.parse(text) as LogLine;
        } catch {
          continue;
        }
        if (!mentions(line, subject)) continue;
        for (const named of line.events ?? []) {
          if (named.subject) subject.entities.add(named.subject);
          if (named.correlationId) subject.correlationIds.add(named.correlationId);
        }
        if (line.businessKey) subject.entities.add(line.businessKey);
        if (line.correlationId) subject.correlationIds.add(line.correlationId);
        const detail = [
          line.flow,
          line.operation,
          line.events?.map((named) => named.type).join(','),
          line.platform && `${line.platform} ${line.status}`,
        ]
          .filter(Boolean)
          .join(' ');
        entries.push({
          at: line.timestamp ?? isoFromInsights(row['@timestamp']) ?? new Date(0).toISOString(),
          // `@log` is `<account>:<log group>`.
          where: shortFunctionName((row['@log'] ?? '').replace(/^[^:]*:/, '')),
          what: `${line.message ?? ''}${detail ? `: ${detail}` : ''}`,
        });
      }
    }
  }
  return { entries, warnings };
}

/**
 * When each of the transaction's events was taken into the warehouse stream (its batch's time), each once. Only the partitions from the
 * day before the earliest thing known about it are read (the last week when nothing is): Athena bills the scan.
 */
async function warehouseEntries(
  warehouse: WarehouseQuery,
  subject: TraceSubject,
  known: readonly TimelineEntry[],
): Promise<TimelineEntry[]> {
  const earliest = known.map((entry) => Date.parse(entry.at)).filter((at) => !Number.isNaN(at));
  const since = new Date(
    (earliest.length > 0 ? Math.min(...earliest) : Date.now() - 6 * 86_400_000) - 86_400_000,
  );
  const about = [
    ...[...subject.correlationIds].map((id) => `correlationid = ${sqlText(id)}`),
    ...[...subject.entities].map((entity) => `subject = ${sqlText(entity)}`),
  ];
  if (about.length === 0) return [];
  const rows = await warehouse(`SELECT type, subject, id, min(${loadedAt}) AS loaded_at
FROM raw_events
WHERE event_date >= ${sqlText(since.toISOString().slice(0, 10))} AND (${about.join(' OR ')})
GROUP BY type, subject, id`);
  return rows.map((row) => ({
    at: isoFromWarehouse(String(row.loaded_at)),
    where: 'warehouse',
    what: `${row.type} ${row.subject} taken into the warehouse stream (event ${row.id})`,
  }));
}

/** The transaction's timeline from every source, in time order, with every id found on the way. */
export async function traceTimeline(
  subject: TraceSubject,
  sources: {
    logs: CloudWatchLogsClient;
    sqs: SQSClient;
    stage: string;
    dynamodb: DynamoDBClient;
    versionTable: string;
    journal: OpsJournal;
    erp?: Pick<ErpPort, 'listDocuments'>;
    warehouse?: WarehouseQuery;
    /** The function logs' query window and patience (see {@link functionLogEntries}). */
    logsQuery: Parameters<typeof functionLogEntries>[3];
  },
): Promise<{
  subject: { correlationIds: string[]; entities: string[] };
  entries: TimelineEntry[];
  warnings: string[];
}> {
  const { entries, warnings } = await functionLogEntries(
    sources.logs,
    sources.stage,
    subject,
    sources.logsQuery,
  );
  for (const url of await deadLetterQueueUrls(sources.sqs, sources.stage)) {
    for (const letter of await peekQueue(new SqsDeadLetterQueues(sources.sqs), url, 1000)) {
      const about =
        (letter.correlationId && subject.correlationIds.has(letter.correlationId)) ||
        (letter.entity && subject.entities.has(letter.entity));
      if (!about) continue;
      if (letter.entity) subject.entities.add(letter.entity);
      entries.push({
        at: letter.sentAt.toISOString(),
        where: url.split('/').at(-1) ?? url,
        what: `dead letter ${letter.messageId}: ${letter.eventType ?? '?'} ${letter.errorCode ?? ''} ${letter.failedStep ?? ''}`.trim(),
      });
    }
  }
  for (const entity of subject.entities) {
    const { Item } = await sources.dynamodb.send(
      new GetItemCommand({ TableName: sources.versionTable, Key: { subject: { S: entity } } }),
    );
    if (Item?.updatedAt?.S)
      entries.push({
        at: Item.updatedAt.S,
        where: 'version gate',
        what: `${entity} at version ${Item.entityVersion?.N ?? '-'}${Item.staleDrops?.N ? `, ${Item.staleDrops.N} stale update(s) dropped` : ''}`,
      });
    const [kind, id] = entity.split('/');
    if (sources.erp && kind === 'order' && id)
      for (const document of await sources.erp.listDocuments({ externalRef: id }))
        entries.push({
          at: document.createdAt,
          where: 'ERP',
          what: `${document.type} ${document.number} ${document.status} ${document.amount} ${document.currency}`,
        });
  }
  if (sources.warehouse) entries.push(...(await warehouseEntries(sources.warehouse, subject, entries)));
  const needles = [...subject.correlationIds, ...subject.entities];
  for (const record of await sources.journal.list(500))
    if (needles.some((needle) => JSON.stringify(record).includes(needle)))
      entries.push({
        at: record.at,
        where: 'ops audit',
        what: `${record.action} by ${record.operator}: ${record.reason}`,
      });
  return {
    subject: { correlationIds: [...subject.correlationIds], entities: [...subject.entities] },
    entries: entries.sort((a, b) => a.at.localeCompare(b.at)),
    warnings,
  };
}
