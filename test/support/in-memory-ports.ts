/** In-memory implementations of the ingest ports, for use-case tests and the ingest benchmark. */
import type {
  ClaimOutcome,
  DedupeStore,
  DeliveryKey,
  EventPublisher,
  IngestLogger,
  QuarantineRecord,
  RawWebhookRecord,
  WebhookArchive,
  WebhookSecretSource,
} from '../../functions/ingest-webhook/ports';
import type { IngestDependencies } from '../../functions/ingest-webhook/receive-webhook';
import { DownstreamUnavailableError } from '../../functions/shared/errors';
import type { CanonicalEvent } from '../../functions/shared/events/envelope';
import type { StoredSigningSecrets } from '../../functions/shared/secrets/webhook-secrets';
import { loadSourceRegistry } from '../../functions/shared/sources/source-registry';
import { testShopDomain } from './signers';

interface DedupeRecord {
  status: 'IN_PROGRESS' | 'COMPLETED';
  token: string;
  inProgressUntilMs: number;
  expiresAtMs: number;
  eventId?: string;
  correlationId?: string;
}

/** The dedupe semantics of the DynamoDB store, in a Map. */
export class InMemoryDedupeStore implements DedupeStore {
  readonly records = new Map<string, DedupeRecord>();
  private nextToken = 0;

  async claim(
    key: DeliveryKey,
    options: { windowSec: number; inProgressSec: number; now: Date },
  ): Promise<ClaimOutcome> {
    const id = `${key.source}#${key.deliveryId}`;
    const nowMs = options.now.getTime();
    const existing = this.records.get(id);
    const live =
      existing &&
      existing.expiresAtMs >= nowMs &&
      (existing.status === 'COMPLETED' || existing.inProgressUntilMs >= nowMs);
    if (existing && live) {
      return existing.status === 'COMPLETED'
        ? {
            status: 'completed',
            eventId: existing.eventId ?? '',
            correlationId: existing.correlationId ?? '',
          }
        : { status: 'in-progress' };
    }
    const token = `token-${++this.nextToken}`;
    this.records.set(id, {
      status: 'IN_PROGRESS',
      token,
      inProgressUntilMs: nowMs + options.inProgressSec * 1000,
      expiresAtMs: nowMs + options.windowSec * 1000,
    });
    return { status: 'claimed', token };
  }

  async complete(
    key: DeliveryKey,
    token: string,
    result: { eventId: string; correlationId: string },
  ): Promise<void> {
    const record = this.records.get(`${key.source}#${key.deliveryId}`);
    if (record?.token === token) Object.assign(record, { status: 'COMPLETED', ...result });
  }

  async release(key: DeliveryKey, token: string): Promise<void> {
    const id = `${key.source}#${key.deliveryId}`;
    if (this.records.get(id)?.token === token) this.records.delete(id);
  }
}

/** Keeps archived and quarantined records; can be told to fail. */
export class InMemoryArchive implements WebhookArchive {
  readonly raw: RawWebhookRecord[] = [];
  readonly quarantined: QuarantineRecord[] = [];
  failing = false;

  async putRaw(record: RawWebhookRecord): Promise<string> {
    if (this.failing) throw new DownstreamUnavailableError('S3 raw archive');
    this.raw.push(record);
    return `memory://raw/${this.raw.length}`;
  }

  async putQuarantined(record: QuarantineRecord): Promise<string> {
    if (this.failing) throw new DownstreamUnavailableError('S3 quarantine');
    this.quarantined.push(record);
    return `memory://quarantine/${this.quarantined.length}`;
  }
}

/** An in-memory bus; can be told to fail. */
export class InMemoryPublisher implements EventPublisher {
  readonly published: CanonicalEvent[] = [];
  failing = false;

  async publish(events: readonly CanonicalEvent[]): Promise<void> {
    if (this.failing) throw new DownstreamUnavailableError('EventBridge');
    this.published.push(...events);
  }
}

/** A source's secrets as a test writes them: one list for any sender, or per sender (Shopify: shop domain → list). */
export type TestSecretValues = readonly string[] | Readonly<Record<string, readonly string[]>>;

function storedSecrets(values: TestSecretValues | undefined): StoredSigningSecrets {
  if (values === undefined) return { kind: 'any-sender', secrets: [] };
  if (Array.isArray(values)) return { kind: 'any-sender', secrets: [...values] };
  const bySender = Object.fromEntries(
    Object.entries(values as Readonly<Record<string, readonly string[]>>).map(([sender, list]) => [
      sender,
      [...list],
    ]),
  );
  return { kind: 'per-sender', bySender };
}

/** Fixed secrets per source; `rotateTo` simulates a rotation the cache has not seen yet. */
export class StaticSecrets implements WebhookSecretSource {
  private fresh: Readonly<Record<string, TestSecretValues>> | undefined;
  refreshCalls = 0;

  constructor(private secrets: Readonly<Record<string, TestSecretValues>>) {}

  rotateTo(secrets: Readonly<Record<string, TestSecretValues>>): void {
    this.fresh = secrets;
  }

  async secretsFor(source: string): Promise<StoredSigningSecrets> {
    return storedSecrets(this.secrets[source]);
  }

  async refresh(source: string): Promise<StoredSigningSecrets | undefined> {
    this.refreshCalls += 1;
    if (!this.fresh) return undefined;
    this.secrets = this.fresh;
    this.fresh = undefined;
    return storedSecrets(this.secrets[source]);
  }
}

/** Records log lines instead of printing them. */
export class RecordingLogger implements IngestLogger {
  readonly lines: { level: string; message: string; extra: Record<string, unknown> }[] = [];
  debug(message: string, extra: Record<string, unknown>): void {
    this.lines.push({ level: 'debug', message, extra });
  }
  info(message: string, extra: Record<string, unknown>): void {
    this.lines.push({ level: 'info', message, extra });
  }
  warn(message: string, extra: Record<string, unknown>): void {
    this.lines.push({ level: 'warn', message, extra });
  }
  error(message: string, extra: Record<string, unknown>): void {
    this.lines.push({ level: 'error', message, extra });
  }
}

/** The test secrets of every registered source (Shopify's are bound to testShopDomain in inMemoryIngest). */
export const testSecrets = {
  shopify: ['shpss_current_7f3b2a9c', 'shpss_previous_1d8e4f6a'],
  stripe: ['whsec_test_current_5b7d9f1a3c', 'whsec_test_previous_2e4g6h8j'],
  hubspot: ['hubspot-app-secret-current-1234', 'hubspot-app-secret-previous-5678'],
  'billing-hub': ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD'],
} as const satisfies Record<string, readonly [string, string]>;

/** Ingest dependencies on in-memory ports, with the real source registry. */
export function inMemoryIngest(overrides: Partial<IngestDependencies> = {}) {
  const dedupe = new InMemoryDedupeStore();
  const archive = new InMemoryArchive();
  const publisher = new InMemoryPublisher();
  const secrets = new StaticSecrets({ ...testSecrets, shopify: { [testShopDomain]: testSecrets.shopify } });
  const logger = new RecordingLogger();
  const deps: IngestDependencies = {
    sources: loadSourceRegistry(),
    secrets,
    dedupe,
    archive,
    publisher,
    logger,
    logEventBodies: true,
    limits: { maxBodyBytes: 1_048_576, inProgressSec: 60 },
    // As in staging and prod: a flat Shopify list is a configuration error.
    acceptUnboundSenderSecrets: false,
    ...overrides,
  };
  return { deps, dedupe, archive, publisher, secrets, logger };
}
