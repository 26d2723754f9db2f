/** The Fail state: fails its fragment with its error name and cause (none when not given, as on AWS). */
import type { StateHandler } from '../execution-frame';
import { StatesError } from '../states-error';

/** Runs a Fail state: always throws. */
export const runFailState: StateHandler = async (attempt) => {
  const { language } = attempt;
  // Input processing still applies (a JSONPath InputPath that selects nothing fails first).
  language.input(attempt);
  const { error, cause } = await language.failure(attempt);
  throw new StatesError(error, cause);
};
