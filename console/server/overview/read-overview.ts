/** What the Overview shows, read the way `concord status` reads it (cli/stage-status.ts): per flow, over a window. */

import type { MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import type { OpsContext } from '../../../cli/ops-context';
import { listReconciliationRuns, readReconciliationRun } from '../../../cli/reconciliation-runs';
import {
  metricSeries,
  metricValues,
  percentileOf,
  readStatusWithAlarms,
  type StageAlarm,
  type StatusReport,
  seriesOf,
} from '../../../cli/stage-status';
import { ConcordError, type ConcordErrorOptions } from '../../../functions/shared/errors';
import {
  type BusinessMetricName,
  metricsNamespace,
} from '../../../functions/shared/observability/business-metrics';
import type { StageConfig } from '../../../infra/config/stage-config';
import { concordFlows, writeBackFlows } from '../../../infra/constructs/concord-metrics';
import { latencySlos } from '../../../infra/constructs/slo-alarms';
import { priceUsage } from '../../../local/usage/aws-prices';
import type { UsageCounts } from '../../../local/usage/usage-meter';

/** The windows an operator can pick, in seconds; each is cut into buckets for the throughput sparklines. */
export const overviewWindows = {
  '1h': { sec: 3600, bucketSec: 300 },
  '24h': { sec: 86_400, bucketSec: 3600 },
  '7d': { sec: 604_800, bucketSec: 6 * 3600 },
} as const;

/** One of `overviewWindows`' keys. */
export type OverviewWindow = keyof typeof overviewWindows;

/** A window the Overview does not offer. */
export class OverviewWindowError extends ConcordError {
  override readonly name = 'OverviewWindowError';
  constructor(value: string, options?: ConcordErrorOptions) {
    super(`window "${value}" is not one of ${Object.keys(overviewWindows).join(', ')}`, options);
  }
}

/** The window named by a query parameter; none is the last hour, as `concord status` reads. */
export function parseOverviewWindow(value: string | undefined): OverviewWindow {
  if (value === undefined || value === '') return '1h';
  if (!Object.hasOwn(overviewWindows, value)) throw new OverviewWindowError(value);
  return value as OverviewWindow;
}

/** A latency SLO of the stage config (infra/constructs/slo-alarms.ts names the business latency each bounds). */
type LatencySloKey = keyof typeof latencySlos;

/** How one flow's outcomes are counted: the metric of each column (absent where the flow has no such outcome). */
interface FlowSpec {
  flow: string;
  title: string;
  /** The flow's unit of work, for the column headings ("orders", "payments"). */
  unit: string;
  done: { metric: BusinessMetricName; label: string };
  held?: BusinessMetricName;
  refused?: BusinessMetricName;
  /** Further counts shown beside the row (invoices posted, refunds). */
  extra: { metric: BusinessMetricName; label: string }[];
  latencies: LatencySloKey[];
}

/** The latency SLOs measured on `flow`'s metrics, in slo-alarms.ts's order: a new SLO shows on its flow's row by itself. */
function latenciesOf(flow: string): LatencySloKey[] {
  return (Object.keys(latencySlos) as LatencySloKey[]).filter((key) => latencySlos[key].flow === flow);
}

/** The flows of the dashboard's panels, in the order an operations lead reads them. */
export const overviewFlows: readonly FlowSpec[] = [
  {
    flow: concordFlows.orderToCash,
    title: 'Order to cash',
    unit: 'orders',
    done: { metric: 'OrdersBooked', label: 'booked' },
    held: 'OrdersCreditHeld',
    refused: 'OrdersRefused',
    extra: [{ metric: 'InvoicesPosted', label: 'invoices posted' }],
    latencies: latenciesOf(concordFlows.orderToCash),
  },
  {
    flow: concordFlows.paymentApplication,
    title: 'Payments',
    unit: 'payments',
    done: { metric: 'PaymentsApplied', label: 'applied' },
    extra: [{ metric: 'RefundsBooked', label: 'refunds booked' }],
    latencies: latenciesOf(concordFlows.paymentApplication),
  },
  {
    flow: concordFlows.customerSync,
    title: 'Customer sync',
    unit: 'changes',
    done: { metric: 'CustomersSynced', label: 'synced' },
    extra: [],
    latencies: latenciesOf(concordFlows.customerSync),
  },
  {
    flow: concordFlows.procureToPay,
    title: 'Procure to pay',
    unit: 'purchase orders',
    done: { metric: 'PurchaseOrdersReleased', label: 'released' },
    refused: 'PurchaseOrdersRefused',
    extra: [],
    latencies: latenciesOf(concordFlows.procureToPay),
  },
  {
    flow: concordFlows.supplierSync,
    title: 'Supplier sync',
    unit: 'changes',
    done: { metric: 'SuppliersSynced', label: 'synced' },
    extra: [],
    latencies: latenciesOf(concordFlows.supplierSync),
  },
  {
    flow: concordFlows.employeeSync,
    title: 'Employee sync',
    unit: 'changes',
    done: { metric: 'EmployeesSynced', label: 'synced' },
    extra: [],
    latencies: latenciesOf(concordFlows.employeeSync),
  },
  {
    flow: writeBackFlows.itemWriteBack,
    title: 'Item write-back',
    unit: 'writes',
    done: { metric: 'ItemWritesApplied', label: 'written' },
    refused: 'ItemWritesDeadLettered',
    extra: [
      { metric: 'ItemChangesReceived', label: 'changes in' },
      { metric: 'ItemChangesCoalesced', label: 'coalesced' },
      { metric: 'PlatformThrottled', label: 'Shopify 429s' },
    ],
    latencies: latenciesOf(writeBackFlows.itemWriteBack),
  },
];

/** One business latency over the window, with the SLO that bounds it. */
export interface LatencyReading {
  slo: LatencySloKey;
  metric: string;
  samples: number;
  p50?: number;
  p95?: number;
  p99?: number;
  target: number;
  withinSec: number;
  /** The percentile the target bounds (p99 for 0.99) and its value over the window. */
  percentile: string;
  observedMs?: number;
  /** Undefined without samples: no transactions is no breach, and no evidence either. */
  met?: boolean;
}

/** One flow over the window. */
export interface FlowReading {
  flow: string;
  title: string;
  unit: string;
  doneLabel: string;
  /** Every transaction that ended: done, held, refused or unknown at the ERP. */
  ended: number;
  done: number;
  held?: number;
  refused?: number;
  refusedByReason: Record<string, number>;
  unknown: number;
  extra: { label: string; count: number }[];
  latencies: LatencyReading[];
  /** Ended transactions per bucket of the window, oldest first: the throughput sparkline. */
  buckets: number[];
}

/** The newest reconciliation report the Reconcile function kept in the warehouse bucket. */
export interface LastReconciliation {
  id: string;
  window: { from: string; to: string };
  /** When its report was written. */
  at?: string;
  mismatches: number;
  byClass: Record<string, number>;
}

/** The embedded runtime's metered calls priced at AWS list prices, per order since the runtime started. */
export interface MeteredCost {
  since: string;
  orders: number;
  totalUsd: number;
  /** Undefined until an order has ended: a cost per order needs one. */
  usdPerMillionOrders?: number;
  topItems: { unit: string; usd: number }[];
}

/** Everything the Overview shows. */
export interface OverviewReading {
  window: OverviewWindow;
  windowSec: number;
  bucketSec: number;
  status: StatusReport;
  /** Every alarm of the stage, firing first. */
  alarms: StageAlarm[];
  webhooksIn: number;
  webhooksBySource: Record<string, number>;
  /** Webhooks answered 4xx (bad input) over the window. */
  webhooksRefused: number;
  /** `ReconciliationMismatches` over the window, every run of the stage (the dashboard's reconciliation panel). */
  mismatchesInWindow: number;
  flows: FlowReading[];
  reconciliation?: LastReconciliation;
  /** Why the last reconciliation could not be read (the bucket missing, a report unreadable). */
  reconciliationError?: string;
  /** Locally only. */
  cost?: MeteredCost;
  costError?: string;
}

/** Where the description of an alarm says to look: a runbook or a section of docs/observability.md. */
export function runbookOf(description: string | undefined): string | undefined {
  return /docs\/[\w/.-]+\.md(?:#[\w-]+)?/.exec(description ?? '')?.[0];
}

const alarmOrder: Record<string, number> = { ALARM: 0, INSUFFICIENT_DATA: 1, OK: 2 };

/**
 * A part of the page that may fail without taking the page with it: its value, or why it is missing (shown where
 * the part would be).
 */
async function settled<T>(promise: Promise<T | undefined>): Promise<{ found?: T; error?: string }> {
  try {
    const found = await promise;
    return found === undefined ? {} : { found };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** Reads the Overview of a stage over a window. */
export async function readOverview(
  context: OpsContext,
  config: Pick<StageConfig, 'slos'>,
  window: OverviewWindow,
  now: Date = new Date(),
): Promise<OverviewReading> {
  const { sec: windowSec, bucketSec } = overviewWindows[window];
  const [reading, flows, mismatches, reconciliation, cost] = await Promise.all([
    readStatusWithAlarms(context, config, now, windowSec),
    readFlows(context, config, now, windowSec, bucketSec),
    mismatchesIn(context, now, windowSec),
    settled(lastReconciliation(context)),
    context.stage === 'local'
      ? settled(meteredCost(context))
      : settled<MeteredCost>(Promise.resolve(undefined)),
  ]);
  const alarms = [...reading.alarms].sort(
    (left, right) =>
      (alarmOrder[left.state] ?? 1) - (alarmOrder[right.state] ?? 1) || left.name.localeCompare(right.name),
  );
  return {
    window,
    windowSec,
    bucketSec,
    status: reading.report,
    alarms,
    webhooksIn: reading.report.throughput.webhooksAccepted.total,
    webhooksBySource: reading.report.throughput.webhooksAccepted.by,
    webhooksRefused: reading.report.throughput.webhooksRefused.total,
    mismatchesInWindow: mismatches,
    flows,
    ...(reconciliation.found ? { reconciliation: reconciliation.found } : {}),
    ...(reconciliation.error ? { reconciliationError: reconciliation.error } : {}),
    ...(cost.found ? { cost: cost.found } : {}),
    ...(cost.error ? { costError: cost.error } : {}),
  };
}

/** The mismatches the stage's reconciliations counted over the window (the series with the stage dimension alone). */
async function mismatchesIn(
  context: Pick<OpsContext, 'stage' | 'cloudwatch'>,
  now: Date,
  windowSec: number,
): Promise<number> {
  const values = await metricValues(
    context.cloudwatch,
    [
      {
        Id: 'mismatches',
        MetricStat: {
          Metric: {
            Namespace: metricsNamespace,
            MetricName: 'ReconciliationMismatches',
            Dimensions: [{ Name: 'stage', Value: context.stage }],
          },
          Period: windowSec,
          Stat: 'Sum',
        },
      },
    ],
    now,
    windowSec,
  );
  return (values.get('mismatches') ?? []).reduce((sum, value) => sum + value, 0);
}

/** The query of one series of a counter, and the values of its other dimensions (a refusal's reason). */
interface CounterQuery {
  id: string;
  labelOf: string;
}

/** Each flow's outcome counts per bucket and its latencies over the window. */
async function readFlows(
  context: Pick<OpsContext, 'stage' | 'cloudwatch'>,
  config: Pick<StageConfig, 'slos'>,
  now: Date,
  windowSec: number,
  bucketSec: number,
): Promise<FlowReading[]> {
  const { stage, cloudwatch } = context;
  const stageDimension = { Name: 'stage', Value: stage };
  const queries: MetricDataQuery[] = [];
  // The queries of each counter of each flow, by `<flow index>:<metric>`.
  const counters = new Map<string, CounterQuery[]>();
  await Promise.all(
    overviewFlows.flatMap((spec, flowIndex) => {
      const metrics = [
        spec.done.metric,
        spec.held,
        spec.refused,
        'UnknownOutcomes' as const,
        ...spec.extra.map((extra) => extra.metric),
      ].filter((metric): metric is BusinessMetricName => metric !== undefined);
      return metrics.map(async (metric) => {
        const series = await seriesOf(cloudwatch, metric, [
          stageDimension,
          { Name: 'flow', Value: spec.flow },
        ]);
        counters.set(
          `${flowIndex}:${metric}`,
          series.map((dimensions, seriesIndex) => {
            const id = `c${flowIndex}_${metric}_${seriesIndex}`;
            queries.push({
              Id: id,
              MetricStat: {
                Metric: { Namespace: metricsNamespace, MetricName: metric, Dimensions: dimensions },
                Period: bucketSec,
                Stat: 'Sum',
              },
            });
            const label = dimensions
              .filter((dimension) => dimension.Name !== 'stage' && dimension.Name !== 'flow')
              .map((dimension) => dimension.Value)
              .join('/');
            return { id, labelOf: label };
          }),
        );
      });
    }),
  );
  overviewFlows.forEach((spec, flowIndex) => {
    for (const slo of spec.latencies) {
      const metric = {
        Namespace: metricsNamespace,
        MetricName: latencySlos[slo].metricName,
        Dimensions: [stageDimension, { Name: 'flow', Value: spec.flow }],
      };
      const stats = ['SampleCount', 'p50', 'p95', 'p99', percentileOf(config.slos[slo].target)];
      // A percentile cannot be combined across periods: one period as long as the window (two when it straddles one).
      stats.forEach((stat, statIndex) => {
        queries.push({
          Id: `l${flowIndex}_${slo}_${statIndex}`,
          MetricStat: { Metric: metric, Period: windowSec, Stat: stat },
        });
      });
    }
  });
  const answers = queries.length > 0 ? await metricSeries(cloudwatch, queries, now, windowSec) : new Map();
  const values = new Map([...answers].map(([id, found]) => [id, found.values]));
  const timestampsOf = new Map([...answers].map(([id, found]) => [id, found.timestamps]));
  const bucketCount = Math.ceil(windowSec / bucketSec);
  const total = (id: string) => (values.get(id) ?? []).reduce((sum: number, value: number) => sum + value, 0);

  return overviewFlows.map((spec, flowIndex) => {
    const countOf = (metric: BusinessMetricName | undefined) =>
      metric === undefined
        ? undefined
        : (counters.get(`${flowIndex}:${metric}`) ?? []).reduce((sum, query) => sum + total(query.id), 0);
    const done = countOf(spec.done.metric) ?? 0;
    const held = countOf(spec.held);
    const refused = countOf(spec.refused);
    const unknown = countOf('UnknownOutcomes') ?? 0;
    const refusedByReason: Record<string, number> = {};
    for (const query of spec.refused ? (counters.get(`${flowIndex}:${spec.refused}`) ?? []) : []) {
      const count = total(query.id);
      const reason = query.labelOf || 'other';
      if (count > 0) refusedByReason[reason] = (refusedByReason[reason] ?? 0) + count;
    }
    // Ended transactions per bucket: GetMetricData answers newest first with the periods' start times, so each
    // value goes in the bucket its age from `now` says.
    const buckets = new Array<number>(bucketCount).fill(0);
    for (const metric of [spec.done.metric, spec.held, spec.refused, 'UnknownOutcomes' as const]) {
      if (metric === undefined) continue;
      for (const query of counters.get(`${flowIndex}:${metric}`) ?? []) {
        const series = values.get(query.id) ?? [];
        const times = timestampsOf.get(query.id) ?? [];
        series.forEach((value: number, index: number) => {
          const at = times[index];
          if (at === undefined) return;
          const age = Math.floor((now.getTime() - at.getTime()) / 1000 / bucketSec);
          const bucket = bucketCount - 1 - Math.min(bucketCount - 1, Math.max(0, age));
          buckets[bucket] = (buckets[bucket] ?? 0) + value;
        });
      }
    }
    const latencies = spec.latencies.map((slo): LatencyReading => {
      const worst = (statIndex: number) => {
        const found = values.get(`l${flowIndex}_${slo}_${statIndex}`) ?? [];
        return found.length > 0 ? Math.max(...found) : undefined;
      };
      const samples = total(`l${flowIndex}_${slo}_0`);
      const { target, withinSec } = config.slos[slo];
      const observedMs = worst(4);
      const p50 = worst(1);
      const p95 = worst(2);
      const p99 = worst(3);
      return {
        slo,
        metric: latencySlos[slo].metricName,
        samples,
        ...(p50 !== undefined ? { p50 } : {}),
        ...(p95 !== undefined ? { p95 } : {}),
        ...(p99 !== undefined ? { p99 } : {}),
        target,
        withinSec,
        percentile: percentileOf(target),
        ...(observedMs !== undefined ? { observedMs } : {}),
        ...(observedMs !== undefined && samples > 0 ? { met: observedMs <= withinSec * 1000 } : {}),
      };
    });
    return {
      flow: spec.flow,
      title: spec.title,
      unit: spec.unit,
      doneLabel: spec.done.label,
      ended: done + (held ?? 0) + (refused ?? 0) + unknown,
      done,
      ...(held !== undefined ? { held } : {}),
      ...(refused !== undefined ? { refused } : {}),
      refusedByReason,
      unknown,
      extra: spec.extra.map((extra) => ({ label: extra.label, count: countOf(extra.metric) ?? 0 })),
      latencies,
      buckets,
    };
  });
}

/**
 * The newest run the stage's Reconcile function kept (its daily schedule, `concord reconcile --function`, or the
 * Reconciliation page), read through the module the CLI and that page use (cli/reconciliation-runs.ts).
 */
export async function lastReconciliation(context: OpsContext): Promise<LastReconciliation | undefined> {
  const [newest] = await listReconciliationRuns(context);
  if (!newest) return undefined;
  const { report } = await readReconciliationRun(context, newest);
  return {
    id: report.id,
    window: report.window,
    ...(newest.keptAt ? { at: newest.keptAt.toISOString() } : {}),
    mismatches: report.mismatches.length,
    byClass: report.byClass,
  };
}

/** The usage part of the embedded runtime's health document (local/runtime.ts). */
interface RuntimeUsage {
  since: string;
  at: string;
  counts: UsageCounts;
}

/** The embedded runtime's usage meter cannot be read: no endpoint, an answer that is not the runtime's, or no meter. */
export class UsageMeterUnavailableError extends ConcordError {
  override readonly name = 'UsageMeterUnavailableError';
}

/** The stage's endpoint as the clients reach it, for the embedded runtime's own routes. */
async function endpointOf(context: Pick<OpsContext, 'cloudwatch'>): Promise<string> {
  const provider = context.cloudwatch.config.endpoint;
  if (!provider)
    throw new UsageMeterUnavailableError('the local stage has no endpoint to read the usage meter from');
  const endpoint = await provider();
  return `${endpoint.protocol}//${endpoint.hostname}${endpoint.port ? `:${endpoint.port}` : ''}`;
}

/**
 * What the embedded runtime metered since it started, priced at AWS list prices (as `npm run bench` prices it), per
 * order-to-cash order that ended in that time: the whole stage's work (payments, customer sync, replays) is borne
 * by the orders, as the $10 per million target counts it.
 */
export async function meteredCost(context: Pick<OpsContext, 'stage' | 'cloudwatch'>): Promise<MeteredCost> {
  const url = `${await endpointOf(context)}/_concord/health`;
  const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
  // 503 is a runtime still deploying: its meter counts all the same.
  if (!response.ok && response.status !== 503)
    throw new UsageMeterUnavailableError(`${url} answered ${response.status}: not the embedded runtime?`);
  const health = (await response.json()) as { usage?: RuntimeUsage };
  if (!health.usage)
    throw new UsageMeterUnavailableError('this runtime does not report its usage meter (an older concord?)');
  const { since, at, counts } = health.usage;
  const sinceMs = Date.parse(since);
  const atMs = Date.parse(at);
  // Whole minutes, so that one period covers the run.
  const windowSec = Math.max(60, Math.ceil((atMs - sinceMs) / 60_000) * 60);
  const stageDimension = { Name: 'stage', Value: context.stage };
  const metrics: BusinessMetricName[] = [
    'OrdersBooked',
    'OrdersCreditHeld',
    'OrdersRefused',
    'UnknownOutcomes',
  ];
  const series = (
    await Promise.all(
      metrics.map((metric) =>
        seriesOf(context.cloudwatch, metric, [
          stageDimension,
          { Name: 'flow', Value: concordFlows.orderToCash },
        ]),
      ),
    )
  ).flatMap((found, index) => found.map((dimensions) => ({ metric: metrics[index] as string, dimensions })));
  const queries: MetricDataQuery[] = series.map(({ metric, dimensions }, index) => ({
    Id: `o${index}`,
    MetricStat: {
      Metric: { Namespace: metricsNamespace, MetricName: metric, Dimensions: dimensions },
      Period: windowSec,
      Stat: 'Sum',
    },
  }));
  const answers =
    queries.length > 0
      ? await metricSeries(context.cloudwatch, queries, new Date(atMs + 60_000), windowSec + 60)
      : new Map();
  let orders = 0;
  for (const found of answers.values())
    orders += found.values.reduce((sum: number, value: number) => sum + value, 0);
  const priced = priceUsage(counts);
  return {
    since,
    orders,
    totalUsd: priced.totalUsd,
    ...(orders > 0 ? { usdPerMillionOrders: (priced.totalUsd / orders) * 1e6 } : {}),
    topItems: priced.items
      .filter((item) => item.usd > 0)
      .slice(0, 3)
      .map((item) => ({ unit: item.unit, usd: orders > 0 ? (item.usd / orders) * 1e6 : item.usd })),
  };
}
