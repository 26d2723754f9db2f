/** The stage's CloudWatch dashboard, Concord-<stage>: what an operations lead reads first, top to bottom. */
import { Duration } from 'aws-cdk-lib';
import {
  AlarmStatusWidget,
  Dashboard,
  GraphWidget,
  type IAlarm,
  type IMetric,
  MathExpression,
  SingleValueWidget,
  Stats,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IDeliveryStream } from 'aws-cdk-lib/aws-kinesisfirehose';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { StageConfig } from '../config/stage-config';
import {
  concordFlows,
  concordMetric,
  concordNamespace,
  reconciliationMismatches,
  writeBackFlows,
} from './concord-metrics';
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
  /**
   * The workflows of the procurement and HR flows, by their `flow` value: their started executions are what came in,
   * their failed ones what the workflow sent to the exceptions queue (which every flow shares).
   */
  workflows: Readonly<Record<WorkflowRowFlow, IStateMachine>>;
  /** Shown as a grid, red when firing. */
  alarms: readonly IAlarm[];
}

/** The flows with a row of their own below order-to-cash's, in the order an operations lead reads them. */
const workflowRowFlows = [
  concordFlows.procureToPay,
  concordFlows.supplierSync,
  concordFlows.employeeSync,
] as const;

type WorkflowRowFlow = (typeof workflowRowFlows)[number];

/** The latency SLOs of the new flows, one graph each: the order-to-cash ones have theirs above. */
const newFlowSlos = ['purchaseOrderReleased', 'employeeHired', 'stockWritten'] as const;

/**
 * The ERP statuses of a platform's purchase order the purchase-order write-back writes (StatusWrittenBack's `status`):
 * created or refused, then the three-way match of PO, goods receipt and supplier invoice.
 */
const purchaseOrderStatuses = [
  ['created', 'Created'],
  ['awaiting-receipt', 'Awaiting receipt'],
  ['awaiting-invoice', 'Awaiting invoice'],
  ['matched', 'Matched'],
  ['price-mismatch', 'Price mismatch'],
  ['quantity-mismatch', 'Quantity mismatch'],
  ['refused', 'Refused'],
] as const;

/**
 * One row per question: is anything firing; how many orders came in and how they ended; is the order-accepted SLO
 * met and how fast are we; where do failures wait and is the ERP healthy; how did purchase orders, suppliers,
 * employees and the item write-back to Shopify end, and are their SLOs met.
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
    // `exactly` narrows it to dimension values matched whole (a quoted SEARCH term is an exact match).
    const total = (
      metricName: string,
      dimensions: readonly string[],
      label: string,
      exactly: Readonly<Record<string, string>> = {},
    ) =>
      new MathExpression({
        expression: `SUM(SEARCH('{${concordNamespace},${[...dimensions, 'stage'].sort().join(',')}} MetricName="${metricName}" stage="${stage}"${Object.entries(
          exactly,
        )
          .map(([name, value]) => ` ${name}="${value}"`)
          .join('')}', 'Sum', 300))`,
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
    this.newFlowRows(stage, slos, props.workflows, total);
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Reconciliation mismatches; warehouse freshness (s)',
        left: [reconciliationMismatches(stage).with({ label: 'Mismatches' })],
        right: [warehouseFreshness(props.warehouseStream).with({ label: 'Oldest undelivered record (s)' })],
        width: 8,
      }),
    );
  }

  /**
   * The procurement, HR and item master flows: one tile per workflow (in, done, refused, unknown, failed into the
   * exceptions queue), the item write-back (changes in, writes, coalesced, dead-lettered, Shopify's 429s), the
   * purchase orders' three-way match as written back, and each new latency SLO with its percentiles.
   */
  private newFlowRows(
    stage: string,
    slos: StageConfig['slos'],
    workflows: OperationsDashboardProps['workflows'],
    total: (
      metricName: string,
      dimensions: readonly string[],
      label: string,
      exactly?: Readonly<Record<string, string>>,
    ) => MathExpression,
  ): void {
    const flowMetric = (
      flow: string,
      metricName: string,
      label: string,
      extra: Record<string, string> = {},
    ) => concordMetric(stage, metricName, { flow, ...extra }, { label });
    const ended = (flow: WorkflowRowFlow) => [
      flowMetric(flow, 'UnknownOutcomes', 'Unknown at the ERP'),
      workflows[flow].metricFailed({
        label: 'Failed → exceptions queue',
        period: Duration.minutes(5),
      }),
    ];
    const started = (flow: WorkflowRowFlow) =>
      workflows[flow].metricStarted({ label: 'In', period: Duration.minutes(5) });
    const tile = (title: string, metrics: IMetric[]) =>
      new SingleValueWidget({ title, metrics, setPeriodToTimeRange: true, width: 8, height: 4 });
    const p2p = concordFlows.procureToPay;
    const suppliers = concordFlows.supplierSync;
    const employees = concordFlows.employeeSync;
    this.dashboard.addWidgets(
      tile('Purchase orders over the time range', [
        started(p2p),
        flowMetric(p2p, 'PurchaseOrdersReleased', 'Created in the ERP'),
        total('PurchaseOrdersRefused', ['flow', 'reason'], 'Refused', { flow: p2p }),
        ...ended(p2p),
      ]),
      tile('Suppliers over the time range', [
        started(suppliers),
        flowMetric(suppliers, 'SuppliersSynced', 'Created', { action: 'created' }),
        flowMetric(suppliers, 'SuppliersSynced', 'Changed', { action: 'changed' }),
        flowMetric(suppliers, 'FieldChangesRefused', 'ERP-owned fields refused'),
        ...ended(suppliers),
      ]),
      tile('Employees over the time range', [
        started(employees),
        flowMetric(employees, 'EmployeesSynced', 'Hired', { action: 'hired' }),
        flowMetric(employees, 'EmployeesSynced', 'Changed', { action: 'changed' }),
        flowMetric(employees, 'EmployeesSynced', 'Terminated', { action: 'terminated' }),
        flowMetric(employees, 'FieldChangesRefused', 'ERP-owned fields refused'),
        ...ended(employees),
      ]),
    );
    const items = writeBackFlows.itemWriteBack;
    const itemCounts = [
      flowMetric(items, 'ItemChangesReceived', 'Changes in'),
      flowMetric(items, 'ItemWritesApplied', 'Written to Shopify'),
      flowMetric(items, 'ItemChangesCoalesced', 'Coalesced'),
      flowMetric(items, 'PlatformThrottled', 'Shopify 429s'),
      flowMetric(items, 'ItemWritesDeadLettered', 'Dead-lettered'),
    ];
    this.dashboard.addWidgets(
      tile('Item write-back (stock, prices) over the time range', itemCounts),
      new GraphWidget({
        title: 'Item write-back: changes in, writes, coalesced, Shopify 429s, dead-lettered',
        left: itemCounts,
        width: 8,
      }),
      tile(
        'Purchase orders written back: three-way match',
        purchaseOrderStatuses.map(([status, label]) =>
          total('StatusWrittenBack', ['source', 'status'], label, { status }),
        ),
      ),
    );
    this.dashboard.addWidgets(
      ...newFlowSlos.map((name) => {
        const slo = slos[name];
        const { what } = latencySlos[name];
        return new GraphWidget({
          title: `SLO: ${slo.target * 100} % of ${what} within ${slo.withinSec} s (ms)`,
          left: [...new Set([Stats.p(50), Stats.p(95), Stats.p(99), sloPercentile(slo)])].map((statistic) =>
            sloLatency(stage, name, statistic, Duration.minutes(5)).with({ label: statistic }),
          ),
          leftAnnotations: [{ value: slo.withinSec * 1000, label: `SLO ${slo.withinSec} s` }],
          width: 8,
        });
      }),
    );
  }
}
