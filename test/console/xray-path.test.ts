/** The Transaction page's executions on AWS: Express workflows read from X-Ray, the executions API kept elsewhere. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  DescribeStateMachineCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
  StateMachineTypeNotSupported,
} from '@aws-sdk/client-sfn';
import {
  BatchGetTracesCommand,
  GetTraceSummariesCommand,
  type Trace,
  XRayClient,
} from '@aws-sdk/client-xray';
import { mockClient } from 'aws-sdk-client-mock';
import {
  executionsSource,
  transactionExecutions,
} from '../../console/server/transaction/workflow-executions';
import {
  bookedOrderTrace,
  executionArn,
  refusedOrderTrace,
  stateMachineName,
  traceId,
} from '../fixtures/xray/order-to-cash-trace';

const sfnMock = mockClient(SFNClient);
const xrayMock = mockClient(XRayClient);
const definition = readFileSync(path.join(__dirname, '../../statemachines/order-to-cash.asl.json'), 'utf8');
const stateMachineArn = `arn:aws:states:us-east-1:123456789012:stateMachine:${stateMachineName}`;
const ids = { correlationIds: ['01JDXK6TQ3M5V8N2P4R7S9W1Y3'], entities: ['order/5820741173332'] };
const window = { from: new Date(Date.now() - 3_600_000), to: new Date() };

/** The stage's one state machine, order-to-cash, of the given type. */
function stageMachine(type: 'EXPRESS' | 'STANDARD' | undefined, stage = 'prod'): void {
  sfnMock.on(ListStateMachinesCommand).resolves({
    stateMachines: [{ stateMachineArn, name: stateMachineName, type, creationDate: new Date() }],
  });
  sfnMock.on(DescribeStateMachineCommand).resolves({
    stateMachineArn,
    name: stateMachineName,
    type,
    definition,
    roleArn: `arn:aws:iam::123456789012:role/Concord-${stage}-Stateless-OrderToCashStateMachineRole-x1`,
    creationDate: new Date(),
  });
}

/** X-Ray finds the transaction's one trace, `trace`. */
function tracesFound(trace: Trace): void {
  xrayMock.on(GetTraceSummariesCommand).resolves({ TraceSummaries: [{ Id: traceId }] });
  xrayMock.on(BatchGetTracesCommand).resolves({ Traces: [trace] });
}

/** The transaction's executions in `stage`, read with fresh clients, X-Ray's on AWS unless told otherwise. */
function stageExecutions(stage = 'prod', options: { onAws: boolean } = { onAws: true }) {
  return transactionExecutions(new SFNClient({ region: 'us-east-1' }), stage, ids, window, {
    client: new XRayClient({ region: 'us-east-1' }),
    onAws: options.onAws,
  });
}

beforeEach(() => {
  sfnMock.reset();
  xrayMock.reset();
});

describe('executionsSource', () => {
  it.each([
    ['EXPRESS', true, 'xray'],
    ['EXPRESS', false, 'executions'],
    ['STANDARD', true, 'executions'],
    [undefined, true, 'executions'],
  ] as const)('reads a %s machine (on AWS: %s) from %s', (type, onAws, expected) => {
    // Act / Assess
    expect(executionsSource({ type }, onAws)).toBe(expected);
  });
});

describe('transactionExecutions with X-Ray', () => {
  it('draws an Express workflow on AWS from its X-Ray trace: the states in order, the transitions and the functions', async () => {
    // Prepare
    stageMachine('EXPRESS');
    tracesFound(bookedOrderTrace());

    // Act
    const { executions, warnings } = await stageExecutions();

    // Assess
    expect(warnings).toEqual([]);
    expect(sfnMock.commandCalls(ListExecutionsCommand)).toHaveLength(0);
    expect(executions).toHaveLength(1);
    const [execution] = executions;
    expect(execution).toMatchObject({
      source: 'xray',
      traceId,
      executionArn,
      name: 'ab12cd34-5e6f-7a8b-9c0d-e1f2a3b4c5d6',
      status: 'SUCCEEDED',
      stateMachineArn,
    });
    expect(execution?.steps.slice(0, 4).map((step) => [step.state, step.type])).toEqual([
      ['Route', 'Choice'],
      ['Init', 'Pass'],
      ['Gate', 'Task'],
      ['IsCurrent', 'Choice'],
    ]);
    expect([...(execution?.path.edges ?? [])]).toEqual([
      'Route→Init',
      'Init→Gate',
      'Gate→IsCurrent',
      'IsCurrent→AdoptNewerState',
      'AdoptNewerState→FindCustomer',
      'FindCustomer→KnownCustomer',
      'KnownCustomer→CheckCredit',
      'CheckCredit→CreditDecision',
      'CreditDecision→Reserve',
      'Reserve→CreateSalesOrder',
      'CreateSalesOrder→PostInvoice',
    ]);
    expect(execution?.path.failed.size).toBe(0);
    expect(execution?.path.caught.size).toBe(0);
    expect(execution?.steps.find((step) => step.state === 'PostInvoice')?.operations).toEqual([
      expect.objectContaining({ operation: 'postInvoice' }),
    ]);
    expect(xrayMock.commandCalls(GetTraceSummariesCommand)[0]?.args[0].input.FilterExpression).toBe(
      'annotation.correlationId = "01JDXK6TQ3M5V8N2P4R7S9W1Y3" OR annotation.orderId = "5820741173332"',
    );
  });

  it('marks the step whose error a Catch took elsewhere as caught, and the Fail state that ended the run as failed', async () => {
    // Prepare
    stageMachine('EXPRESS');
    tracesFound(refusedOrderTrace());

    // Act
    const { executions } = await stageExecutions();

    // Assess
    const [execution] = executions;
    expect(execution?.status).toBe('FAILED');
    expect([...(execution?.path.caught ?? [])]).toEqual(['CreateSalesOrder']);
    expect([...(execution?.path.failed ?? [])]).toEqual(['Rejected']);
    expect(execution?.path.edges.has('CreateSalesOrder→ReleaseInventory')).toBe(true);
    expect(execution?.path.edges.has('ReleaseInventory→Reject')).toBe(true);
    expect(execution?.path.edges.has('CreateSalesOrder→PostInvoice')).toBe(false);
    expect(execution?.steps.find((step) => step.state === 'CreateSalesOrder')).toMatchObject({
      error: 'ErpRejectedError',
      cause: 'customer blocked',
    });
  });

  it('keeps the executions API for the embedded runtime, where Express executions are kept', async () => {
    // Prepare
    stageMachine('EXPRESS', 'local');
    sfnMock.on(ListExecutionsCommand).resolves({ executions: [] });

    // Act
    const { executions, warnings } = await stageExecutions('local', { onAws: false });

    // Assess
    expect(executions).toEqual([]);
    expect(warnings).toEqual([]);
    expect(sfnMock.commandCalls(ListExecutionsCommand)).toHaveLength(1);
    expect(xrayMock.calls()).toHaveLength(0);
  });

  it('turns to X-Ray when Step Functions refuses the executions of a machine as Express', async () => {
    // Prepare
    stageMachine(undefined);
    sfnMock.on(ListExecutionsCommand).rejects(
      new StateMachineTypeNotSupported({
        message: 'This operation is not supported by this type of state machine',
        $metadata: {},
      }),
    );
    tracesFound(bookedOrderTrace());

    // Act
    const { executions, warnings } = await stageExecutions();

    // Assess
    expect(warnings).toEqual([]);
    expect(executions.map((execution) => execution.source)).toEqual(['xray']);
  });

  it('says when the transaction was not sampled, and draws nothing', async () => {
    // Prepare
    stageMachine('EXPRESS');
    xrayMock.on(GetTraceSummariesCommand).resolves({ TraceSummaries: [] });

    // Act
    const { executions, warnings } = await stageExecutions();

    // Assess
    expect(executions).toEqual([]);
    expect(warnings).toEqual([expect.stringContaining('it was not sampled')]);
  });

  it("leaves out a run of a machine that is not the stage's, and warns when X-Ray cannot be read", async () => {
    // Prepare
    stageMachine('EXPRESS');
    const other = bookedOrderTrace();
    other.Segments = other.Segments?.map((segment) => ({
      ...segment,
      Document: segment.Document?.replaceAll(stateMachineName, 'OrderToCashStateMachineOther-zz'),
    }));
    xrayMock.on(GetTraceSummariesCommand).resolvesOnce({ TraceSummaries: [{ Id: traceId }] });
    xrayMock.on(BatchGetTracesCommand).resolves({ Traces: [other] });
    const sfn = new SFNClient({ region: 'us-east-1' });
    const xray = { client: new XRayClient({ region: 'us-east-1' }), onAws: true };

    // Act
    const foreign = await transactionExecutions(sfn, 'prod', ids, window, xray);
    xrayMock
      .on(GetTraceSummariesCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottledException' }));
    const refused = await transactionExecutions(sfn, 'prod', ids, window, xray);

    // Assess
    expect(foreign.executions).toEqual([]);
    expect(refused.executions).toEqual([]);
    expect(refused.warnings).toEqual([
      'OrderToCash: their X-Ray traces could not be read (ThrottledException: Rate exceeded)',
    ]);
  });
});
