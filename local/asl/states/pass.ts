/** The Pass state: passes its input, or a fixed Result or Parameters (JSONPath), on to the next state. */
import { type StateHandler, transition } from '../execution-frame';

/** Runs a Pass state. */
export const runPassState: StateHandler = async (attempt) => {
  const { language, state } = attempt;
  const input = language.input(attempt);
  return transition(state, await language.finish(attempt, input, language.passResult(attempt, input)));
};
