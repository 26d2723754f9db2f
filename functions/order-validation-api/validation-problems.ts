/** The refusals of POST /orders/validate and the one table mapping them to problem answers (the OpenAPI document reads it). */
import { ConcordError, type ConcordErrorOptions } from '../shared/errors';
import type { ProblemMapping } from '../shared/http/problem';
import type { Violation } from './validation-request';

/** The body is not a validation request; `violations` lists every mistake in it. */
export class InvalidRequestError extends ConcordError {
  override readonly name = 'InvalidRequestError';
  constructor(
    readonly violations: Violation[],
    options?: ConcordErrorOptions,
  ) {
    super('The validation request is not valid; see violations', options);
  }
}

/** The ERP (or the workflow) could not answer in time: the caller may retry shortly. */
export class ValidationUnavailableError extends ConcordError {
  override readonly name = 'ValidationUnavailableError';
}

/**
 * The validation failed for a reason the caller cannot act on (the workflow failed or was aborted, Step Functions
 * refused the call): a 500 whose answer only quotes the request id, its details logged.
 */
export class ValidationFailedError extends ConcordError {
  override readonly name = 'ValidationFailedError';
}

/** 400: the body is not a validation request, with its violations. */
export const invalid: ProblemMapping = {
  status: 400,
  slug: 'invalid-request',
  title: 'Invalid request',
  extensions: (error: Error) => ({ violations: (error as InvalidRequestError).violations }),
};

/** 503: the ERP or the workflow did not answer within the budget; retry after a few seconds. */
export const unavailable: ProblemMapping = {
  status: 503,
  slug: 'validation-unavailable',
  title: 'Validation unavailable',
  retryAfterSec: 5,
};

/** 500: any other failure, answered without its details. */
export const internal: ProblemMapping = { status: 500, slug: 'internal-error', title: 'Internal error' };

/** The one table from error class to problem answer of POST /orders/validate; any other error is `internal`. */
export const validationProblemTable: readonly (readonly [new (...args: never[]) => Error, ProblemMapping])[] =
  [
    [InvalidRequestError, invalid],
    [ValidationUnavailableError, unavailable],
  ];

/** The problem answer for an error, from validationProblemTable. */
export function validationProblemFor(error: unknown): ProblemMapping {
  return validationProblemTable.find(([errorClass]) => error instanceof errorClass)?.[1] ?? internal;
}
