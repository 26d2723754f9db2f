/**
 * Honours an ERP's Retry-After inside the invocation when it fits. A workflow Retry has a fixed interval and cannot
 * read the header, so a short pause is taken here; a pause the invocation cannot afford is left to the workflow's
 * back-off (whose interval is at least the usual Retry-After) by rethrowing the ErpThrottledError.
 */
import { ErpThrottledError } from '../shared/erp/erp-errors';

export interface RetryAfterBudget {
  /** Milliseconds the invocation has left. */
  remainingMs: () => number;
  /** Milliseconds one more ERP call may take (its timeout): a pause is only taken if that call still fits. */
  callReserveMs: number;
  /** Pauses taken at most before the throttle goes back to the workflow. */
  maxPauses: number;
  /** Longest single pause, so one large Retry-After does not park a Lambda. */
  maxPauseMs: number;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function callHonouringRetryAfter<T>(
  call: () => Promise<T>,
  budget: RetryAfterBudget,
): Promise<T> {
  const sleep = budget.sleep ?? defaultSleep;
  for (let pauses = 0; ; pauses += 1) {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof ErpThrottledError)) throw error;
      const pauseMs = error.retryAfterSec * 1000;
      const affordable =
        pauses < budget.maxPauses &&
        pauseMs <= budget.maxPauseMs &&
        pauseMs + budget.callReserveMs < budget.remainingMs();
      if (!affordable) throw error;
      await sleep(pauseMs);
    }
  }
}
