/** The Wait state: sleeps on the execution's clock for Seconds or until Timestamp, then passes its input on. */

import { isTimestamp } from '../choice-rules';
import { type StateHandler, transition } from '../execution-frame';
import { runtimeError, StatesError } from '../states-error';

/** Runs a Wait state. */
export const runWaitState: StateHandler = async (attempt) => {
  const { language, state, name, frame } = attempt;
  const input = language.input(attempt);
  // "Now" is when the state began reading its fields, so evaluating them does not shorten the wait.
  const now = frame.clock.now();
  const { seconds, timestamp } = await language.waitFields(attempt, input);
  let untilMs: number;
  if (seconds !== undefined) {
    if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0) {
      throw new StatesError(
        language.invalidValueError,
        `Wait state '${name}' needs a non-negative integer number of seconds, got ${JSON.stringify(seconds)}`,
      );
    }
    untilMs = now + seconds * 1000;
  } else if (timestamp !== undefined) {
    if (!isTimestamp(timestamp))
      throw new StatesError(
        language.invalidValueError,
        `Wait state '${name}' needs an RFC 3339 timestamp, got ${JSON.stringify(timestamp)}`,
      );
    untilMs = Date.parse(timestamp);
  } else {
    throw runtimeError(`Wait state '${name}' has no Seconds or Timestamp`);
  }
  if (untilMs > now) await frame.clock.sleep(untilMs - now, frame.signal);
  return transition(state, await language.finish(attempt, input, undefined));
};
