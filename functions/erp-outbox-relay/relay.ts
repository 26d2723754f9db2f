/** Relays the ERP's own business events (its outbox) onto the bus as canonical erp.* events, from a durable cursor. */
import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { SandboxErpConnector } from '../shared/erp/sandbox-erp-connector';
import { buildCanonicalEvent, type CanonicalEvent, validateCanonicalEvent } from '../shared/events/envelope';
import { newId } from '../shared/ids';

/** What the relay needs. */
export interface RelayDependencies {
  erp: Pick<SandboxErpConnector, 'readOutbox'>;
  publish(events: readonly CanonicalEvent[]): Promise<void>;
  cursor: { read(): Promise<number>; advance(from: number, to: number): Promise<void> };
  erpSourceUri: string;
}

/** The relay's position, kept in the version table so that a restart resumes where it stopped. */
export class DynamoDbOutboxCursor {
  private static readonly key = { subject: { S: 'erp-outbox-cursor' } };

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async read(): Promise<number> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: DynamoDbOutboxCursor.key, ConsistentRead: true }),
    );
    return Number(Item?.seq?.N ?? 0);
  }

  /** Moves the cursor forward only from where this run found it: a concurrent run cannot move it back. */
  async advance(from: number, to: number): Promise<void> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: DynamoDbOutboxCursor.key,
          UpdateExpression: 'SET seq = :to',
          ConditionExpression: 'attribute_not_exists(seq) OR seq = :from',
          ExpressionAttributeValues: { ':to': { N: String(to) }, ':from': { N: String(from) } },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}

/** Publishes the outbox entries after the cursor; returns how many it relayed. Publishing is at-least-once. */
export async function relayOutbox(deps: RelayDependencies): Promise<number> {
  const from = await deps.cursor.read();
  const entries = await deps.erp.readOutbox(from);
  const events: CanonicalEvent[] = [];
  for (const entry of entries) {
    if (entry.type !== 'order.credit-released') continue;
    const payload = entry.payload as {
      orderNumber: string;
      externalRef: string;
      customerNumber: string;
      releasedBy: string;
      version: number;
      channel?: string;
    };
    const event = buildCanonicalEvent(
      {
        type: 'erp.order.credit-released.v1',
        source: deps.erpSourceUri,
        subject: `order/${payload.externalRef}`,
        time: new Date(entry.at).toISOString(),
        // The ERP document's version: a relayed duplicate carries the same one, so the continuation is idempotent.
        entityVersion: payload.version,
        data: {
          erpOrderNumber: payload.orderNumber,
          sourceOrderId: payload.externalRef,
          customerNumber: payload.customerNumber,
          releasedBy: payload.releasedBy,
          releasedAt: new Date(entry.at).toISOString(),
        },
      },
      {
        id: newId(),
        correlationId: newId(),
        causationId: `erp-outbox:${entry.seq}`,
        // The order's channel: the continuation's answers are written back to the platform the order came from.
        ...(payload.channel ? { origin: payload.channel } : {}),
      },
    );
    const violations = validateCanonicalEvent(event);
    if (violations.length > 0)
      throw new Error(`Outbox entry ${entry.seq} does not make a valid event: ${JSON.stringify(violations)}`);
    events.push(event);
  }
  if (events.length > 0) await deps.publish(events);
  const last = entries.at(-1)?.seq;
  if (last !== undefined) await deps.cursor.advance(from, last);
  return events.length;
}
