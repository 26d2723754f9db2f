import { readFileSync } from 'node:fs';
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import {
  type BusinessMetricName,
  businessMetricCatalogue,
} from '../../functions/shared/observability/business-metrics';
import { buildApp } from '../../infra/app';
import { stageConfig } from '../../infra/config/stage-config';
import { concordFlows, writeBackFlows } from '../../infra/constructs/concord-metrics';
import { latencySlos, sloAlarmPrefix } from '../../infra/constructs/slo-alarms';

type Resource = { Type: string; Properties: Record<string, unknown> };

/** A dashboard widget as CloudWatch reads it from the body. */
interface Widget {
  type: string;
  properties: {
    title: string;
    metrics?: unknown[][];
    annotations?: { horizontal?: { value: number; label: string }[] };
  };
}

// The stage with a sandbox's platforms and the one with the most configuration; the SLO values are shared.
const stages = ['local', 'prod'] as const;

// Bundling (esbuild) is exercised by `npm run synth`; these tests look at the templates only.
const synthesized = new Map(
  stages.map((stage) => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stacks = buildApp(app, stage, '123456789012');
    return [
      stage,
      { stateful: Template.fromStack(stacks.stateful), stateless: Template.fromStack(stacks.stateless) },
    ];
  }),
);

function templatesOf(stage: (typeof stages)[number]) {
  const found = synthesized.get(stage);
  if (!found) throw new Error(`No template for ${stage}`);
  return found;
}

function alarms(stage: (typeof stages)[number]): [string, Resource][] {
  const { stateful, stateless } = templatesOf(stage);
  return [stateful, stateless].flatMap(
    (template) => Object.entries(template.findResources('AWS::CloudWatch::Alarm')) as [string, Resource][],
  );
}

/** The dashboard's widgets, its tokens (ARNs, names) read as `TOKEN:<logical id>` inside their strings. */
function widgets(stage: (typeof stages)[number]): Widget[] {
  const [dashboard] = Object.values(templatesOf(stage).stateless.findResources('AWS::CloudWatch::Dashboard'));
  const parts = dashboard?.Properties.DashboardBody['Fn::Join'][1] as unknown[];
  const body = parts
    .map((part) => {
      if (typeof part === 'string') return part;
      const ref = (part as { Ref?: string; 'Fn::GetAtt'?: string[] }).Ref;
      const attribute = (part as { 'Fn::GetAtt'?: string[] })['Fn::GetAtt']?.[0];
      return `TOKEN:${ref ?? attribute ?? 'other'}`;
    })
    .join('');
  return (JSON.parse(body) as { widgets: Widget[] }).widgets;
}

function widget(stage: (typeof stages)[number], title: string | RegExp): Widget {
  const found = widgets(stage).find((candidate) =>
    typeof title === 'string' ? candidate.properties.title === title : title.test(candidate.properties.title),
  );
  if (!found) throw new Error(`No widget titled ${title} on the ${stage} dashboard`);
  return found;
}

/** A widget's metrics as `<namespace> <name> <dimension>=<value>…` (dimensions sorted), or its expression. */
function linesOf(found: Widget): string[] {
  return (found.properties.metrics ?? []).map((entry) => {
    const options = entry.at(-1);
    if (entry.length === 1 && options && typeof options === 'object' && 'expression' in options)
      return String((options as { expression: string }).expression);
    const [namespace, name, ...rest] = entry.filter((item) => typeof item === 'string') as string[];
    const dimensions: string[] = [];
    for (let index = 0; index + 1 < rest.length; index += 2)
      dimensions.push(`${rest[index]}=${rest[index + 1]}`);
    return [namespace, name, ...dimensions.sort()].join(' ');
  });
}

const newSlos = ['purchaseOrderReleased', 'employeeHired', 'stockWritten'] as const;

describe('OperationsDashboard of the new flows', () => {
  it.each(stages)(
    'shows each procurement and HR flow of %s: in, done, refused, unknown and failed into the exceptions queue',
    (stage) => {
      // Act
      const p2p = linesOf(widget(stage, 'Purchase orders over the time range'));
      const suppliers = linesOf(widget(stage, 'Suppliers over the time range'));
      const employees = linesOf(widget(stage, 'Employees over the time range'));
      // Assess
      const stageDimension = `stage=${stage}`;
      expect(p2p).toEqual([
        expect.stringMatching(/^AWS\/States ExecutionsStarted StateMachineArn=TOKEN:ProcureToPay/),
        `Concord PurchaseOrdersReleased flow=procure-to-pay ${stageDimension}`,
        `SUM(SEARCH('{Concord,flow,reason,stage} MetricName="PurchaseOrdersRefused" stage="${stage}" flow="procure-to-pay"', 'Sum', 300))`,
        `Concord UnknownOutcomes flow=procure-to-pay ${stageDimension}`,
        expect.stringMatching(/^AWS\/States ExecutionsFailed StateMachineArn=TOKEN:ProcureToPay/),
      ]);
      expect(suppliers).toEqual([
        expect.stringMatching(/^AWS\/States ExecutionsStarted StateMachineArn=TOKEN:SupplierSync/),
        `Concord SuppliersSynced action=created flow=supplier-sync ${stageDimension}`,
        `Concord SuppliersSynced action=changed flow=supplier-sync ${stageDimension}`,
        `Concord FieldChangesRefused flow=supplier-sync ${stageDimension}`,
        `Concord UnknownOutcomes flow=supplier-sync ${stageDimension}`,
        expect.stringMatching(/^AWS\/States ExecutionsFailed StateMachineArn=TOKEN:SupplierSync/),
      ]);
      expect(employees).toEqual([
        expect.stringMatching(/^AWS\/States ExecutionsStarted StateMachineArn=TOKEN:EmployeeSync/),
        ...['hired', 'changed', 'terminated'].map(
          (action) => `Concord EmployeesSynced action=${action} flow=employee-sync ${stageDimension}`,
        ),
        `Concord FieldChangesRefused flow=employee-sync ${stageDimension}`,
        `Concord UnknownOutcomes flow=employee-sync ${stageDimension}`,
        expect.stringMatching(/^AWS\/States ExecutionsFailed StateMachineArn=TOKEN:EmployeeSync/),
      ]);
    },
  );

  it.each(stages)(
    "shows %s's item write-back (changes in, writes, coalesced, 429s, dead-lettered) and the three-way match counts",
    (stage) => {
      // Act
      const items = linesOf(widget(stage, 'Item write-back (stock, prices) over the time range'));
      const itemsOverTime = linesOf(widget(stage, /^Item write-back: changes in/));
      const match = linesOf(widget(stage, 'Purchase orders written back: three-way match'));
      // Assess
      const expected = [
        'ItemChangesReceived',
        'ItemWritesApplied',
        'ItemChangesCoalesced',
        'PlatformThrottled',
        'ItemWritesDeadLettered',
      ].map((name) => `Concord ${name} flow=${writeBackFlows.itemWriteBack} stage=${stage}`);
      expect(items).toEqual(expected);
      expect(itemsOverTime).toEqual(expected);
      expect(match).toEqual(
        [
          'created',
          'awaiting-receipt',
          'awaiting-invoice',
          'matched',
          'price-mismatch',
          'quantity-mismatch',
          'refused',
        ].map(
          (status) =>
            `SUM(SEARCH('{Concord,source,stage,status} MetricName="StatusWrittenBack" stage="${stage}" status="${status}"', 'Sum', 300))`,
        ),
      );
    },
  );

  it.each(stages)(
    'graphs each new %s latency SLO: p50, p95, p99 and its target percentile against its bound',
    (stage) => {
      for (const name of newSlos) {
        // Prepare
        const slo = stageConfig(stage).slos[name];
        const { metricName, flow } = latencySlos[name];
        // Act
        const graph = widget(stage, new RegExp(`^SLO: .* within ${slo.withinSec} s \\(ms\\)$`));
        const found = widgets(stage).find((candidate) =>
          linesOf(candidate).some((line) => line.startsWith(`Concord ${metricName} `)),
        );
        // Assess
        expect(found?.properties.title).toBe(graph.properties.title);
        expect(graph.properties.title).toContain(latencySlos[name].what);
        expect(linesOf(graph)).toEqual(Array(3).fill(`Concord ${metricName} flow=${flow} stage=${stage}`));
        expect(graph.properties.metrics?.map((entry) => (entry.at(-1) as { stat: string }).stat)).toEqual([
          'p50',
          'p95',
          'p99',
        ]);
        expect(graph.properties.annotations?.horizontal).toEqual([
          expect.objectContaining({ value: slo.withinSec * 1000, label: `SLO ${slo.withinSec} s` }),
        ]);
      }
    },
  );

  it.each(stages)(
    'names only catalogued Concord metrics, each with exactly its catalogued dimensions, in %s',
    (stage) => {
      // Act
      const named = widgets(stage)
        .flatMap(linesOf)
        .filter((line) => line.startsWith('Concord '));
      // Assess
      expect(named.length).toBeGreaterThan(30);
      for (const line of named) {
        const [, name, ...dimensions] = line.split(' ');
        if (name === 'ReconciliationMismatches') continue;
        const catalogued = businessMetricCatalogue[name as BusinessMetricName];
        expect({
          line,
          dimensions: catalogued ? ['stage', ...catalogued.dimensions].sort() : 'not catalogued',
        }).toEqual({
          line,
          dimensions: dimensions.map((dimension) => dimension.split('=')[0]).sort(),
        });
      }
    },
  );
});

describe('SLO alarms of the new flows', () => {
  it.each(stages)(
    'alarms on the %s purchase-order, hire and stock SLOs over a 5-minute and a 1-hour window, with actions',
    (stage) => {
      for (const name of newSlos) {
        // Prepare
        const slo = stageConfig(stage).slos[name];
        const { metricName, flow } = latencySlos[name];
        for (const [window, periodSec] of [
          ['Fast', 300],
          ['Slow', 3600],
        ] as const) {
          // Act
          const found = alarms(stage).find(([id]) =>
            id.startsWith(`${sloAlarmPrefix(name)}${window}BurnAlarm`),
          );
          // Assess
          expect(found?.[1].Properties).toMatchObject({
            Namespace: 'Concord',
            MetricName: metricName,
            ExtendedStatistic: `p${slo.target * 100}`,
            Threshold: slo.withinSec * 1000,
            ComparisonOperator: 'GreaterThanThreshold',
            TreatMissingData: 'notBreaching',
            Period: periodSec,
            Dimensions: [
              { Name: 'flow', Value: flow },
              { Name: 'stage', Value: stage },
            ],
            AlarmActions: [expect.anything()],
            OKActions: [expect.anything()],
          });
        }
      }
    },
  );

  it('alarms every latency SLO that slo-alarms.ts names, so a new entry is alarmed without touching the stack', () => {
    // Act
    const prefixes = alarms('prod')
      .map(([id]) => /^(.*Slo)(Fast|Slow)BurnAlarm/.exec(id)?.[1])
      .filter((prefix): prefix is string => prefix !== undefined);
    // Assess
    expect([...new Set(prefixes)].sort()).toEqual(
      (Object.keys(latencySlos) as (keyof typeof latencySlos)[]).map(sloAlarmPrefix).sort(),
    );
    expect(prefixes).toHaveLength(2 * Object.keys(latencySlos).length);
  });

  it('links each new SLO alarm to a section of docs/observability.md that exists', () => {
    // Prepare
    const doc = readFileSync(path.join(__dirname, '../../docs/observability.md'), 'utf8');
    const anchors = new Set(
      [...doc.matchAll(/^#+ (.+)$/gm)].map(([, heading]) =>
        (heading ?? '')
          .toLowerCase()
          .replace(/[^a-z0-9 -]/g, '')
          .replace(/ /g, '-'),
      ),
    );
    // Act
    const linked = newSlos.map((name) => latencySlos[name].anchor);
    // Assess
    expect(linked.filter((anchor) => !anchors.has(anchor))).toEqual([]);
  });

  it('keeps the stock SLO on the item write-back flow, which has no workflow and so no unknown-outcome alarm', () => {
    // Act
    const unknownFlows = alarms('prod')
      .filter(([, resource]) => resource.Properties.MetricName === 'UnknownOutcomes')
      .map(([, resource]) => (resource.Properties.Dimensions as { Name: string; Value: string }[])[0]?.Value);
    // Assess
    expect(unknownFlows.sort()).toEqual(Object.values(concordFlows).sort());
    expect(unknownFlows).not.toContain(writeBackFlows.itemWriteBack);
  });
});
