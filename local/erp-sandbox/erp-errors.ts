/** The ERP sandbox's error classes: the server's one error table maps each to its HTTP answer. */

/** A business refusal (credit, stock, state, invalid input): the sandbox answers `status` (409 or 422) with `code`. */
export class RefusalError extends Error {
  override readonly name = 'RefusalError';
  constructor(
    /** The reason code a client branches on (out_of_stock, not_cancellable, …). */
    readonly code: string,
    message: string,
    /** The HTTP status of the answer: 409 for a state conflict, 422 for input the ERP cannot take. */
    readonly status = 409,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A document or record the request names does not exist (404). */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The request itself is malformed (a missing Idempotency-Key, an invalid fault rule): 400. */
export class BadRequestError extends Error {
  override readonly name = 'BadRequestError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
