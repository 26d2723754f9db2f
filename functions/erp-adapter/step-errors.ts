/** The ERP adapter's own failures: steps the workflow must hold, requests that are not ERP steps, events it refuses to announce. */
import { ErpRefusedError } from '../shared/erp/erp-errors';
import { ConcordError, type ConcordErrorOptions, type Violation } from '../shared/errors';

/** The order an amendment or cancellation refers to is not in the ERP yet: the flow holds it and tries again. */
export class OrderNotYetKnownError extends ConcordError {
  override readonly name = 'OrderNotYetKnownError';
}

/** A payment arrived before the ERP invoiced its order: the flow holds it (bounded) and tries again. */
export class InvoiceNotYetPostedError extends ConcordError {
  override readonly name = 'InvoiceNotYetPostedError';
}

/**
 * The request is not an ERP step (no operation, business key or entity version). A refusal: the workflow's
 * `ErpRefusedError` Catch sees it under that name (a subclass keeps it), so the contract is unchanged.
 */
export class InvalidErpStepError extends ErpRefusedError {
  constructor(message: string) {
    super('invalid_step', message);
  }
}

/**
 * The step names an operation the adapter has no handler for. Refused, never retried: a workflow that sends it is
 * wrong, and a retry would send it again. Seen by Step Functions as `ErpRefusedError` (code `unknown_operation`).
 */
export class UnknownErpOperationError extends ErpRefusedError {
  constructor(readonly operation: unknown) {
    super(
      'unknown_operation',
      `The ERP adapter has no operation ${JSON.stringify(operation)?.slice(0, 100)}`,
    );
  }
}

/**
 * An authoritative event the adapter built would violate its own schema: a bug in the adapter, not bad input. It is
 * thrown before publishing, so nothing invalid reaches the bus and the execution fails where an operator looks.
 */
export class InvalidErpEventError extends ConcordError {
  override readonly name = 'InvalidErpEventError';
  constructor(
    readonly type: string,
    readonly violations: readonly Violation[],
    options?: ConcordErrorOptions,
  ) {
    super(`${type} would violate its schema: ${JSON.stringify(violations)}`, options);
  }
}
