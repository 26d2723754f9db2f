/** Retry and Catch of a state: retries matching errors with backoff on the execution's clock, then catches or rethrows. */
import type { ExecutionFrame, StepResult } from './execution-frame';
import type { StateDefinition } from './interpreter';
import type { QueryLanguage } from './query-language';
import { errorMatches, StatesError } from './states-error';

/** The state whose attempts are retried and whose errors are caught. */
export interface RetriedState {
  readonly frame: ExecutionFrame;
  readonly name: string;
  readonly state: StateDefinition;
  readonly rawInput: unknown;
  readonly language: QueryLanguage;
  /** When the state was entered (`$$.State.EnteredTime`), the same for every attempt. */
  readonly enteredTime: string;
}

/**
 * Runs attempts until one succeeds or no Retrier matches the error (each Retrier counts its own attempts); a
 * matching Catcher then turns the error into output for its Next state, otherwise the error propagates.
 */
export async function withRetryAndCatch(
  retried: RetriedState,
  attempt: (retryCount: number) => Promise<StepResult>,
): Promise<StepResult> {
  const { frame, name, state, rawInput, language, enteredTime } = retried;
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
          await frame.clock.sleep(delaySec * 1000, frame.signal);
          continue;
        }
      }
      const catcher = ((state.Catch as Record<string, unknown>[] | undefined) ?? []).find((candidate) =>
        errorMatches(candidate.ErrorEquals as string[], error.error),
      );
      if (!catcher) throw error;
      const output = await language.catchOutput({
        frame,
        rawInput,
        context: frame.contextObject(name, enteredTime, retryCount),
        catcher,
        errorOutput: { Error: error.error, Cause: error.cause },
      });
      return { output, next: catcher.Next as string };
    }
  }
}
