/**
 * bench/replay: dead letters re-published per second by governed replay at an unbounded rate, and the accuracy of
 * its rate limiter at 50/s (achieved vs requested), in one run on the embedded runtime.
 *
 *   npx tsx bench/replay/run.ts [--messages 1000]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { CreateEventBusCommand } from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { EventBridgeReplayBus } from '../../functions/replay/adapters/eventbridge-replay-bus';
import { SqsDeadLetterQueues } from '../../functions/replay/adapters/sqs-dead-letter-queues';
import { OpsJournal } from '../../functions/replay/ops-journal';
import type { ReplayDependencies } from '../../functions/replay/ports';
import { runReplay } from '../../functions/replay/replay';
import { LocalRuntime } from '../../local/runtime';
import { sdkClients } from '../../test/local/support/local-runtime';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { values } = parseArgs({ options: { messages: { type: 'string', default: '1000' } } });
const messages = Number(values.messages);
const requestedRate = 50;
const ratedMessages = 250;

/** A workflow exception as order-to-cash writes it, around a placed order. */
function exception(index: number): string {
  return JSON.stringify({
    flow: 'order-to-cash',
    businessKey: `order/${index}`,
    correlationId: `corr-${index}`,
    failedStep: 'Reserve',
    error: { Error: 'ErpUnavailableError', Cause: 'ERP down' },
    compensated: [],
    event: {
      specversion: '1.0',
      id: `01JD${String(index).padStart(22, '0')}`,
      source: 'shopify://bench.myshopify.com',
      type: 'commerce.order.placed.v1',
      subject: `order/${index}`,
      time: '2026-11-27T10:00:00Z',
      correlationid: `corr-${index}`,
      entityversion: 1,
      data: { sourceOrderId: String(index) },
    },
  });
}

async function fill(clients: ReturnType<typeof sdkClients>, queueUrl: string, count: number): Promise<void> {
  for (let start = 0; start < count; start += 10)
    await clients.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Array.from({ length: Math.min(10, count - start) }, (_, i) => ({
          Id: String(i),
          MessageBody: exception(start + i),
        })),
      }),
    );
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'concord-bench-replay-'));
  const runtime = await LocalRuntime.start({ dataDir, edgePort: 0 });
  const clients = sdkClients(runtime.endpoint);
  try {
    const { QueueUrl } = await clients.sqs.send(
      new CreateQueueCommand({ QueueName: 'Concord-bench-Stateful-ExceptionsQueue' }),
    );
    await clients.events.send(new CreateEventBusCommand({ Name: 'concord-bench' }));
    await clients.dynamodb.send(
      new CreateTableCommand({
        TableName: 'ops-audit',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    const deps: ReplayDependencies = {
      queues: new SqsDeadLetterQueues(clients.sqs),
      bus: new EventBridgeReplayBus(clients.events, 'concord-bench'),
      journal: new OpsJournal(clients.dynamodb, 'ops-audit'),
      busName: 'concord-bench',
    };
    const replay = async (rate?: number) => {
      const started = process.hrtime.bigint();
      const result = await runReplay(deps, {
        queueUrl: QueueUrl as string,
        filter: {},
        operator: 'bench',
        reason: 'bench',
        ratePerSec: rate,
      });
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      return { published: result.published, seconds, perSec: result.published / seconds };
    };

    await fill(clients, QueueUrl as string, messages);
    const unbounded = await replay();
    await fill(clients, QueueUrl as string, ratedMessages);
    const rated = await replay(requestedRate);
    const report = {
      recordedAt: new Date().toISOString(),
      node: process.version,
      unbounded: { messages: unbounded.published, perSec: Number(unbounded.perSec.toFixed(1)) },
      rateLimited: {
        messages: rated.published,
        requestedPerSec: requestedRate,
        achievedPerSec: Number(rated.perSec.toFixed(2)),
        achievedOverRequested: Number((rated.perSec / requestedRate).toFixed(4)),
      },
    };
    writeFileSync(path.join(__dirname, '../results/replay.json'), `${JSON.stringify(report, null, 2)}\n`);
    console.log(JSON.stringify(report, null, 2));
  } finally {
    for (const client of Object.values(clients)) client.destroy();
    await runtime.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
