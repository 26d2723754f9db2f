/** The inline Map state: runs its ItemProcessor over each item, with MaxConcurrency and tolerated failures. */
import { type StateAttempt, type StateHandler, transition } from '../execution-frame';
import type { StatesFragment } from '../interpreter';
import { queryLanguageOf } from '../query-language';
import { StatesError } from '../states-error';

// Step Functions runs up to 40 inline iterations at once when MaxConcurrency is 0 or absent.
const defaultMapConcurrency = 40;

/** Runs a Map state. */
export const runMapState: StateHandler = async (attempt) => {
  const { language, state } = attempt;
  const input = language.input(attempt);
  const items = await language.items(attempt, input);
  const result = await runIterations(attempt, items, (item, index) =>
    language.itemInput(attempt, input, item, index),
  );
  return transition(state, await language.finish(attempt, input, { result }));
};

/**
 * Runs one iteration per item, each in its own variables scope, recording the Map and iteration events. A failed
 * iteration fails the Map unless failures are tolerated; tolerated ones leave `{ Error, Cause }` in their place.
 */
async function runIterations(
  attempt: StateAttempt,
  items: unknown[],
  selectItem: (item: unknown, index: number) => Promise<unknown>,
): Promise<unknown[]> {
  const { frame, state, name, language } = attempt;
  const { recorder } = frame;
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
  recorder.record('MapStateStarted', { mapStateStartedEventDetails: { length: items.length } });
  const worker = async () => {
    while (next < items.length && firstError === undefined) {
      const index = next;
      next += 1;
      try {
        const iterationInput = await selectItem(items[index], index);
        recorder.record('MapIterationStarted', { mapIterationStartedEventDetails: { name, index } });
        results[index] = await frame.runFragment(
          processor,
          iterationInput,
          frame.branch(queryLanguageOf(processor, language)),
        );
        recorder.record('MapIterationSucceeded', { mapIterationSucceededEventDetails: { name, index } });
      } catch (error) {
        recorder.record('MapIterationFailed', { mapIterationFailedEventDetails: { name, index } });
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
    recorder.record('MapStateFailed', {});
    throw firstError;
  }
  if (tolerant && items.length > 0) {
    // Either threshold, when set, fails the Map once exceeded.
    const exceeded =
      (toleratedCount > 0 && failures > toleratedCount) ||
      (toleratedPercent > 0 && (failures / items.length) * 100 > toleratedPercent);
    if (exceeded) {
      recorder.record('MapStateFailed', {});
      throw new StatesError(
        'States.ExceedToleratedFailureThreshold',
        `The specified tolerated failure threshold was exceeded in Map state '${name}'`,
      );
    }
  }
  recorder.record('MapStateSucceeded', {});
  return results;
}
