/** The refusals of POST /orders/validate and the one table mapping them to problem answers (the OpenAPI document reads it). */
import type { ProblemMapping } from '../shared/http/problem';
import type { Violation } from './validation-request';

/** The body is not a validation request; `violations` lists every mistake in it. */
export class InvalidRequestError extends Error {
  override readonly name = 'InvalidRequestError';
  constructor(readonly violations: Violation[]) {
    super('The validation request is not valid; see violations');
  }
}

/** The ERP (or the workflow) could not answer in time: the caller may retry shortly. */
export class ValidationUnavailableError extends Error {
  override readonly name = 'ValidationUnavailableError';
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
