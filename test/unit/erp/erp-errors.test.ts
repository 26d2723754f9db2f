import {
  ErpNotFoundError,
  ErpOutcomeUnknownError,
  ErpRefusedError,
  ErpThrottledError,
  ErpUnavailableError,
} from '../../../functions/shared/erp/erp-errors';
import { ConcordError } from '../../../functions/shared/errors';

describe('ERP errors', () => {
  it('carry the failure underneath them as cause, and their class name for the workflows to match', () => {
    // Prepare
    const cause = new Error('socket hang up');
    // Act
    const errors = [
      new ErpRefusedError('out_of_stock', 'SKU A is out of stock', { cause }),
      new ErpThrottledError('slow down', 2, { cause }),
      new ErpUnavailableError('ERP unreachable', { cause }),
      new ErpOutcomeUnknownError('answer lost', { cause }),
      new ErpNotFoundError('no order 42', { cause }),
    ];
    // Assess
    expect(errors.map((error) => [error.name, error.cause, error instanceof ConcordError])).toEqual([
      ['ErpRefusedError', cause, true],
      ['ErpThrottledError', cause, true],
      ['ErpUnavailableError', cause, true],
      ['ErpOutcomeUnknownError', cause, true],
      ['ErpNotFoundError', cause, true],
    ]);
  });

  it('keep the refusal code and the pause asked for beside the cause', () => {
    // Act
    const refused = new ErpRefusedError('credit_rejected', 'over the limit');
    const throttled = new ErpThrottledError('slow down', 7);
    // Assess
    expect([refused.code, refused.message, refused.cause]).toEqual([
      'credit_rejected',
      'over the limit',
      undefined,
    ]);
    expect(throttled.retryAfterSec).toBe(7);
  });
});
