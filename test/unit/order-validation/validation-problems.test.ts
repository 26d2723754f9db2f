import {
  InvalidRequestError,
  internal,
  invalid,
  unavailable,
  ValidationFailedError,
  ValidationUnavailableError,
  validationProblemFor,
} from '../../../functions/order-validation-api/validation-problems';
import { ConcordError } from '../../../functions/shared/errors';

describe('validationProblemFor', () => {
  it('answers an invalid request with 400 and its violations', () => {
    // Prepare
    const error = new InvalidRequestError([{ path: '/lines', message: 'must not be empty' }]);
    // Act
    const mapping = validationProblemFor(error);
    // Assess
    expect(mapping).toBe(invalid);
    expect(mapping.extensions?.(error)).toEqual({
      violations: [{ path: '/lines', message: 'must not be empty' }],
    });
  });

  it('answers an unavailable validation with 503 and a Retry-After', () => {
    // Act
    const mapping = validationProblemFor(new ValidationUnavailableError('The ERP could not answer'));
    // Assess
    expect(mapping).toBe(unavailable);
    expect(mapping).toMatchObject({ status: 503, retryAfterSec: 5 });
  });

  it('answers a failed workflow, a plain error or a non-error with 500', () => {
    // Act
    const mappings = [new ValidationFailedError('ended FAILED'), new Error('boom'), 'not an error'].map(
      validationProblemFor,
    );
    // Assess
    expect(mappings).toEqual([internal, internal, internal]);
  });

  it('keeps the cause of a failure under the answer shown to the caller', () => {
    // Prepare
    const cause = new Error('AccessDeniedException: not allowed');
    // Act
    const error = new ValidationFailedError('Validation failed; quote request id req-1', { cause });
    // Assess
    expect(error).toBeInstanceOf(ConcordError);
    expect(error.name).toBe('ValidationFailedError');
    expect(error.cause).toBe(cause);
  });
});
