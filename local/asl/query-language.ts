/** The query language of a state (JSONPath or JSONata) as a strategy: how its fields read and shape data. */
import type { ExecutionFrame, StateAttempt, StepResult } from './execution-frame';
import type { StateDefinition, StatesFragment } from './interpreter';
import { jsonataLanguage } from './jsonata-language';
import { jsonPathLanguage } from './jsonpath-language';

/** The query languages of the Amazon States Language. */
export type QueryLanguageName = 'JSONPath' | 'JSONata';

/** A state's result, or none (Wait, Succeed, a JSONata Pass): output processing then starts from the input. */
export type StateOutcome = { readonly result: unknown } | undefined;

/** What a Catcher that matched sees. */
export interface CaughtError {
  readonly frame: ExecutionFrame;
  readonly rawInput: unknown;
  /** The context object of the state that failed, at its last retry count. */
  readonly context: Record<string, unknown>;
  readonly catcher: Record<string, unknown>;
  /** `{ Error, Cause }`. */
  readonly errorOutput: { Error: string; Cause: string };
}

/**
 * How a query language processes a state's data. States call these in a fixed order (input, arguments, the
 * state's own work, output), so both languages share one module per state type.
 */
export interface QueryLanguage {
  readonly name: QueryLanguageName;
  /** The error name of a field value of the wrong kind (a Wait's seconds or timestamp). */
  readonly invalidValueError: 'States.Runtime' | 'States.QueryEvaluationError';
  /** The input after input processing (JSONPath InputPath; JSONata uses the input as it is). */
  input(attempt: StateAttempt): unknown;
  /** What a Task or Parallel hands on (JSONPath Parameters, JSONata Arguments). */
  arguments(attempt: StateAttempt, input: unknown): Promise<unknown>;
  /** A Pass state's result (JSONPath Result or Parameters; JSONata has none). */
  passResult(attempt: StateAttempt, input: unknown): StateOutcome;
  /** A Task's timeout and heartbeat, in seconds (undefined: none). */
  taskLimits(
    attempt: StateAttempt,
    input: unknown,
  ): Promise<{ timeoutSec: number | undefined; heartbeatSec: number | undefined }>;
  /** A Choice state's decision: the output and the next state (its Assign applied). */
  choose(attempt: StateAttempt, input: unknown): Promise<StepResult>;
  /** A Wait state's Seconds and Timestamp as given (unchecked). */
  waitFields(attempt: StateAttempt, input: unknown): Promise<{ seconds: unknown; timestamp: unknown }>;
  /** A Fail state's error name and cause. */
  failure(attempt: StateAttempt): Promise<{ error: string; cause: string }>;
  /** A Map state's items; anything but an array fails the state. */
  items(attempt: StateAttempt, input: unknown): Promise<unknown[]>;
  /** The input of one Map iteration (ItemSelector, or the item itself). */
  itemInput(attempt: StateAttempt, input: unknown, item: unknown, index: number): Promise<unknown>;
  /** A Succeed state's output. */
  succeedOutput(attempt: StateAttempt, input: unknown): Promise<unknown>;
  /** The output of a state from its result (result selection, ResultPath or Output) with its Assign applied. */
  finish(attempt: StateAttempt, input: unknown, outcome: StateOutcome): Promise<unknown>;
  /** The output a matching Catcher passes to its Next state, its Assign applied. */
  catchOutput(caught: CaughtError): Promise<unknown>;
}

/** The strategy of a query language by name. */
export function queryLanguageNamed(name: QueryLanguageName): QueryLanguage {
  return name === 'JSONata' ? jsonataLanguage : jsonPathLanguage;
}

/** A state's or fragment's query language: its own QueryLanguage field, else the enclosing one's. */
export function queryLanguageOf(
  definition: StateDefinition | StatesFragment,
  enclosing: QueryLanguage,
): QueryLanguage {
  const own = definition.QueryLanguage as QueryLanguageName | undefined;
  return own === undefined ? enclosing : queryLanguageNamed(own);
}
