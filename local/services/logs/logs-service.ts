/**
 * CloudWatch Logs (AWS JSON 1.1): durable log groups holding every function's lines, DescribeLogGroups,
 * FilterLogEvents and Logs Insights queries (StartQuery, GetQueryResults, StopQuery, DescribeQueries, GetLogRecord).
 */
import { randomUUID } from 'node:crypto';
import type { LocalClock } from '../../clock';
import { AwsError } from '../../edge/aws-error';
import type { JsonService } from '../../edge/edge-server';
import type { DurableStore } from '../../store/durable-store';
import type { LocalEnvironment } from '../local-environment';
import { type OperationTable, operationHandler, operationsOf } from '../operation-table';
import { messageFilter } from './filter-pattern';
import {
  type InsightsQuery,
  maxQueryResults,
  parseInsightsQuery,
  QueryEvaluation,
  type ResultRow,
  recordFields,
} from './insights-query';

/** A log group as the runtime keeps it. */
export interface LogGroup {
  logGroupName: string;
  creationTime: number;
  retentionInDays?: number;
}

interface EventRow {
  seq: number;
  log_stream: string;
  timestamp_ms: number;
  ingestion_ms: number;
  message: string;
}

/** A Logs Insights query's state, as GetQueryResults and DescribeQueries answer it. */
type QueryStatus = 'Scheduled' | 'Running' | 'Complete' | 'Failed' | 'Cancelled';

interface QueryRun {
  queryId: string;
  queryString: string;
  query: InsightsQuery;
  logGroups: string[];
  startMs: number;
  endMs: number;
  limit: number;
  createTime: number;
  status: QueryStatus;
  evaluation: QueryEvaluation;
  results: ResultRow[];
}

const groupType = 'logs-group';
/** Which log group a function writes to (its LoggingConfig), by function name. */
const functionGroupType = 'logs-function-group';
// Lines are written in batches: one SQLite insert per line would stall the event loop under load.
const flushDelayRealMs = 200;
const maxFilterLimit = 10_000;
const maxDescribeLimit = 50;
const dayMs = 86_400_000;
// AWS's Logs Insights quotas: 50 log groups a query, 30 queries at once, 1000 rows unless the caller asks for more.
const maxQueryGroups = 50;
const maxConcurrentQueries = 30;
const defaultQueryLimit = 1000;
const maxQueryLength = 10_000;
const maxDescribeQueries = 1000;
// Queries kept for GetQueryResults and DescribeQueries (in memory, newest kept): AWS keeps results for 7 days.
const keptQueries = 1000;
// Events read per turn of the event loop: a query over a large group must not stall the functions' invocations.
const queryChunkRows = 2000;

function invalidParameter(message: string): AwsError {
  return new AwsError('InvalidParameterException', message);
}

function missingGroup(): AwsError {
  return new AwsError('ResourceNotFoundException', 'The specified log group does not exist.');
}

/** A FilterLogEvents page position: after this event (timestamp, then arrival order). */
function pageToken(row: EventRow): string {
  return Buffer.from(JSON.stringify([row.timestamp_ms, row.seq])).toString('base64url');
}

function pagePosition(token: unknown): [number, number] {
  try {
    const [timestampMs, seq] = JSON.parse(
      Buffer.from(String(token), 'base64url').toString('utf8'),
    ) as number[];
    if (typeof timestampMs === 'number' && typeof seq === 'number') return [timestampMs, seq];
  } catch {
    // Falls through to the error AWS answers for a token it did not issue.
  }
  throw invalidParameter('The specified nextToken is invalid.');
}

/** The log stream a local function writes to: AWS's `<date>/[$LATEST]<environment>` form, one environment. */
function functionStream(timestampMs: number): string {
  return `${new Date(timestampMs).toISOString().slice(0, 10).replaceAll('-', '/')}/[$LATEST]local`;
}

/** The CloudWatch Logs service of the local runtime. */
export class LogsService implements JsonService {
  readonly targetPrefix = 'Logs_20140328';
  private pending: { functionName: string; stream: string; timestampMs: number; message: string }[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private lastPruneMs = 0;
  private readonly queries = new Map<string, QueryRun>();

  constructor(
    private readonly store: DurableStore,
    private readonly clock: LocalClock,
    private readonly env: LocalEnvironment,
  ) {
    store.db.exec(`CREATE TABLE IF NOT EXISTS logs_events (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, log_group TEXT NOT NULL, log_stream TEXT NOT NULL,
      timestamp_ms INTEGER NOT NULL, ingestion_ms INTEGER NOT NULL, message TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS logs_events_group_time ON logs_events (log_group, timestamp_ms, seq);`);
  }

  /** Creates a log group (a template's AWS::Logs::LogGroup, or CreateLogGroup); an existing one keeps its events. */
  createLogGroup(name: string, retentionInDays?: number): LogGroup {
    const existing = this.store.getResource<LogGroup>(groupType, name);
    const group: LogGroup = {
      logGroupName: name,
      creationTime: existing?.creationTime ?? this.clock.now(),
      ...(retentionInDays === undefined ? {} : { retentionInDays }),
    };
    this.store.putResource(groupType, name, group);
    return group;
  }

  /** Deletes a log group and its events. */
  deleteLogGroup(name: string): void {
    this.flush();
    this.store.transaction(() => {
      this.store.deleteResource(groupType, name);
      this.store.db.prepare('DELETE FROM logs_events WHERE log_group = ?').run(name);
    });
  }

  /** Sends a function's lines to its log group (its LoggingConfig); without one, to `/aws/lambda/<function>`. */
  routeFunction(functionName: string, logGroupName: string | undefined): void {
    // Lines already written go where the function logged when it wrote them.
    this.flush();
    if (logGroupName) this.store.putResource(functionGroupType, functionName, logGroupName);
    else this.store.deleteResource(functionGroupType, functionName);
  }

  /** Keeps one line a function wrote, stamped with the local time it arrived. */
  recordFunctionLine(functionName: string, message: string): void {
    const timestampMs = this.clock.now();
    // Only buffered here: this runs for every line a function writes, so its group is looked up when the batch is.
    this.pending.push({ functionName, stream: functionStream(timestampMs), timestampMs, message });
    this.flushTimer ??= setTimeout(() => this.flush(), flushDelayRealMs);
  }

  /** Writes the buffered lines (before every read, so that a query sees every line written before it). */
  flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.pending.length === 0) return;
    const lines = this.pending;
    this.pending = [];
    const now = this.clock.now();
    const insert = this.store.db.prepare(
      'INSERT INTO logs_events (log_group, log_stream, timestamp_ms, ingestion_ms, message) VALUES (?, ?, ?, ?, ?)',
    );
    // Each function's group, looked up (and created if it is missing) once per batch, not once per line.
    const groups = new Map<string, string>();
    const groupOf = (functionName: string): string => {
      let group = groups.get(functionName);
      if (group === undefined) {
        group =
          this.store.getResource<string>(functionGroupType, functionName) ?? `/aws/lambda/${functionName}`;
        // Lambda creates its default log group on the first line, as AWS does when the role may.
        if (!this.store.getResource(groupType, group)) this.createLogGroup(group);
        groups.set(functionName, group);
      }
      return group;
    };
    this.store.transaction(() => {
      for (const line of lines)
        insert.run(groupOf(line.functionName), line.stream, line.timestampMs, now, line.message);
    });
    this.pruneExpired(now);
  }

  /** Drops events past their group's retention, at most once a local hour. */
  private pruneExpired(nowMs: number): void {
    if (nowMs - this.lastPruneMs < dayMs / 24) return;
    this.lastPruneMs = nowMs;
    const remove = this.store.db.prepare('DELETE FROM logs_events WHERE log_group = ? AND timestamp_ms < ?');
    for (const { value } of this.store.listResources<LogGroup>(groupType))
      if (value.retentionInDays) remove.run(value.logGroupName, nowMs - value.retentionInDays * dayMs);
  }

  /** Flushes what is buffered; the store is closed by the runtime. */
  close(): void {
    this.flush();
  }

  /** What answers each CloudWatch Logs operation; any operation not a key is refused. */
  static readonly operations: OperationTable<LogsService> = {
    CreateLogGroup: (service, input) => {
      const name = String(input.logGroupName ?? '');
      if (!name) throw invalidParameter('logGroupName is required');
      if (service.store.getResource(groupType, name))
        throw new AwsError('ResourceAlreadyExistsException', 'The specified log group already exists');
      service.createLogGroup(name);
      return {};
    },
    DeleteLogGroup: (service, input) => {
      const name = String(input.logGroupName ?? '');
      if (!service.store.getResource(groupType, name)) throw missingGroup();
      service.deleteLogGroup(name);
      return {};
    },
    PutRetentionPolicy: (service, input) => {
      const group = service.store.getResource<LogGroup>(groupType, String(input.logGroupName ?? ''));
      if (!group) throw missingGroup();
      service.createLogGroup(group.logGroupName, Number(input.retentionInDays));
      return {};
    },
    DescribeLogGroups: (service, input) => service.describeLogGroups(input),
    FilterLogEvents: (service, input) => service.filterLogEvents(input),
    StartQuery: (service, input) => service.startQuery(input),
    GetQueryResults: (service, input) => service.getQueryResults(input),
    StopQuery: (service, input) => service.stopQuery(input),
    DescribeQueries: (service, input) => service.describeQueries(input),
    GetLogRecord: (service, input) => service.getLogRecord(input),
  };

  async handle(operation: string, input: Record<string, unknown>): Promise<unknown> {
    const answer = operationHandler(LogsService.operations, operation);
    if (answer) return answer(this, input, operation);
    throw new AwsError('UnknownOperationException', `Logs operation ${operation} is not supported locally`);
  }

  private groupArn(name: string): string {
    return `arn:aws:logs:${this.env.region}:${this.env.accountId}:log-group:${name}`;
  }

  private describeLogGroups(input: Record<string, unknown>): unknown {
    const prefix = input.logGroupNamePrefix === undefined ? undefined : String(input.logGroupNamePrefix);
    const pattern =
      input.logGroupNamePattern === undefined ? undefined : String(input.logGroupNamePattern).toLowerCase();
    if (prefix !== undefined && pattern !== undefined)
      throw invalidParameter('logGroupNamePrefix and logGroupNamePattern are mutually exclusive');
    const limit = Number(input.limit ?? maxDescribeLimit);
    if (!Number.isInteger(limit) || limit < 1 || limit > maxDescribeLimit)
      throw invalidParameter(`limit must be between 1 and ${maxDescribeLimit}`);
    const after =
      input.nextToken === undefined
        ? undefined
        : Buffer.from(String(input.nextToken), 'base64url').toString();
    this.flush();
    const groups = this.store
      .listResources<LogGroup>(groupType)
      .map(({ value }) => value)
      .filter(
        (group) =>
          (prefix === undefined || group.logGroupName.startsWith(prefix)) &&
          (pattern === undefined || group.logGroupName.toLowerCase().includes(pattern)) &&
          (after === undefined || group.logGroupName > after),
      )
      .sort((left, right) => (left.logGroupName < right.logGroupName ? -1 : 1));
    const page = groups.slice(0, limit);
    const storedBytes = this.store.db.prepare(
      'SELECT COALESCE(SUM(LENGTH(CAST(message AS BLOB))), 0) AS bytes FROM logs_events WHERE log_group = ?',
    );
    return {
      logGroups: page.map((group) => ({
        logGroupName: group.logGroupName,
        creationTime: group.creationTime,
        ...(group.retentionInDays === undefined ? {} : { retentionInDays: group.retentionInDays }),
        metricFilterCount: 0,
        arn: `${this.groupArn(group.logGroupName)}:*`,
        logGroupArn: this.groupArn(group.logGroupName),
        storedBytes: (storedBytes.get(group.logGroupName) as { bytes: number }).bytes,
        logGroupClass: 'STANDARD',
      })),
      ...(groups.length > limit
        ? { nextToken: Buffer.from(page.at(-1)?.logGroupName ?? '').toString('base64url') }
        : {}),
    };
  }

  /** The group a FilterLogEvents call names: logGroupName, or logGroupIdentifier (a name or an ARN), not both. */
  private filteredGroup(input: Record<string, unknown>): string {
    if (input.logGroupName !== undefined && input.logGroupIdentifier !== undefined)
      throw invalidParameter('LogGroup name and identifier are mutually exclusive');
    const name =
      input.logGroupIdentifier === undefined
        ? String(input.logGroupName ?? '')
        : String(input.logGroupIdentifier)
            .replace(/^arn:[^:]+:logs:[^:]*:[^:]*:log-group:/, '')
            .replace(/:\*$/, '');
    if (!name) throw invalidParameter('Either logGroupName or logGroupIdentifier is required');
    if (!this.store.getResource(groupType, name)) throw missingGroup();
    return name;
  }

  /** A log group name from a name or an ARN (`arn:aws:logs:…:log-group:<name>`, with or without `:*`). */
  private static groupName(identifier: string): string {
    return identifier.replace(/^arn:[^:]+:logs:[^:]*:[^:]*:log-group:/, '').replace(/:\*$/, '');
  }

  /** The groups a StartQuery names: exactly one of logGroupName, logGroupNames, logGroupIdentifiers, each existing. */
  private queriedGroups(input: Record<string, unknown>): string[] {
    const given = (['logGroupName', 'logGroupNames', 'logGroupIdentifiers'] as const).filter(
      (key) => input[key] !== undefined,
    );
    if (given.length !== 1)
      throw invalidParameter(
        'A query must name exactly one of logGroupName, logGroupNames and logGroupIdentifiers',
      );
    const [key] = given as [string];
    const value = input[key];
    const names = (Array.isArray(value) ? value : [value]).map((name) => LogsService.groupName(String(name)));
    if (names.length === 0 || names.some((name) => name === ''))
      throw invalidParameter(`${key} must name at least one log group`);
    if (names.length > maxQueryGroups)
      throw invalidParameter(`A query covers at most ${maxQueryGroups} log groups, got ${names.length}`);
    for (const name of names)
      if (!this.store.getResource(groupType, name))
        throw new AwsError('ResourceNotFoundException', `Log group '${name}' does not exist`);
    return [...new Set(names)];
  }

  private startQuery(input: Record<string, unknown>): unknown {
    // A function's default group comes into being with its first line, which may still be buffered.
    this.flush();
    const groups = this.queriedGroups(input);
    const [startTime, endTime] = [input.startTime, input.endTime].map(Number) as [number, number];
    if (input.startTime === undefined || input.endTime === undefined)
      throw invalidParameter('startTime and endTime are required (epoch seconds)');
    if (!Number.isInteger(startTime) || !Number.isInteger(endTime) || startTime < 0)
      throw invalidParameter('startTime and endTime are whole epoch seconds');
    if (endTime < startTime) throw invalidParameter('endTime cannot be before startTime');
    const limit = Number(input.limit ?? defaultQueryLimit);
    if (!Number.isInteger(limit) || limit < 1 || limit > maxQueryResults)
      throw invalidParameter(`limit must be between 1 and ${maxQueryResults}`);
    const queryString = String(input.queryString ?? '');
    if (queryString.length > maxQueryLength)
      throw invalidParameter(`queryString is at most ${maxQueryLength} characters`);
    const query = parseInsightsQuery(queryString);
    const active = [...this.queries.values()].filter(
      (run) => run.status === 'Scheduled' || run.status === 'Running',
    );
    if (active.length >= maxConcurrentQueries)
      throw new AwsError(
        'LimitExceededException',
        `At most ${maxConcurrentQueries} queries run at once; wait for one to complete or stop one`,
      );
    const run: QueryRun = {
      queryId: randomUUID(),
      queryString,
      query,
      logGroups: groups,
      startMs: startTime * 1000,
      // Both ends are inclusive: the whole last second is in the range.
      endMs: endTime * 1000 + 999,
      limit,
      createTime: this.clock.now(),
      status: 'Scheduled',
      evaluation: new QueryEvaluation(query),
      results: [],
    };
    this.queries.set(run.queryId, run);
    this.forgetOldQueries();
    setImmediate(() => this.runQuery(run, [-1, -1]));
    return { queryId: run.queryId };
  }

  /**
   * Reads the query's events a chunk at a time (keyset pages, so no SQLite statement stays open between turns while
   * functions write), then applies the commands that need every event (sort, stats, limit).
   */
  private runQuery(run: QueryRun, after: [number, number]): void {
    if (run.status === 'Cancelled') return;
    try {
      if (run.status === 'Scheduled') {
        run.status = 'Running';
        this.flush();
      }
      const rows = this.store.db
        .prepare(
          `SELECT seq, log_group, log_stream, timestamp_ms, ingestion_ms, message FROM logs_events
           WHERE log_group IN (${run.logGroups.map(() => '?').join(', ')})
             AND timestamp_ms >= ? AND timestamp_ms <= ?
             AND (timestamp_ms > ? OR (timestamp_ms = ? AND seq > ?))
           ORDER BY timestamp_ms, seq LIMIT ?`,
        )
        .all(
          ...run.logGroups,
          run.startMs,
          run.endMs,
          after[0],
          after[0],
          after[1],
          queryChunkRows,
        ) as (EventRow & { log_group: string })[];
      for (const row of rows)
        run.evaluation.feed({
          timestampMs: row.timestamp_ms,
          ingestionMs: row.ingestion_ms,
          message: row.message,
          logStream: row.log_stream,
          log: `${this.env.accountId}:${row.log_group}`,
          ptr: LogsService.pointer(row.log_group, row.seq),
        });
      const last = rows.at(-1);
      if (rows.length === queryChunkRows && last) {
        setImmediate(() => this.runQuery(run, [last.timestamp_ms, last.seq]));
        return;
      }
      run.results = run.evaluation.finish(run.limit);
      run.status = 'Complete';
    } catch (error) {
      run.status = 'Failed';
      console.error(`[logs] query ${run.queryId} failed`, error);
    }
  }

  /** The `@ptr` of an event: opaque to callers, its group and arrival number here. */
  private static pointer(logGroup: string, seq: number): string {
    return Buffer.from(JSON.stringify([logGroup, seq])).toString('base64url');
  }

  /** Every field of the event a query's `@ptr` names. */
  private getLogRecord(input: Record<string, unknown>): unknown {
    let group: unknown;
    let seq: unknown;
    try {
      [group, seq] = JSON.parse(
        Buffer.from(String(input.logRecordPointer ?? ''), 'base64url').toString('utf8'),
      );
    } catch {
      // Answered below, as for any pointer this service did not issue.
    }
    if (typeof group !== 'string' || typeof seq !== 'number')
      throw invalidParameter('logRecordPointer is not a pointer a query answered');
    this.flush();
    const row = this.store.db
      .prepare(
        'SELECT seq, log_stream, timestamp_ms, ingestion_ms, message FROM logs_events WHERE log_group = ? AND seq = ?',
      )
      .get(group, seq) as EventRow | undefined;
    if (!row) throw new AwsError('ResourceNotFoundException', 'The log record does not exist (any more)');
    return {
      logRecord: recordFields({
        timestampMs: row.timestamp_ms,
        ingestionMs: row.ingestion_ms,
        message: row.message,
        logStream: row.log_stream,
        log: `${this.env.accountId}:${group}`,
        ptr: LogsService.pointer(group, row.seq),
      }),
    };
  }

  /** Drops the oldest finished queries past the number kept. */
  private forgetOldQueries(): void {
    if (this.queries.size <= keptQueries) return;
    for (const [queryId, run] of this.queries) {
      if (this.queries.size <= keptQueries) break;
      if (run.status !== 'Scheduled' && run.status !== 'Running') this.queries.delete(queryId);
    }
  }

  private knownQuery(input: Record<string, unknown>): QueryRun {
    const queryId = String(input.queryId ?? '');
    if (!queryId) throw invalidParameter('queryId is required');
    const run = this.queries.get(queryId);
    if (!run) throw new AwsError('ResourceNotFoundException', `Query ${queryId} does not exist`);
    return run;
  }

  private getQueryResults(input: Record<string, unknown>): unknown {
    const run = this.knownQuery(input);
    const { recordsMatched, recordsScanned, bytesScanned } = run.evaluation.progress;
    return {
      queryLanguage: 'CWLI',
      // While it runs there are no rows yet: sort, stats and limit need every event.
      results: run.status === 'Complete' ? run.results : [],
      statistics: { recordsMatched, recordsScanned, bytesScanned },
      status: run.status,
    };
  }

  private stopQuery(input: Record<string, unknown>): unknown {
    const run = this.knownQuery(input);
    if (run.status !== 'Scheduled' && run.status !== 'Running')
      throw invalidParameter(`Query ${run.queryId} is not running (it is ${run.status})`);
    run.status = 'Cancelled';
    return { success: true };
  }

  private describeQueries(input: Record<string, unknown>): unknown {
    const group =
      input.logGroupName === undefined ? undefined : LogsService.groupName(String(input.logGroupName));
    const status = input.status === undefined ? undefined : String(input.status);
    const maxResults = Number(input.maxResults ?? maxDescribeQueries);
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > maxDescribeQueries)
      throw invalidParameter(`maxResults must be between 1 and ${maxDescribeQueries}`);
    const skip =
      input.nextToken === undefined
        ? 0
        : Number(Buffer.from(String(input.nextToken), 'base64url').toString('utf8'));
    if (!Number.isInteger(skip) || skip < 0) throw invalidParameter('The specified nextToken is invalid.');
    const matching = [...this.queries.values()]
      .filter(
        (run) =>
          (group === undefined || run.logGroups.includes(group)) &&
          (status === undefined || run.status === status),
      )
      .reverse();
    const page = matching.slice(skip, skip + maxResults);
    return {
      queries: page.map((run) => ({
        queryLanguage: 'CWLI',
        queryId: run.queryId,
        queryString: run.queryString,
        status: run.status,
        createTime: run.createTime,
        logGroupName: run.logGroups[0],
      })),
      ...(skip + maxResults < matching.length
        ? { nextToken: Buffer.from(String(skip + maxResults)).toString('base64url') }
        : {}),
    };
  }

  private filterLogEvents(input: Record<string, unknown>): unknown {
    const group = this.filteredGroup(input);
    const limit = Number(input.limit ?? maxFilterLimit);
    if (!Number.isInteger(limit) || limit < 1 || limit > maxFilterLimit)
      throw invalidParameter(`limit must be between 1 and ${maxFilterLimit}`);
    const matches = messageFilter(
      input.filterPattern === undefined ? undefined : String(input.filterPattern),
    );
    const streams = input.logStreamNames as string[] | undefined;
    const streamPrefix =
      input.logStreamNamePrefix === undefined ? undefined : String(input.logStreamNamePrefix);
    const [afterMs, afterSeq] = input.nextToken === undefined ? [-1, -1] : pagePosition(input.nextToken);
    this.flush();
    const rows = this.store.db
      .prepare(
        `SELECT seq, log_group, log_stream, timestamp_ms, ingestion_ms, message FROM logs_events
         WHERE log_group = ? AND timestamp_ms >= ? AND timestamp_ms <= ?
           AND (timestamp_ms > ? OR (timestamp_ms = ? AND seq > ?))
         ORDER BY timestamp_ms, seq`,
      )
      .iterate(
        group,
        Number(input.startTime ?? 0),
        Number(input.endTime ?? Number.MAX_SAFE_INTEGER),
        afterMs,
        afterMs,
        afterSeq,
      ) as IterableIterator<EventRow>;
    const found: EventRow[] = [];
    let more = false;
    for (const row of rows) {
      if (streams && !streams.includes(row.log_stream)) continue;
      if (streamPrefix !== undefined && !row.log_stream.startsWith(streamPrefix)) continue;
      if (!matches(row.message)) continue;
      if (found.length === limit) {
        more = true;
        break;
      }
      found.push(row);
    }
    const last = found.at(-1);
    return {
      events: found.map((row) => ({
        logStreamName: row.log_stream,
        timestamp: row.timestamp_ms,
        message: row.message,
        ingestionTime: row.ingestion_ms,
        eventId: String(row.seq).padStart(20, '0'),
      })),
      searchedLogStreams: [],
      ...(more && last ? { nextToken: pageToken(last) } : {}),
    };
  }
}

/** The CloudWatch Logs operations the local runtime answers: the keys of the table it dispatches by. */
export const logsOperations = operationsOf(LogsService.operations);
