/** Workflow: an Express state machine from statemachines/<name>.asl.json, with logs, tracing and its bindings granted. */
import path from 'node:path';
import { Duration, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

/** Where definitions live. */
export const stateMachinesDir = path.join(__dirname, '../../statemachines');

/** What a workflow's definition refers to, by its `${Name}` substitution tokens. */
export interface WorkflowProps {
  /** Its ASL file under statemachines/. */
  readonly definitionFile: string;
  /** How long the workflow's log group keeps its lines. */
  readonly logRetention: RetentionDays;
  /** `${<key>}` → the function's ARN; the workflow may invoke it. */
  readonly functions: Readonly<Record<string, IFunction>>;
  /** `${<key>}` → the queue's URL; the workflow may send to it. */
  readonly queues: Readonly<Record<string, IQueue>>;
  /**
   * Log a failed step's execution data (input, output, the error's cause), which carries `x-pii` fields in clear:
   * the stage decides (StageConfig.workflowLogs); off unless set, so a new workflow logs no personal data.
   * @default false
   */
  readonly includeExecutionData?: boolean;
}

/** An Express workflow: request-response integrations only, at most five minutes (DESIGN.md §2). */
export class Workflow extends Construct {
  readonly stateMachine: StateMachine;

  constructor(scope: Construct, id: string, props: WorkflowProps) {
    super(scope, id);
    const substitutions: Record<string, string> = {};
    for (const [key, fn] of Object.entries(props.functions)) substitutions[key] = fn.functionArn;
    for (const [key, queue] of Object.entries(props.queues)) substitutions[key] = queue.queueUrl;
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      definitionBody: DefinitionBody.fromFile(path.join(stateMachinesDir, props.definitionFile)),
      definitionSubstitutions: substitutions,
      stateMachineType: StateMachineType.EXPRESS,
      tracingEnabled: true,
      // Errors only: the happy path (at level ALL about 30 KB per order, half the cost of an order) leaves its
      // trace on the bus instead. Without execution data a failure is logged by state, error name and execution;
      // its input and cause, personal data included, are in the exceptions queue the ASL's Catch sends it to.
      logs: {
        destination: new LogGroup(this, 'Logs', { retention: props.logRetention }),
        level: LogLevel.ERROR,
        includeExecutionData: props.includeExecutionData ?? false,
      },
    });
    // Exact function ARNs (no version wildcard): the workflow invokes $LATEST.
    const functionArns = Object.values(props.functions).map((fn) => fn.functionArn);
    if (functionArns.length > 0)
      this.stateMachine.addToRolePolicy(
        new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: functionArns }),
      );
    const queueArns = Object.values(props.queues).map((queue) => queue.queueArn);
    if (queueArns.length > 0)
      this.stateMachine.addToRolePolicy(
        new PolicyStatement({ actions: ['sqs:SendMessage'], resources: queueArns }),
      );
    // Every business failure ends in the exceptions queue through a Catch; a timed-out execution cannot be caught
    // and would otherwise leave a trace only in its log. This alarm is where an operator sees it.
    new Alarm(this, 'TimedOutAlarm', {
      alarmDescription: `${id}: an execution timed out (its own TimeoutSeconds or the Express five-minute limit); no Catch recorded it`,
      metric: this.stateMachine.metricTimedOut({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    Validations.of(this.stateMachine).acknowledge({
      id: 'AwsSolutions-SF1',
      reason:
        'Errors are logged (with execution data only where the stage has no real customer data); every successful step leaves its event on the archived bus, and ALL would cost about $15 per million orders (bench/order-to-cash)',
    });
    Validations.of(this.stateMachine).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'CloudWatch Logs delivery and X-Ray actions for Step Functions support no resource scoping',
    });
  }

  /**
   * An alarm on any failed execution in five minutes: a transaction the workflow gave up on. Its Catch sends it to
   * the exceptions queue, then fails the execution, so this names the workflow the exception came from; it also
   * fires when that send itself failed and the transaction is only in the workflow's log. `retried` says which step
   * errors the workflow retries by design and so alarm nobody until the retries are spent.
   */
  alarmOnFailedExecutions(retried: string): Alarm {
    return new Alarm(this, 'FailedAlarm', {
      alarmDescription: `${this.node.id}: a transaction failed after its retries and waits for a person. ${retried} Look first at concord dlq show ExceptionsQueue (the failed step and its error), then the workflow's log group; docs/observability.md#failed-executions`,
      metric: this.stateMachine.metricFailed({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }
}
