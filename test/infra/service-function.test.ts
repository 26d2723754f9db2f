import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { DefinitionBody, Pass, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { ServiceFunction } from '../../infra/constructs/service-function';

type Statement = { Action: string | string[]; Resource: unknown };

/** A stack holding one ServiceFunction (no bundling: the tests look at the template only). */
function functionStack() {
  const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Test');
  const fn = new ServiceFunction(stack, 'Fn', {
    functionDir: 'version-gate',
    stage: 'dev',
    memorySizeMiB: 128,
    timeoutSec: 10,
    logRetention: RetentionDays.ONE_WEEK,
  });
  return { stack, fn };
}

function machine(stack: Stack, id: string): StateMachine {
  return new StateMachine(stack, id, {
    definitionBody: DefinitionBody.fromChainable(new Pass(stack, `${id}Pass`)),
    stateMachineType: StateMachineType.EXPRESS,
  });
}

function ref(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as CfnElement);
}

/** Every statement of the function role's policies. */
function statements(stack: Stack): Statement[] {
  return Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy')).flatMap(
    (policy) =>
      (policy as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument
        .Statement,
  );
}

/** The actions granted on the resource whose logical id is `logicalId`. */
function actionsOn(stack: Stack, logicalId: string): string[] {
  return statements(stack)
    .filter((statement) => JSON.stringify(statement.Resource).includes(`"${logicalId}"`))
    .flatMap((statement) => [statement.Action].flat())
    .sort();
}

function environment(stack: Stack): Record<string, unknown> {
  const functions = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'));
  return (functions[0] as { Properties: { Environment: { Variables: Record<string, unknown> } } }).Properties
    .Environment.Variables;
}

describe('ServiceFunction', () => {
  it('sets a bound queue URL and grants SendMessage on that queue only', () => {
    // Prepare
    const { stack, fn } = functionStack();
    const queue = new Queue(stack, 'Queue');

    // Act
    fn.bindQueue('OUT_QUEUE_URL', queue);

    // Assess
    expect(environment(stack).OUT_QUEUE_URL).toEqual({ Ref: ref(stack, queue) });
    expect(actionsOn(stack, ref(stack, queue))).toEqual(['sqs:SendMessage']);
  });

  it('sets a bound state machine ARN and grants StartExecution by default', () => {
    // Prepare
    const { stack, fn } = functionStack();
    const workflow = machine(stack, 'Workflow');

    // Act
    fn.bindStateMachine('WORKFLOW_ARN', workflow);

    // Assess
    expect(environment(stack).WORKFLOW_ARN).toEqual({ Ref: ref(stack, workflow) });
    expect(actionsOn(stack, ref(stack, workflow))).toEqual(['states:StartExecution']);
  });

  it('grants StartSyncExecution alone for a synchronous binding', () => {
    // Prepare
    const { stack, fn } = functionStack();
    const workflow = machine(stack, 'Workflow');

    // Act
    fn.bindStateMachine('WORKFLOW_ARN', workflow, { synchronous: true });

    // Assess
    expect(environment(stack).WORKFLOW_ARN).toEqual({ Ref: ref(stack, workflow) });
    expect(actionsOn(stack, ref(stack, workflow))).toEqual(['states:StartSyncExecution']);
  });

  it('lists several bound state machines comma-separated and grants StartExecution on each', () => {
    // Prepare
    const { stack, fn } = functionStack();
    const first = machine(stack, 'First');
    const second = machine(stack, 'Second');

    // Act
    fn.bindStateMachines('WORKFLOW_ARNS', [first, second]);

    // Assess
    expect(environment(stack).WORKFLOW_ARNS).toEqual({
      'Fn::Join': ['', [{ Ref: ref(stack, first) }, ',', { Ref: ref(stack, second) }]],
    });
    expect(actionsOn(stack, ref(stack, first))).toEqual(['states:StartExecution']);
    expect(actionsOn(stack, ref(stack, second))).toEqual(['states:StartExecution']);
  });

  it('sets a table read binding and grants GetItem alone', () => {
    // Prepare
    const { stack, fn } = functionStack();
    const table = new Table(stack, 'Table', { partitionKey: { name: 'pk', type: AttributeType.STRING } });

    // Act
    fn.bindTableReader('LOOKUP_TABLE_NAME', table);

    // Assess
    expect(environment(stack).LOOKUP_TABLE_NAME).toEqual({ Ref: ref(stack, table) });
    expect(actionsOn(stack, ref(stack, table))).toEqual(['dynamodb:GetItem']);
  });

  it('keeps the house variables beside the bound ones', () => {
    // Prepare
    const { stack, fn } = functionStack();

    // Act
    fn.bindQueue('OUT_QUEUE_URL', new Queue(stack, 'Queue'));

    // Assess
    expect(environment(stack)).toEqual(
      expect.objectContaining({ CONCORD_STAGE: 'dev', POWERTOOLS_SERVICE_NAME: 'version-gate' }),
    );
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ OUT_QUEUE_URL: Match.anyValue() }) },
    });
  });
});
