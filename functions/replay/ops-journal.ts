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

/** One audit record. */
export interface AuditRecord {
  id: string;
  action: 'replay' | 'park' | 'edit' | 'reveal';
  operator: string;
  reason: string;
  queue: string;
  at: string;
  status: 'running' | 'done' | 'interrupted';
  /** The filter, options and counts of the action, as JSON. */
  detail: Record<string, unknown>;
}

const auditPartition = 'audit';

export class OpsJournal {
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
    return Items.map((item) => ({
      id: item.id?.S ?? '',
      action: (item.action?.S ?? 'replay') as AuditRecord['action'],
      operator: item.operator?.S ?? '',
      reason: item.reason?.S ?? '',
      queue: item.queue?.S ?? '',
      at: item.at?.S ?? '',
      status: (item.status?.S ?? 'done') as AuditRecord['status'],
      detail: JSON.parse(item.detail?.S ?? '{}') as Record<string, unknown>,
    }));
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
