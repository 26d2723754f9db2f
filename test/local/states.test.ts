import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SendTaskSuccessCommand,
  type SFNClient,
  StartExecutionCommand,
  StartSyncExecutionCommand,
} from '@aws-sdk/client-sfn';
import { CreateQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { startTestRuntime } from './support/local-runtime';
import { createStateMachine } from './support/state-machines';

function machine(
  sfn: SFNClient,
  definition: object,
  type: 'STANDARD' | 'EXPRESS' = 'STANDARD',
): Promise<string> {
  return createStateMachine(sfn, definition, { prefix: 'sm', type });
}

async function runToEnd(sfn: SFNClient, stateMachineArn: string, input: unknown) {
  const { executionArn } = await sfn.send(
    new StartExecutionCommand({ stateMachineArn, input: JSON.stringify(input) }),
  );
  for (;;) {
    const description = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (description.status !== 'RUNNING') return description;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('Step Functions (through the AWS SDK)', () => {
  let local: Awaited<ReturnType<typeof startTestRuntime>>;
  const calls: string[] = [];

  beforeAll(async () => {
    local = await startTestRuntime({ clockFactor: 100 });
    // A flaky ERP: throttles twice, then accepts. Compensation and a business refusal as separate functions.
    await local.deployFunction(
      'reserve',
      `let attempts = 0;
       exports.handler = async (event) => {
         attempts += 1;
         if (attempts <= 2) { const e = new Error('slow down'); e.name = 'ErpThrottledError'; throw e; }
         return { reservationId: 'R-' + event.orderId, attempts };
       };`,
    );
    await local.deployFunction(
      'create-order',
      `exports.handler = async (event) => {
         if (event.sku === 'REFUSED') { const e = new Error('credit limit exceeded'); e.name = 'ErpRefusedError'; throw e; }
         return { erpOrder: 'SO-' + event.orderId };
       };`,
    );
    await local.deployFunction(
      'release',
      `exports.handler = async (event) => ({ released: event.reservationId });`,
    );
    await local.deployFunction('double', `exports.handler = async (event) => ({ value: event.value * 2 });`);
    void calls;
  });

  afterAll(async () => {
    await local.stop();
  });

  const sagaDefinition = {
    Comment: 'RetryOnThrottle then compensate after a refusal',
    StartAt: 'Reserve',
    States: {
      Reserve: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: { FunctionName: 'reserve', 'Payload.$': '$' },
        ResultSelector: { 'reservationId.$': '$.Payload.reservationId' },
        ResultPath: '$.reservation',
        Retry: [
          {
            ErrorEquals: ['ErpThrottledError'],
            IntervalSeconds: 1,
            MaxAttempts: 3,
            BackoffRate: 2,
            JitterStrategy: 'FULL',
          },
        ],
        Next: 'CreateOrder',
      },
      CreateOrder: {
        Type: 'Task',
        Resource: 'arn:aws:lambda:us-east-1:000000000000:function:create-order',
        ResultPath: '$.order',
        Catch: [{ ErrorEquals: ['ErpRefusedError'], ResultPath: '$.failure', Next: 'Release' }],
        Next: 'Done',
      },
      Release: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: { FunctionName: 'release', 'Payload.$': '$.reservation' },
        ResultPath: null,
        Next: 'Refused',
      },
      Refused: { Type: 'Fail', ErrorPath: '$.failure.Error', Cause: 'order refused by the ERP' },
      Done: { Type: 'Succeed' },
    },
  };

  it('retries a throttled task and succeeds (RetryOnThrottle)', async () => {
    // Prepare
    const arn = await machine(local.clients.sfn, sagaDefinition);
    // Act
    const result = await runToEnd(local.clients.sfn, arn, { orderId: '1001', sku: 'TR-42' });
    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(JSON.parse(result.output ?? '{}')).toEqual({
      orderId: '1001',
      sku: 'TR-42',
      reservation: { reservationId: 'R-1001' },
      order: { erpOrder: 'SO-1001' },
    });
  });

  it('compensates in a Catch and fails with the business error (CompensateAfterRefusal)', async () => {
    // Prepare
    const arn = await machine(local.clients.sfn, sagaDefinition);
    // Act
    const result = await runToEnd(local.clients.sfn, arn, { orderId: '1002', sku: 'REFUSED' });
    const { events = [] } = await local.clients.sfn.send(
      new GetExecutionHistoryCommand({ executionArn: result.executionArn }),
    );
    // Assess
    expect(result).toMatchObject({
      status: 'FAILED',
      error: 'ErpRefusedError',
      cause: 'order refused by the ERP',
    });
    const entered = events
      .filter((event) => event.type?.endsWith('StateEntered'))
      .map((event) => event.stateEnteredEventDetails?.name);
    expect(entered).toEqual(['Reserve', 'CreateOrder', 'Release', 'Refused']);
    expect(events[0]?.type).toBe('ExecutionStarted');
    expect(events.at(-1)?.type).toBe('ExecutionFailed');
  });

  it('runs a JSONata Express workflow synchronously with variables, Map and Parallel', async () => {
    // Prepare
    const arn = await machine(
      local.clients.sfn,
      {
        QueryLanguage: 'JSONata',
        StartAt: 'Prepare',
        States: {
          Prepare: {
            Type: 'Pass',
            Assign: { currency: '{% $states.input.currency %}' },
            Output: { values: '{% $states.input.items.qty %}' },
            Next: 'Fan',
          },
          Fan: {
            Type: 'Map',
            Items: '{% $states.input.values %}',
            ItemSelector: { value: '{% $states.context.Map.Item.Value %}' },
            ItemProcessor: {
              StartAt: 'Double',
              States: {
                Double: {
                  Type: 'Task',
                  Resource: 'arn:aws:states:::lambda:invoke',
                  Arguments: { FunctionName: 'double', Payload: '{% $states.input %}' },
                  Output: '{% $states.result.Payload.value %}',
                  End: true,
                },
              },
            },
            Next: 'Both',
          },
          Both: {
            Type: 'Parallel',
            Branches: [
              {
                StartAt: 'Sum',
                States: { Sum: { Type: 'Pass', Output: '{% $sum($states.input) %}', End: true } },
              },
              {
                StartAt: 'Count',
                States: { Count: { Type: 'Pass', Output: '{% $count($states.input) %}', End: true } },
              },
            ],
            Output: {
              total: '{% $states.result[0] %}',
              lines: '{% $states.result[1] %}',
              currency: '{% $currency %}',
            },
            Next: 'Check',
          },
          Check: {
            Type: 'Choice',
            Choices: [{ Condition: '{% $states.input.total > 10 %}', Next: 'Big' }],
            Default: 'Small',
          },
          Big: { Type: 'Succeed', Output: '{% $merge([$states.input, {"size": "big"}]) %}' },
          Small: { Type: 'Succeed' },
        },
      },
      'EXPRESS',
    );
    // Act
    const result = await local.clients.sfn.send(
      new StartSyncExecutionCommand({
        stateMachineArn: arn,
        input: JSON.stringify({ currency: 'EUR', items: [{ qty: 2 }, { qty: 3 }, { qty: 4 }] }),
      }),
    );
    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(JSON.parse(result.output ?? '{}')).toEqual({ total: 18, lines: 3, currency: 'EUR', size: 'big' });
  });

  it('evaluates intrinsic functions with AWS semantics', async () => {
    // Prepare
    const arn = await machine(
      local.clients.sfn,
      {
        StartAt: 'Compute',
        States: {
          Compute: {
            Type: 'Pass',
            Parameters: {
              'greeting.$': "States.Format('Order {} for {}', $.id, $.name)",
              'sum.$': 'States.MathAdd($.a, $.b)',
              'parts.$': "States.StringSplit($.csv, ',')",
              'chunks.$': 'States.ArrayPartition($.list, 2)',
              'range.$': 'States.ArrayRange(1, 9, 4)',
              'has.$': 'States.ArrayContains($.list, 3)',
              'len.$': 'States.ArrayLength($.list)',
              'unique.$': 'States.ArrayUnique(States.Array(1, 1, 2))',
              'json.$': 'States.JsonToString($.obj)',
              'back.$': 'States.StringToJson(\'{"k":1}\')',
              'b64.$': "States.Base64Encode('hi')",
              'hash.$': "States.Hash('abc', 'SHA-256')",
              'merged.$': 'States.JsonMerge($.obj, States.StringToJson(\'{"y":2}\'), false)',
              'item.$': 'States.ArrayGetItem($.list, 1)',
              'exec.$': '$$.Execution.Name',
            },
            End: true,
          },
        },
      },
      'EXPRESS',
    );
    // Act
    const result = await local.clients.sfn.send(
      new StartSyncExecutionCommand({
        stateMachineArn: arn,
        name: 'intrinsics-run',
        input: JSON.stringify({
          id: 7,
          name: 'Jane',
          a: 2.5,
          b: 1,
          csv: 'a,b,,c',
          list: [1, 2, 3, 4, 5],
          obj: { x: 1 },
        }),
      }),
    );
    // Assess
    expect(JSON.parse(result.output ?? '{}')).toEqual({
      greeting: 'Order 7 for Jane',
      sum: 4,
      parts: ['a', 'b', 'c'],
      chunks: [[1, 2], [3, 4], [5]],
      range: [1, 5, 9],
      has: true,
      len: 5,
      unique: [1, 2],
      json: '{"x":1}',
      back: { k: 1 },
      b64: 'aGk=',
      hash: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
      merged: { x: 1, y: 2 },
      item: 2,
      exec: 'intrinsics-run',
    });
  });

  it('fails with States.Runtime when a Parameters path does not exist, and Catch cannot catch it', async () => {
    const arn = await machine(local.clients.sfn, {
      StartAt: 'P',
      States: { P: { Type: 'Pass', Parameters: { 'x.$': '$.missing' }, End: true } },
    });
    const result = await runToEnd(local.clients.sfn, arn, { a: 1 });
    expect(result).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
  });

  it('reports States.NoChoiceMatched and a Task timeout as States.Timeout', async () => {
    // Prepare
    await local.deployFunction(
      'sleepy',
      `exports.handler = async () => new Promise((r) => setTimeout(r, 3000));`,
    );
    const choice = await machine(local.clients.sfn, {
      StartAt: 'C',
      States: {
        C: { Type: 'Choice', Choices: [{ Variable: '$.n', NumericGreaterThan: 5, Next: 'D' }] },
        D: { Type: 'Succeed' },
      },
    });
    const timeout = await machine(local.clients.sfn, {
      StartAt: 'T',
      States: {
        T: {
          Type: 'Task',
          Resource: 'arn:aws:lambda:us-east-1:000000000000:function:sleepy',
          TimeoutSeconds: 1,
          Catch: [{ ErrorEquals: ['States.Timeout'], Next: 'Late' }],
          End: true,
        },
        Late: { Type: 'Pass', End: true },
      },
    });
    // Act
    const noMatch = await runToEnd(local.clients.sfn, choice, { n: 1 });
    const late = await runToEnd(local.clients.sfn, timeout, {});
    // Assess
    expect(noMatch).toMatchObject({ status: 'FAILED', error: 'States.NoChoiceMatched' });
    expect(late.status).toBe('SUCCEEDED');
    expect(JSON.parse(late.output ?? '{}')).toMatchObject({ Error: 'States.Timeout' });
  });

  it('waits for a task token sent through SQS and resumes on SendTaskSuccess', async () => {
    // Prepare
    const { QueueUrl } = await local.clients.sqs.send(new CreateQueueCommand({ QueueName: 'approvals' }));
    const arn = await machine(local.clients.sfn, {
      StartAt: 'Ask',
      States: {
        Ask: {
          Type: 'Task',
          Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken',
          Parameters: { QueueUrl, MessageBody: { 'token.$': '$$.Task.Token', 'order.$': '$.order' } },
          ResultPath: '$.approval',
          End: true,
        },
      },
    });
    const { executionArn } = await local.clients.sfn.send(
      new StartExecutionCommand({ stateMachineArn: arn, input: JSON.stringify({ order: 'o-9' }) }),
    );
    // Act
    const { Messages } = await local.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 5 }),
    );
    const request = JSON.parse(Messages?.[0]?.Body ?? '{}');
    await local.clients.sfn.send(
      new SendTaskSuccessCommand({
        taskToken: request.token,
        output: JSON.stringify({ approvedBy: 'finance' }),
      }),
    );
    let description = await local.clients.sfn.send(new DescribeExecutionCommand({ executionArn }));
    while (description.status === 'RUNNING')
      description = await local.clients.sfn.send(new DescribeExecutionCommand({ executionArn }));
    // Assess
    expect(request.order).toBe('o-9');
    expect(JSON.parse(description.output ?? '{}')).toEqual({
      order: 'o-9',
      approval: { approvedBy: 'finance' },
    });
  });

  it('rejects a waitForTaskToken task in an Express workflow', async () => {
    await expect(
      local.clients.sfn.send(
        new CreateStateMachineCommand({
          name: 'express-token',
          type: 'EXPRESS',
          roleArn: 'arn:aws:iam::000000000000:role/x',
          definition: JSON.stringify({
            StartAt: 'T',
            States: {
              T: { Type: 'Task', Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken', End: true },
            },
          }),
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidDefinition' });
  });

  it('rejects an invalid definition with InvalidDefinition', async () => {
    await expect(
      local.clients.sfn.send(
        new CreateStateMachineCommand({
          name: 'broken',
          roleArn: 'arn:aws:iam::000000000000:role/x',
          definition: JSON.stringify({ StartAt: 'A', States: { A: { Type: 'Pass', Next: 'Nowhere' } } }),
        }),
      ),
    ).rejects.toMatchObject({
      name: 'InvalidDefinition',
      message: expect.stringContaining("MISSING_TRANSITION_TARGET: Missing 'Next' target: Nowhere"),
    });
  });
});
