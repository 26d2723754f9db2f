/** DynamoDB: dynalite (persistent, under the data directory) behind the edge, plus what it lacks: TTL settings and expiry sweeping. */

import { readdirSync } from 'node:fs';
import {
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import {
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import type { LocalClock } from '../../clock';
import type { RawService } from '../../edge/edge-server';
import type { DurableStore } from '../../store/durable-store';
import type { UsageMeter } from '../../usage/usage-meter';
import { capacityOf, meteredRequest } from './capacity';

// dynalite ships no types: it returns a node http.Server.
const dynalite = require('dynalite') as (options: Record<string, unknown>) => Server;

/**
 * The operations dynalite answers: one module per operation under its `actions` directory, the same list its request
 * router accepts (anything else it refuses with `UnknownOperationException`).
 */
export const dynaliteOperations: readonly string[] = Object.freeze(
  readdirSync(path.join(path.dirname(require.resolve('dynalite')), 'actions'))
    .filter((file) => file.endsWith('.js'))
    .map((file) => file.charAt(0).toUpperCase() + file.slice(1, -'.js'.length))
    .sort(),
);

/** The TTL operations the runtime answers itself instead of dynalite (dynalite keeps no TTL setting nor expires items). */
export const timeToLiveOperations: readonly string[] = Object.freeze([
  'DescribeTimeToLive',
  'UpdateTimeToLive',
]);

/** The DynamoDB operations the local runtime answers: dynalite's and the TTL operations it answers itself. */
export const dynamoDbOperations: readonly string[] = Object.freeze(
  [...new Set([...dynaliteOperations, ...timeToLiveOperations])].sort(),
);

interface TtlSetting {
  table: string;
  attribute: string;
  enabled: boolean;
}

/** DynamoDB proxied to an in-process dynalite, with TimeToLive handled here. */
export class DynamoDbService implements RawService {
  private server: Server | undefined;
  private port = 0;
  private client: DynamoDBClient | undefined;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: DurableStore,
    private readonly clock: LocalClock,
    private readonly usage: UsageMeter,
    private readonly sweepIntervalMs = 10_000,
  ) {}

  async start(): Promise<void> {
    this.server = dynalite({
      path: path.join(this.store.dataDir, 'dynamodb'),
      createTableMs: 0,
      deleteTableMs: 0,
      updateTableMs: 0,
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    this.client = new DynamoDBClient({
      endpoint: `http://127.0.0.1:${this.port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    this.sweeper = setInterval(
      () =>
        void this.sweepExpired().catch((error: unknown) =>
          console.warn('[dynamodb] TTL sweep failed', error),
        ),
      this.sweepIntervalMs,
    );
    this.sweeper.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.client?.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** A client talking to dynalite directly (Step Functions integrations use it). */
  directClient(): DynamoDBClient {
    if (!this.client) throw new Error('DynamoDB is not started');
    return this.client;
  }

  async handleRaw(request: IncomingMessage, body: Buffer, response: ServerResponse): Promise<void> {
    const operation = String(request.headers['x-amz-target'] ?? '').split('.')[1];
    if (operation !== undefined && timeToLiveOperations.includes(operation))
      return this.timeToLive(operation, body, response);
    const metered = meteredRequest(operation ?? '', body);
    const reply = await this.forward(request, metered.body);
    this.usage.dynamoDb(capacityOf(operation ?? '', metered.consistentRead, reply.statusCode, reply.body));
    response.writeHead(reply.statusCode, reply.headers);
    response.end(reply.body);
  }

  private forward(
    request: IncomingMessage,
    body: Buffer,
  ): Promise<{ statusCode: number; headers: IncomingHttpHeaders; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const upstream = httpRequest(
        {
          host: '127.0.0.1',
          port: this.port,
          method: request.method,
          path: request.url,
          headers: { ...request.headers, host: `127.0.0.1:${this.port}`, 'content-length': body.length },
        },
        (reply) => {
          const chunks: Buffer[] = [];
          reply.on('data', (chunk: Buffer) => chunks.push(chunk));
          reply.on('end', () =>
            resolve({
              statusCode: reply.statusCode ?? 500,
              headers: reply.headers,
              body: Buffer.concat(chunks),
            }),
          );
          reply.on('error', reject);
        },
      );
      upstream.on('error', reject);
      upstream.end(body);
    });
  }

  private async timeToLive(operation: string, body: Buffer, response: ServerResponse): Promise<void> {
    const input = JSON.parse(body.toString('utf8') || '{}') as {
      TableName?: string;
      TimeToLiveSpecification?: { AttributeName: string; Enabled: boolean };
    };
    const send = (status: number, payload: unknown) => {
      const text = JSON.stringify(payload);
      response.writeHead(status, {
        'content-type': 'application/x-amz-json-1.0',
        'content-length': Buffer.byteLength(text),
      });
      response.end(text);
    };
    try {
      await this.directClient().send(new DescribeTableCommand({ TableName: input.TableName }));
    } catch {
      return send(400, {
        __type: 'com.amazonaws.dynamodb.v20120810#ResourceNotFoundException',
        message: `Requested resource not found: Table: ${input.TableName} not found`,
      });
    }
    const table = String(input.TableName);
    if (operation === 'UpdateTimeToLive') {
      const spec = input.TimeToLiveSpecification;
      if (!spec?.AttributeName)
        return send(400, {
          __type: 'com.amazonaws.dynamodb.v20120810#ValidationException',
          message: 'TimeToLiveSpecification is required',
        });
      this.store.putResource('dynamodb-ttl', table, {
        table,
        attribute: spec.AttributeName,
        enabled: spec.Enabled,
      } satisfies TtlSetting);
      return send(200, { TimeToLiveSpecification: spec });
    }
    const setting = this.store.getResource<TtlSetting>('dynamodb-ttl', table);
    return send(200, {
      TimeToLiveDescription: setting?.enabled
        ? { TimeToLiveStatus: 'ENABLED', AttributeName: setting.attribute }
        : { TimeToLiveStatus: 'DISABLED' },
    });
  }

  /** Deletes items whose TTL attribute (epoch seconds) has passed, as DynamoDB's background expiry does. */
  async sweepExpired(): Promise<number> {
    const client = this.directClient();
    let deleted = 0;
    for (const { value: setting } of this.store.listResources<TtlSetting>('dynamodb-ttl')) {
      if (!setting.enabled) continue;
      let keySchema: string[];
      try {
        const { Table } = await client.send(new DescribeTableCommand({ TableName: setting.table }));
        keySchema = (Table?.KeySchema ?? []).map((key) => key.AttributeName as string);
      } catch {
        continue;
      }
      const nowSec = String(Math.floor(this.clock.now() / 1000));
      let startKey: Record<string, never> | undefined;
      do {
        const page = await client.send(
          new ScanCommand({
            TableName: setting.table,
            FilterExpression: '#ttl < :now',
            ExpressionAttributeNames: { '#ttl': setting.attribute },
            ExpressionAttributeValues: { ':now': { N: nowSec } },
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of page.Items ?? []) {
          const key = Object.fromEntries(keySchema.map((name) => [name, item[name]]));
          await client.send(new DeleteItemCommand({ TableName: setting.table, Key: key as never }));
          deleted += 1;
        }
        startKey = page.LastEvaluatedKey as Record<string, never> | undefined;
      } while (startKey);
    }
    return deleted;
  }
}
