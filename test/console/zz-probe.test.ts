import { SFNClient, ListStateMachinesCommand, DescribeStateMachineCommand, ListExecutionsCommand, DescribeExecutionCommand, GetExecutionHistoryCommand } from '@aws-sdk/client-sfn';
import { postShopifyOrder, startPlatformWithErp } from '../e2e/support/deployed-platform';
import { shopifyOrder } from '../e2e/support/shopify-orders';
import { writeFileSync } from 'node:fs';
it('probes', async () => {
  const running = await startPlatformWithErp({ clockFactor: 10 });
  try {
    const order = shopifyOrder();
    await postShopifyOrder(running.platform.apiUrl, running.secrets.shopify?.[0] as string, JSON.stringify(order));
    await new Promise((r) => setTimeout(r, 8000));
    const sfn = new SFNClient({ endpoint: running.platform.runtime.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
    const out: unknown[] = [];
    const { stateMachines = [] } = await sfn.send(new ListStateMachinesCommand({}));
    for (const m of stateMachines) {
      const d = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: m.stateMachineArn }));
      const ex = await sfn.send(new ListExecutionsCommand({ stateMachineArn: m.stateMachineArn }));
      out.push({ m, role: d.roleArn, logging: d.loggingConfiguration, ex: ex.executions });
      for (const e of ex.executions ?? []) {
        const de = await sfn.send(new DescribeExecutionCommand({ executionArn: e.executionArn }));
        const h = await sfn.send(new GetExecutionHistoryCommand({ executionArn: e.executionArn }));
        out.push({ de, h: h.events?.slice(0, 12) });
      }
    }
    writeFileSync('/tmp/txprobe/out.json', JSON.stringify({ order: order.id, out }, null, 1));
  } finally { await running.stop(); }
}, 240_000);
