/** ERP failures, split by what a caller should do: retry later, retry after a pause, or stop (a business refusal). */

/** The ERP refused on business grounds (credit, stock, state): never retried. */
export class ErpRefusedError extends Error {
  override readonly name = 'ErpRefusedError';
  constructor(
    /** The ERP's reason code (out_of_stock, credit_rejected, not_cancellable, …). */
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The ERP asked to slow down (429); retry after `retryAfterSec`. */
export class ErpThrottledError extends Error {
  override readonly name = 'ErpThrottledError';
  constructor(
    message: string,
    readonly retryAfterSec: number,
  ) {
    super(message);
  }
}

/** The ERP failed or did not answer (5xx, timeout, connection): retry with back-off. */
export class ErpUnavailableError extends Error {
  override readonly name = 'ErpUnavailableError';
}

/** The requested document does not exist. */
export class ErpNotFoundError extends Error {
  override readonly name = 'ErpNotFoundError';
}
