/** Identifiers: ULIDs for events, sortable by time and unique across concurrent Lambdas. */
import { monotonicFactory } from 'ulid';

const nextUlid = monotonicFactory();

/** A new ULID (26 Crockford base32 characters). */
export function newId(): string {
  return nextUlid();
}

const correlationIdPattern = /^[A-Za-z0-9._:-]{1,128}$/;

/** Reuses a caller's correlation id when it is well formed, otherwise starts a new one. */
export function correlationIdFrom(incoming: string | undefined): string {
  return incoming && correlationIdPattern.test(incoming) ? incoming : newId();
}
