/** The ports of the ingest use case: what it needs from the outside world, independent of AWS. */
import type { CanonicalEvent } from '../shared/events/envelope';
import type { StoredSigningSecrets } from '../shared/secrets/webhook-secrets';
import type { RawWebhookRecord } from '../shared/sources/raw-webhook-record';

// The archive's record is shared with the replay function, which reads it back; the archive port names it here.
export type { RawWebhookRecord };

/** The active signing secrets of each source (several during a rotation; per shop for Shopify). */
export interface WebhookSecretSource {
  /** The source's secrets, from a short-lived cache. */
  secretsFor(source: string): Promise<StoredSigningSecrets>;
  /** Fresh secrets after a signature mismatch (a rotation may just have happened); undefined when refreshed too recently to try again. */
  refresh(source: string): Promise<StoredSigningSecrets | undefined>;
}

/** Identifies one provider delivery: the dedupe key. */
export interface DeliveryKey {
  source: string;
  deliveryId: string;
}

/** What a claim on a delivery found. */
export type ClaimOutcome =
  | { status: 'claimed'; token: string }
  | { status: 'completed'; eventId: string; correlationId: string }
  | { status: 'in-progress' };

/** Remembers deliveries for a window longer than the provider's retries, so each is published once. */
export interface DedupeStore {
  /** Atomically claims a delivery unless it completed within its window or another claim is still live. */
  claim(
    key: DeliveryKey,
    options: { windowSec: number; inProgressSec: number; now: Date },
  ): Promise<ClaimOutcome>;
  /** Marks a claimed delivery published, with the ids a duplicate will be answered with. */
  complete(
    key: DeliveryKey,
    token: string,
    result: { eventId: string; correlationId: string },
  ): Promise<void>;
  /** Gives a claim back after a failure, so the provider's retry is processed afresh. */
  release(key: DeliveryKey, token: string): Promise<void>;
}

/** A payload refused for a schema violation, kept for operators to inspect and fix. */
export interface QuarantineRecord extends RawWebhookRecord {
  reason: string;
  violations: readonly { path: string; message: string }[];
}

/** Durable storage of raw and quarantined webhooks. */
export interface WebhookArchive {
  /** Stores the raw webhook; resolves with its key once durable. */
  putRaw(record: RawWebhookRecord): Promise<string>;
  /** Stores a refused payload in the quarantine; resolves with its key once durable. */
  putQuarantined(record: QuarantineRecord): Promise<string>;
}

/** Puts canonical events on the bus; resolves only when every one is accepted, else throws DownstreamUnavailableError. */
export interface EventPublisher {
  publish(events: readonly CanonicalEvent[]): Promise<void>;
}

/** Structured logging (Powertools Logger in production). */
export interface IngestLogger {
  debug(message: string, extra: Record<string, unknown>): void;
  info(message: string, extra: Record<string, unknown>): void;
  warn(message: string, extra: Record<string, unknown>): void;
  error(message: string, extra: Record<string, unknown>): void;
}
