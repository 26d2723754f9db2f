/**
 * The write-back port: the ERP's status of an order or customer, sent back to the SaaS platform it came from
 * (a Shopify order's tags and metafields, a HubSpot contact's ERP properties). Real platform connectors plug in here.
 */
import { ConcordError } from '../errors';

/** What the platform is told. */
export type PlatformStatus = 'accepted' | 'credit-held' | 'invoiced' | 'customer-linked';

/** One status update for one platform record. */
export interface PlatformStatusUpdate {
  /** The platform, from the scheme of the origin URI (shopify, hubspot, …). */
  platform: string;
  /** The platform instance the record lives in, e.g. shopify://acme.myshopify.com. */
  origin: string;
  entity: 'order' | 'customer';
  /** The platform's id of the record (the order id, the contact id). */
  externalRef: string;
  status: PlatformStatus;
  /** The ERP document or account the status refers to (SO-…, INV-…, C-…). */
  erpReference: string;
  /** The values the platform record gets, named as the platform names them. */
  fields: Record<string, string>;
  correlationId: string;
  /** The ERP event this update reports. */
  sourceEventId: string;
  occurredAt: string;
}

/** Sends status updates to platforms; the same idempotency key never writes twice. */
export interface PlatformStatusPort {
  send(update: PlatformStatusUpdate, idempotencyKey: string): Promise<void>;
}

/** The platform did not answer or failed (5xx, 429, timeout): the write is retried. */
export class PlatformUnavailableError extends ConcordError {
  override readonly name = 'PlatformUnavailableError';
}

/** The platform refused the update (4xx): retrying the same request cannot succeed. */
export class PlatformRefusedError extends ConcordError {
  override readonly name = 'PlatformRefusedError';
}
