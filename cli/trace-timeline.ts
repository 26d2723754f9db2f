/**
 * One business transaction's timeline, by correlation id or entity (an order id is `order/<id>`): the function log
 * lines that name it (ingest, every workflow step, write-back), its version record, the ERP documents, every dead
 * letter about it, every ops action that touched it and when each of its events reached the warehouse, in time order.
 */
import {
  type CloudWatchLogsClient,
  paginateDescribeLogGroups,
  paginateFilterLogEvents,
} from '@aws-sdk/client-cloudwatch-logs';
import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { isoFromWarehouse, sqlText, type WarehouseQuery } from '../functions/reconcile/reconcile-sources';
import type { OpsJournal } from '../functions/replay/ops-journal';
import { deadLetterQueueUrls, peekQueue } from '../functions/replay/replay';
import type { ErpPort } from '../functions/shared/erp/erp-port';
import { loadedAt } from '../functions/shared/warehouse/models';

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

/**
 * The function log lines about the transaction, through CloudWatch Logs (the embedded runtime's or AWS's): each log
 * group is filtered for any of the ids known, then each JSON line is checked to name one of them.
 */
export async function functionLogEntries(
  logs: CloudWatchLogsClient,
  stage: string,
  subject: TraceSubject,
): Promise<TimelineEntry[]> {
  const groups = await stageLogGroups(logs, stage);
  const entries: TimelineEntry[] = [];
  // Two passes: a line found by correlation id names the entity (and the reverse), which finds more lines.
  for (let pass = 0; pass < 2; pass += 1) {
    entries.length = 0;
    const needles = [...subject.correlationIds, ...subject.entities];
    if (needles.length === 0) return entries;
    const filterPattern = needles.map((needle) => `?"${needle.replaceAll('"', '\\"')}"`).join(' ');
    for (const logGroupName of groups) {
      const where = shortFunctionName(logGroupName);
      for await (const page of paginateFilterLogEvents({ client: logs }, { logGroupName, filterPattern }))
        for (const event of page.events ?? []) {
          const text = (event.message ?? '').trim();
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
            at: line.timestamp ?? new Date(event.timestamp ?? 0).toISOString(),
            where,
            what: `${line.message ?? ''}${detail ? `: ${detail}` : ''}`,
          });
        }
    }
  }
  return entries;
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
  },
): Promise<{ subject: { correlationIds: string[]; entities: string[] }; entries: TimelineEntry[] }> {
  const entries = await functionLogEntries(sources.logs, sources.stage, subject);
  for (const url of await deadLetterQueueUrls(sources.sqs, sources.stage)) {
    for (const letter of await peekQueue(sources.sqs, url, 1000)) {
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
  };
}
