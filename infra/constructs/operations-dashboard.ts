/** The stage's CloudWatch dashboard, Concord-<stage>: what an operations lead reads first, top to bottom. */
import { Duration } from 'aws-cdk-lib';
import {
  AlarmStatusWidget,
  Dashboard,
  GraphWidget,
  type IAlarm,
  MathExpression,
  SingleValueWidget,
  Stats,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IDeliveryStream } from 'aws-cdk-lib/aws-kinesisfirehose';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { StageConfig } from '../config/stage-config';
import { concordFlows, concordMetric, concordNamespace, reconciliationMismatches } from './concord-metrics';
import {
  latencySlos,
  orderAcceptedLatency,
  sloLatency,
  sloPercentile,
  warehouseFreshness,
} from './slo-alarms';

/** What the dashboard shows. */
export interface OperationsDashboardProps {
  stage: string;
  /** The stage's SLOs: the order-accepted one has its own row; invoice-posted and payment-applied share a graph. */
  slos: StageConfig['slos'];
  exceptionsQueue: IQueue;
  /** Every queue failures end in, by the name operators use (`concord dlq show <name>`). */
  deadLetterQueues: Readonly<Record<string, IQueue>>;
  warehouseStream: IDeliveryStream;
  /** The function every ERP call goes through: its errors and throttles are the ERP's health from our side. */
  erpAdapter: IFunction;
  /** Shown as a grid, red when firing. */
  alarms: readonly IAlarm[];
}

/**
 * One row per question: is anything firing; how many orders came in and how they ended; is the order-accepted SLO
 * met and how fast are we; where do failures wait and is the ERP healthy.
 */
export class OperationsDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: OperationsDashboardProps) {
    super(scope, id);
    const { stage, slos } = props;
    const slo = slos.orderAccepted;
    const thresholdMs = slo.withinSec * 1000;
    const orders = (metricName: string, label: string) =>
      concordMetric(stage, metricName, { flow: concordFlows.orderToCash }, { label });
    // Summed over every dimension value (sources, refusal reasons) found by a search: a refusal's reason set may grow.
    const total = (metricName: string, dimensions: readonly string[], label: string) =>
      new MathExpression({
        expression: `SUM(SEARCH('{${concordNamespace},${[...dimensions, 'stage'].sort().join(',')}} MetricName="${metricName}" stage="${stage}"', 'Sum', 300))`,
        usingMetrics: {},
        label,
        period: Duration.minutes(5),
      });
    const queueDepth = (queue: IQueue, label: string) =>
      queue.metricApproximateNumberOfMessagesVisible({
        label,
        statistic: Stats.MAXIMUM,
        period: Duration.minutes(5),
      });

    this.dashboard = new Dashboard(this, 'Resource', {
      dashboardName: `Concord-${stage}`,
      defaultInterval: Duration.days(1),
    });
    this.dashboard.addWidgets(
      new AlarmStatusWidget({
        title: 'Alarms: red is firing; its description says where to look (docs/observability.md)',
        alarms: [...props.alarms],
        width: 24,
        height: 6,
      }),
    );
    this.dashboard.addWidgets(
      new SingleValueWidget({
        title: 'Orders over the time range',
        metrics: [
          total('WebhooksAccepted', ['source'], 'Webhooks in'),
          orders('OrdersBooked', 'Booked'),
          orders('OrdersCreditHeld', 'Credit held'),
          total('OrdersRefused', ['flow', 'reason'], 'Refused'),
          orders('UnknownOutcomes', 'Unknown at the ERP'),
        ],
        setPeriodToTimeRange: true,
        width: 16,
        height: 4,
      }),
      new SingleValueWidget({
        title: 'Waiting for an operator now',
        metrics: [queueDepth(props.exceptionsQueue, 'Exceptions')],
        width: 8,
        height: 4,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: `SLO: % of orders accepted by the ERP within ${slo.withinSec} s (target ${slo.target * 100} %)`,
        left: [
          orderAcceptedLatency(stage, Stats.percentileRank(0, thresholdMs), Duration.hours(1)).with({
            label: `Within ${slo.withinSec} s`,
          }),
        ],
        leftYAxis: { min: 0, max: 100 },
        leftAnnotations: [{ value: slo.target * 100, label: 'Target' }],
        width: 8,
      }),
      new GraphWidget({
        title: 'Webhook received → ERP accepted (ms)',
        left: [Stats.p(50), Stats.p(95), Stats.p(99)].map((statistic) =>
          orderAcceptedLatency(stage, statistic, Duration.minutes(5)).with({ label: statistic }),
        ),
        leftAnnotations: [{ value: thresholdMs, label: `SLO ${slo.withinSec} s` }],
        width: 8,
      }),
      new GraphWidget({
        title: 'Webhooks: accepted, refused, unavailable (503)',
        left: [
          total('WebhooksAccepted', ['source'], 'Accepted'),
          total('WebhooksRefused', ['reason', 'source'], 'Refused (4xx)'),
          total('WebhooksUnavailable', ['source'], 'Unavailable (503)'),
        ],
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Dead-letter queues: messages waiting',
        left: Object.entries(props.deadLetterQueues).map(([name, queue]) => queueDepth(queue, name)),
        width: 8,
      }),
      new GraphWidget({
        title: 'ERP: unknown outcomes per flow, adapter errors and throttles',
        left: [
          ...Object.values(concordFlows).map((flow) =>
            concordMetric(stage, 'UnknownOutcomes', { flow }, { label: `Unknown · ${flow}` }),
          ),
          props.erpAdapter.metricErrors({ label: 'Adapter errors', period: Duration.minutes(5) }),
          props.erpAdapter.metricThrottles({ label: 'Adapter throttles', period: Duration.minutes(5) }),
        ],
        width: 8,
      }),
      new GraphWidget({
        title: `Invoice posted, payment applied: SLO percentile (ms)`,
        left: (['invoicePosted', 'paymentApplied'] as const).map((name) =>
          sloLatency(stage, name, sloPercentile(slos[name]), Duration.minutes(5)).with({
            label: `${latencySlos[name].metricName} ${sloPercentile(slos[name])}`,
          }),
        ),
        leftAnnotations: (['invoicePosted', 'paymentApplied'] as const).map((name) => ({
          value: slos[name].withinSec * 1000,
          label: `${latencySlos[name].metricName} SLO ${slos[name].withinSec} s`,
        })),
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Reconciliation mismatches; warehouse freshness (s)',
        left: [reconciliationMismatches(stage).with({ label: 'Mismatches' })],
        right: [warehouseFreshness(props.warehouseStream).with({ label: 'Oldest undelivered record (s)' })],
        width: 8,
      }),
    );
  }
}
