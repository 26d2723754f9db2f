/** A pacer for replays: spaces calls evenly at a rate per second. */
import { ConcordError } from '../shared/errors';

/** The pace asked for is not a positive number of calls per second. */
export class RateInvalidError extends ConcordError {
  override readonly name = 'RateInvalidError';
}

/** Paces work to a rate: the n-th call of `take` resolves at start + n / perSecond, never earlier. */
export function createRateLimiter(
  perSecond: number | undefined,
  clock: { now(): number; sleep(ms: number): Promise<void> } = {
    now: () => Date.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  },
): { take(): Promise<void> } {
  if (perSecond === undefined) return { take: async () => {} };
  if (!(perSecond > 0))
    throw new RateInvalidError(`rate must be a positive number per second, not ${perSecond}`);
  let started: number | undefined;
  let taken = 0;
  return {
    async take() {
      started ??= clock.now();
      const due = started + (taken * 1000) / perSecond;
      taken += 1;
      const wait = due - clock.now();
      if (wait > 0) await clock.sleep(wait);
    },
  };
}
