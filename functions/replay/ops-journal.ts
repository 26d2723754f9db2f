/**
 * The ops audit table: who replayed, parked or edited what, when and why (`concord audit`), and each replay's
 * journal of re-published messages, which makes an interrupted replay resumable without publishing anything twice.
 */
import {
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { AuditJournal, AuditRecord } from './ports';

const auditPartition = 'audit';

/** Which audit records to read (`concord audit`, the console's Audit page): every field narrows, all optional. */
export interface AuditQuery {
  operator?: string;
  action?: AuditRecord['action'];
  /** The queue (or `reconciliation:<id>`) the action took its messages from, exactly. */
  queue?: string;
  /** Records at or after this instant. */
  since?: Date;
  /** Records before this instant. */
  until?: Date;
  /** At most this many records (default 50). */
  limit?: number;
  /** The `next` of the previous page: the records older than it. */
  after?: string;
}

/** One page of audit records, newest first, and the cursor of the next page when there are more. */
export interface AuditPage {
  records: AuditRecord[];
  next?: string;
}

/** A cursor that is not one this journal handed out: refused, never read as a key. */
export class AuditCursorError extends Error {
  override readonly name = 'AuditCursorError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

type StoredItem = Record<string, { S?: string }>;

function recordOf(item: StoredItem): AuditRecord {
  return {
    id: item.id?.S ?? '',
    action: (item.action?.S ?? 'replay') as AuditRecord['action'],
    operator: item.operator?.S ?? '',
    reason: item.reason?.S ?? '',
    queue: item.queue?.S ?? '',
    at: item.at?.S ?? '',
    status: (item.status?.S ?? 'done') as AuditRecord['status'],
    detail: JSON.parse(item.detail?.S ?? '{}') as Record<string, unknown>,
  };
}

/** The ops audit on DynamoDB: the {@link AuditJournal} port, and the search `concord audit` and the console read. */
export class OpsJournal implements AuditJournal {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async record(entry: AuditRecord): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: {
          pk: { S: auditPartition },
          sk: { S: `${entry.at}#${entry.id}` },
          id: { S: entry.id },
          action: { S: entry.action },
          operator: { S: entry.operator },
          reason: { S: entry.reason },
          queue: { S: entry.queue },
          at: { S: entry.at },
          status: { S: entry.status },
          detail: { S: JSON.stringify(entry.detail) },
        },
      }),
    );
  }

  /** The audit record of an action, found by its id (the replay id a resume names). */
  async find(id: string): Promise<AuditRecord | undefined> {
    return (await this.list(1000)).find((entry) => entry.id === id);
  }

  async update(entry: AuditRecord): Promise<void> {
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: { pk: { S: auditPartition }, sk: { S: `${entry.at}#${entry.id}` } },
        UpdateExpression: 'SET #status = :status, detail = :detail',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':status': { S: entry.status },
          ':detail': { S: JSON.stringify(entry.detail) },
        },
      }),
    );
  }

  /** Newest first. */
  async list(limit = 50): Promise<AuditRecord[]> {
    const { Items = [] } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: auditPartition } },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return Items.map((item) => recordOf(item as StoredItem));
  }

  /**
   * A page of the records a query selects, newest first. The time range is the key's range (records sort by their
   * time); operator, action and queue filter what it reads, page after page, until the page is full, so a page is
   * never short while older matching records remain.
   */
  async search(query: AuditQuery = {}): Promise<AuditPage> {
    const limit = query.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`an audit page holds a positive whole number of records, not ${limit}`);
    let start: Record<string, { S: string }> | undefined;
    if (query.after !== undefined) {
      if (!/^\d{4}-\d{2}-\d{2}T[^#]+#[\w-]+$/.test(query.after))
        throw new AuditCursorError(
          `"${query.after}" is not a cursor of this audit (follow the page's "older" link)`,
        );
      start = { pk: { S: auditPartition }, sk: { S: query.after } };
    }
    // `#` sorts after every character of an ISO time's prefix and `~` after every id: the bounds take whole instants.
    const lower = query.since?.toISOString() ?? '0';
    const upper = query.until ? `${query.until.toISOString()}#` : '~';
    const filters: string[] = [];
    const names: Record<string, string> = {};
    const values: Record<string, { S: string }> = {
      ':pk': { S: auditPartition },
      ':lower': { S: lower },
      ':upper': { S: upper },
    };
    for (const field of ['operator', 'action', 'queue'] as const) {
      const value = query[field];
      if (value === undefined || value === '') continue;
      filters.push(`#${field} = :${field}`);
      names[`#${field}`] = field;
      values[`:${field}`] = { S: value };
    }
    const records: AuditRecord[] = [];
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lower AND :upper',
          ...(filters.length
            ? { FilterExpression: filters.join(' AND '), ExpressionAttributeNames: names }
            : {}),
          ExpressionAttributeValues: values,
          ScanIndexForward: false,
          Limit: limit - records.length,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) records.push(recordOf(item as StoredItem));
      start = page.LastEvaluatedKey as typeof start;
    } while (start && records.length < limit);
    // A read that stopped at the page's size, not at the end of the range, may have older records after it.
    return { records, ...(start?.sk?.S ? { next: start.sk.S } : {}) };
  }

  async wasPublished(replayId: string, messageId: string): Promise<boolean> {
    const { Item } = await this.client.send(
      new GetItemCommand({
        TableName: this.tableName,
        Key: { pk: { S: `replay#${replayId}` }, sk: { S: `message#${messageId}` } },
        ConsistentRead: true,
      }),
    );
    return Item !== undefined;
  }

  /** Records that a message was delivered: `eventId` is the delivery's id, `target` where it went (when not the bus). */
  async markPublished(replayId: string, messageId: string, eventId: string, target?: string): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: {
          pk: { S: `replay#${replayId}` },
          sk: { S: `message#${messageId}` },
          eventId: { S: eventId },
          ...(target ? { target: { S: target } } : {}),
          publishedAt: { S: new Date().toISOString() },
        },
      }),
    );
  }
}
