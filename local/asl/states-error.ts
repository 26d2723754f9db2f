/** Errors raised inside a state machine execution, named as Step Functions names them. */

/** An error with a Step Functions error name (States.Timeout, a Lambda's errorType, …) and a cause. */
export class StatesError extends Error {
  override readonly name = 'StatesError';

  constructor(
    readonly error: string,
    override readonly cause: string,
  ) {
    super(`${error}: ${cause}`);
  }
}

/** Errors that no Retry or Catch can handle (States.ALL does not match them, and naming them does not help). */
export const uncatchableErrors = new Set(['States.Runtime']);

/** Errors that States.ALL does not match (they can still be named explicitly). */
const notMatchedByAll = new Set(['States.Runtime', 'States.DataLimitExceeded']);

/** Whether a Retrier's or Catcher's ErrorEquals list matches an error name. */
export function errorMatches(errorEquals: readonly string[], error: string): boolean {
  if (uncatchableErrors.has(error)) return false;
  return errorEquals.some((name) => {
    if (name === error) return true;
    if (name === 'States.ALL') return !notMatchedByAll.has(error);
    // States.TaskFailed matches any task failure except a timeout.
    if (name === 'States.TaskFailed')
      return !notMatchedByAll.has(error) && error !== 'States.Timeout' && error !== 'States.HeartbeatTimeout';
    return false;
  });
}

/** A States.Runtime error: a definition that cannot be applied to the data at hand. */
export function runtimeError(cause: string): StatesError {
  return new StatesError('States.Runtime', cause);
}

/** The error name of a Fail state without Error: none (the execution fails with no error name, as on AWS). */
export const noFailError = '';

/** The cause of a Fail state without Cause: none (AWS omits it from DescribeExecution and the history). */
export const noFailCause = '';

/** Errors the interpreter raises itself (not a task's, a Fail state's or a timeout): AWS says where they happened. */
const interpreterErrors = new Set([
  'States.Runtime',
  'States.QueryEvaluationError',
  'States.IntrinsicFailure',
]);

const locationPrefix = 'An error occurred while executing the state ';

/**
 * Prefixes the cause of an error the interpreter raised in a state as AWS does ("An error occurred while executing
 * the state 'S' (entered at the event id #N). …"), once, at the innermost state: a Parallel or Map that passes a
 * branch's error on keeps the branch state's location. Without an event id (a recorder that numbers nothing),
 * the error is left as it is.
 */
export function locatedInState(
  error: unknown,
  stateName: string,
  enteredEventId: number | undefined,
): unknown {
  if (
    enteredEventId === undefined ||
    !(error instanceof StatesError) ||
    !interpreterErrors.has(error.error) ||
    error.cause.startsWith(locationPrefix)
  )
    return error;
  return new StatesError(
    error.error,
    `${locationPrefix}'${stateName}' (entered at the event id #${enteredEventId}). ${error.cause}`,
  );
}
