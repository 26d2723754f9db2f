/** The Parallel state: runs every branch on a copy of its input, each with its own variables, and collects the outputs. */
import { type StateHandler, transition } from '../execution-frame';
import type { StatesFragment } from '../interpreter';
import { queryLanguageOf } from '../query-language';

/** Runs a Parallel state; the first branch to fail fails the state. */
export const runParallelState: StateHandler = async (attempt) => {
  const { language, state, frame } = attempt;
  const input = language.input(attempt);
  const branchInput = await language.arguments(attempt, input);
  const branches = (state.Branches as StatesFragment[]) ?? [];
  frame.recorder.record('ParallelStateStarted', {});
  let result: unknown[];
  try {
    result = await Promise.all(
      branches.map((branch) =>
        frame.runFragment(
          branch,
          structuredClone(branchInput),
          frame.branch(queryLanguageOf(branch, language)),
        ),
      ),
    );
    frame.recorder.record('ParallelStateSucceeded', {});
  } catch (error) {
    frame.recorder.record('ParallelStateFailed', {});
    throw error;
  }
  return transition(state, await language.finish(attempt, input, { result }));
};
