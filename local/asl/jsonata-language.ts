/** The JSONata query language: Arguments, Output, Assign and the other fields as `{% … %}` expressions over `$states`. */
import { checkSize, type StateAttempt } from './execution-frame';
import { evaluateJsonataValue, type JsonataBindings } from './jsonata-fields';
import type { QueryLanguage } from './query-language';
import { noFailCause, noFailError, StatesError } from './states-error';

/** What an expression of the attempt sees: `$states.input`, `$states.result`, `$states.context`, variables. */
function bindings(attempt: StateAttempt, result?: unknown): JsonataBindings {
  return {
    states: { input: attempt.rawInput, result, context: attempt.context },
    variables: attempt.variables,
  };
}

/**
 * Output (or the default output) and Assign of a state or of the Choice rule taken, evaluated against the same
 * bindings: an assignment is not visible to the Output beside it.
 */
async function outputAndAssign(
  attempt: StateAttempt,
  result: unknown,
  outputDefault: unknown,
  target: Record<string, unknown>,
): Promise<unknown> {
  const [output, assigned] = await Promise.all([
    target.Output === undefined
      ? outputDefault
      : evaluateJsonataValue(target.Output, bindings(attempt, result), 'Output'),
    target.Assign === undefined
      ? undefined
      : evaluateJsonataValue(target.Assign, bindings(attempt, result), 'Assign'),
  ]);
  if (assigned) {
    checkSize(assigned, 'assigned variables');
    attempt.frame.scope.assign(assigned as Record<string, unknown>);
  }
  return output;
}

/** The JSONata strategy. */
export const jsonataLanguage: QueryLanguage = {
  name: 'JSONata',
  invalidValueError: 'States.QueryEvaluationError',

  input(attempt) {
    return attempt.rawInput;
  },

  async arguments(attempt) {
    const { state, rawInput } = attempt;
    return state.Arguments === undefined
      ? rawInput
      : evaluateJsonataValue(state.Arguments, bindings(attempt), 'Arguments');
  },

  passResult() {
    return undefined;
  },

  async taskLimits(attempt) {
    const { state } = attempt;
    const timeoutSec = (await evaluateJsonataValue(
      state.TimeoutSeconds,
      bindings(attempt),
      'TimeoutSeconds',
    )) as number | undefined;
    const heartbeatSec = (await evaluateJsonataValue(
      state.HeartbeatSeconds,
      bindings(attempt),
      'HeartbeatSeconds',
    )) as number | undefined;
    return { timeoutSec, heartbeatSec };
  },

  async choose(attempt) {
    const { state, name, rawInput } = attempt;
    const choices =
      (state.Choices as { Condition: string; Next: string; Output?: unknown; Assign?: unknown }[]) ?? [];
    for (const choice of choices) {
      const condition = await evaluateJsonataValue(choice.Condition, bindings(attempt), 'Condition');
      if (typeof condition !== 'boolean') {
        throw new StatesError(
          'States.QueryEvaluationError',
          `The Condition of a choice rule in state '${name}' did not evaluate to a boolean`,
        );
      }
      if (condition)
        return { output: await outputAndAssign(attempt, undefined, rawInput, choice), next: choice.Next };
    }
    if (!state.Default)
      throw new StatesError(
        'States.NoChoiceMatched',
        `No Choice Rules matched and no Default was specified in state '${name}'`,
      );
    return {
      output: await outputAndAssign(attempt, undefined, rawInput, state),
      next: state.Default as string,
    };
  },

  async waitFields(attempt) {
    const { state } = attempt;
    const read = async (field: string) =>
      state[field] === undefined ? undefined : evaluateJsonataValue(state[field], bindings(attempt), field);
    const seconds = await read('Seconds');
    const timestamp = await read('Timestamp');
    return { seconds, timestamp };
  },

  async failure(attempt) {
    const { state } = attempt;
    const error =
      state.Error === undefined
        ? noFailError
        : String(await evaluateJsonataValue(state.Error, bindings(attempt), 'Error'));
    const cause =
      state.Cause === undefined
        ? noFailCause
        : String(await evaluateJsonataValue(state.Cause, bindings(attempt), 'Cause'));
    return { error, cause };
  },

  async items(attempt) {
    const { state, rawInput, name } = attempt;
    const items =
      state.Items === undefined
        ? rawInput
        : await evaluateJsonataValue(state.Items, bindings(attempt), 'Items');
    if (!Array.isArray(items))
      throw new StatesError(
        'States.QueryEvaluationError',
        `Map state '${name}' Items did not evaluate to an array`,
      );
    return items;
  },

  async itemInput(attempt, _input, item, index) {
    const { state, rawInput, context, variables } = attempt;
    return state.ItemSelector === undefined
      ? item
      : evaluateJsonataValue(
          state.ItemSelector,
          {
            states: {
              input: rawInput,
              context: { ...context, Map: { Item: { Index: index, Value: item } } },
            },
            variables,
          },
          'ItemSelector',
        );
  },

  async succeedOutput(attempt) {
    return outputAndAssign(attempt, undefined, attempt.rawInput, attempt.state);
  },

  async finish(attempt, _input, outcome) {
    // Without a result (Pass, Wait), the output defaults to the state's input; with one, to the result.
    return outcome === undefined
      ? outputAndAssign(attempt, undefined, attempt.rawInput, attempt.state)
      : outputAndAssign(attempt, outcome.result, outcome.result, attempt.state);
  },

  async catchOutput({ frame, rawInput, context, catcher, errorOutput }) {
    const catchBindings: JsonataBindings = {
      states: { input: rawInput, errorOutput, context },
      variables: frame.scope.all(),
    };
    const output =
      catcher.Output === undefined
        ? errorOutput
        : await evaluateJsonataValue(catcher.Output, catchBindings, 'Output');
    if (catcher.Assign)
      frame.scope.assign(
        (await evaluateJsonataValue(catcher.Assign, catchBindings, 'Assign')) as Record<string, unknown>,
      );
    return output;
  },
};
