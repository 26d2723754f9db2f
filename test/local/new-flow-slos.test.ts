/** The new flows' latency SLOs as `concord status` and the console Overview read them from the embedded CloudWatch. */
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { opsContext } from '../../cli/ops-context';
import { readStatus } from '../../cli/stage-status';
import { readOverview } from '../../console/server/overview/read-overview';
import { stageConfig } from '../../infra/config/stage-config';
import { latencySlos } from '../../infra/constructs/slo-alarms';
import { startTestRuntime } from './support/local-runtime';

describe('latency SLOs of the new flows on the embedded CloudWatch', () => {
  let local: Awaited<ReturnType<typeof startTestRuntime>>;
  let cloudwatch: CloudWatchClient;
  const config = stageConfig('local');
  const stage = 'test-new-flows';

  /** Latencies of one SLO's metric, as its function would publish them (EMF becomes the same data points). */
  async function publish(name: keyof typeof latencySlos, valuesMs: number[]): Promise<void> {
    const { metricName, flow } = latencySlos[name];
    await cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: 'Concord',
        MetricData: [
          {
            MetricName: metricName,
            Dimensions: [
              { Name: 'stage', Value: stage },
              { Name: 'flow', Value: flow },
            ],
            Values: valuesMs,
            Unit: 'Milliseconds',
          },
        ],
      }),
    );
  }

  beforeAll(async () => {
    local = await startTestRuntime();
    cloudwatch = new CloudWatchClient({
      endpoint: local.runtime.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const { withinSec: stockBoundSec } = config.slos.stockWritten;
    // Prepare: purchase orders well within their bound (seconds); two stock levels of a hundred past theirs (p99 breached).
    await publish('purchaseOrderReleased', [2_000, 3_000, 4_000]);
    await publish('stockWritten', [
      ...Array.from({ length: 98 }, () => 60_000),
      (stockBoundSec + 600) * 1000,
      (stockBoundSec + 900) * 1000,
    ]);
  }, 60_000);

  afterAll(async () => {
    cloudwatch.destroy();
    await local.stop();
  });

  it('reports each new SLO in concord status, met or breached by the percentile its target names', async () => {
    // Act
    const report = await readStatus(opsContext({ endpoint: local.runtime.endpoint, stage }), config);
    // Assess
    expect(report.slos.purchaseOrderReleased).toMatchObject({
      target: 0.99,
      withinSec: config.slos.purchaseOrderReleased.withinSec,
      percentile: 'p99',
      samples: 3,
      met: true,
    });
    expect(report.slos.purchaseOrderReleased.observedMs).toBeLessThanOrEqual(4_000);
    expect(report.slos.stockWritten).toMatchObject({ samples: 100, met: false });
    expect(report.slos.stockWritten.observedMs).toBeGreaterThan(config.slos.stockWritten.withinSec * 1000);
    // No hire measured: no evidence either way.
    expect(report.slos.employeeHired).toMatchObject({ samples: 0 });
    expect(report.slos.employeeHired.met).toBeUndefined();
  });

  it('shows each new SLO on its own flow row of the console Overview', async () => {
    // Act
    const overview = await readOverview(
      opsContext({ endpoint: local.runtime.endpoint, stage }),
      config,
      '1h',
    );
    // Assess
    const latenciesOf = (flow: string) =>
      overview.flows
        .find((row) => row.flow === flow)
        ?.latencies.map(({ slo, samples, met }) => ({ slo, samples, met }));
    expect(latenciesOf('procure-to-pay')).toEqual([{ slo: 'purchaseOrderReleased', samples: 3, met: true }]);
    expect(latenciesOf('employee-sync')).toEqual([{ slo: 'employeeHired', samples: 0 }]);
    expect(latenciesOf('item-write-back')).toEqual([{ slo: 'stockWritten', samples: 100, met: false }]);
    expect(latenciesOf('order-to-cash')?.map(({ slo }) => slo)).toEqual(['orderAccepted', 'invoicePosted']);
  });
});
