/** Webhook signing secrets from Secrets Manager (Powertools Parameters cache): one secret per source, several values for rotation. */
import type { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { ConfigurationError, DownstreamUnavailableError } from '../errors';

/** How long fetched secrets are reused, and how soon a mismatch may force a refetch. */
export interface SecretCachePolicy {
  maxAgeSec: number;
  minRefreshIntervalSec: number;
}

/** Parses a secret value: a JSON array of secrets (newest first), or one plain secret. */
export function parseSecretValues(value: string, source: string): string[] {
  const trimmed = value.trim();
  if (!trimmed.startsWith('[')) return trimmed ? [trimmed] : [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch (error) {
    throw new ConfigurationError(`The webhook secret of ${source} is not a JSON array of strings`, {
      cause: error,
    });
  }
  if (!Array.isArray(parsed) || parsed.some((item) => typeof item !== 'string' || item === '')) {
    throw new ConfigurationError(`The webhook secret of ${source} must be a JSON array of non-empty strings`);
  }
  return parsed as string[];
}

/** A WebhookSecretSource over Secrets Manager; secret ids per source come from the stack. */
export class SecretsManagerWebhookSecrets {
  private readonly lastFetchMs = new Map<string, number>();

  constructor(
    private readonly provider: SecretsProvider,
    private readonly secretIds: Readonly<Record<string, string>>,
    private readonly policy: SecretCachePolicy = { maxAgeSec: 300, minRefreshIntervalSec: 30 },
    private readonly now: () => number = Date.now,
  ) {}

  async secretsFor(source: string): Promise<string[]> {
    return this.fetch(source, false);
  }

  async refresh(source: string): Promise<string[] | undefined> {
    const last = this.lastFetchMs.get(source) ?? 0;
    // Bounded so that a flood of bad signatures cannot turn into a flood of Secrets Manager calls.
    if (this.now() - last < this.policy.minRefreshIntervalSec * 1000) return undefined;
    return this.fetch(source, true);
  }

  private async fetch(source: string, forceFetch: boolean): Promise<string[]> {
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
    const secrets = parseSecretValues(text, source);
    if (secrets.length === 0) throw new ConfigurationError(`The webhook secret of ${source} is empty`);
    return secrets;
  }
}
