/** The Succeed state: ends its fragment (the execution, a branch or an iteration) with its output. */
import type { StateHandler } from '../execution-frame';

/** Runs a Succeed state. */
export const runSucceedState: StateHandler = async (attempt) => {
  const { language } = attempt;
  return { output: await language.succeedOutput(attempt, language.input(attempt)) };
};
