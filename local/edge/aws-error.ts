/** AWS-shaped errors raised by the local services; the edge renders them in each protocol's error shape. */

/** An error AWS would answer, with its code and HTTP status. */
export class AwsError extends Error {
  override readonly name: string = 'AwsError';

  constructor(
    readonly code: string,
    message: string,
    readonly statusCode = 400,
    /** SQS's legacy query error code (x-amzn-query-error), for SDK compatibility. */
    readonly queryErrorCode?: string,
  ) {
    super(message);
  }
}

/** ValidationException for a missing or malformed parameter. */
export function validationError(message: string): AwsError {
  return new AwsError('ValidationException', message);
}

/** ResourceNotFoundException. */
export function notFound(message: string): AwsError {
  return new AwsError('ResourceNotFoundException', message);
}
