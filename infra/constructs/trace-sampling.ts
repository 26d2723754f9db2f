/** Trace sampling: the X-Ray sampling rules that decide which of a stage's transactions are traced, from its config. */
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { CfnSamplingRule } from 'aws-cdk-lib/aws-xray';
import { Construct } from 'constructs';
import type { StageConfig } from '../config/stage-config';

/** What the stage samples, and the workflows whose executions it samples. */
export interface TraceSamplingProps {
  /** The stage name, part of each sampling rule's name. */
  readonly stage: string;
  /** The stage's sampling, one fixed rate and reservoir per second applied to each workflow's rule. */
  readonly sampling: StageConfig['tracing']['sampling'];
  /** A short name (`order-to-cash`, part of the rule's name) → the workflow. */
  readonly workflows: Readonly<Record<string, StateMachine>>;
}

/** X-Ray's limit on a sampling rule's name. */
const maxRuleNameLength = 32;
/** Ahead of X-Ray's default rule (which always comes last) and of any rule an account keeps for other services. */
const workflowPriority = 1000;
const functionPriority = 1001;

/** Sampling configuration that X-Ray would refuse, or that would trace nothing while the config meant something. */
export class TraceSamplingConfigError extends Error {
  override readonly name = 'TraceSamplingConfigError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * One sampling rule per workflow, matched by its state machine's name: Step Functions asks X-Ray's rules for each
 * execution, and the functions a sampled execution invokes are traced with it (the trace header carries the
 * decision), so an order is traced whole or not at all. One more rule for the stage's functions by name
 * (`Concord-<stage>-*`), for the invocations that start a trace of their own. X-Ray keeps at most 25 rules per
 * account and region: a stage takes one per workflow plus one (eight with seven workflows), so dev, staging and prod
 * sharing an account fit, and a further workflow or stage in that account would not.
 */
export class TraceSampling extends Construct {
  readonly rules: CfnSamplingRule[] = [];

  constructor(scope: Construct, id: string, props: TraceSamplingProps) {
    super(scope, id);
    const { fixedRate, reservoirPerSec } = props.sampling;
    if (!(fixedRate >= 0 && fixedRate <= 1))
      throw new TraceSamplingConfigError(
        `tracing.sampling.fixedRate must be between 0 and 1, got ${fixedRate}`,
      );
    if (!Number.isInteger(reservoirPerSec) || reservoirPerSec < 0)
      throw new TraceSamplingConfigError(
        `tracing.sampling.reservoirPerSec must be a whole number of traces per second, got ${reservoirPerSec}`,
      );
    for (const [name, workflow] of Object.entries(props.workflows))
      this.rule(`Workflow-${name}`, `concord-${props.stage}-${name}`, workflowPriority, {
        serviceName: workflow.stateMachineName,
        serviceType: 'AWS::StepFunctions::StateMachine',
        fixedRate,
        reservoirPerSec,
      });
    this.rule('Functions', `concord-${props.stage}-functions`, functionPriority, {
      serviceName: `Concord-${props.stage}-*`,
      serviceType: 'AWS::Lambda::Function',
      fixedRate,
      reservoirPerSec,
    });
  }

  private rule(
    id: string,
    ruleName: string,
    priority: number,
    match: { serviceName: string; serviceType: string; fixedRate: number; reservoirPerSec: number },
  ): void {
    if (ruleName.length > maxRuleNameLength)
      throw new TraceSamplingConfigError(
        `X-Ray sampling rule name ${ruleName} is longer than ${maxRuleNameLength} characters: give the workflow a shorter name`,
      );
    this.rules.push(
      new CfnSamplingRule(this, id, {
        samplingRule: {
          ruleName,
          priority,
          fixedRate: match.fixedRate,
          reservoirSize: match.reservoirPerSec,
          serviceName: match.serviceName,
          serviceType: match.serviceType,
          host: '*',
          httpMethod: '*',
          urlPath: '*',
          resourceArn: '*',
          version: 1,
        },
      }),
    );
  }
}
