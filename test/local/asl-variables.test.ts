import { Interpreter, type StateMachineDefinition } from '../../local/asl/interpreter';
import { StatesError } from '../../local/asl/states-error';
import { validateDefinition } from '../../local/asl/validate-definition';
import { LocalClock } from '../../local/clock';

// Runs a definition on the interpreter; tasks named by the last part of their Lambda ARN echo or transform input.
async function run(
  definition: object,
  input: unknown,
  tasks: Record<string, (input: unknown) => unknown> = {},
) {
  const parsed = validateDefinition(JSON.stringify(definition)) as StateMachineDefinition;
  const interpreter = new Interpreter(parsed, {
    clock: new LocalClock(10_000),
    integrations: {
      run: async (resource, taskInput) => {
        const fn = tasks[resource.split(':').at(-1) ?? ''];
        if (!fn) throw new StatesError('States.Runtime', `no task ${resource}`);
        return fn(taskInput);
      },
      awaitTaskToken: async () => {
        throw new Error('not used');
      },
    },
    recorder: { record: () => undefined },
    context: {
      Execution: { Id: 'arn:x', Name: 'run-1', Input: input, StartTime: '2026-11-20T10:00:00.000Z' },
      StateMachine: { Id: 'arn:sm', Name: 'sm' },
    },
    signal: new AbortController().signal,
    meter: { transitions: 0 },
  });
  return interpreter.run(input);
}

async function failure(definition: object, input: unknown): Promise<StatesError> {
  try {
    await run(definition, input);
  } catch (error) {
    if (error instanceof StatesError) return error;
    throw error;
  }
  throw new Error('expected the execution to fail');
}

const task = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:${name}`;

// Assigns variables in a first Pass state, then runs `state` as the second.
function afterAssign(assign: Record<string, unknown>, state: Record<string, unknown>, extra = {}): object {
  return {
    StartAt: 'Store',
    States: { Store: { Type: 'Pass', Assign: assign, Next: 'Use' }, Use: { ...state, End: true }, ...extra },
  };
}

describe('ASL variables in JSONPath fields', () => {
  it('selects the state input from a variable in InputPath', async () => {
    // Prepare
    const definition = afterAssign({ 'order.$': '$.order' }, { Type: 'Pass', InputPath: '$order.lines' });

    // Act
    const output = await run(definition, { order: { lines: [1, 2] }, other: true });

    // Assess
    expect(output).toEqual([1, 2]);
  });

  it('selects the state output from a variable in OutputPath', async () => {
    // Prepare
    const definition = afterAssign({ summary: { ok: true } }, { Type: 'Pass', OutputPath: '$summary' });

    // Act
    const output = await run(definition, { ignored: 1 });

    // Assess
    expect(output).toEqual({ ok: true });
  });

  it('iterates a variable named in ItemsPath', async () => {
    // Prepare
    const definition = afterAssign(
      { 'skus.$': '$.skus' },
      {
        Type: 'Map',
        ItemsPath: '$skus',
        ItemProcessor: {
          StartAt: 'Echo',
          States: { Echo: { Type: 'Pass', Parameters: { 'sku.$': '$' }, End: true } },
        },
      },
    );

    // Act
    const output = await run(definition, { skus: ['a', 'b'] });

    // Assess
    expect(output).toEqual([{ sku: 'a' }, { sku: 'b' }]);
  });

  it('reads a variable in TimeoutSecondsPath and a Choice Variable', async () => {
    // Prepare
    const definition = {
      StartAt: 'Store',
      States: {
        Store: { Type: 'Pass', Assign: { timeoutSec: 30, tier: 'gold' }, Next: 'Call' },
        Call: { Type: 'Task', Resource: task('echo'), TimeoutSecondsPath: '$timeoutSec', Next: 'Route' },
        Route: {
          Type: 'Choice',
          Choices: [{ Variable: '$tier', StringEquals: 'gold', Next: 'Gold' }],
          Default: 'Other',
        },
        Gold: { Type: 'Pass', Result: 'gold', End: true },
        Other: { Type: 'Pass', Result: 'other', End: true },
      },
    };

    // Act
    const output = await run(definition, {}, { echo: (input) => input });

    // Assess
    expect(output).toBe('gold');
  });

  it('fills Parameters from a variable and leaves a key without .$ as text (documented example)', async () => {
    // Prepare
    const definition = afterAssign(
      { customerName: 'María' },
      {
        Type: 'Pass',
        Parameters: {
          static: 'Hello',
          'title.$': '$.title',
          'name.$': '$customerName',
          'not-evaluated': '$customerName',
        },
      },
    );

    // Act
    const output = await run(definition, { title: 'Doctor' });

    // Assess
    expect(output).toEqual({
      static: 'Hello',
      title: 'Doctor',
      name: 'María',
      'not-evaluated': '$customerName',
    });
  });

  it.each([
    ['InputPath', { Type: 'Pass', InputPath: '$missing' }],
    ['OutputPath', { Type: 'Pass', OutputPath: '$missing.x' }],
    [
      'ItemsPath',
      {
        Type: 'Map',
        ItemsPath: '$missing',
        ItemProcessor: { StartAt: 'E', States: { E: { Type: 'Pass', End: true } } },
      },
    ],
    ['Parameters', { Type: 'Pass', Parameters: { 'x.$': '$missing' } }],
  ])('fails an unassigned variable in %s with States.Runtime naming the variable', async (field, state) => {
    // Prepare
    const definition = afterAssign({ present: 1 }, state);

    // Act
    const error = await failure(definition, {});

    // Assess
    expect(error.error).toBe('States.Runtime');
    expect(error.cause).toContain("'$missing'");
    expect(error.cause).toContain(field === 'Parameters' ? "'x.$'" : `'${field}'`);
  });

  it('fails a path into a variable that selects nothing with States.Runtime', async () => {
    // Prepare
    const definition = afterAssign({ order: { id: 1 } }, { Type: 'Pass', InputPath: '$order.lines' });

    // Act
    const error = await failure(definition, {});

    // Assess
    expect(error.error).toBe('States.Runtime');
    expect(error.cause).toContain(
      "The JSONPath '$order.lines' specified for the field 'InputPath' could not be found",
    );
  });
});

describe('ASL Assign evaluation order', () => {
  it('evaluates every JSONPath assignment with the values on state entry (documented $x/$a example)', async () => {
    // Prepare
    const definition = {
      StartAt: 'Start',
      States: {
        Start: { Type: 'Pass', Assign: { x: 3, a: 6 }, Next: 'Swap' },
        Swap: { Type: 'Pass', Assign: { 'x.$': '$a', 'nextX.$': '$x' }, Next: 'Show' },
        Show: { Type: 'Pass', Parameters: { 'x.$': '$x', 'nextX.$': '$nextX', 'a.$': '$a' }, End: true },
      },
    };

    // Act
    const output = await run(definition, {});

    // Assess
    expect(output).toEqual({ x: 6, nextX: 3, a: 6 });
  });

  it('evaluates every JSONata assignment with the values on state entry, whatever their order', async () => {
    // Prepare
    const definition = {
      QueryLanguage: 'JSONata',
      StartAt: 'Start',
      States: {
        Start: { Type: 'Pass', Assign: { x: 3, a: 6 }, Next: 'Swap' },
        Swap: { Type: 'Pass', Assign: { nextX: '{% $x %}', x: '{% $a %}' }, Next: 'Show' },
        Show: { Type: 'Pass', Output: { x: '{% $x %}', nextX: '{% $nextX %}' }, End: true },
      },
    };

    // Act
    const output = await run(definition, {});

    // Assess
    expect(output).toEqual({ x: 6, nextX: 3 });
  });

  it('makes a new value visible from the next state, not in the same state’s Output', async () => {
    // Prepare
    const definition = {
      QueryLanguage: 'JSONata',
      StartAt: 'Start',
      States: {
        Start: { Type: 'Pass', Assign: { count: 1 }, Next: 'Bump' },
        Bump: { Type: 'Pass', Assign: { count: '{% $count + 1 %}' }, Output: '{% $count %}', Next: 'Show' },
        Show: { Type: 'Pass', Output: { before: '{% $states.input %}', after: '{% $count %}' }, End: true },
      },
    };

    // Act
    const output = await run(definition, {});

    // Assess
    expect(output).toEqual({ before: 1, after: 2 });
  });

  it('fails a JSONata field that references an unassigned variable with States.QueryEvaluationError', async () => {
    // Prepare
    const definition = {
      QueryLanguage: 'JSONata',
      StartAt: 'Use',
      States: { Use: { Type: 'Pass', Output: '{% $neverAssigned %}', End: true } },
    };

    // Act
    const error = await failure(definition, {});

    // Assess
    expect(error.error).toBe('States.QueryEvaluationError');
    expect(error.cause).toBe(
      "The JSONata expression '$neverAssigned' specified for the field 'Output' returned nothing (undefined)",
    );
  });

  it('fails a JSONata field that selects a missing input field (documented example)', async () => {
    // Prepare
    const definition = {
      QueryLanguage: 'JSONata',
      StartAt: 'Use',
      States: { Use: { Type: 'Pass', Output: '{% $states.input.thisFieldDoesNotExist %}', End: true } },
    };

    // Act
    const error = await failure(definition, { data: 1 });

    // Assess
    expect(error.error).toBe('States.QueryEvaluationError');
  });
});
