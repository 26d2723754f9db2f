/** ERP failures, split by what a caller should do: retry later, retry after a pause, or stop (a business refusal). */
import { ConcordError, type ConcordErrorOptions } from '../errors';

/** The ERP refused on business grounds (credit, stock, state): never retried. */
export class ErpRefusedError extends ConcordError {
  override readonly name = 'ErpRefusedError';
  constructor(
    /** The ERP's reason code (out_of_stock, credit_rejected, not_cancellable, …). */
    readonly code: string,
    message: string,
    options?: ConcordErrorOptions,
  ) {
    super(message, options);
  }
}

/** The ERP asked to slow down (429); retry after `retryAfterSec`. */
export class ErpThrottledError extends ConcordError {
  override readonly name = 'ErpThrottledError';
  constructor(
    message: string,
    readonly retryAfterSec: number,
    options?: ConcordErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * The ERP did not take the request, or is known not to have committed it (connection refused, a read that failed, a
 * change the ERP confirmed it does not hold): retry with back-off; compensating for it is safe.
 */
export class ErpUnavailableError extends ConcordError {
  override readonly name = 'ErpUnavailableError';
}

/**
 * A change was sent and its answer lost (timeout after sending, reset, 5xx, an unreadable answer, the same key still
 * in flight): the ERP may have committed it. Never read as "not done": it is resolved by reading the ERP under the
 * same idempotency key, and nothing is compensated while it stands.
 */
export class ErpOutcomeUnknownError extends ConcordError {
  override readonly name = 'ErpOutcomeUnknownError';
}

/** The requested document does not exist. */
export class ErpNotFoundError extends ConcordError {
  override readonly name = 'ErpNotFoundError';
}
