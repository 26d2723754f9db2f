import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  type SFNClient,
  StartExecutionCommand,
  StartSyncExecutionCommand,
} from '@aws-sdk/client-sfn';
import { LocalRuntime } from '../../local/runtime';
import { sdkClients, startTestRuntime } from './support/local-runtime';
import { createStateMachine } from './support/state-machines';

function machine(
  sfn: SFNClient,
  definition: object,
  type: 'STANDARD' | 'EXPRESS' = 'STANDARD',
): Promise<string> {
  return createStateMachine(sfn, definition, { prefix: 'errors', type });
}

async function waitForEnd(sfn: SFNClient, executionArn: string): Promise<DescribeExecutionCommandOutput> {
  for (;;) {
    const description = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (description.status !== 'RUNNING') return description;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function runToEnd(sfn: SFNClient, stateMachineArn: string, input: unknown) {
  const { executionArn } = await sfn.send(
    new StartExecutionCommand({ stateMachineArn, input: JSON.stringify(input) }),
  );
  const description = await waitForEnd(sfn, executionArn as string);
  const { events = [] } = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
  return { description, events };
}

/** The id of the event that entered a state, as GetExecutionHistory lists it. */
function enteredEventId(events: HistoryEvent[], stateName: string): number | undefined {
  return events.find(
    (event) => event.type?.endsWith('StateEntered') && event.stateEnteredEventDetails?.name === stateName,
  )?.id;
}

describe('Step Functions error shapes (DescribeExecution and GetExecutionHistory through the AWS SDK)', () => {
  let local: Awaited<ReturnType<typeof startTestRuntime>>;

  beforeAll(async () => {
    local = await startTestRuntime({ clockFactor: 100 });
  });

  afterAll(async () => {
    await local.stop();
  });

  it('prefixes a runtime error with the state and the id of the event that entered it', async () => {
    // Prepare: the first state's events are flushed to the store before the failing one is entered.
    const arn = await machine(local.clients.sfn, {
      StartAt: 'Start',
      States: {
        Start: { Type: 'Pass', Next: 'Pick' },
        Pick: { Type: 'Pass', InputPath: '$.missing', End: true },
      },
    });
    // Act
    const { description, events } = await runToEnd(local.clients.sfn, arn, { present: 1 });
    // Assess
    const cause =
      "An error occurred while executing the state 'Pick' (entered at the event id #4). " +
      `The JSONPath '$.missing' specified for the field 'InputPath' could not be found in the input '{"present":1}'`;
    expect(description).toMatchObject({ status: 'FAILED', error: 'States.Runtime', cause });
    expect(enteredEventId(events, 'Pick')).toBe(4);
    expect(events.map((event) => event.id)).toEqual([1, 2, 3, 4, 5]);
    expect(events.at(-1)).toMatchObject({
      type: 'ExecutionFailed',
      previousEventId: 4,
      executionFailedEventDetails: { error: 'States.Runtime', cause },
    });
  });

  it('names the innermost state of a Parallel branch, once, as AWS does', async () => {
    // Prepare: the shape AWS was measured on (ExecutionStarted, ParallelStateEntered, ParallelStateStarted, PassStateEntered).
    const arn = await machine(local.clients.sfn, {
      StartAt: 'P',
      States: {
        P: {
          Type: 'Parallel',
          End: true,
          Branches: [
            {
              StartAt: 'Fast',
              States: { Fast: { Type: 'Pass', Parameters: { 'm.$': '$.nope' }, End: true } },
            },
          ],
        },
      },
    });
    // Act
    const { description, events } = await runToEnd(local.clients.sfn, arn, { x: 'a' });
    // Assess
    expect(description.error).toBe('States.Runtime');
    expect(description.cause).toBe(
      "An error occurred while executing the state 'Fast' (entered at the event id #4). " +
        `The JSONPath '$.nope' specified for the field 'm.$' could not be found in the input '{"x":"a"}'`,
    );
    expect(enteredEventId(events, 'Fast')).toBe(4);
  });

  it('prefixes a JSONata evaluation error and leaves a task error as the task raised it', async () => {
    // Prepare
    await local.deployFunction(
      'refuses',
      `exports.handler = async () => { const e = new Error('credit limit exceeded'); e.name = 'ErpRefusedError'; throw e; };`,
    );
    const jsonata = await machine(local.clients.sfn, {
      QueryLanguage: 'JSONata',
      StartAt: 'Shape',
      States: { Shape: { Type: 'Pass', Output: '{% $states.input.absent %}', End: true } },
    });
    const task = await machine(local.clients.sfn, {
      StartAt: 'Book',
      States: {
        Book: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:000000000000:function:refuses', End: true },
      },
    });
    // Act
    const evaluated = await runToEnd(local.clients.sfn, jsonata, {});
    const booked = await runToEnd(local.clients.sfn, task, {});
    // Assess
    expect(evaluated.description.error).toBe('States.QueryEvaluationError');
    expect(evaluated.description.cause).toBe(
      "An error occurred while executing the state 'Shape' (entered at the event id #2). " +
        "The JSONata expression '$states.input.absent' specified for the field 'Output' returned nothing (undefined)",
    );
    expect(booked.description.error).toBe('ErpRefusedError');
    expect(booked.description.cause).not.toContain('An error occurred while executing the state');
    expect(JSON.parse(booked.description.cause ?? '{}')).toMatchObject({
      errorMessage: 'credit limit exceeded',
    });
  });

  it('fails with no error name and no cause when a Fail state has neither', async () => {
    // Prepare
    const arn = await machine(local.clients.sfn, {
      StartAt: 'Stop',
      States: { Stop: { Type: 'Fail' } },
    });
    // Act
    const { description, events } = await runToEnd(local.clients.sfn, arn, {});
    // Assess
    expect(description.status).toBe('FAILED');
    expect(description).not.toHaveProperty('error');
    expect(description).not.toHaveProperty('cause');
    expect(events.map((event) => event.type)).toEqual([
      'ExecutionStarted',
      'FailStateEntered',
      'ExecutionFailed',
    ]);
    expect(events.at(-1)?.executionFailedEventDetails).toEqual({});
  });

  it('keeps the one a Fail state names and omits the other', async () => {
    // Prepare
    const causeOnly = await machine(local.clients.sfn, {
      StartAt: 'Stop',
      States: { Stop: { Type: 'Fail', Cause: 'the order was cancelled' } },
    });
    const errorOnly = await machine(local.clients.sfn, {
      StartAt: 'Stop',
      States: { Stop: { Type: 'Fail', Error: 'OrderCancelled' } },
    });
    // Act
    const withCause = await runToEnd(local.clients.sfn, causeOnly, {});
    const withError = await runToEnd(local.clients.sfn, errorOnly, {});
    // Assess
    expect(withCause.description).not.toHaveProperty('error');
    expect(withCause.description.cause).toBe('the order was cancelled');
    expect(withCause.events.at(-1)?.executionFailedEventDetails).toEqual({
      cause: 'the order was cancelled',
    });
    expect(withError.description.error).toBe('OrderCancelled');
    expect(withError.description).not.toHaveProperty('cause');
    expect(withError.events.at(-1)?.executionFailedEventDetails).toEqual({ error: 'OrderCancelled' });
  });

  it('answers a synchronous Express execution that ends in a bare Fail state without error or cause', async () => {
    // Prepare
    const arn = await machine(
      local.clients.sfn,
      { StartAt: 'Stop', States: { Stop: { Type: 'Fail' } } },
      'EXPRESS',
    );
    // Act
    const result = await local.clients.sfn.send(
      new StartSyncExecutionCommand({ stateMachineArn: arn, input: '{}' }),
    );
    // Assess
    expect(result.status).toBe('FAILED');
    expect(result).not.toHaveProperty('error');
    expect(result).not.toHaveProperty('cause');
  });

  it('records a timed-out execution as ExecutionTimedOut with its own details', async () => {
    // Prepare
    const arn = await machine(local.clients.sfn, {
      TimeoutSeconds: 1,
      StartAt: 'Hold',
      States: { Hold: { Type: 'Wait', Seconds: 60, End: true } },
    });
    // Act
    const { description, events } = await runToEnd(local.clients.sfn, arn, {});
    // Assess
    expect(description.status).toBe('TIMED_OUT');
    expect(events.at(-1)).toMatchObject({
      type: 'ExecutionTimedOut',
      executionTimedOutEventDetails: { error: 'States.Timeout' },
    });
    expect(events.at(-1)).not.toHaveProperty('executionFailedEventDetails');
  });
});

describe('Step Functions error shapes across a restart', () => {
  let dataDir: string;

  beforeAll(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'concord-states-errors-'));
  });

  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('continues the stored history after a restart, so that the entered event id is the one listed', async () => {
    // Prepare: a Standard execution waits (five local minutes, three real seconds) when the runtime stops.
    const first = await LocalRuntime.start({ dataDir, edgePort: 0, clockFactor: 100 });
    let sfn = sdkClients(first.endpoint).sfn;
    const arn = await machine(sfn, {
      StartAt: 'Start',
      States: {
        Start: { Type: 'Pass', Next: 'Hold' },
        Hold: { Type: 'Wait', Seconds: 300, Next: 'Pick' },
        Pick: { Type: 'Pass', InputPath: '$.missing', End: true },
      },
    });
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn, input: '{}' }));
    for (;;) {
      const { events = [] } = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
      if (enteredEventId(events, 'Hold') !== undefined) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    sfn.destroy();
    await first.stop();
    // Act
    const second = await LocalRuntime.start({ dataDir, edgePort: 0, clockFactor: 100 });
    sfn = sdkClients(second.endpoint).sfn;
    try {
      const description = await waitForEnd(sfn, executionArn as string);
      const { events = [] } = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
      // Assess
      const pickEnteredAt = enteredEventId(events, 'Pick');
      expect(events.map((event) => event.id)).toEqual(events.map((_, index) => index + 1));
      expect(pickEnteredAt).toBeGreaterThan(4);
      expect(description.cause).toMatch(
        new RegExp(
          `^An error occurred while executing the state 'Pick' \\(entered at the event id #${pickEnteredAt}\\)\\. `,
        ),
      );
    } finally {
      sfn.destroy();
      await second.stop();
    }
  }, 30_000);
});
