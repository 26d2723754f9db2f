import { callHonouringRetryAfter } from '../../../functions/erp-adapter/retry-after';
import { ErpThrottledError, ErpUnavailableError } from '../../../functions/shared/erp/erp-errors';
import { retryAfterSeconds } from '../../../functions/shared/erp/http-erp-connector';

describe('callHonouringRetryAfter', () => {
  const budget = { remainingMs: () => 30_000, callReserveMs: 6_000, maxPauses: 2, maxPauseMs: 5_000 };

  function failingTimes(errors: Error[]) {
    const call = jest.fn(async () => {
      const error = errors.shift();
      if (error) throw error;
      return 'done';
    });
    return call;
  }

  it('pauses for the Retry-After the ERP asked for, then calls again', async () => {
    // Prepare
    const sleep = jest.fn(async () => {});
    const call = failingTimes([new ErpThrottledError('slow down', 2)]);
    // Act
    const result = await callHonouringRetryAfter(call, { ...budget, sleep });
    // Assess
    expect([result, call.mock.calls.length, sleep.mock.calls]).toEqual(['done', 2, [[2000]]]);
  });

  it('hands the throttle back to the workflow once the pauses are used up', async () => {
    const sleep = jest.fn(async () => {});
    const call = failingTimes([1, 2, 3].map(() => new ErpThrottledError('slow down', 1)));
    await expect(callHonouringRetryAfter(call, { ...budget, sleep })).rejects.toBeInstanceOf(
      ErpThrottledError,
    );
    expect([call.mock.calls.length, sleep.mock.calls.length]).toEqual([3, 2]);
  });

  it('does not pause when the pause and one more call would outlive the invocation', async () => {
    const sleep = jest.fn(async () => {});
    const call = failingTimes([new ErpThrottledError('slow down', 3)]);
    await expect(
      callHonouringRetryAfter(call, { ...budget, remainingMs: () => 8_000, sleep }),
    ).rejects.toBeInstanceOf(ErpThrottledError);
    expect(sleep).not.toHaveBeenCalled();
  });

  it('does not park the Lambda for a long Retry-After', async () => {
    const sleep = jest.fn(async () => {});
    const call = failingTimes([new ErpThrottledError('slow down', 60)]);
    await expect(callHonouringRetryAfter(call, { ...budget, sleep })).rejects.toMatchObject({
      retryAfterSec: 60,
    });
    expect(sleep).not.toHaveBeenCalled();
  });

  it('never retries other errors itself', async () => {
    const sleep = jest.fn(async () => {});
    const call = failingTimes([new ErpUnavailableError('down')]);
    await expect(callHonouringRetryAfter(call, { ...budget, sleep })).rejects.toBeInstanceOf(
      ErpUnavailableError,
    );
    expect(call).toHaveBeenCalledTimes(1);
  });
});

describe('retryAfterSeconds', () => {
  it.each([
    ['7', 7],
    [' 12 ', 12],
    [null, 1],
    ['soon', 1],
    ['Fri, 27 Nov 2026 20:00:05 GMT', 5],
    ['Fri, 27 Nov 2026 19:59:00 GMT', 0],
  ])('reads %p as %p seconds', (header, seconds) => {
    expect(retryAfterSeconds(header, Date.parse('2026-11-27T20:00:00Z'))).toBe(seconds);
  });
});
