/** The JSONPath query language: InputPath, Parameters, ResultSelector, ResultPath, OutputPath and payload-template Assign. */
import { type ChoiceRule, evaluateChoiceRule } from './choice-rules';
import { checkSize, type StateAttempt } from './execution-frame';
import { applyResultPath } from './json-path';
import { applyPayloadTemplate, evaluatePathExpression, type JsonPathScope, selectPath } from './payload';
import type { QueryLanguage } from './query-language';
import { noFailCause, noFailError, runtimeError, StatesError } from './states-error';

// Only these states merge a result into their input through ResultPath; the others pass their input on.
const resultPathStates = new Set(['Pass', 'Task', 'Map', 'Parallel']);

/** What a payload template of the attempt sees: `$` the data, `$$` the context, `$states.input`, variables. */
function pathScope(attempt: StateAttempt, data: unknown): JsonPathScope {
  return {
    data,
    context: attempt.context,
    variables: attempt.variables,
    states: { input: attempt.rawInput },
  };
}

/** Reads a `…Path` field of the state against the data (no `$states`, as Step Functions allows there). */
function readPathField(attempt: StateAttempt, field: string, data: unknown): unknown {
  return selectPath(
    attempt.state[field] as string,
    { data, context: attempt.context, variables: attempt.variables },
    field,
  );
}

/** OutputPath: null gives `{}`, absent passes the data on. */
function outputPath(attempt: StateAttempt, data: unknown): unknown {
  const { state } = attempt;
  if (state.OutputPath === null) return {};
  return state.OutputPath ? readPathField(attempt, 'OutputPath', data) : data;
}

/** Parameters, or the input itself. */
function parameters(attempt: StateAttempt, input: unknown): unknown {
  const { state } = attempt;
  return state.Parameters ? applyPayloadTemplate(state.Parameters, pathScope(attempt, input)) : input;
}

/** The JSONPath strategy. */
export const jsonPathLanguage: QueryLanguage = {
  name: 'JSONPath',
  invalidValueError: 'States.Runtime',

  input(attempt) {
    const { state, rawInput } = attempt;
    if (state.InputPath === null) return {};
    return state.InputPath ? readPathField(attempt, 'InputPath', rawInput) : rawInput;
  },

  async arguments(attempt, input) {
    return parameters(attempt, input);
  },

  passResult(attempt, input) {
    const { state } = attempt;
    return { result: state.Result !== undefined ? state.Result : parameters(attempt, input) };
  },

  async taskLimits(attempt, input) {
    const { state } = attempt;
    const timeoutSec = state.TimeoutSecondsPath
      ? (readPathField(attempt, 'TimeoutSecondsPath', input) as number)
      : (state.TimeoutSeconds as number | undefined);
    const heartbeatSec = state.HeartbeatSecondsPath
      ? (readPathField(attempt, 'HeartbeatSecondsPath', input) as number)
      : (state.HeartbeatSeconds as number | undefined);
    return { timeoutSec, heartbeatSec };
  },

  async choose(attempt, input) {
    const { state, name, frame } = attempt;
    const choices = (state.Choices as (ChoiceRule & { Next: string; Assign?: unknown })[]) ?? [];
    const chosen = choices.find((rule) => evaluateChoiceRule(rule, pathScope(attempt, input)));
    const next = chosen?.Next ?? (state.Default as string | undefined);
    if (!next)
      throw new StatesError(
        'States.NoChoiceMatched',
        `No Choice Rules matched and no Default was specified in state '${name}'`,
      );
    // The matching rule's Assign, or the state's when the Default is taken.
    const assign = chosen?.Assign ?? (chosen ? undefined : state.Assign);
    if (assign)
      frame.scope.assign(applyPayloadTemplate(assign, pathScope(attempt, input)) as Record<string, unknown>);
    return { output: outputPath(attempt, input), next };
  },

  async waitFields(attempt, input) {
    const { state } = attempt;
    const read = (field: string, pathField: string) =>
      state[pathField] !== undefined
        ? evaluatePathExpression(state[pathField] as string, pathScope(attempt, input), pathField)
        : state[field];
    const seconds = read('Seconds', 'SecondsPath');
    const timestamp = read('Timestamp', 'TimestampPath');
    return { seconds, timestamp };
  },

  async failure(attempt) {
    const { state, rawInput } = attempt;
    // ErrorPath and CausePath read the state's raw input, as on AWS.
    const error = state.ErrorPath
      ? String(evaluatePathExpression(state.ErrorPath as string, pathScope(attempt, rawInput), 'ErrorPath'))
      : ((state.Error as string | undefined) ?? noFailError);
    const cause = state.CausePath
      ? String(evaluatePathExpression(state.CausePath as string, pathScope(attempt, rawInput), 'CausePath'))
      : ((state.Cause as string | undefined) ?? noFailCause);
    return { error, cause };
  },

  async items(attempt, input) {
    const items = attempt.state.ItemsPath ? readPathField(attempt, 'ItemsPath', input) : input;
    if (!Array.isArray(items))
      throw runtimeError(
        `Map state '${attempt.name}' ItemsPath did not select an array: ${JSON.stringify(items)}`,
      );
    return items;
  },

  async itemInput(attempt, input, item, index) {
    const selector = attempt.state.ItemSelector ?? attempt.state.Parameters;
    return selector
      ? applyPayloadTemplate(selector, {
          data: input,
          context: { ...attempt.context, Map: { Item: { Index: index, Value: item } } },
          variables: attempt.variables,
        })
      : item;
  },

  async succeedOutput(attempt, input) {
    return outputPath(attempt, input);
  },

  async finish(attempt, input, outcome) {
    const { state, rawInput, frame } = attempt;
    // Without a result (Wait), the input stands in for it.
    const result = outcome === undefined ? input : outcome.result;
    const selected = state.ResultSelector
      ? applyPayloadTemplate(state.ResultSelector, pathScope(attempt, result))
      : result;
    const merged = resultPathStates.has(state.Type)
      ? applyResultPath(rawInput, state.ResultPath as string | null | undefined, selected)
      : input;
    const output = outputPath(attempt, merged);
    if (state.Assign) {
      const source = state.ResultSelector ? selected : result;
      const values = applyPayloadTemplate(state.Assign, {
        data: source,
        context: attempt.context,
        variables: attempt.variables,
        states: { input: rawInput, result: source },
      }) as Record<string, unknown>;
      checkSize(values, 'assigned variables');
      frame.scope.assign(values);
    }
    return output;
  },

  async catchOutput({ frame, rawInput, context, catcher, errorOutput }) {
    if (catcher.Assign) {
      const values = applyPayloadTemplate(catcher.Assign, {
        data: errorOutput,
        context,
        variables: frame.scope.all(),
        states: { input: rawInput, errorOutput },
      });
      frame.scope.assign(values as Record<string, unknown>);
    }
    return applyResultPath(rawInput, catcher.ResultPath as string | null | undefined, errorOutput);
  },
};
