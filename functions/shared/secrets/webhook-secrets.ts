/** Webhook signing secrets from Secrets Manager (Powertools Parameters cache): one secret per source, several values for rotation, bound per sender where the signature names no sender. */
import type { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { ConfigurationError, DownstreamUnavailableError, SignatureInvalidError } from '../errors';

/** How long fetched secrets are reused, and how soon a mismatch may force a refetch. */
export interface SecretCachePolicy {
  maxAgeSec: number;
  minRefreshIntervalSec: number;
}

/**
 * The ingest function's cache: a secret changed in Secrets Manager reaches every warm container within
 * maxAgeSec (the rotation runbook waits that long before the vendor is switched).
 */
export const defaultSecretCachePolicy: SecretCachePolicy = { maxAgeSec: 300, minRefreshIntervalSec: 30 };

/**
 * A source's active signing secrets as stored, newest first: one list for every sender (`["s1","s2"]`, or one
 * plain secret), or one list per sender (`{"acme.myshopify.com": ["s1","s2"]}`) for a scheme whose signature
 * does not cover who sent it (Shopify signs only the body).
 */
export type StoredSigningSecrets =
  | { kind: 'any-sender'; secrets: string[] }
  | { kind: 'per-sender'; bySender: Readonly<Record<string, string[]>> };

function isSecretList(value: unknown): value is string[] {
  return (
    Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'string' && item !== '')
  );
}

function parsePerSender(parsed: unknown, source: string): StoredSigningSecrets {
  const shape = `{ "<sender>": ["<secret>", …] } with at least one sender`;
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new ConfigurationError(`The webhook secret of ${source} must be ${shape}`);
  const entries = Object.entries(parsed);
  if (entries.length === 0) throw new ConfigurationError(`The webhook secret of ${source} names no sender`);
  const bySender: Record<string, string[]> = {};
  for (const [sender, secrets] of entries) {
    if (!isSecretList(secrets))
      throw new ConfigurationError(
        `The webhook secret of ${source}: "${sender}" must be a non-empty JSON array of non-empty strings`,
      );
    // Senders are host names (Shopify shop domains): compared as the resolver normalises them.
    bySender[sender.trim().toLowerCase()] = secrets;
  }
  return { kind: 'per-sender', bySender };
}

/** Parses a secret value: a JSON object of sender → array, a JSON array (newest first), or one plain secret. */
export function parseSigningSecrets(value: string, source: string): StoredSigningSecrets {
  const trimmed = value.trim();
  if (!trimmed.startsWith('[') && !trimmed.startsWith('{')) {
    if (!trimmed) throw new ConfigurationError(`The webhook secret of ${source} is empty`);
    return { kind: 'any-sender', secrets: [trimmed] };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch (error) {
    throw new ConfigurationError(`The webhook secret of ${source} is not valid JSON`, { cause: error });
  }
  if (trimmed.startsWith('{')) return parsePerSender(parsed, source);
  if (!isSecretList(parsed))
    throw new ConfigurationError(
      `The webhook secret of ${source} must be a non-empty JSON array of non-empty strings`,
    );
  return { kind: 'any-sender', secrets: parsed };
}

/**
 * The secrets that may have signed a request. `sender` is set for a scheme that binds secrets to senders
 * (Shopify: the shop domain): only that sender's secrets count, so a body signed for one shop cannot be sent as
 * another. A list for any sender is refused there unless `acceptUnboundSenderSecrets` (a stage without real
 * senders, i.e. local), because it would verify a body of any shop as any other.
 */
export function secretsForSender(
  stored: StoredSigningSecrets,
  source: string,
  sender: string | undefined,
  options: { acceptUnboundSenderSecrets: boolean },
): string[] {
  if (sender === undefined) {
    if (stored.kind === 'any-sender') return stored.secrets;
    throw new ConfigurationError(
      `The webhook secret of ${source} must be a JSON array: its signature scheme does not bind secrets to senders`,
    );
  }
  if (stored.kind === 'per-sender') {
    const secrets = stored.bySender[sender];
    // A 401, not a configuration error: an unknown sender is what a forged or misrouted webhook looks like.
    if (!secrets) throw new SignatureInvalidError(`No signing secret of ${source} is bound to ${sender}`);
    return secrets;
  }
  if (options.acceptUnboundSenderSecrets) return stored.secrets;
  throw new ConfigurationError(
    `The webhook secret of ${source} is a list for any sender: store it as { "<shop domain>": ["<secret>", …] } so that a body signed for one shop cannot be sent as another (docs/runbooks/rotate-webhook-secret.md)`,
  );
}

/** A WebhookSecretSource over Secrets Manager; secret ids per source come from the stack. */
export class SecretsManagerWebhookSecrets {
  private readonly lastFetchMs = new Map<string, number>();

  constructor(
    private readonly provider: SecretsProvider,
    private readonly secretIds: Readonly<Record<string, string>>,
    private readonly policy: SecretCachePolicy = defaultSecretCachePolicy,
    private readonly now: () => number = Date.now,
  ) {}

  async secretsFor(source: string): Promise<StoredSigningSecrets> {
    return this.fetch(source, false);
  }

  async refresh(source: string): Promise<StoredSigningSecrets | undefined> {
    const last = this.lastFetchMs.get(source) ?? 0;
    // Bounded so that a flood of bad signatures cannot turn into a flood of Secrets Manager calls.
    if (this.now() - last < this.policy.minRefreshIntervalSec * 1000) return undefined;
    return this.fetch(source, true);
  }

  private async fetch(source: string, forceFetch: boolean): Promise<StoredSigningSecrets> {
    const secretId = this.secretIds[source];
    if (!secretId) throw new ConfigurationError(`No webhook secret is configured for source ${source}`);
    let value: string | Uint8Array | undefined;
    try {
      if (forceFetch || !this.lastFetchMs.has(source)) this.lastFetchMs.set(source, this.now());
      value = await this.provider.get(secretId, { maxAge: this.policy.maxAgeSec, forceFetch });
    } catch (error) {
      throw new DownstreamUnavailableError('Secrets Manager', { cause: error });
    }
    const text = value instanceof Uint8Array ? Buffer.from(value).toString('utf8') : (value ?? '');
    return parseSigningSecrets(text, source);
  }
}
