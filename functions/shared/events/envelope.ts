/** The canonical event: CloudEvents 1.0 envelope around schema-validated data, and how it goes on the bus. */
import type { ErrorObject } from 'ajv';
import type { Violation } from '../errors';
import { type CanonicalTypeName, canonicalCatalog, validateEnvelope } from '../generated/catalog';
import type { CanonicalDataByType, CanonicalEnvelope } from '../generated/types';

export type { CanonicalTypeName } from '../generated/catalog';

// The envelope schema admits extension attributes; typed code names the standard ones (Omit would lose them to the index signature).
type EnvelopeAttributeName =
  | 'specversion'
  | 'id'
  | 'source'
  | 'subject'
  | 'time'
  | 'dataschema'
  | 'datacontenttype'
  | 'correlationid'
  | 'causationid'
  | 'origin'
  | 'entityversion';

/** A canonical event of type T, its data typed from T's schema. */
export type CanonicalEvent<T extends CanonicalTypeName = CanonicalTypeName> = Pick<
  CanonicalEnvelope,
  EnvelopeAttributeName
> & {
  type: T;
  data: CanonicalDataByType[T];
};

/** What a mapper knows of an event before Concord gives it identity. */
export interface EventDraft<T extends CanonicalTypeName = CanonicalTypeName> {
  type: T;
  /** CloudEvents source, e.g. shopify://acme.myshopify.com. */
  source: string;
  /** The entity, e.g. order/4501. */
  subject: string;
  /** When the fact happened at the provider (RFC 3339). */
  time: string;
  /** Provider-derived version of the entity, in ticks without ties (docs/architecture.md, Entity versions). */
  entityVersion: number;
  data: CanonicalDataByType[T];
}

/** Identity given to an event by the component that emits it. */
export interface EventIdentity {
  id: string;
  correlationId: string;
  causationId: string;
  /** The SaaS source the transaction started from, when the event answers one (the `origin` extension). */
  origin?: string;
}

/** Bus `Source` of events published by the ingest edge. */
export const ingestBusSource = 'concord.ingest';

/** Bus `Source` of events the ERP side publishes: the ERP adapter's answers and the outbox relay's ERP events. */
export const erpBusSource = 'concord.erp';

/** Bus `Source` of governance events (the reconciliation's results). */
export const governanceBusSource = 'concord.governance';

/** Whether a string names a canonical type Concord has a schema for. */
export function isCanonicalType(type: string): type is CanonicalTypeName {
  return Object.hasOwn(canonicalCatalog, type);
}

/** Wraps a draft in the envelope. */
export function buildCanonicalEvent<T extends CanonicalTypeName>(
  draft: EventDraft<T>,
  identity: EventIdentity,
): CanonicalEvent<T> {
  return {
    specversion: '1.0',
    id: identity.id,
    source: draft.source,
    type: draft.type,
    subject: draft.subject,
    time: draft.time,
    dataschema: canonicalCatalog[draft.type].schemaId,
    datacontenttype: 'application/json',
    correlationid: identity.correlationId,
    causationid: identity.causationId,
    ...(identity.origin ? { origin: identity.origin } : {}),
    entityversion: draft.entityVersion,
    data: draft.data,
  };
}

function toViolations(errors: ErrorObject[] | null | undefined, prefix: string): Violation[] {
  return (errors ?? []).map((error) => ({
    path: `${prefix}${error.instancePath}` || '/',
    message: error.message ?? error.keyword,
  }));
}

/** Validates the envelope and the data against the type's schema; an empty list means valid. */
export function validateCanonicalEvent(event: { type: string; data: unknown }): Violation[] {
  const envelopeViolations = validateEnvelope(event) ? [] : toViolations(validateEnvelope.errors, '');
  if (!isCanonicalType(event.type))
    return [...envelopeViolations, { path: '/type', message: `unknown canonical type "${event.type}"` }];
  const { validate } = canonicalCatalog[event.type];
  const dataViolations = validate(event.data) ? [] : toViolations(validate.errors, '/data');
  return [...envelopeViolations, ...dataViolations];
}
