/** Concord's error classes: one per failure a caller must tell apart; each edge maps them in one table. */

/** One schema or mapping problem, at a JSON path of the payload or event. */
export interface Violation {
  path: string;
  message: string;
}

/** The webhook names a source that is not in the source registry. */
export class UnknownSourceError extends Error {
  override readonly name = 'UnknownSourceError';
  constructor(readonly source: string) {
    super(`Unknown webhook source "${source}"`);
  }
}

/** The request body is not JSON. */
export class UnsupportedMediaTypeError extends Error {
  override readonly name = 'UnsupportedMediaTypeError';
  constructor(readonly contentType: string | undefined) {
    super(`Content type must be application/json, got ${contentType ? `"${contentType}"` : 'none'}`);
  }
}

/** The request body is larger than the ingest limit. */
export class PayloadTooLargeError extends Error {
  override readonly name = 'PayloadTooLargeError';
  constructor(
    readonly sizeBytes: number,
    readonly limitBytes: number,
  ) {
    super(`Body of ${sizeBytes} bytes exceeds the limit of ${limitBytes} bytes`);
  }
}

/** The signature is missing, malformed, stale or matches none of the active secrets. */
export class SignatureInvalidError extends Error {
  override readonly name = 'SignatureInvalidError';
}

/** The payload cannot be read: not JSON, or missing what the provider always sends. */
export class MalformedPayloadError extends Error {
  override readonly name = 'MalformedPayloadError';
}

/** The payload was read but does not make a valid canonical event. */
export class SchemaViolationError extends Error {
  override readonly name = 'SchemaViolationError';
  constructor(
    message: string,
    readonly violations: readonly Violation[],
    /** Where the payload was kept for operators, once it has been quarantined. */
    readonly quarantineRef?: string,
  ) {
    super(message);
  }
}

/** Another delivery of the same provider event is being processed right now. */
export class DeliveryInProgressError extends Error {
  override readonly name = 'DeliveryInProgressError';
  constructor(readonly deliveryId: string) {
    super(`Delivery ${deliveryId} is being processed; retry later`);
  }
}

/** A dependency (bus, table, bucket, secrets) failed; the sender should retry. */
export class DownstreamUnavailableError extends Error {
  override readonly name = 'DownstreamUnavailableError';
  constructor(
    readonly dependency: string,
    options?: { cause?: unknown },
  ) {
    super(`${dependency} is unavailable`, options);
  }
}

/** Runtime configuration is missing or invalid: the function cannot start. */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

/** A governance registry (sources, system of record) contradicts itself or the schemas. */
export class RegistryInconsistentError extends Error {
  override readonly name = 'RegistryInconsistentError';
  constructor(
    readonly registry: string,
    readonly problems: readonly string[],
  ) {
    super(`${registry} is inconsistent: ${problems.join('; ')}`);
  }
}
