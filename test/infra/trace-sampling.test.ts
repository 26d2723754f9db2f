import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { DefinitionBody, Pass, StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { buildApp } from '../../infra/app';
import { stageConfig, stageNames } from '../../infra/config/stage-config';
import { TraceSampling, TraceSamplingConfigError } from '../../infra/constructs/trace-sampling';

type SamplingRule = {
  RuleName: string;
  Priority: number;
  FixedRate: number;
  ReservoirSize: number;
  ServiceName: unknown;
  ServiceType: string;
  ResourceARN: string;
};

// Bundling (esbuild) is exercised by `npm run synth`; these tests look at the templates only.
const templates = new Map(
  stageNames.map((stage) => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    return [stage, Template.fromStack(buildApp(app, stage, '123456789012').stateless)];
  }),
);

function samplingRules(stage: string): SamplingRule[] {
  const template = templates.get(stage as (typeof stageNames)[number]);
  if (!template) throw new Error(`No template for ${stage}`);
  return Object.values(template.findResources('AWS::XRay::SamplingRule')).map(
    (resource) => (resource as { Properties: { SamplingRule: SamplingRule } }).Properties.SamplingRule,
  );
}

/** A stack with one state machine, and the sampling of `sampling`. */
function sampled(sampling: { fixedRate: number; reservoirPerSec: number }, name = 'order-to-cash') {
  const stack = new Stack(new App(), 'Test');
  const machine = new StateMachine(stack, 'Machine', {
    definitionBody: DefinitionBody.fromChainable(new Pass(stack, 'Done')),
  });
  return () =>
    new TraceSampling(stack, 'TraceSampling', { stage: 'prod', sampling, workflows: { [name]: machine } });
}

describe('TraceSampling', () => {
  it.each(stageNames)(
    'samples every workflow and the functions of the %s stage at the rate its config names',
    (stage) => {
      // Prepare
      const { sampling } = stageConfig(stage).tracing;

      // Act
      const rules = samplingRules(stage);

      // Assess
      expect(rules.map((rule) => rule.RuleName).sort()).toEqual(
        [
          'customers',
          'employees',
          'functions',
          'order-to-cash',
          'payments',
          'procure-to-pay',
          'suppliers',
          'validation',
        ].map((name) => `concord-${stage}-${name}`),
      );
      for (const rule of rules) {
        expect(rule).toMatchObject({
          FixedRate: sampling.fixedRate,
          ReservoirSize: sampling.reservoirPerSec,
          ResourceARN: '*',
        });
        expect(rule.RuleName.length).toBeLessThanOrEqual(32);
      }
      const workflows = rules.filter((rule) => rule.ServiceType === 'AWS::StepFunctions::StateMachine');
      expect(workflows).toHaveLength(7);
      // Each matched by its own state machine's name, not a pattern that could reach another stage's.
      for (const rule of workflows)
        expect(JSON.stringify(rule.ServiceName)).toMatch(/"Fn::GetAtt":\[".*StateMachine.*","Name"\]/);
      expect(rules.find((rule) => rule.ServiceType === 'AWS::Lambda::Function')?.ServiceName).toBe(
        `Concord-${stage}-*`,
      );
    },
  );

  it('traces every dev transaction and one in twenty beyond the reservoir elsewhere', () => {
    // Act / Assess
    expect(stageConfig('dev').tracing.sampling.fixedRate).toBe(1);
    for (const stage of ['staging', 'prod'])
      expect(stageConfig(stage).tracing.sampling).toEqual({ fixedRate: 0.05, reservoirPerSec: 1 });
  });

  it.each([
    [{ fixedRate: 1.5, reservoirPerSec: 1 }, 'fixedRate must be between 0 and 1'],
    [{ fixedRate: Number.NaN, reservoirPerSec: 1 }, 'fixedRate must be between 0 and 1'],
    [{ fixedRate: 0.1, reservoirPerSec: 0.5 }, 'reservoirPerSec must be a whole number'],
    [{ fixedRate: 0.1, reservoirPerSec: -1 }, 'reservoirPerSec must be a whole number'],
  ])('rejects the sampling %o', (sampling, message) => {
    // Act / Assess
    expect(sampled(sampling)).toThrow(TraceSamplingConfigError);
    expect(sampled(sampling)).toThrow(message);
  });

  it('rejects a workflow name that would make a rule name longer than X-Ray takes', () => {
    // Act / Assess
    expect(sampled({ fixedRate: 0.05, reservoirPerSec: 1 }, 'a-workflow-with-a-long-name')).toThrow(
      'longer than 32 characters',
    );
  });
});
