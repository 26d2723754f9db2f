import { ExecutionFrame, type StateAttempt, VariableScope } from '../../local/asl/execution-frame';
import type { StateDefinition } from '../../local/asl/interpreter';
import { jsonataLanguage } from '../../local/asl/jsonata-language';
import { jsonPathLanguage } from '../../local/asl/jsonpath-language';
import { type QueryLanguage, queryLanguageOf } from '../../local/asl/query-language';
import { LocalClock } from '../../local/clock';

// An attempt at `state` with `rawInput`, over a top-level frame whose scope holds `total: 5`.
function attemptAt(state: StateDefinition, rawInput: unknown, language: QueryLanguage): StateAttempt {
  const frame = new ExecutionFrame(
    {
      clock: new LocalClock(10_000),
      integrations: { run: async () => undefined, awaitTaskToken: async () => undefined },
      recorder: { record: () => undefined },
      context: { Execution: {}, StateMachine: {} },
      signal: new AbortController().signal,
      meter: { transitions: 0 },
    },
    new VariableScope(undefined, { total: 5 }),
    language,
    true,
    async () => null,
  );
  return {
    frame,
    name: 'S',
    state,
    rawInput,
    language,
    context: { State: { Name: 'S' } },
    variables: frame.scope.all(),
    waitingToken: undefined,
  };
}

describe('queryLanguageOf', () => {
  it('chooses the state’s own query language over the enclosing one', () => {
    // Prepare
    const state: StateDefinition = { Type: 'Pass', QueryLanguage: 'JSONata' };

    // Act
    const language = queryLanguageOf(state, jsonPathLanguage);

    // Assess
    expect(language).toBe(jsonataLanguage);
  });

  it('keeps the enclosing query language when the state names none', () => {
    // Prepare
    const fragment = { StartAt: 'A', States: {} };

    // Act
    const language = queryLanguageOf(fragment, jsonataLanguage);

    // Assess
    expect(language).toBe(jsonataLanguage);
  });
});

describe('jsonPathLanguage', () => {
  it('applies InputPath, Parameters, ResultPath and Assign', async () => {
    // Prepare
    const state: StateDefinition = {
      Type: 'Task',
      InputPath: '$.order',
      Parameters: { 'id.$': '$.id', 'total.$': '$total' },
      ResultPath: '$.charge',
      Assign: { 'chargeId.$': '$.chargeId' },
    };
    const attempt = attemptAt(state, { order: { id: 'o-1' } }, jsonPathLanguage);

    // Act
    const input = jsonPathLanguage.input(attempt);
    const args = await jsonPathLanguage.arguments(attempt, input);
    const output = await jsonPathLanguage.finish(attempt, input, { result: { chargeId: 'c-9' } });

    // Assess
    expect(args).toEqual({ id: 'o-1', total: 5 });
    expect(output).toEqual({ order: { id: 'o-1' }, charge: { chargeId: 'c-9' } });
    expect(attempt.frame.scope.all()).toEqual({ total: 5, chargeId: 'c-9' });
  });

  it('fails a Map whose ItemsPath selects no array with States.Runtime', async () => {
    // Prepare
    const attempt = attemptAt({ Type: 'Map', ItemsPath: '$.lines' }, { lines: 'none' }, jsonPathLanguage);

    // Act
    const failure = jsonPathLanguage.items(attempt, attempt.rawInput);

    // Assess
    await expect(failure).rejects.toMatchObject({
      error: 'States.Runtime',
      cause: `Map state 'S' ItemsPath did not select an array: "none"`,
    });
  });
});

describe('jsonataLanguage', () => {
  it('evaluates Output and Assign against the same bindings, so the assignment is not visible to Output', async () => {
    // Prepare
    const state: StateDefinition = {
      Type: 'Pass',
      Output: '{% { "total": $total, "input": $states.input.n } %}',
      Assign: { total: '{% $total + $states.input.n %}' },
    };
    const attempt = attemptAt(state, { n: 2 }, jsonataLanguage);

    // Act
    const output = await jsonataLanguage.finish(attempt, attempt.rawInput, undefined);

    // Assess
    expect(output).toEqual({ total: 5, input: 2 });
    expect(attempt.frame.scope.all()).toEqual({ total: 7 });
  });

  it('rejects a Map whose Items is no array with States.QueryEvaluationError', async () => {
    // Prepare
    const attempt = attemptAt({ Type: 'Map', Items: '{% $states.input.n %}' }, { n: 2 }, jsonataLanguage);

    // Act
    const failure = jsonataLanguage.items(attempt, attempt.rawInput);

    // Assess
    await expect(failure).rejects.toMatchObject({
      error: 'States.QueryEvaluationError',
      cause: `Map state 'S' Items did not evaluate to an array`,
    });
  });
});
