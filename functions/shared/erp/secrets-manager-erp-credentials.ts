/** The ERP API key from Secrets Manager (Powertools Parameters cache), read again on demand after a rotation. */
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigurationError, DownstreamUnavailableError } from '../errors';
import type { ErpCredentials } from './erp-credentials';

/** How long a read key is reused: a rotated key reaches every warm container within this (runbooks/rotate-erp-credentials). */
export const erpCredentialsMaxAgeSec = 300;

/** Parses the stored value: `{ "apiKey": "…" }`, or the key itself. */
export function parseErpApiKey(value: string): string {
  const trimmed = value.trim();
  if (!trimmed.startsWith('{')) {
    if (!trimmed) throw new ConfigurationError('The ERP credentials secret is empty');
    return trimmed;
  }
  let parsed: { apiKey?: unknown };
  try {
    parsed = JSON.parse(trimmed) as { apiKey?: unknown };
  } catch (error) {
    throw new ConfigurationError('The ERP credentials secret is not valid JSON', { cause: error });
  }
  if (typeof parsed.apiKey !== 'string' || parsed.apiKey === '')
    throw new ConfigurationError('The ERP credentials secret must be { "apiKey": "<key>" }');
  return parsed.apiKey;
}

/** Credentials kept in the secret `secretId`. */
export function secretsManagerErpCredentials(
  secretId: string,
  provider: Pick<SecretsProvider, 'get'> = new SecretsProvider({
    awsSdkV3Client: new SecretsManagerClient({}),
  }),
): ErpCredentials {
  return {
    async apiKey(options) {
      let value: unknown;
      try {
        value = await provider.get(secretId, {
          maxAge: erpCredentialsMaxAgeSec,
          forceFetch: options?.refresh ?? false,
        });
      } catch (error) {
        throw new DownstreamUnavailableError('Secrets Manager (ERP credentials)', { cause: error });
      }
      if (typeof value !== 'string')
        throw new ConfigurationError(`The ERP credentials secret ${secretId} holds no text`);
      return parseErpApiKey(value);
    },
  };
}
