/** The Choice state: goes to the Next of the first matching rule, else to Default, else fails States.NoChoiceMatched. */
import type { StateHandler } from '../execution-frame';

/** Runs a Choice state (rules are JSONPath comparisons or JSONata Conditions, per the state's query language). */
export const runChoiceState: StateHandler = async (attempt) => {
  const { language } = attempt;
  return language.choose(attempt, language.input(attempt));
};
