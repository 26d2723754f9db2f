/** `concord status`: a stage's SLO attainment, throughput, backlog and firing alarms on one screen; non-zero while an alarm fires. */
import { parseArgs } from 'node:util';
import { stageConfig } from '../../infra/config/stage-config';
import { latencySlos } from '../../infra/constructs/slo-alarms';
import { opsContext, opsOptions, opsOptionsHelp } from '../ops-context';
import {
  type AlarmStatus,
  type LatencySloStatus,
  readStatus,
  type StatusReport,
  type ThroughputKey,
  throughputMetrics,
} from '../stage-status';
import { formatAge, printJson, printTable } from '../table-output';

/** The exit code while at least one of the stage's alarms is in ALARM: distinct from 1 (the command failed). */
export const alarmFiringExitCode = 3;

export type { AlarmStatus, BacklogQueue, StatusReport, Throughput } from '../stage-status';

export const statusHelp = `Show whether the stage is healthy: SLO attainment, throughput, backlog and firing alarms on one screen.

usage: concord status [options]

  SLOs        each SLO of the stage config: order-accepted (p99 of webhook → ERP accepted over the last hour
              against its bound, and its burn-rate alarms), invoice-visible (its alarm), reconciliation-clean
              (the oldest exception's age against its limit)
  throughput  the last hour: webhooks accepted and refused, orders booked, credit-held, refused, unknown outcomes
  backlog     the exceptions and redrive queues and every DLQ: depth, in flight, age of the oldest message
  alarms      the stage's alarms in ALARM

exit code: 0 when no alarm fires, ${alarmFiringExitCode} while one does (a deploy gate), 1 when the status could not be read
${opsOptionsHelp}`;

function verdict(met: boolean | undefined): string {
  return met === undefined ? 'no data' : met ? 'met' : 'BREACHED';
}

function alarmStates(alarms: AlarmStatus[]): string | undefined {
  return alarms.map((alarm) => alarm.state).join(', ') || undefined;
}

function formatMs(ms: number | undefined): string | undefined {
  if (ms === undefined) return undefined;
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function printStatus(report: StatusReport): void {
  const { invoiceVisibleInWarehouse, reconciliationClean } = report.slos;
  console.log(`Concord ${report.stage} at ${report.at} (last hour)\n`);
  const latencyRow = (slo: LatencySloStatus, what: string, unit: string) => [
    `${slo.target * 100} % of ${what} within ${slo.withinSec} s`,
    verdict(slo.met),
    slo.observedMs === undefined
      ? `${slo.samples} ${unit}`
      : `${slo.percentile} ${formatMs(slo.observedMs)} over ${slo.samples} ${unit}`,
    alarmStates(slo.alarms),
  ];
  printTable(
    ['SLO', 'STATUS', 'OBSERVED', 'ALARMS'],
    [
      // Every latency SLO slo-alarms.ts names, in its order: a new one is printed with no change here.
      ...(Object.keys(latencySlos) as (keyof typeof latencySlos)[]).map((key) =>
        latencyRow(report.slos[key], latencySlos[key].what, latencySlos[key].unit),
      ),
      [
        `invoices visible in the warehouse within ${invoiceVisibleInWarehouse.withinMin} min`,
        verdict(invoiceVisibleInWarehouse.met),
        undefined,
        alarmStates(invoiceVisibleInWarehouse.alarms),
      ],
      [
        `no exception older than ${reconciliationClean.maxMismatchAgeHours} h`,
        verdict(reconciliationClean.met),
        reconciliationClean.oldestExceptionAgeSec === undefined
          ? 'none waiting'
          : `oldest ${formatAge(reconciliationClean.oldestExceptionAgeSec)}`,
        undefined,
      ],
    ],
  );
  console.log('');
  printTable(
    ['THROUGHPUT', 'COUNT', 'BY'],
    (Object.keys(throughputMetrics) as ThroughputKey[]).map((key) => [
      throughputMetrics[key],
      report.throughput[key].total,
      Object.entries(report.throughput[key].by)
        .map(([label, count]) => `${label} ${count}`)
        .join(', ') || undefined,
    ]),
  );
  console.log('');
  printTable(
    ['QUEUE', 'DEPTH', 'IN FLIGHT', 'OLDEST', 'TOP ERRORS'],
    report.backlog.map((queue) => [
      queue.name,
      queue.depth,
      queue.inFlight,
      formatAge(queue.oldestAgeSec),
      queue.topErrors.map((error) => `${error.code} (${error.count})`).join(', ') || undefined,
    ]),
  );
  console.log('');
  if (report.firing.length === 0) console.log('Alarms: none firing.');
  else
    printTable(
      ['ALARM FIRING', 'SINCE', 'REASON'],
      report.firing.map((alarm) => [alarm.name, alarm.since, alarm.reason]),
    );
}

export async function runStatus(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: opsOptions, strict: true });
  const context = opsContext(values);
  try {
    const report = await readStatus(context, stageConfig(context.stage));
    if (values.json) printJson(report);
    else printStatus(report);
    return report.firing.length > 0 ? alarmFiringExitCode : 0;
  } finally {
    context.close();
  }
}
