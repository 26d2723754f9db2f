/** Concord's error classes: one per failure a caller must tell apart; each edge maps them in one table. */

/** What every Concord error may carry: the failure underneath it, kept for the logs and never shown to a caller. */
export interface ConcordErrorOptions {
  cause?: unknown;
}

/**
 * The base of every Concord error class: a message and, optionally, the `cause` it wraps. Subclasses set
 * `override readonly name` to their class name, since Step Functions `Catch`/`Retry` rules and the HTTP problem tables
 * match on it.
 */
export abstract class ConcordError extends Error {
  constructor(message: string, options?: ConcordErrorOptions) {
    super(message, options);
  }
}

/** One schema or mapping problem, at a JSON path of the payload or event. */
export interface Violation {
  path: string;
  message: string;
}

/** The webhook names a source that is not in the source registry. */
export class UnknownSourceError extends ConcordError {
  override readonly name = 'UnknownSourceError';
  constructor(
    readonly source: string,
    options?: ConcordErrorOptions,
  ) {
    super(`Unknown webhook source "${source}"`, options);
  }
}

/** The request body is not JSON. */
export class UnsupportedMediaTypeError extends ConcordError {
  override readonly name = 'UnsupportedMediaTypeError';
  constructor(
    readonly contentType: string | undefined,
    options?: ConcordErrorOptions,
  ) {
    super(`Content type must be application/json, got ${contentType ? `"${contentType}"` : 'none'}`, options);
  }
}

/** The request body is larger than the ingest limit. */
export class PayloadTooLargeError extends ConcordError {
  override readonly name = 'PayloadTooLargeError';
  constructor(
    readonly sizeBytes: number,
    readonly limitBytes: number,
    options?: ConcordErrorOptions,
  ) {
    super(`Body of ${sizeBytes} bytes exceeds the limit of ${limitBytes} bytes`, options);
  }
}

/** The signature is missing, malformed, stale or matches none of the active secrets. */
export class SignatureInvalidError extends ConcordError {
  override readonly name = 'SignatureInvalidError';
}

/** The payload cannot be read: not JSON, or missing what the provider always sends. */
export class MalformedPayloadError extends ConcordError {
  override readonly name = 'MalformedPayloadError';
}

/** A bus event whose detail is not a valid canonical event: a producer's bug, so it is written nowhere. */
export class InvalidCanonicalEventError extends ConcordError {
  override readonly name = 'InvalidCanonicalEventError';
  constructor(
    readonly eventId: string,
    readonly detailType: string,
    readonly violations: readonly Violation[],
    options?: ConcordErrorOptions,
  ) {
    super(
      `Bus event ${eventId} (${detailType}) is not a valid canonical event: ${JSON.stringify(violations)}`,
      options,
    );
  }
}

/** The payload was read but does not make a valid canonical event. */
export class SchemaViolationError extends ConcordError {
  override readonly name = 'SchemaViolationError';
  constructor(
    message: string,
    readonly violations: readonly Violation[],
    /** Where the payload was kept for operators, once it has been quarantined. */
    readonly quarantineRef?: string,
    options?: ConcordErrorOptions,
  ) {
    super(message, options);
  }
}

/** Another delivery of the same provider event is being processed right now. */
export class DeliveryInProgressError extends ConcordError {
  override readonly name = 'DeliveryInProgressError';
  constructor(
    readonly deliveryId: string,
    options?: ConcordErrorOptions,
  ) {
    super(`Delivery ${deliveryId} is being processed; retry later`, options);
  }
}

/** A dependency (bus, table, bucket, secrets) failed; the sender should retry. */
export class DownstreamUnavailableError extends ConcordError {
  override readonly name = 'DownstreamUnavailableError';
  constructor(
    readonly dependency: string,
    options?: ConcordErrorOptions,
  ) {
    super(`${dependency} is unavailable`, options);
  }
}

/**
 * A batch call (PutEvents, SendMessageBatch) answered that it did not take some of its entries: the `cause` of the
 * DownstreamUnavailableError raised once retrying them is given up, listing each refusal as `code: message`.
 */
export class BatchEntriesRefusedError extends ConcordError {
  override readonly name = 'BatchEntriesRefusedError';
  constructor(
    message: string,
    readonly refusals: readonly string[],
    options?: ConcordErrorOptions,
  ) {
    super(message, options);
  }
}

/** Runtime configuration is missing or invalid: the function cannot start. */
export class ConfigurationError extends ConcordError {
  override readonly name = 'ConfigurationError';
}

/** A governance registry (sources, system of record) contradicts itself or the schemas. */
export class RegistryInconsistentError extends ConcordError {
  override readonly name = 'RegistryInconsistentError';
  constructor(
    readonly registry: string,
    readonly problems: readonly string[],
    options?: ConcordErrorOptions,
  ) {
    super(`${registry} is inconsistent: ${problems.join('; ')}`, options);
  }
}
