/** The state types of the Amazon States Language, each run by its own module. */
import type { StateHandler } from '../execution-frame';
import { runtimeError } from '../states-error';
import { runChoiceState } from './choice';
import { runFailState } from './fail';
import { runMapState } from './map';
import { runParallelState } from './parallel';
import { runPassState } from './pass';
import { runSucceedState } from './succeed';
import { runTaskState } from './task';
import { runWaitState } from './wait';

const handlers: Readonly<Record<string, StateHandler>> = {
  Task: runTaskState,
  Pass: runPassState,
  Choice: runChoiceState,
  Wait: runWaitState,
  Succeed: runSucceedState,
  Fail: runFailState,
  Parallel: runParallelState,
  Map: runMapState,
};

// Definitions are validated before they run, so this is reached only by a type the validator let through.
const runUnsupportedState: StateHandler = async (attempt) => {
  attempt.language.input(attempt);
  throw runtimeError(`Unsupported state type ${attempt.state.Type}`);
};

/** The handler of a state type (an unknown type fails the state with States.Runtime, like AWS). */
export function stateHandlerOf(type: string): StateHandler {
  return Object.hasOwn(handlers, type) ? (handlers[type] as StateHandler) : runUnsupportedState;
}
