/**
 * bench/runtime: the embedded runtime's throughput, each figure beside the same work done by direct function calls
 * in one process, as a ratio measured in one run.
 *  - PutEvents entries/s routed by 50 rules to an SQS target (edge → match → durable delivery → queue).
 *  - Express executions/s (StartSyncExecution) of a 6-state JSONata workflow with 3 Lambda tasks.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CreateEventBusCommand,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateStateMachineCommand, StartSyncExecutionCommand } from '@aws-sdk/client-sfn';
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import jsonata from 'jsonata';
import { compileEventPattern, matchesEventPattern } from '../../local/patterns/event-pattern';
import { LocalRuntime } from '../../local/runtime';
import { sdkClients } from '../../test/local/support/local-runtime';

// The SDK's Node 20 end-of-support notice is tracked in the README; keep the report readable.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const ruleCount = 50;
const entryCount = 5000;
const executionCount = 1000;
const concurrency = 16;
const targets = { routedEntriesPerSec: 2000, executionsPerSec: 300 };

const handlers = {
  price: `exports.handler = async (e) => ({ sku: e.sku, unitPrice: 19.99, quantity: e.quantity });`,
  tax: `exports.handler = async (e) => ({ ...e, tax: Math.round(e.unitPrice * e.quantity * 0.2 * 100) / 100 });`,
  total: `exports.handler = async (e) => ({ ...e, total: Math.round((e.unitPrice * e.quantity + e.tax) * 100) / 100 });`,
};

const workflow = {
  QueryLanguage: 'JSONata',
  StartAt: 'Start',
  States: {
    Start: {
      Type: 'Pass',
      Assign: { orderId: '{% $states.input.orderId %}' },
      Output: '{% $states.input.line %}',
      Next: 'Price',
    },
    Price: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Arguments: { FunctionName: 'price', Payload: '{% $states.input %}' },
      Output: '{% $states.result.Payload %}',
      Next: 'Tax',
    },
    Tax: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Arguments: { FunctionName: 'tax', Payload: '{% $states.input %}' },
      Output: '{% $states.result.Payload %}',
      Next: 'Total',
    },
    Total: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Arguments: { FunctionName: 'total', Payload: '{% $states.input %}' },
      Output: '{% $states.result.Payload %}',
      Next: 'Decide',
    },
    Decide: {
      Type: 'Choice',
      Choices: [{ Condition: '{% $states.input.total > 100 %}', Next: 'Large' }],
      Default: 'Done',
    },
    Large: {
      Type: 'Pass',
      Output: '{% $merge([$states.input, {"orderId": $orderId, "large": true}]) %}',
      Next: 'Done',
    },
    Done: { Type: 'Succeed' },
  },
};

function patternFor(index: number) {
  return {
    source: ['concord.bench'],
    'detail-type': [`type-${index}`],
    detail: { amount: [{ numeric: ['>=', 0] }] },
  };
}

function eventFor(index: number) {
  return {
    source: 'concord.bench',
    'detail-type': `type-${index % ruleCount}`,
    detail: { amount: index, id: `e-${index}` },
  };
}

async function inBatches<T>(
  count: number,
  parallel: number,
  work: (index: number) => Promise<T>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        const index = next;
        next += 1;
        await work(index);
      }
    }),
  );
}

async function routedEntries(runtime: LocalRuntime, clients: ReturnType<typeof sdkClients>) {
  await clients.events.send(new CreateEventBusCommand({ Name: 'bench' }));
  const { QueueUrl } = await clients.sqs.send(new CreateQueueCommand({ QueueName: 'bench-target' }));
  const { Attributes } = await clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  for (let i = 0; i < ruleCount; i += 1) {
    await clients.events.send(
      new PutRuleCommand({
        Name: `rule-${i}`,
        EventBusName: 'bench',
        EventPattern: JSON.stringify(patternFor(i)),
      }),
    );
    await clients.events.send(
      new PutTargetsCommand({
        Rule: `rule-${i}`,
        EventBusName: 'bench',
        Targets: [{ Id: 'q', Arn: Attributes?.QueueArn }],
      }),
    );
  }
  const started = process.hrtime.bigint();
  await inBatches(entryCount / 10, concurrency, async (batch) => {
    const entries = Array.from({ length: 10 }, (_, i) => {
      const event = eventFor(batch * 10 + i);
      return {
        EventBusName: 'bench',
        Source: event.source,
        DetailType: event['detail-type'],
        Detail: JSON.stringify(event.detail),
      };
    });
    const result = await clients.events.send(new PutEventsCommand({ Entries: entries }));
    if (result.FailedEntryCount) throw new Error('PutEvents failed entries in the benchmark');
  });
  for (;;) {
    if (runtime.sqs.queueCounts('bench-target').visible >= entryCount) break;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const platformSec = Number(process.hrtime.bigint() - started) / 1e9;

  // The same work as direct calls: match every event against 50 compiled patterns, keep the matches.
  const patterns = Array.from({ length: ruleCount }, (_, i) =>
    compileEventPattern(JSON.stringify(patternFor(i))),
  );
  const delivered: string[] = [];
  const directStart = process.hrtime.bigint();
  for (let i = 0; i < entryCount; i += 1) {
    const event = {
      version: '0',
      id: `${i}`,
      account: '000000000000',
      region: 'us-east-1',
      time: new Date().toISOString(),
      resources: [],
      ...eventFor(i),
    };
    for (const pattern of patterns)
      if (matchesEventPattern(pattern, event)) delivered.push(JSON.stringify(event));
  }
  const directSec = Number(process.hrtime.bigint() - directStart) / 1e9;
  return { perSec: entryCount / platformSec, directPerSec: entryCount / directSec };
}

async function expressExecutions(runtime: LocalRuntime, clients: ReturnType<typeof sdkClients>, dir: string) {
  const modules: Record<string, (event: unknown) => Promise<unknown>> = {};
  for (const [name, source] of Object.entries(handlers)) {
    const file = path.join(dir, `${name}.js`);
    writeFileSync(file, source);
    await runtime.lambda.registerFunction({
      name,
      arn: `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
      modulePath: file,
      exportName: 'handler',
      environment: {},
      timeoutSec: 10,
      memoryMiB: 128,
      reservedConcurrency: concurrency,
    });
    modules[name] = require(file).handler;
  }
  const { stateMachineArn } = await clients.sfn.send(
    new CreateStateMachineCommand({
      name: 'bench-express',
      type: 'EXPRESS',
      roleArn: 'arn:aws:iam::000000000000:role/b',
      definition: JSON.stringify(workflow),
    }),
  );
  const input = (i: number) =>
    JSON.stringify({ orderId: `o-${i}`, line: { sku: 'TR-42', quantity: 1 + (i % 9) } });
  // Warm the execution environments, as a steady flow would.
  await inBatches(concurrency * 2, concurrency, (i) =>
    clients.sfn.send(new StartSyncExecutionCommand({ stateMachineArn, input: input(i) })),
  );
  const started = process.hrtime.bigint();
  await inBatches(executionCount, concurrency, async (i) => {
    const result = await clients.sfn.send(
      new StartSyncExecutionCommand({ stateMachineArn, input: input(i) }),
    );
    if (result.status !== 'SUCCEEDED')
      throw new Error(`execution ${result.status}: ${result.error} ${result.cause}`);
  });
  const platformSec = Number(process.hrtime.bigint() - started) / 1e9;

  // The same work as direct calls: the three handlers and the workflow's JSONata, in one process.
  const [assignOrder, pickLine, merge] = [
    '$states.input.orderId',
    '$states.input.line',
    '$merge([$states.input, {"orderId": $orderId, "large": true}])',
  ].map((text) => jsonata(text));
  const directStart = process.hrtime.bigint();
  for (let i = 0; i < executionCount; i += 1) {
    const states = { input: JSON.parse(input(i)) };
    const orderId = await assignOrder?.evaluate({}, { states });
    let value = await pickLine?.evaluate({}, { states });
    for (const name of ['price', 'tax', 'total'])
      value = JSON.parse(JSON.stringify(await modules[name]?.(value)));
    if ((value as { total: number }).total > 100)
      value = await merge?.evaluate({}, { states: { input: value }, orderId });
  }
  const directSec = Number(process.hrtime.bigint() - directStart) / 1e9;
  return { perSec: executionCount / platformSec, directPerSec: executionCount / directSec };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'concord-bench-runtime-'));
  const runtime = await LocalRuntime.start({ dataDir: dir, edgePort: 0 });
  const clients = sdkClients(runtime.endpoint);
  try {
    const routed = await routedEntries(runtime, clients);
    const express = await expressExecutions(runtime, clients, dir);
    console.log(
      `bench/runtime — Node ${process.version}, ${concurrency} concurrent clients through the edge`,
    );
    console.log(
      `PutEvents routed by ${ruleCount} rules to SQS: ${routed.perSec.toFixed(0)} entries/s (target ≥ ${targets.routedEntriesPerSec}: ${routed.perSec >= targets.routedEntriesPerSec ? 'met' : 'MISSED'}); direct calls ${routed.directPerSec.toFixed(0)}/s; ratio ${(routed.directPerSec / routed.perSec).toFixed(1)}×`,
    );
    console.log(
      `Express executions (6 JSONata states, 3 Lambda tasks): ${express.perSec.toFixed(0)}/s (target ≥ ${targets.executionsPerSec}: ${express.perSec >= targets.executionsPerSec ? 'met' : 'MISSED'}); direct calls ${express.directPerSec.toFixed(0)}/s; ratio ${(express.directPerSec / express.perSec).toFixed(1)}×`,
    );
    writeFileSync(
      path.join(__dirname, '../results/runtime.json'),
      `${JSON.stringify({ measuredAt: new Date().toISOString(), node: process.version, ruleCount, entryCount, executionCount, concurrency, routed, express, targets }, null, 2)}\n`,
    );
  } finally {
    for (const client of Object.values(clients)) client.destroy();
    await runtime.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
