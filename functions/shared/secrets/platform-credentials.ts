/** Credentials Concord presents to SaaS platform APIs (HiBob, Shopify Admin), read from Secrets Manager like the ERP's. */
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigurationError, DownstreamUnavailableError } from '../errors';

/** Credentials of type T; `refresh` reads the source again (they may have been rotated since the last read). */
export interface PlatformCredentials<T> {
  read(options?: { refresh?: boolean }): Promise<T>;
}

/** A HiBob service user: Bob authenticates it with HTTP Basic, id and token (https://apidocs.hibob.com/reference/authorization). */
export interface HibobServiceUser {
  id: string;
  token: string;
}

/** The platforms whose API credentials the stateful stack keeps, one secret each. */
export const credentialedPlatforms = ['hibob', 'shopify', 'spendesk'] as const;
export type CredentialedPlatform = (typeof credentialedPlatforms)[number];

/** The tag that names the platform of a credentials secret, so that `npm start` loads the stand-in's credentials into it. */
export const platformCredentialsSecretTag = 'concord:platform-credentials';

/** How long read credentials are reused: a rotated secret reaches every warm container within this. */
export const platformCredentialsMaxAgeSec = 300;

/** Credentials that do not change while the process runs (tests, a stand-in beside the CLI). */
export function staticPlatformCredentials<T>(value: T): PlatformCredentials<T> {
  return { read: async () => value };
}

function parseJsonObject(value: string, what: string, shape: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    throw new ConfigurationError(`${what} is not valid JSON: it must be ${shape}`, { cause: error });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new ConfigurationError(`${what} must be ${shape}`);
  return parsed as Record<string, unknown>;
}

function nonEmpty(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

/** Parses the HiBob secret: `{ "id": "<service user id>", "token": "<token>" }`. */
export function parseHibobServiceUser(value: string): HibobServiceUser {
  const shape = '{ "id": "<service user id>", "token": "<service user token>" }';
  const parsed = parseJsonObject(value.trim(), 'The HiBob service user secret', shape);
  if (!nonEmpty(parsed.id) || !nonEmpty(parsed.token))
    throw new ConfigurationError(`The HiBob service user secret must be ${shape}`);
  return { id: parsed.id.trim(), token: parsed.token.trim() };
}

/** Parses the Shopify secret: `{ "accessToken": "shpat_…" }` (an Admin API access token of the shop's app). */
export function parseShopifyAccessToken(value: string): string {
  const shape = '{ "accessToken": "<Admin API access token>" }';
  const parsed = parseJsonObject(value.trim(), 'The Shopify Admin API secret', shape);
  if (!nonEmpty(parsed.accessToken))
    throw new ConfigurationError(`The Shopify Admin API secret must be ${shape}`);
  return parsed.accessToken.trim();
}

/** Parses the Spendesk secret: `{ "apiToken": "<token>" }` (the bearer token its purchase-order API takes). */
export function parseSpendeskApiToken(value: string): string {
  const shape = '{ "apiToken": "<API token>" }';
  const parsed = parseJsonObject(value.trim(), 'The Spendesk API secret', shape);
  if (!nonEmpty(parsed.apiToken)) throw new ConfigurationError(`The Spendesk API secret must be ${shape}`);
  return parsed.apiToken.trim();
}

/**
 * Credentials kept in the secret `secretId`, parsed by `parse`, cached by Powertools Parameters for
 * platformCredentialsMaxAgeSec; `read({ refresh: true })` fetches past the cache (after a platform's 401).
 */
export function secretsManagerPlatformCredentials<T>(
  secretId: string,
  what: string,
  parse: (value: string) => T,
  provider: Pick<SecretsProvider, 'get'> = new SecretsProvider({
    awsSdkV3Client: new SecretsManagerClient({}),
  }),
): PlatformCredentials<T> {
  return {
    async read(options) {
      let value: unknown;
      try {
        value = await provider.get(secretId, {
          maxAge: platformCredentialsMaxAgeSec,
          forceFetch: options?.refresh ?? false,
        });
      } catch (error) {
        throw new DownstreamUnavailableError(`Secrets Manager (${what})`, { cause: error });
      }
      if (typeof value !== 'string')
        throw new ConfigurationError(`The ${what} secret ${secretId} holds no text`);
      return parse(value);
    },
  };
}
