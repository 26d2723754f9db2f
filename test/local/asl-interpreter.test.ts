import { Interpreter, type StateMachineDefinition, type TaskIntegrations } from '../../local/asl/interpreter';
import { StatesError } from '../../local/asl/states-error';
import { validateDefinition } from '../../local/asl/validate-definition';
import { LocalClock } from '../../local/clock';

type TaskFn = (input: unknown) => unknown;

function integrations(tasks: Record<string, TaskFn>): TaskIntegrations {
  return {
    run: async (resource, input) => {
      const fn = tasks[resource.split(':').at(-1) ?? ''];
      if (!fn) throw new StatesError('States.Runtime', `no task ${resource}`);
      return fn(input);
    },
    awaitTaskToken: async () => {
      throw new Error('not used');
    },
  };
}

async function run(definition: object, input: unknown, tasks: Record<string, TaskFn> = {}) {
  const parsed = validateDefinition(JSON.stringify(definition)) as StateMachineDefinition;
  const meter = { transitions: 0 };
  const interpreter = new Interpreter(parsed, {
    clock: new LocalClock(10_000),
    integrations: integrations(tasks),
    recorder: { record: () => undefined },
    context: {
      Execution: { Id: 'arn:x', Name: 'run-1', Input: input, StartTime: '2026-11-20T10:00:00.000Z' },
      StateMachine: { Id: 'arn:sm', Name: 'sm' },
    },
    signal: new AbortController().signal,
    meter,
  });
  return { output: await interpreter.run(input), meter };
}

async function failure(
  definition: object,
  input: unknown,
  tasks: Record<string, TaskFn> = {},
): Promise<StatesError> {
  try {
    await run(definition, input, tasks);
  } catch (error) {
    if (error instanceof StatesError) return error;
    throw error;
  }
  throw new Error('expected the execution to fail');
}

const task = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:${name}`;

describe('ASL interpreter (JSONPath)', () => {
  it('applies InputPath, Parameters, ResultSelector, ResultPath and OutputPath in order', async () => {
    const { output } = await run(
      {
        StartAt: 'T',
        States: {
          T: {
            Type: 'Task',
            Resource: task('echo'),
            InputPath: '$.order',
            Parameters: { 'sku.$': '$.sku', fixed: 1 },
            ResultSelector: { 'echoed.$': '$.sku' },
            ResultPath: '$.result',
            OutputPath: '$.result',
            End: true,
          },
        },
      },
      { order: { sku: 'A-1' } },
      { echo: (input) => input },
    );
    expect(output).toEqual({ echoed: 'A-1' });
  });

  it('keeps the input with ResultPath null and outputs {} with OutputPath null', async () => {
    const kept = await run(
      { StartAt: 'P', States: { P: { Type: 'Pass', Result: 'x', ResultPath: null, End: true } } },
      { a: 1 },
    );
    const emptied = await run(
      { StartAt: 'P', States: { P: { Type: 'Pass', OutputPath: null, End: true } } },
      { a: 1 },
    );
    expect([kept.output, emptied.output]).toEqual([{ a: 1 }, {}]);
  });

  it.each([
    [{ Variable: '$.s', StringEquals: 'abc' }, true],
    [{ Variable: '$.s', StringMatches: 'a*c' }, true],
    [{ Variable: '$.s', StringMatches: 'a\\*c' }, false],
    [{ Variable: '$.n', NumericGreaterThanEquals: 3 }, true],
    [{ Variable: '$.n', NumericLessThanPath: '$.m' }, true],
    [{ Variable: '$.s', NumericEquals: 3 }, false],
    [{ Variable: '$.b', BooleanEquals: true }, true],
    [{ Variable: '$.t', TimestampLessThan: '2026-12-01T00:00:00Z' }, true],
    [{ Variable: '$.t', IsTimestamp: true }, true],
    [{ Variable: '$.nothing', IsPresent: false }, true],
    [{ Variable: '$.z', IsNull: true }, true],
    [{ Variable: '$.s', IsNumeric: false }, true],
    [{ And: [{ Variable: '$.n', NumericEquals: 3 }, { Not: { Variable: '$.s', StringEquals: 'x' } }] }, true],
    [
      {
        Or: [
          { Variable: '$.n', NumericEquals: 4 },
          { Variable: '$.b', BooleanEquals: false },
        ],
      },
      false,
    ],
  ])('evaluates the choice rule %j as %s', async (rule, expected) => {
    const { output } = await run(
      {
        StartAt: 'C',
        States: {
          C: { Type: 'Choice', Choices: [{ ...rule, Next: 'Yes' }], Default: 'No' },
          Yes: { Type: 'Pass', Result: true, End: true },
          No: { Type: 'Pass', Result: false, End: true },
        },
      },
      { s: 'abc', n: 3, m: 4, b: true, t: '2026-11-20T10:00:00Z', z: null },
    );
    expect(output).toBe(expected);
  });

  it('counts attempts per retrier and then catches into ResultPath', async () => {
    // Prepare
    let calls = 0;
    const definition = {
      StartAt: 'T',
      States: {
        T: {
          Type: 'Task',
          Resource: task('flaky'),
          Retry: [
            {
              ErrorEquals: ['Throttled'],
              MaxAttempts: 2,
              IntervalSeconds: 1,
              BackoffRate: 2,
              MaxDelaySeconds: 1,
            },
            { ErrorEquals: ['States.ALL'], MaxAttempts: 1 },
          ],
          Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Handled' }],
          End: true,
        },
        Handled: { Type: 'Pass', End: true },
      },
    };
    // Act
    const { output } = await run(
      definition,
      { id: 1 },
      {
        flaky: () => {
          calls += 1;
          throw new StatesError(calls <= 2 ? 'Throttled' : 'Other', `call ${calls}`);
        },
      },
    );
    // Assess: Throttled twice (retried by the first retrier), then Other retried once by the second.
    expect(calls).toBe(4);
    expect(output).toEqual({ id: 1, error: { Error: 'Other', Cause: 'call 4' } });
  });

  it('does not fall through to a later retrier once the matching one is exhausted', async () => {
    let calls = 0;
    const error = await failure(
      {
        StartAt: 'T',
        States: {
          T: {
            Type: 'Task',
            Resource: task('t'),
            Retry: [
              { ErrorEquals: ['Throttled'], MaxAttempts: 1 },
              { ErrorEquals: ['States.ALL'], MaxAttempts: 5 },
            ],
            End: true,
          },
        },
      },
      {},
      {
        t: () => {
          calls += 1;
          throw new StatesError('Throttled', 'x');
        },
      },
    );
    expect([error.error, calls]).toEqual(['Throttled', 2]);
  });

  it('never retries or catches States.Runtime', async () => {
    const error = await failure(
      {
        StartAt: 'P',
        States: { P: { Type: 'Pass', Parameters: { 'x.$': '$.missing' }, End: true } },
      },
      {},
    );
    expect(error.error).toBe('States.Runtime');
  });

  it('fails a Map past its tolerated failure percentage, and reports tolerated failures inline below it', async () => {
    const map = (percent: number) => ({
      StartAt: 'M',
      States: {
        M: {
          Type: 'Map',
          ToleratedFailurePercentage: percent,
          ItemSelector: { 'index.$': '$$.Map.Item.Index', 'value.$': '$$.Map.Item.Value' },
          ItemProcessor: { StartAt: 'T', States: { T: { Type: 'Task', Resource: task('odd'), End: true } } },
          End: true,
        },
      },
    });
    const odd = (input: unknown) => {
      const { value } = input as { value: number };
      if (value % 2) throw new StatesError('Odd', String(value));
      return value;
    };
    const tolerated = await run(map(50), [2, 3, 4, 6], { odd });
    const exceeded = await failure(map(20), [2, 3, 4, 6], { odd });
    expect(tolerated.output).toEqual([2, { Error: 'Odd', Cause: '3' }, 4, 6]);
    expect(exceeded.error).toBe('States.ExceedToleratedFailureThreshold');
  });

  it('scopes variables: a Map iteration sees outer variables, its own assignments stay inside', async () => {
    const { output } = await run(
      {
        StartAt: 'Set',
        States: {
          Set: { Type: 'Pass', Assign: { 'factor.$': '$.factor', label: 'outer' }, Next: 'M' },
          M: {
            Type: 'Map',
            ItemsPath: '$.items',
            ItemProcessor: {
              StartAt: 'Inner',
              States: {
                Inner: {
                  Type: 'Pass',
                  Assign: { label: 'inner' },
                  Parameters: { 'scaled.$': 'States.MathAdd($, $factor)' },
                  End: true,
                },
              },
            },
            ResultPath: '$.results',
            Next: 'Read',
          },
          Read: { Type: 'Pass', Parameters: { 'label.$': '$label', 'results.$': '$.results' }, End: true },
        },
      },
      { factor: 10, items: [1, 2] },
    );
    expect(output).toEqual({ label: 'outer', results: [{ scaled: 11 }, { scaled: 12 }] });
  });

  it('fails a Parallel state with its failing branch error', async () => {
    const error = await failure(
      {
        StartAt: 'P',
        States: {
          P: {
            Type: 'Parallel',
            Branches: [
              { StartAt: 'A', States: { A: { Type: 'Pass', End: true } } },
              { StartAt: 'B', States: { B: { Type: 'Fail', Error: 'BranchFailed', Cause: 'b' } } },
            ],
            End: true,
          },
        },
      },
      {},
    );
    expect([error.error, error.cause]).toEqual(['BranchFailed', 'b']);
  });

  it('raises States.IntrinsicFailure for a bad intrinsic argument, catchable by States.ALL', async () => {
    const { output } = await run(
      {
        StartAt: 'P',
        States: {
          P: { Type: 'Pass', Parameters: { 'x.$': 'States.ArrayGetItem($.list, 5)' }, End: true },
        },
      },
      { list: [1] },
    ).catch((error: StatesError) => ({ output: error.error }));
    expect(output).toBe('States.IntrinsicFailure');
  });

  it('rejects output over 256 KiB with States.DataLimitExceeded', async () => {
    const error = await failure(
      { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } },
      { big: 'x'.repeat(300_000) },
    );
    expect(error.error).toBe('States.DataLimitExceeded');
  });

  it('waits on SecondsPath and counts one transition per state', async () => {
    const { meter } = await run(
      {
        StartAt: 'W',
        States: { W: { Type: 'Wait', SecondsPath: '$.delay', Next: 'D' }, D: { Type: 'Succeed' } },
      },
      { delay: 5 },
    );
    expect(meter.transitions).toBe(2);
  });
});

describe('ASL interpreter (JSONata)', () => {
  it('evaluates Fail Error and Cause expressions', async () => {
    const error = await failure(
      {
        QueryLanguage: 'JSONata',
        StartAt: 'F',
        States: {
          F: {
            Type: 'Fail',
            Error: '{% "Erp." & $states.input.code %}',
            Cause: '{% $string($states.input.n) %}',
          },
        },
      },
      { code: 'Refused', n: 4 },
    );
    expect([error.error, error.cause]).toEqual(['Erp.Refused', '4']);
  });

  it('raises States.QueryEvaluationError when an expression fails at run time', async () => {
    const error = await failure(
      {
        QueryLanguage: 'JSONata',
        StartAt: 'P',
        States: { P: { Type: 'Pass', Output: '{% $number("not a number") %}', End: true } },
      },
      {},
    );
    expect(error.error).toBe('States.QueryEvaluationError');
  });

  it('catches with Output built from $states.errorOutput and Assign', async () => {
    const { output } = await run(
      {
        QueryLanguage: 'JSONata',
        StartAt: 'T',
        States: {
          T: {
            Type: 'Task',
            Resource: task('boom'),
            Catch: [
              {
                ErrorEquals: ['Boom'],
                Output: { failed: '{% $states.errorOutput.Error %}' },
                Assign: { seen: true },
                Next: 'After',
              },
            ],
            End: true,
          },
          After: { Type: 'Pass', Output: '{% $merge([$states.input, {"seen": $seen}]) %}', End: true },
        },
      },
      {},
      {
        boom: () => {
          throw new StatesError('Boom', 'x');
        },
      },
    );
    expect(output).toEqual({ failed: 'Boom', seen: true });
  });
});

describe('validateDefinition', () => {
  it.each([
    [
      { StartAt: 'A', States: { A: { Type: 'Pass', Output: 'x', End: true } } },
      "The field 'Output' is not supported by JSONPath states",
    ],
    [
      { QueryLanguage: 'JSONata', StartAt: 'A', States: { A: { Type: 'Pass', InputPath: '$', End: true } } },
      "The field 'InputPath' is not supported by JSONata states",
    ],
    [
      {
        StartAt: 'A',
        States: {
          A: {
            Type: 'Task',
            Resource: 'arn:x',
            Retry: [{ ErrorEquals: ['States.ALL'] }, { ErrorEquals: ['X'] }],
            End: true,
          },
        },
      },
      'States.ALL must appear alone and in the last retrier',
    ],
    [{ StartAt: 'A', States: { A: { Type: 'Pass' } } }, 'Exactly one of Next and End must be set'],
    [{ StartAt: 'B', States: { A: { Type: 'Succeed' } } }, "Missing 'StartAt' target: B"],
    [
      { StartAt: 'A', States: { A: { Type: 'Pass', Parameters: { 'x.$': 'States.Nope(' }, End: true } } },
      'must be a valid intrinsic function call',
    ],
    [
      { StartAt: 'A', States: { A: { Type: 'Wait', End: true } } },
      'Exactly one of Seconds, Timestamp, SecondsPath and TimestampPath must be set',
    ],
  ])('rejects %j', (definition, message) => {
    expect(() => validateDefinition(JSON.stringify(definition))).toThrow(message);
  });
});
