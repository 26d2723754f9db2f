import { ListRulesCommand, ListTargetsByRuleCommand } from '@aws-sdk/client-eventbridge';
import { ListExecutionsCommand, ListStateMachinesCommand } from '@aws-sdk/client-sfn';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { HttpErpConnector } from '../../functions/shared/erp/http-erp-connector';
import { concord } from './support/concord-cli';
import { drainQueue, observeBus, postShopifyOrder, startPlatformWithErp } from './support/deployed-platform';
import { eventually } from './support/eventually';
import { shopifyOrder } from './support/shopify-orders';

interface QueueSummary {
  name: string;
  url: string;
  depth: number;
}

describe('replay to the target that failed (the concord CLI against the embedded runtime)', () => {
  let running: Awaited<ReturnType<typeof startPlatformWithErp>>;
  let env: NodeJS.ProcessEnv;
  let erp: HttpErpConnector;

  async function ops(args: string[]) {
    const result = await concord(args, env);
    return {
      ...result,
      json: result.code === 0 && args.includes('--json') ? JSON.parse(result.stdout) : undefined,
    };
  }

  async function waitForInvoice(externalRef: string) {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const documents = await erp.listDocuments({ externalRef });
      if (documents.some((document) => document.type === 'invoice') || Date.now() > deadline)
        return documents;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  beforeAll(async () => {
    running = await startPlatformWithErp({ clockFactor: 10 });
    env = { AWS_ENDPOINT_URL: running.platform.runtime.endpoint };
    erp = running.erp;
  }, 180_000);

  afterAll(async () => {
    await running.stop();
  });

  it('replays the dead letters of the warehouse stream to the stream alone: order-to-cash does not run again', async () => {
    // Prepare: a booked and invoiced order, its placed event as the bus delivered it, and that event dead-lettered
    // by the warehouse rule's target with the attributes EventBridge records (test/local/events.test.ts).
    const { sqs, events, sfn } = running.clients;
    const order = shopifyOrder();
    const observer = await observeBus(running.clients, 'observe-warehouse-replay', {
      'detail-type': ['commerce.order.placed.v1'],
      detail: { subject: [`order/${order.id}`] },
    });
    await postShopifyOrder(
      running.platform.apiUrl,
      running.secrets.shopify?.[0] as string,
      JSON.stringify(order),
    );
    await waitForInvoice(String(order.id));
    const placed = await eventually(async () => (await drainQueue(sqs, observer))[0]);
    const { Rules = [] } = await events.send(new ListRulesCommand({ EventBusName: 'concord-local' }));
    const rule = Rules.find((candidate) => candidate.Name?.includes('WarehouseRule'));
    const { Targets = [] } = await events.send(
      new ListTargetsByRuleCommand({ Rule: rule?.Name, EventBusName: 'concord-local' }),
    );
    const queues = (await ops(['dlq', 'list', '--json'])).json as QueueSummary[];
    const warehouseDlq = queues.find((queue) => queue.name.includes('WarehouseDlq'))?.url as string;
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: warehouseDlq,
        MessageBody: JSON.stringify(placed),
        MessageAttributes: {
          RULE_ARN: { DataType: 'String', StringValue: rule?.Arn },
          TARGET_ARN: { DataType: 'String', StringValue: Targets[0]?.Arn },
          ERROR_CODE: { DataType: 'String', StringValue: 'ServiceUnavailableException' },
          ERROR_MESSAGE: { DataType: 'String', StringValue: 'Slow down.' },
        },
      }),
    );
    const { stateMachines = [] } = await sfn.send(new ListStateMachinesCommand({}));
    const orderToCash = stateMachines.find((machine) => machine.name?.includes('OrderToCash'));
    const executions = async () =>
      (
        await sfn.send(
          new ListExecutionsCommand({ stateMachineArn: orderToCash?.stateMachineArn, maxResults: 1000 }),
        )
      ).executions?.length ?? 0;
    const executionsBefore = await executions();
    const documentsBefore = await erp.listDocuments({ externalRef: String(order.id) });
    const streamName = Targets[0]?.Arn?.split('/').at(-1);
    // Act
    const dryRun = await ops(['replay', 'WarehouseDlq', '--dry-run', '--json']);
    const replayed = await ops([
      'replay',
      'WarehouseDlq',
      '--reason',
      'INC-9 warehouse stream throttled',
      '--yes',
      '--json',
    ]);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    // Assess: delivered to the stream only; no new execution, no new ERP document; the queue is empty; audited.
    expect(dryRun.json).toMatchObject({ matching: 1, byTarget: { [`delivery stream ${streamName}`]: 1 } });
    expect(replayed.json).toMatchObject({
      published: 1,
      failed: [],
      byTarget: { [`delivery stream ${streamName}`]: 1 },
    });
    expect(executionsBefore).toBeGreaterThan(0);
    expect(await executions()).toBe(executionsBefore);
    expect(await erp.listDocuments({ externalRef: String(order.id) })).toEqual(documentsBefore);
    expect(
      ((await ops(['dlq', 'list', '--json'])).json as QueueSummary[]).find((queue) =>
        queue.name.includes('WarehouseDlq'),
      )?.depth,
    ).toBe(0);
    const [audit] = (await ops(['audit', '--json'])).json as {
      reason: string;
      detail: Record<string, unknown>;
    }[];
    expect(audit).toMatchObject({
      reason: 'INC-9 warehouse stream throttled',
      detail: { byTarget: { [`delivery stream ${streamName}`]: 1 } },
    });
  }, 120_000);
});
