/** The ingest use case: verify, map, validate and dedupe a webhook, archive it, and publish its canonical events. */
import {
  DeliveryInProgressError,
  MalformedPayloadError,
  PayloadTooLargeError,
  SchemaViolationError,
  SignatureInvalidError,
  UnknownSourceError,
  UnsupportedMediaTypeError,
} from '../shared/errors';
import { buildEvents, type NewEvent } from '../shared/events/canonical-events';
import { redactPii } from '../shared/events/pii';
import { type StoredSigningSecrets, secretsForSender } from '../shared/secrets/webhook-secrets';
import { secretClassKey } from '../shared/sources/secret-class';
import type { WebhookSource } from '../shared/sources/source-registry';
import type { WebhookRequest } from '../shared/sources/webhook-request';
import type {
  DedupeStore,
  EventPublisher,
  IngestLogger,
  RawWebhookRecord,
  WebhookArchive,
  WebhookSecretSource,
} from './ports';

/** Everything the use case depends on. */
export interface IngestDependencies {
  sources: ReadonlyMap<string, WebhookSource>;
  secrets: WebhookSecretSource;
  dedupe: DedupeStore;
  archive: WebhookArchive;
  publisher: EventPublisher;
  logger: IngestLogger;
  /** Log published events (PII redacted) at debug level: costly, so only when that level is on. */
  logEventBodies: boolean;
  limits: { maxBodyBytes: number; inProgressSec: number };
  /** A flat secret list verifies a Shopify webhook of any shop: only on a stage no real shop posts to (local). */
  acceptUnboundSenderSecrets: boolean;
}

/** What happened to one provider delivery. */
export interface DeliveryResult {
  deliveryId: string;
  eventId: string;
  correlationId: string;
  duplicate: boolean;
}

/** The outcome of an accepted request; failures are thrown as the error classes in shared/errors. */
export type IngestOutcome =
  | { kind: 'accepted'; deliveries: DeliveryResult[]; ignored: string[] }
  | { kind: 'duplicate'; deliveries: DeliveryResult[] }
  | { kind: 'ignored'; ignored: string[] };

// Headers that carry credentials, or signatures derived from them, never reach the archive.
const strippedHeaders = new Set(['authorization', 'proxy-authorization', 'cookie', 'x-api-key']);
const signatureHeaders = new Set([
  'x-shopify-hmac-sha256',
  'stripe-signature',
  'x-hubspot-signature-v3',
  'x-hubspot-signature',
  'webhook-signature',
]);

function archivableHeaders(
  headers: Readonly<Record<string, string>>,
  declaredSignatureHeaders: readonly string[],
): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (strippedHeaders.has(name)) continue;
    const signed = signatureHeaders.has(name) || declaredSignatureHeaders.includes(name);
    kept[name] = signed ? '[redacted]' : value;
  }
  return kept;
}

function rawRecord(
  request: WebhookRequest,
  deliveryIds: string[],
  source: WebhookSource | undefined,
): RawWebhookRecord {
  return {
    source: request.sourceName,
    deliveryIds,
    receivedAt: request.receivedAt.toISOString(),
    method: request.method,
    url: request.url,
    // A declared scheme names its own signature header: it is redacted like the built-in ones.
    headers: archivableHeaders(request.headers, source?.signatureHeaders ?? []),
    bodyBase64: request.body.toString('base64'),
  };
}

function assertJsonContent(contentType: string | undefined): void {
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'application/json' && !mediaType?.endsWith('+json'))
    throw new UnsupportedMediaTypeError(contentType);
}

/** Verifies the request; answers the signing secrets (newest first) that verified it. */
async function verifySignature(
  request: WebhookRequest,
  source: WebhookSource,
  deps: IngestDependencies,
): Promise<string[]> {
  // Shopify signs only the body: the shop it names picks the secrets, so its body cannot pass as another shop's.
  const sender = source.senderOf?.(request);
  const verify = (stored: StoredSigningSecrets) => {
    const secrets = secretsForSender(stored, source.name, sender, {
      acceptUnboundSenderSecrets: deps.acceptUnboundSenderSecrets,
    });
    source.verify(request, secrets);
    return secrets;
  };
  try {
    return verify(await deps.secrets.secretsFor(source.name));
  } catch (error) {
    if (!(error instanceof SignatureInvalidError)) throw error;
    // A mismatch right after a rotation, or a shop just added: try once more with fresh secrets (rate-limited by the secret source).
    const fresh = await deps.secrets.refresh(source.name);
    if (!fresh) throw error;
    return verify(fresh);
  }
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new MalformedPayloadError(`Body is not valid JSON: ${(error as Error).message}`);
  }
}

async function mapAndValidate(
  request: WebhookRequest,
  source: WebhookSource,
  deps: IngestDependencies,
  sealingKey: Buffer,
) {
  const payload = parseJson(request.body);
  try {
    const deliveries = await source.map(request, payload);
    return { deliveries, events: buildEvents(request, deliveries, sealingKey) };
  } catch (error) {
    if (!(error instanceof SchemaViolationError)) throw error;
    // Authenticated but unusable: keep it where an operator can list, fix and replay it.
    const quarantineRef = await deps.archive.putQuarantined({
      ...rawRecord(request, [], source),
      reason: error.message,
      violations: error.violations,
    });
    // Paths only: a violation message may quote the offending value, which can be personal data.
    deps.logger.warn('webhook quarantined', {
      source: source.name,
      quarantineRef,
      violationPaths: error.violations.map((v) => v.path),
    });
    throw new SchemaViolationError(error.message, error.violations, quarantineRef);
  }
}

interface Claimed extends NewEvent {
  token: string;
}

async function releaseAll(
  claims: readonly Claimed[],
  source: WebhookSource,
  deps: IngestDependencies,
): Promise<void> {
  const results = await Promise.allSettled(
    claims.map((claim) =>
      deps.dedupe.release({ source: source.name, deliveryId: claim.deliveryId }, claim.token),
    ),
  );
  // A claim that cannot be released expires after inProgressSec; the provider's retry is then processed.
  for (const result of results)
    if (result.status === 'rejected') deps.logger.warn('dedupe claim not released', { error: result.reason });
}

async function claimAll(
  events: NewEvent[],
  source: WebhookSource,
  request: WebhookRequest,
  deps: IngestDependencies,
) {
  const claimed: Claimed[] = [];
  const duplicates: DeliveryResult[] = [];
  try {
    for (const item of events) {
      const key = { source: source.name, deliveryId: item.deliveryId };
      const outcome = await deps.dedupe.claim(key, {
        windowSec: source.dedupeWindowSec,
        inProgressSec: deps.limits.inProgressSec,
        now: request.receivedAt,
      });
      if (outcome.status === 'claimed') claimed.push({ ...item, token: outcome.token });
      else if (outcome.status === 'completed')
        duplicates.push({
          deliveryId: item.deliveryId,
          eventId: outcome.eventId,
          correlationId: outcome.correlationId,
          duplicate: true,
        });
      else throw new DeliveryInProgressError(item.deliveryId);
    }
  } catch (error) {
    await releaseAll(claimed, source, deps);
    throw error;
  }
  return { claimed, duplicates };
}

/** Runs one webhook through the ingest edge; never acknowledges what is not durably archived and on the bus. */
export async function receiveWebhook(
  request: WebhookRequest,
  deps: IngestDependencies,
): Promise<IngestOutcome> {
  const source = deps.sources.get(request.sourceName);
  if (!source) throw new UnknownSourceError(request.sourceName);
  assertJsonContent(request.headers['content-type']);
  if (request.body.length > deps.limits.maxBodyBytes)
    throw new PayloadTooLargeError(request.body.length, deps.limits.maxBodyBytes);
  const signingSecrets = await verifySignature(request, source, deps);
  // Secret-class values (bank details) are sealed before any event exists: nothing downstream ever holds them plain.
  const sealingKey = secretClassKey(source.name, signingSecrets[0] ?? '');
  const { deliveries, events } = await mapAndValidate(request, source, deps, sealingKey);
  const ignored = deliveries.flatMap((delivery) => (delivery.kind === 'ignored' ? [delivery.reason] : []));
  if (events.length === 0) {
    deps.logger.info('webhook ignored', { source: source.name, ignored });
    return { kind: 'ignored', ignored };
  }

  const { claimed, duplicates } = await claimAll(events, source, request, deps);
  if (claimed.length === 0) {
    deps.logger.info('duplicate delivery', { source: source.name, deliveries: duplicates });
    return { kind: 'duplicate', deliveries: duplicates };
  }

  try {
    const archiveKey = await deps.archive.putRaw(
      rawRecord(
        request,
        claimed.map((claim) => claim.deliveryId),
        source,
      ),
    );
    await deps.publisher.publish(claimed.map((claim) => claim.event));
    deps.logger.info('events published', {
      source: source.name,
      archiveKey,
      events: claimed.map(({ event }) => ({
        id: event.id,
        type: event.type,
        subject: event.subject,
        correlationId: event.correlationid,
      })),
    });
    if (deps.logEventBodies)
      deps.logger.debug('published event bodies', { events: claimed.map((claim) => redactPii(claim.event)) });
  } catch (error) {
    await releaseAll(claimed, source, deps);
    throw error;
  }

  const completions = await Promise.allSettled(
    claimed.map((claim) =>
      deps.dedupe.complete({ source: source.name, deliveryId: claim.deliveryId }, claim.token, {
        eventId: claim.event.id,
        correlationId: claim.event.correlationid,
      }),
    ),
  );
  // The events are on the bus: acknowledge. An unrecorded completion only risks a duplicate, which downstream idempotency absorbs.
  for (const result of completions)
    if (result.status === 'rejected')
      deps.logger.warn('dedupe completion not recorded', { error: result.reason });

  const published = claimed.map((claim) => ({
    deliveryId: claim.deliveryId,
    eventId: claim.event.id,
    correlationId: claim.event.correlationid,
    duplicate: false,
  }));
  return { kind: 'accepted', deliveries: [...published, ...duplicates], ignored };
}
