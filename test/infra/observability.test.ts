import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { App, Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Alarm, Metric } from 'aws-cdk-lib/aws-cloudwatch';
import { type ErpOperation, mutatingOperations } from '../../functions/erp-adapter/erp-steps';
import { buildApp } from '../../infra/app';
import { stageConfig, stageNames } from '../../infra/config/stage-config';
import { concordFlows } from '../../infra/constructs/concord-metrics';

type Resource = { Type: string; Properties: Record<string, unknown> };

// Bundling (esbuild) is exercised by `npm run synth`; these tests look at the templates only.
function synthesize(stage: string) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stacks = buildApp(app, stage, '123456789012');
  return {
    app,
    stacks,
    stateful: Template.fromStack(stacks.stateful),
    stateless: Template.fromStack(stacks.stateless),
  };
}

const templates = new Map(stageNames.map((stage) => [stage, synthesize(stage)]));

function of(stage: string) {
  const synthesized = templates.get(stage as (typeof stageNames)[number]);
  if (!synthesized) throw new Error(`No template for ${stage}`);
  return synthesized;
}

/** Every resource of `type` in both stacks of a stage, by logical id. */
function resources(stage: string, type: string): [string, Resource][] {
  const { stateful, stateless } = of(stage);
  return [stateful, stateless].flatMap(
    (template) => Object.entries(template.findResources(type)) as [string, Resource][],
  );
}

function alarm(stage: string, logicalIdPrefix: string): Record<string, unknown> {
  const found = resources(stage, 'AWS::CloudWatch::Alarm').find(([id]) => id.startsWith(logicalIdPrefix));
  if (!found) throw new Error(`No alarm ${logicalIdPrefix} in ${stage}`);
  return found[1].Properties;
}

describe('AlarmTopic', () => {
  it.each(stageNames)('subscribes the emails and HTTPS endpoints the %s stage config names', (stage) => {
    // Prepare
    const { alerting } = stageConfig(stage);
    // Act
    const subscriptions = resources(stage, 'AWS::SNS::Subscription').map(
      ([, resource]) => resource.Properties,
    );
    // Assess
    expect(subscriptions.map(({ Protocol, Endpoint }) => `${Protocol} ${Endpoint}`).sort()).toEqual(
      [
        ...alerting.emails.map((email) => `email ${email}`),
        ...alerting.httpsEndpoints.map((url) => `https ${url}`),
      ].sort(),
    );
    expect(
      subscriptions.filter((subscription) => !JSON.stringify(subscription.TopicArn).includes('AlarmTopic')),
    ).toEqual([]);
  });

  it('names placeholders for ops to replace in prod: an on-call address and a chat webhook', () => {
    expect(stageConfig('prod').alerting.emails.length).toBeGreaterThan(0);
    expect(stageConfig('prod').alerting.httpsEndpoints.length).toBeGreaterThan(0);
  });

  it.each(stageNames)(
    'encrypts the %s alarm topic with a rotated key CloudWatch may use, and refuses plain HTTP',
    (stage) => {
      // Prepare
      const { stateful } = of(stage);
      // Assess
      stateful.resourceCountIs('AWS::SNS::Topic', 1);
      stateful.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
      const [topic] = Object.values(stateful.findResources('AWS::SNS::Topic'));
      expect(JSON.stringify(topic?.Properties.KmsMasterKeyId)).toContain('AlarmTopicKey');
      const [key] = Object.values(stateful.findResources('AWS::KMS::Key'));
      expect(JSON.stringify(key?.Properties.KeyPolicy)).toContain('cloudwatch.amazonaws.com');
      const [policy] = Object.values(stateful.findResources('AWS::SNS::TopicPolicy'));
      const statements = JSON.stringify(policy?.Properties.PolicyDocument);
      expect(statements).toContain('"aws:SecureTransport":"false"');
      expect(statements).toContain('cloudwatch.amazonaws.com');
    },
  );
});

describe('AlarmActions', () => {
  it.each(stageNames)(
    'gives every alarm of the %s stage the alarm topic as alarm action and OK action',
    (stage) => {
      // Act
      const alarms = [
        ...resources(stage, 'AWS::CloudWatch::Alarm'),
        ...resources(stage, 'AWS::CloudWatch::CompositeAlarm'),
      ];
      // Assess
      expect(alarms.length).toBeGreaterThan(30);
      const silent = alarms
        .filter(([, { Properties }]) =>
          ['AlarmActions', 'OKActions'].some((actions) => {
            const arns = Properties[actions] as unknown[] | undefined;
            return !arns?.length || !arns.every((arn) => JSON.stringify(arn).includes('AlarmTopic'));
          }),
        )
        .map(([id]) => id);
      expect(silent).toEqual([]);
    },
  );

  it('covers an alarm added to a stack after the app is built, without a call', () => {
    // Prepare
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const { stateless } = buildApp(app, 'dev', '123456789012');
    // Act
    new Alarm(stateless, 'LateAlarm', {
      metric: new Metric({ namespace: 'Concord', metricName: 'Late', period: Duration.minutes(5) }),
      threshold: 1,
      evaluationPeriods: 1,
    });
    // Assess
    const late = Object.entries(Template.fromStack(stateless).findResources('AWS::CloudWatch::Alarm')).find(
      ([id]) => id.startsWith('LateAlarm'),
    );
    expect(late?.[1].Properties.AlarmActions).toHaveLength(1);
    expect(late?.[1].Properties.OKActions).toHaveLength(1);
  });
});

/** The statements of the IAM policies attached to a role (by its logical id) in a template. */
function statementsOf(template: Template, roleId: string): { Action: string | string[] }[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => (policy.Properties.Roles as { Ref?: string }[]).some((role) => role.Ref === roleId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}

function actionsOf(template: Template, roleId: string): string[] {
  return statementsOf(template, roleId).flatMap((statement) => [statement.Action].flat());
}

describe('ServiceFunction', () => {
  it.each(stageNames)(
    'tells every function of the %s stage its stage and alarms on any of its errors, but the ERP adapter’s',
    (stage) => {
      // Prepare
      const { stateless } = of(stage);
      const functions = Object.entries(stateless.findResources('AWS::Lambda::Function'));
      const errorAlarms = Object.values(stateless.findResources('AWS::CloudWatch::Alarm')).filter(
        (resource) =>
          resource.Properties.MetricName === 'Errors' && resource.Properties.Namespace === 'AWS/Lambda',
      );
      // Assess
      expect(functions.length).toBeGreaterThan(0);
      for (const [id, resource] of functions) {
        expect(resource.Properties.Environment.Variables.CONCORD_STAGE).toBe(stage);
        const alarmed = errorAlarms.filter(
          (candidate) =>
            (candidate.Properties.Dimensions as { Value: { Ref?: string } }[])[0]?.Value.Ref === id &&
            candidate.Properties.Threshold === 0 &&
            candidate.Properties.ComparisonOperator === 'GreaterThanThreshold' &&
            candidate.Properties.Period === 300,
        );
        // Its typed errors are retried by the workflows by design; their failed executions alarm instead.
        expect(alarmed).toHaveLength(id.startsWith('ErpAdapter') ? 0 : 1);
      }
      expect(functions.map(([id]) => id)).toContainEqual(expect.stringMatching(/^ErpAdapter/));
    },
  );

  it.each(stageNames)(
    'traces every function of the %s stage with X-Ray (active) and lets it send segments',
    (stage) => {
      // Prepare
      const { stateless } = of(stage);
      // Act
      const functions = Object.values(stateless.findResources('AWS::Lambda::Function'));
      // Assess
      expect(functions.length).toBeGreaterThan(5);
      for (const resource of functions) {
        expect(resource.Properties.TracingConfig).toEqual({ Mode: 'Active' });
        const roleId = resource.Properties.Role['Fn::GetAtt'][0] as string;
        expect(actionsOf(stateless, roleId)).toEqual(
          expect.arrayContaining(['xray:PutTraceSegments', 'xray:PutTelemetryRecords']),
        );
      }
    },
  );
});

describe('Workflow', () => {
  it.each(stageNames)(
    'traces every state machine of the %s stage with X-Ray and lets it send segments',
    (stage) => {
      // Prepare
      const { stateless } = of(stage);
      // Act
      const machines = Object.values(stateless.findResources('AWS::StepFunctions::StateMachine'));
      // Assess
      expect(machines).toHaveLength(7);
      for (const machine of machines) {
        expect(machine.Properties.TracingConfiguration).toEqual({ Enabled: true });
        const roleId = machine.Properties.RoleArn['Fn::GetAtt'][0] as string;
        expect(actionsOf(stateless, roleId)).toEqual(
          expect.arrayContaining(['xray:PutTraceSegments', 'xray:PutTelemetryRecords']),
        );
      }
    },
  );

  it.each(stageNames)(
    'alarms on any failed execution of each %s ERP workflow, saying which errors are retried by design',
    (stage) => {
      // Act
      const failed = resources(stage, 'AWS::CloudWatch::Alarm')
        .map(([, resource]) => resource.Properties)
        .filter((properties) => properties.MetricName === 'ExecutionsFailed');
      // Assess
      expect(failed.map((properties) => String(properties.AlarmDescription).split(':')[0]).sort()).toEqual([
        'CustomerSync',
        'EmployeeSync',
        'OrderToCash',
        'PaymentApplication',
        'ProcureToPay',
        'SupplierSync',
      ]);
      for (const properties of failed) {
        expect(properties).toMatchObject({
          Namespace: 'AWS/States',
          Statistic: 'Sum',
          Period: 300,
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          TreatMissingData: 'notBreaching',
        });
        expect(properties.AlarmDescription).toMatch(/retries by design \(throttles, an ERP outage/);
        expect(properties.AlarmDescription).toMatch(/docs\/observability\.md#failed-executions/);
      }
    },
  );
});

describe('SLO alarms', () => {
  it.each(stageNames)('alarms on the %s order-accepted SLO over a 5-minute and a 1-hour window', (stage) => {
    // Prepare
    const { orderAccepted } = stageConfig(stage).slos;
    // Act
    const fast = alarm(stage, 'OrderAcceptedSloFastBurnAlarm');
    const slow = alarm(stage, 'OrderAcceptedSloSlowBurnAlarm');
    // Assess
    for (const [window, periodSec] of [
      [fast, 300],
      [slow, 3600],
    ] as const)
      expect(window).toMatchObject({
        Namespace: 'Concord',
        MetricName: 'OrderAcceptedLatency',
        ExtendedStatistic: `p${orderAccepted.target * 100}`,
        Threshold: orderAccepted.withinSec * 1000,
        ComparisonOperator: 'GreaterThanThreshold',
        Period: periodSec,
        Dimensions: [
          { Name: 'flow', Value: concordFlows.orderToCash },
          { Name: 'stage', Value: stage },
        ],
      });
  });

  it.each(stageNames)(
    'alarms on the %s invoice-posted and payment-applied SLOs over a 5-minute and a 1-hour window, on their flow',
    (stage) => {
      // Prepare
      const { invoicePosted, paymentApplied } = stageConfig(stage).slos;
      // Act
      const expected = [
        ['InvoicePostedSlo', 'InvoicePostedLatency', concordFlows.orderToCash, invoicePosted],
        ['PaymentAppliedSlo', 'PaymentAppliedLatency', concordFlows.paymentApplication, paymentApplied],
      ] as const;
      // Assess
      for (const [prefix, metricName, flow, slo] of expected)
        for (const [window, periodSec] of [
          ['Fast', 300],
          ['Slow', 3600],
        ] as const)
          expect(alarm(stage, `${prefix}${window}BurnAlarm`)).toMatchObject({
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
          });
    },
  );

  it.each(stageNames)(
    'alarms on any %s reconciliation mismatch on the stage’s own metric (the stage dimension, as every Concord metric)',
    (stage) => {
      // Assess
      expect(alarm(stage, 'ReconciliationMismatchesAlarm')).toMatchObject({
        Namespace: 'Concord',
        MetricName: 'ReconciliationMismatches',
        Dimensions: [{ Name: 'stage', Value: stage }],
        Statistic: 'Sum',
        Period: 3600,
        Threshold: 1,
      });
    },
  );

  it.each(stageNames)(
    'alarms on the %s invoice-visible and reconciliation-clean SLOs at their thresholds',
    (stage) => {
      // Prepare
      const { invoiceVisibleInWarehouse, reconciliationClean } = stageConfig(stage).slos;
      // Assess
      expect(alarm(stage, 'InvoiceVisibleSloAlarm')).toMatchObject({
        Namespace: 'AWS/Firehose',
        MetricName: 'DeliveryToS3.DataFreshness',
        Threshold: invoiceVisibleInWarehouse.withinMin * 60,
      });
      expect(alarm(stage, 'ReconciliationCleanSloAlarm')).toMatchObject({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateAgeOfOldestMessage',
        Threshold: reconciliationClean.maxMismatchAgeHours * 3600,
      });
    },
  );

  it('names in concordFlows every flow whose workflow changes the ERP', () => {
    // Prepare
    const statemachines = path.join(__dirname, '../../statemachines');
    const changing = new Set<string>();
    const visit = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(visit);
      else if (node && typeof node === 'object') {
        const { flow, operation } = node as { flow?: unknown; operation?: unknown };
        // An operation chosen by a JSONata expression may be a change: only a literal read is known not to be.
        const mayChange =
          typeof operation === 'string' &&
          (operation.startsWith('{%') || mutatingOperations.has(operation as ErpOperation));
        if (typeof flow === 'string' && mayChange) changing.add(flow);
        Object.values(node).forEach(visit);
      }
    };
    // Act
    for (const file of readdirSync(statemachines).filter((name) => name.endsWith('.asl.json')))
      visit(JSON.parse(readFileSync(path.join(statemachines, file), 'utf8')));
    // Assess
    expect(changing.size).toBeGreaterThan(0);
    expect([...changing].sort()).toEqual(Object.values(concordFlows).sort());
  });

  it('alarms on any unknown ERP outcome in every flow, and on any API 5xx', () => {
    // Act
    const unknown = resources('prod', 'AWS::CloudWatch::Alarm')
      .map(([, resource]) => resource.Properties)
      .filter((properties) => properties.MetricName === 'UnknownOutcomes');
    // Assess
    expect(
      unknown.map((properties) => (properties.Dimensions as { Value: string }[])[0]?.Value).sort(),
    ).toEqual(Object.values(concordFlows).sort());
    expect(unknown.map((properties) => properties.Threshold)).toEqual(Array(unknown.length).fill(0));
    expect(alarm('prod', 'Api5xxAlarm')).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      MetricName: '5xx',
      Threshold: 0,
      Statistic: 'Sum',
    });
  });
});

describe('OperationsDashboard', () => {
  it.each(stageNames)(
    'defines the Concord-%s dashboard with every alarm and the business panels',
    (stage) => {
      // Prepare
      const { stateless } = of(stage);
      const alarmCount = resources(stage, 'AWS::CloudWatch::Alarm').length;
      // Act
      const dashboards = Object.values(stateless.findResources('AWS::CloudWatch::Dashboard'));
      // Assess
      expect(dashboards).toHaveLength(1);
      expect(dashboards[0]?.Properties.DashboardName).toBe(`Concord-${stage}`);
      const parts = dashboards[0]?.Properties.DashboardBody['Fn::Join'][1] as unknown[];
      const alarmArns = parts
        .map((part) => JSON.stringify(part))
        .filter((part) => /Alarm/.test(part) && /Arn/.test(part));
      expect(alarmArns).toHaveLength(alarmCount);
      const body = JSON.stringify(parts);
      for (const panel of [
        'WebhooksAccepted',
        'OrdersBooked',
        'OrdersCreditHeld',
        'OrdersRefused',
        'OrderAcceptedLatency',
        `PR(0:${stageConfig(stage).slos.orderAccepted.withinSec * 1000})`,
        'ApproximateNumberOfMessagesVisible',
        'ReconciliationMismatches',
        'InvoicePostedLatency',
        'PaymentAppliedLatency',
        'UnknownOutcomes',
        'DeliveryToS3.DataFreshness',
      ])
        expect(body).toContain(panel);
    },
  );
});
