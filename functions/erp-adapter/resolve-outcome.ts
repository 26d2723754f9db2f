/**
 * Resolves a change whose answer was lost by reading the ERP under the same idempotency key, before anything else
 * happens: committed → the change's own answer, as if it had arrived; confirmed absent → safe to retry (and, when
 * retries run out, to compensate); still unknown → the unknown outcome stands, and nothing may be compensated.
 */
import { ErpOutcomeUnknownError, ErpUnavailableError } from '../shared/erp/erp-errors';
import type { ChangeLookup, ErpPort } from '../shared/erp/erp-port';

/** How hard one invocation tries to learn the outcome before leaving it to the workflow's retries. */
export interface ResolutionBudget {
  /** Reads of the ERP at most. */
  lookups: number;
  /** Pause before each read after the first, so a change still in flight can finish. */
  pauseMs: number;
  sleep?: (ms: number) => Promise<void>;
}

/** Told what a lost answer turned out to be (the LostAnswersResolved metric); not told when it stays unknown. */
export type LostAnswerObserver = (outcome: 'committed' | 'absent') => void;

/** The adapter's default: three reads over about a second. */
export const defaultResolutionBudget: ResolutionBudget = { lookups: 3, pauseMs: 500 };

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Sends `change` and returns its answer; if the answer is lost, returns the answer the ERP committed under `key`.
 * Throws ErpUnavailableError when the ERP confirms it never committed the change, ErpOutcomeUnknownError when it
 * cannot be learnt within the budget; every other error (refusals, throttling) passes through.
 */
export async function changeResolvingLostAnswers<T>(
  erp: Pick<ErpPort, 'lookupChange'>,
  key: string,
  change: () => Promise<T>,
  budget: ResolutionBudget = defaultResolutionBudget,
  onResolved: LostAnswerObserver = () => {},
): Promise<T> {
  try {
    return await change();
  } catch (error) {
    if (!(error instanceof ErpOutcomeUnknownError)) throw error;
    return resolveLostAnswer<T>(erp, key, error, budget, onResolved);
  }
}

async function resolveLostAnswer<T>(
  erp: Pick<ErpPort, 'lookupChange'>,
  key: string,
  lost: ErpOutcomeUnknownError,
  budget: ResolutionBudget,
  onResolved: LostAnswerObserver,
): Promise<T> {
  const sleep = budget.sleep ?? defaultSleep;
  let lastReason = 'not read';
  for (let lookup = 0; lookup < budget.lookups; lookup += 1) {
    if (lookup > 0) await sleep(budget.pauseMs);
    let found: ChangeLookup;
    try {
      found = await erp.lookupChange(key);
    } catch (error) {
      lastReason = `the ERP could not be read (${(error as Error).message})`;
      continue;
    }
    if (found.state === 'committed') {
      onResolved('committed');
      return found.result as T;
    }
    if (found.state === 'absent') {
      onResolved('absent');
      throw new ErpUnavailableError(
        `${lost.message}; the ERP confirms it holds no change under ${key}: safe to retry`,
        { cause: lost },
      );
    }
    lastReason = 'a change under this key is still in progress';
  }
  throw new ErpOutcomeUnknownError(
    `${lost.message}; still unknown after ${budget.lookups} reads: ${lastReason}`,
    { cause: lost },
  );
}
