/**
 * The Amazon States Language interpreter: runs a definition's states with JSONPath or JSONata processing,
 * variables, Retry/Catch, timeouts, Parallel and inline Map, calling Task resources through TaskIntegrations.
 */
import { randomUUID } from 'node:crypto';
import type { LocalClock } from '../clock';
import { type ChoiceRule, evaluateChoiceRule, isTimestamp } from './choice-rules';
import { applyResultPath } from './json-path';
import { evaluateJsonataValue, type JsonataBindings } from './jsonata-fields';
import { applyPayloadTemplate, evaluatePathExpression, type JsonPathScope, selectPath } from './payload';
import {
  errorMatches,
  locatedInState,
  noFailCause,
  noFailError,
  runtimeError,
  StatesError,
} from './states-error';

/** A state as written in the definition (fields are validated before execution). */
export type StateDefinition = Record<string, unknown> & { Type: string };

/** A state machine or a branch/iteration of one. */
export interface StatesFragment {
  StartAt: string;
  States: Record<string, StateDefinition>;
  QueryLanguage?: 'JSONPath' | 'JSONata';
}

/** A whole definition. */
export interface StateMachineDefinition extends StatesFragment {
  Comment?: string;
  TimeoutSeconds?: number;
  Version?: string;
}

/** What a Task needs from the outside world. */
export interface TaskIntegrations {
  /** Runs a resource (ARN without `.waitForTaskToken`) with its input; throws StatesError on failure. */
  run(
    resource: string,
    input: unknown,
    options: {
      signal: AbortSignal;
      taskToken?: string;
      /** The execution's role session (the state machine's role): IAM authorizes the call as it. */
      session?: { roleArn: string; sessionName: string };
    },
  ): Promise<unknown>;
  /** Waits for SendTaskSuccess/Failure on a token; heartbeats extend the wait. */
  awaitTaskToken(token: string, options: { heartbeatSec?: number; signal: AbortSignal }): Promise<unknown>;
}

/** Records the execution history (AWS-shaped events); Express executions may record nothing. */
export interface HistoryRecorder {
  /**
   * Records one event and answers its id in the execution history, if the recorder numbers events: the causes of
   * the errors the interpreter raises name the id of the event that entered the failing state.
   */
  record(type: string, details?: Record<string, unknown>): number | undefined;
}

/** A top-level position to resume a Standard execution from after a restart. */
export interface Checkpoint {
  state: string;
  input: unknown;
  variables: Record<string, unknown>;
  /** Set while a `.waitForTaskToken` task waits: on resume, wait again instead of re-invoking. */
  waitingToken?: string;
}

/** How one execution runs. */
export interface RunOptions {
  clock: LocalClock;
  integrations: TaskIntegrations;
  recorder: HistoryRecorder;
  /** The context object's Execution and StateMachine parts. */
  context: { Execution: Record<string, unknown>; StateMachine: Record<string, unknown> };
  signal: AbortSignal;
  /** Called after every top-level state (Standard workflows persist it). */
  checkpoint?: (checkpoint: Checkpoint) => void;
  resume?: Checkpoint;
  /** Billable units: one per state entered. */
  meter: { transitions: number };
}

const maxPayloadBytes = 256 * 1024;
const defaultMapConcurrency = 40;

/** Variables visible in a branch: its own assignments over its parents'. */
class VariableScope {
  private readonly own: Record<string, unknown>;

  constructor(
    private readonly parent?: VariableScope,
    initial: Record<string, unknown> = {},
  ) {
    this.own = { ...initial };
  }

  all(): Record<string, unknown> {
    return { ...(this.parent?.all() ?? {}), ...this.own };
  }

  ownValues(): Record<string, unknown> {
    return { ...this.own };
  }

  assign(values: Record<string, unknown>): void {
    Object.assign(this.own, values);
  }
}

function checkSize(value: unknown, what: string): void {
  if (value !== undefined && Buffer.byteLength(JSON.stringify(value) ?? '') > maxPayloadBytes) {
    throw new StatesError(
      'States.DataLimitExceeded',
      `The ${what} has exceeded the maximum number of characters service limit.`,
    );
  }
}

interface StepResult {
  output: unknown;
  next?: string;
}

/** Executes a definition; resolves with the execution output or rejects with StatesError. */
export class Interpreter {
  constructor(
    private readonly definition: StateMachineDefinition,
    private readonly options: RunOptions,
  ) {}

  /** Runs the whole execution from the start (or from the resume checkpoint). */
  async run(input: unknown): Promise<unknown> {
    const scope = new VariableScope(undefined, this.options.resume?.variables ?? {});
    const fragmentLanguage = this.definition.QueryLanguage ?? 'JSONPath';
    return this.runFragment(this.definition, input, scope, fragmentLanguage, true, this.options.resume);
  }

  private context(
    stateName: string,
    enteredTime: string,
    retryCount: number,
    extra: Record<string, unknown> = {},
  ) {
    return {
      ...this.options.context,
      State: { Name: stateName, EnteredTime: enteredTime, RetryCount: retryCount },
      ...extra,
    };
  }

  private async runFragment(
    fragment: StatesFragment,
    input: unknown,
    scope: VariableScope,
    parentLanguage: 'JSONPath' | 'JSONata',
    topLevel: boolean,
    resume?: Checkpoint,
    extraContext: Record<string, unknown> = {},
  ): Promise<unknown> {
    const language = fragment.QueryLanguage ?? parentLanguage;
    let name = resume?.state ?? fragment.StartAt;
    let current = resume?.input ?? input;
    let waitingToken = resume?.waitingToken;
    for (;;) {
      if (this.options.signal.aborted) throw this.options.signal.reason;
      const state = fragment.States[name];
      if (!state) throw runtimeError(`State ${name} does not exist`);
      const result = await this.runState(
        name,
        state,
        current,
        scope,
        language,
        extraContext,
        topLevel ? waitingToken : undefined,
        topLevel,
      );
      waitingToken = undefined;
      if (result.next === undefined) return result.output;
      name = result.next;
      current = result.output;
      if (topLevel) this.options.checkpoint?.({ state: name, input: current, variables: scope.ownValues() });
    }
  }

  private async runState(
    name: string,
    state: StateDefinition,
    rawInput: unknown,
    scope: VariableScope,
    parentLanguage: 'JSONPath' | 'JSONata',
    extraContext: Record<string, unknown>,
    waitingToken: string | undefined,
    topLevel: boolean,
  ): Promise<StepResult> {
    const language = (state.QueryLanguage as 'JSONPath' | 'JSONata' | undefined) ?? parentLanguage;
    const enteredTime = new Date(this.options.clock.now()).toISOString();
    this.options.meter.transitions += 1;
    const enteredEventId = this.options.recorder.record(`${state.Type}StateEntered`, {
      stateEnteredEventDetails: { name, input: JSON.stringify(rawInput) },
    });
    const attempt = async (retryCount: number) => {
      const context = this.context(name, enteredTime, retryCount, extraContext);
      try {
        return await this.executeState(
          name,
          state,
          rawInput,
          scope,
          language,
          context,
          waitingToken,
          topLevel,
        );
      } catch (error) {
        throw locatedInState(error, name, enteredEventId);
      }
    };
    const result = await this.withRetryAndCatch(
      name,
      state,
      rawInput,
      scope,
      language,
      attempt,
      enteredTime,
      extraContext,
    );
    checkSize(result.output, `state/task '${name}' returned a result with a size that`);
    this.options.recorder.record(`${state.Type}StateExited`, {
      stateExitedEventDetails: { name, output: JSON.stringify(result.output) },
    });
    return result;
  }

  private async withRetryAndCatch(
    name: string,
    state: StateDefinition,
    rawInput: unknown,
    scope: VariableScope,
    language: 'JSONPath' | 'JSONata',
    attempt: (retryCount: number) => Promise<StepResult>,
    enteredTime: string,
    extraContext: Record<string, unknown>,
  ): Promise<StepResult> {
    const retriers = (state.Retry as Record<string, unknown>[] | undefined) ?? [];
    const attemptsPerRetrier = retriers.map(() => 0);
    let retryCount = 0;
    for (;;) {
      try {
        return await attempt(retryCount);
      } catch (error) {
        if (!(error instanceof StatesError)) throw error;
        const index = retriers.findIndex((retrier) =>
          errorMatches(retrier.ErrorEquals as string[], error.error),
        );
        const retrier = retriers[index];
        if (retrier) {
          const maxAttempts = (retrier.MaxAttempts as number | undefined) ?? 3;
          const done = attemptsPerRetrier[index] ?? 0;
          if (done < maxAttempts) {
            attemptsPerRetrier[index] = done + 1;
            retryCount += 1;
            const interval = (retrier.IntervalSeconds as number | undefined) ?? 1;
            const backoff = (retrier.BackoffRate as number | undefined) ?? 2;
            let delaySec = interval * backoff ** done;
            if (retrier.MaxDelaySeconds !== undefined)
              delaySec = Math.min(delaySec, retrier.MaxDelaySeconds as number);
            if (retrier.JitterStrategy === 'FULL') delaySec = Math.random() * delaySec;
            await this.options.clock.sleep(delaySec * 1000, this.options.signal);
            continue;
          }
        }
        const catcher = ((state.Catch as Record<string, unknown>[] | undefined) ?? []).find((candidate) =>
          errorMatches(candidate.ErrorEquals as string[], error.error),
        );
        if (!catcher) throw error;
        const errorOutput = { Error: error.error, Cause: error.cause };
        const context = this.context(name, enteredTime, retryCount, extraContext);
        let output: unknown;
        if (language === 'JSONata') {
          const bindings: JsonataBindings = {
            states: { input: rawInput, errorOutput, context },
            variables: scope.all(),
          };
          output =
            catcher.Output === undefined
              ? errorOutput
              : await evaluateJsonataValue(catcher.Output, bindings, 'Output');
          if (catcher.Assign)
            scope.assign(
              (await evaluateJsonataValue(catcher.Assign, bindings, 'Assign')) as Record<string, unknown>,
            );
        } else {
          if (catcher.Assign) {
            const values = applyPayloadTemplate(catcher.Assign, {
              data: errorOutput,
              context,
              variables: scope.all(),
              states: { input: rawInput, errorOutput },
            });
            scope.assign(values as Record<string, unknown>);
          }
          output = applyResultPath(rawInput, catcher.ResultPath as string | null | undefined, errorOutput);
        }
        return { output, next: catcher.Next as string };
      }
    }
  }

  private transition(state: StateDefinition, output: unknown): StepResult {
    return state.End === true || state.Type === 'Succeed'
      ? { output }
      : { output, next: state.Next as string };
  }

  private async executeState(
    name: string,
    state: StateDefinition,
    rawInput: unknown,
    scope: VariableScope,
    language: 'JSONPath' | 'JSONata',
    context: Record<string, unknown>,
    waitingToken: string | undefined,
    topLevel: boolean,
  ): Promise<StepResult> {
    // A task waiting for a token sees it in the context ($$.Task.Token) while its input is built.
    if (state.Type === 'Task' && String(state.Resource).endsWith('.waitForTaskToken'))
      context.Task = { Token: waitingToken ?? randomUUID() };
    if (language === 'JSONata')
      return this.executeJsonata(name, state, rawInput, scope, context, waitingToken, topLevel);
    return this.executeJsonPath(name, state, rawInput, scope, context, waitingToken, topLevel);
  }

  // ----- JSONPath states -----

  private async executeJsonPath(
    name: string,
    state: StateDefinition,
    rawInput: unknown,
    scope: VariableScope,
    context: Record<string, unknown>,
    waitingToken: string | undefined,
    topLevel: boolean,
  ): Promise<StepResult> {
    const variables = scope.all();
    const pathScope = (data: unknown): JsonPathScope => ({
      data,
      context,
      variables,
      states: { input: rawInput },
    });
    const effectiveInput =
      state.InputPath === null
        ? {}
        : state.InputPath
          ? selectPath(state.InputPath as string, { data: rawInput, context, variables }, 'InputPath')
          : rawInput;
    const finish = (result: unknown, assignSource: unknown): StepResult => {
      const selected = state.ResultSelector
        ? applyPayloadTemplate(state.ResultSelector, pathScope(result))
        : result;
      const merged =
        state.Type === 'Pass' || state.Type === 'Task' || state.Type === 'Map' || state.Type === 'Parallel'
          ? applyResultPath(rawInput, state.ResultPath as string | null | undefined, selected)
          : effectiveInput;
      const output =
        state.OutputPath === null
          ? {}
          : state.OutputPath
            ? selectPath(state.OutputPath as string, { data: merged, context, variables }, 'OutputPath')
            : merged;
      if (state.Assign) {
        const source = state.ResultSelector ? selected : assignSource;
        const values = applyPayloadTemplate(state.Assign, {
          data: source,
          context,
          variables,
          states: { input: rawInput, result: source },
        }) as Record<string, unknown>;
        checkSize(values, 'assigned variables');
        scope.assign(values);
      }
      return this.transition(state, output);
    };
    switch (state.Type) {
      case 'Pass': {
        const result =
          state.Result !== undefined
            ? state.Result
            : state.Parameters
              ? applyPayloadTemplate(state.Parameters, pathScope(effectiveInput))
              : effectiveInput;
        return finish(result, result);
      }
      case 'Task': {
        const parameters = state.Parameters
          ? applyPayloadTemplate(state.Parameters, pathScope(effectiveInput))
          : effectiveInput;
        const timeoutSec = state.TimeoutSecondsPath
          ? (selectPath(
              state.TimeoutSecondsPath as string,
              { data: effectiveInput, context, variables },
              'TimeoutSecondsPath',
            ) as number)
          : (state.TimeoutSeconds as number | undefined);
        const heartbeatSec = state.HeartbeatSecondsPath
          ? (selectPath(
              state.HeartbeatSecondsPath as string,
              { data: effectiveInput, context, variables },
              'HeartbeatSecondsPath',
            ) as number)
          : (state.HeartbeatSeconds as number | undefined);
        const result = await this.runTask(
          name,
          state,
          parameters,
          rawInput,
          context,
          timeoutSec,
          heartbeatSec,
          waitingToken,
          topLevel,
          scope,
        );
        return finish(result, result);
      }
      case 'Choice': {
        const choices = (state.Choices as (ChoiceRule & { Next: string; Assign?: unknown })[]) ?? [];
        const chosen = choices.find((rule) => evaluateChoiceRule(rule, pathScope(effectiveInput)));
        const next = chosen?.Next ?? (state.Default as string | undefined);
        if (!next)
          throw new StatesError(
            'States.NoChoiceMatched',
            `No Choice Rules matched and no Default was specified in state '${name}'`,
          );
        const assign = chosen?.Assign ?? (chosen ? undefined : state.Assign);
        if (assign)
          scope.assign(applyPayloadTemplate(assign, pathScope(effectiveInput)) as Record<string, unknown>);
        const output =
          state.OutputPath === null
            ? {}
            : state.OutputPath
              ? selectPath(
                  state.OutputPath as string,
                  { data: effectiveInput, context, variables },
                  'OutputPath',
                )
              : effectiveInput;
        return { output, next };
      }
      case 'Wait': {
        await this.wait(name, state, effectiveInput, pathScope);
        return finish(effectiveInput, effectiveInput);
      }
      case 'Succeed': {
        const output =
          state.OutputPath === null
            ? {}
            : state.OutputPath
              ? selectPath(
                  state.OutputPath as string,
                  { data: effectiveInput, context, variables },
                  'OutputPath',
                )
              : effectiveInput;
        return { output };
      }
      case 'Fail': {
        const error = state.ErrorPath
          ? String(evaluatePathExpression(state.ErrorPath as string, pathScope(rawInput), 'ErrorPath'))
          : ((state.Error as string | undefined) ?? noFailError);
        const cause = state.CausePath
          ? String(evaluatePathExpression(state.CausePath as string, pathScope(rawInput), 'CausePath'))
          : ((state.Cause as string | undefined) ?? noFailCause);
        throw new StatesError(error, cause);
      }
      case 'Parallel': {
        const branchInput = state.Parameters
          ? applyPayloadTemplate(state.Parameters, pathScope(effectiveInput))
          : effectiveInput;
        const result = await this.runParallel(state, branchInput, scope, 'JSONPath');
        return finish(result, result);
      }
      case 'Map': {
        const items = state.ItemsPath
          ? selectPath(state.ItemsPath as string, { data: effectiveInput, context, variables }, 'ItemsPath')
          : effectiveInput;
        if (!Array.isArray(items))
          throw runtimeError(
            `Map state '${name}' ItemsPath did not select an array: ${JSON.stringify(items)}`,
          );
        const selector = state.ItemSelector ?? state.Parameters;
        const result = await this.runMap(name, state, items, scope, 'JSONPath', async (item, index) =>
          selector
            ? applyPayloadTemplate(selector, {
                data: effectiveInput,
                context: { ...context, Map: { Item: { Index: index, Value: item } } },
                variables,
              })
            : item,
        );
        return finish(result, result);
      }
      default:
        throw runtimeError(`Unsupported state type ${state.Type}`);
    }
  }

  // ----- JSONata states -----

  private async executeJsonata(
    name: string,
    state: StateDefinition,
    rawInput: unknown,
    scope: VariableScope,
    context: Record<string, unknown>,
    waitingToken: string | undefined,
    topLevel: boolean,
  ): Promise<StepResult> {
    const variables = scope.all();
    const bindings = (result?: unknown): JsonataBindings => ({
      states: { input: rawInput, result, context },
      variables,
    });
    const finish = async (
      result: unknown,
      outputDefault: unknown,
      target: Record<string, unknown> = state,
    ): Promise<unknown> => {
      const [output, assigned] = await Promise.all([
        target.Output === undefined
          ? outputDefault
          : evaluateJsonataValue(target.Output, bindings(result), 'Output'),
        target.Assign === undefined
          ? undefined
          : evaluateJsonataValue(target.Assign, bindings(result), 'Assign'),
      ]);
      if (assigned) {
        checkSize(assigned, 'assigned variables');
        scope.assign(assigned as Record<string, unknown>);
      }
      return output;
    };
    switch (state.Type) {
      case 'Pass':
        return this.transition(state, await finish(undefined, rawInput));
      case 'Task': {
        const args =
          state.Arguments === undefined
            ? rawInput
            : await evaluateJsonataValue(state.Arguments, bindings(), 'Arguments');
        const timeoutSec = (await evaluateJsonataValue(state.TimeoutSeconds, bindings(), 'TimeoutSeconds')) as
          | number
          | undefined;
        const heartbeatSec = (await evaluateJsonataValue(
          state.HeartbeatSeconds,
          bindings(),
          'HeartbeatSeconds',
        )) as number | undefined;
        const result = await this.runTask(
          name,
          state,
          args,
          rawInput,
          context,
          timeoutSec,
          heartbeatSec,
          waitingToken,
          topLevel,
          scope,
        );
        return this.transition(state, await finish(result, result));
      }
      case 'Choice': {
        const choices =
          (state.Choices as { Condition: string; Next: string; Output?: unknown; Assign?: unknown }[]) ?? [];
        for (const choice of choices) {
          const condition = await evaluateJsonataValue(choice.Condition, bindings(), 'Condition');
          if (typeof condition !== 'boolean') {
            throw new StatesError(
              'States.QueryEvaluationError',
              `The Condition of a choice rule in state '${name}' did not evaluate to a boolean`,
            );
          }
          if (condition) return { output: await finish(undefined, rawInput, choice), next: choice.Next };
        }
        if (!state.Default)
          throw new StatesError(
            'States.NoChoiceMatched',
            `No Choice Rules matched and no Default was specified in state '${name}'`,
          );
        return { output: await finish(undefined, rawInput), next: state.Default as string };
      }
      case 'Wait': {
        await this.wait(name, state, rawInput, undefined, bindings());
        return this.transition(state, await finish(undefined, rawInput));
      }
      case 'Succeed':
        return { output: await finish(undefined, rawInput) };
      case 'Fail': {
        const error =
          state.Error === undefined
            ? noFailError
            : String(await evaluateJsonataValue(state.Error, bindings(), 'Error'));
        const cause =
          state.Cause === undefined
            ? noFailCause
            : String(await evaluateJsonataValue(state.Cause, bindings(), 'Cause'));
        throw new StatesError(error, cause);
      }
      case 'Parallel': {
        const branchInput =
          state.Arguments === undefined
            ? rawInput
            : await evaluateJsonataValue(state.Arguments, bindings(), 'Arguments');
        const result = await this.runParallel(state, branchInput, scope, 'JSONata');
        return this.transition(state, await finish(result, result));
      }
      case 'Map': {
        const items =
          state.Items === undefined ? rawInput : await evaluateJsonataValue(state.Items, bindings(), 'Items');
        if (!Array.isArray(items))
          throw new StatesError(
            'States.QueryEvaluationError',
            `Map state '${name}' Items did not evaluate to an array`,
          );
        const result = await this.runMap(name, state, items, scope, 'JSONata', async (item, index) =>
          state.ItemSelector === undefined
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
              ),
        );
        return this.transition(state, await finish(result, result));
      }
      default:
        throw runtimeError(`Unsupported state type ${state.Type}`);
    }
  }

  // ----- shared behaviours -----

  private async wait(
    name: string,
    state: StateDefinition,
    input: unknown,
    pathScope?: (data: unknown) => JsonPathScope,
    bindings?: JsonataBindings,
  ): Promise<void> {
    let untilMs: number;
    const now = this.options.clock.now();
    const read = async (field: string, pathField: string) => {
      if (bindings)
        return state[field] === undefined ? undefined : evaluateJsonataValue(state[field], bindings, field);
      if (state[pathField] !== undefined && pathScope)
        return evaluatePathExpression(state[pathField] as string, pathScope(input), pathField);
      return state[field];
    };
    const seconds = await read('Seconds', 'SecondsPath');
    const timestamp = await read('Timestamp', 'TimestampPath');
    if (seconds !== undefined) {
      if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0) {
        throw new StatesError(
          bindings ? 'States.QueryEvaluationError' : 'States.Runtime',
          `Wait state '${name}' needs a non-negative integer number of seconds, got ${JSON.stringify(seconds)}`,
        );
      }
      untilMs = now + seconds * 1000;
    } else if (timestamp !== undefined) {
      if (!isTimestamp(timestamp))
        throw new StatesError(
          bindings ? 'States.QueryEvaluationError' : 'States.Runtime',
          `Wait state '${name}' needs an RFC 3339 timestamp, got ${JSON.stringify(timestamp)}`,
        );
      untilMs = Date.parse(timestamp);
    } else {
      throw runtimeError(`Wait state '${name}' has no Seconds or Timestamp`);
    }
    if (untilMs > now) await this.options.clock.sleep(untilMs - now, this.options.signal);
  }

  private async runTask(
    name: string,
    state: StateDefinition,
    input: unknown,
    rawInput: unknown,
    context: Record<string, unknown>,
    timeoutSec: number | undefined,
    heartbeatSec: number | undefined,
    waitingToken: string | undefined,
    topLevel: boolean,
    scope: VariableScope,
  ): Promise<unknown> {
    const resourceField = String(state.Resource);
    const waitsForToken = resourceField.endsWith('.waitForTaskToken');
    const resource = waitsForToken ? resourceField.slice(0, -'.waitForTaskToken'.length) : resourceField;
    const isLambdaArn = resource.startsWith('arn:aws:lambda:');
    const kind = isLambdaArn ? 'LambdaFunction' : 'Task';
    const controller = new AbortController();
    const { RoleArn: roleArn, Name: sessionName } = this.options.context.Execution;
    const session =
      typeof roleArn === 'string' && roleArn ? { roleArn, sessionName: String(sessionName) } : undefined;
    const abort = () => controller.abort(this.options.signal.reason);
    this.options.signal.addEventListener('abort', abort);
    const resourceDetails = {
      resourceType: resource.split(':')[5] ?? 'lambda',
      resource: resource.split(':').slice(6).join(':') || resource,
    };
    this.options.recorder.record(`${kind}Scheduled`, {
      [`${isLambdaArn ? 'lambdaFunction' : 'task'}ScheduledEventDetails`]: {
        ...resourceDetails,
        parameters: JSON.stringify(input),
        region: 'us-east-1',
      },
    });
    try {
      const work = (async () => {
        if (!waitsForToken)
          return this.options.integrations.run(resource, input, { signal: controller.signal, session });
        const token = (context.Task as { Token: string }).Token;
        if (!waitingToken) {
          // Persist "waiting" before the message that carries the token leaves: a restart then waits, never re-sends.
          if (topLevel)
            this.options.checkpoint?.({
              state: name,
              input: rawInput,
              variables: scope.ownValues(),
              waitingToken: token,
            });
          await this.options.integrations.run(resource, input, {
            signal: controller.signal,
            taskToken: token,
            session,
          });
        }
        return this.options.integrations.awaitTaskToken(token, { heartbeatSec, signal: controller.signal });
      })();
      const limitSec = timeoutSec ?? 99_999_999;
      const timeout = this.options.clock.sleep(limitSec * 1000, controller.signal).then(() => {
        throw new StatesError('States.Timeout', `Task '${name}' timed out after ${limitSec} seconds`);
      });
      const result = await Promise.race([work, timeout]);
      this.options.recorder.record(`${kind}Succeeded`, {
        [`${isLambdaArn ? 'lambdaFunction' : 'task'}SucceededEventDetails`]: {
          ...resourceDetails,
          output: JSON.stringify(result),
        },
      });
      return result;
    } catch (error) {
      if (error instanceof StatesError) {
        this.options.recorder.record(error.error === 'States.Timeout' ? `${kind}TimedOut` : `${kind}Failed`, {
          [`${isLambdaArn ? 'lambdaFunction' : 'task'}FailedEventDetails`]: {
            ...resourceDetails,
            error: error.error,
            cause: error.cause,
          },
        });
      }
      throw error;
    } finally {
      this.options.signal.removeEventListener('abort', abort);
      controller.abort(new Error('task finished'));
    }
  }

  private async runParallel(
    state: StateDefinition,
    input: unknown,
    scope: VariableScope,
    language: 'JSONPath' | 'JSONata',
  ): Promise<unknown[]> {
    const branches = (state.Branches as StatesFragment[]) ?? [];
    this.options.recorder.record('ParallelStateStarted', {});
    try {
      const results = await Promise.all(
        branches.map((branch) =>
          this.runFragment(branch, structuredClone(input), new VariableScope(scope), language, false),
        ),
      );
      this.options.recorder.record('ParallelStateSucceeded', {});
      return results;
    } catch (error) {
      this.options.recorder.record('ParallelStateFailed', {});
      throw error;
    }
  }

  private async runMap(
    name: string,
    state: StateDefinition,
    items: unknown[],
    scope: VariableScope,
    language: 'JSONPath' | 'JSONata',
    selectItem: (item: unknown, index: number) => Promise<unknown>,
  ): Promise<unknown[]> {
    const processor = (state.ItemProcessor ?? state.Iterator) as StatesFragment;
    const configured = (state.MaxConcurrency as number | undefined) ?? 0;
    const concurrency = configured > 0 ? configured : defaultMapConcurrency;
    const toleratedPercent = (state.ToleratedFailurePercentage as number | undefined) ?? 0;
    const toleratedCount = (state.ToleratedFailureCount as number | undefined) ?? 0;
    const tolerant = toleratedPercent > 0 || toleratedCount > 0;
    const results: unknown[] = new Array(items.length);
    let failures = 0;
    let next = 0;
    let firstError: unknown;
    this.options.recorder.record('MapStateStarted', {
      mapStateStartedEventDetails: { length: items.length },
    });
    const worker = async () => {
      while (next < items.length && firstError === undefined) {
        const index = next;
        next += 1;
        try {
          const input = await selectItem(items[index], index);
          this.options.recorder.record('MapIterationStarted', {
            mapIterationStartedEventDetails: { name, index },
          });
          results[index] = await this.runFragment(
            processor,
            input,
            new VariableScope(scope),
            language,
            false,
            undefined,
            {},
          );
          this.options.recorder.record('MapIterationSucceeded', {
            mapIterationSucceededEventDetails: { name, index },
          });
        } catch (error) {
          this.options.recorder.record('MapIterationFailed', {
            mapIterationFailedEventDetails: { name, index },
          });
          if (!(error instanceof StatesError) || !tolerant) {
            firstError ??= error;
            return;
          }
          failures += 1;
          results[index] = { Error: error.error, Cause: error.cause };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, items.length)) }, worker));
    if (firstError !== undefined) {
      this.options.recorder.record('MapStateFailed', {});
      throw firstError;
    }
    if (tolerant && items.length > 0) {
      // Either threshold, when set, fails the Map once exceeded.
      const exceeded =
        (toleratedCount > 0 && failures > toleratedCount) ||
        (toleratedPercent > 0 && (failures / items.length) * 100 > toleratedPercent);
      if (exceeded) {
        this.options.recorder.record('MapStateFailed', {});
        throw new StatesError(
          'States.ExceedToleratedFailureThreshold',
          `The specified tolerated failure threshold was exceeded in Map state '${name}'`,
        );
      }
    }
    this.options.recorder.record('MapStateSucceeded', {});
    return results;
  }
}
