/** The purchase-order write-back's runtime configuration, read once from the environment the stack sets. */
import { parsePositiveIntEnv, readEnv } from '../../shared/config';
import { ConfigurationError } from '../../shared/errors';
import { readStage } from '../../shared/observability/business-metrics';

/** Where the procurement platform's API is, which secret holds its token, and how long one call may take. */
export interface PurchaseOrderWriteBackConfig {
  /** The stage's `platforms.spendesk.apiUrl` (infra/config/stage-config.ts), without a trailing slash. */
  spendeskApiUrl: string;
  /** The Secrets Manager secret of the Spendesk API token, `{ "apiToken": "…" }` (never the token itself). */
  spendeskApiTokenSecretId: string;
  platformTimeoutMs: number;
  /** The stage the stack runs in (CONCORD_STAGE), the `stage` dimension of its metrics; `unknown` when unset. */
  stage: string;
}

/** An http(s) URL: synth checked the stage's setting, so anything else means the function was wired by hand. */
function apiUrl(key: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch (error) {
    throw new ConfigurationError(`Environment variable ${key} is not a URL, got "${value}"`, {
      cause: error,
    });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new ConfigurationError(`Environment variable ${key} must be an http(s) URL, got "${value}"`);
  return value.replace(/\/+$/, '');
}

/** Reads the configuration, failing fast with the names of every missing variable. */
export function loadPurchaseOrderWriteBackConfig(
  env: NodeJS.ProcessEnv = process.env,
): PurchaseOrderWriteBackConfig {
  const values = readEnv(['SPENDESK_API_URL', 'SPENDESK_API_TOKEN_SECRET_ID', 'PLATFORM_TIMEOUT_MS'], env);
  return {
    spendeskApiUrl: apiUrl('SPENDESK_API_URL', values.SPENDESK_API_URL),
    spendeskApiTokenSecretId: values.SPENDESK_API_TOKEN_SECRET_ID,
    platformTimeoutMs: parsePositiveIntEnv('PLATFORM_TIMEOUT_MS', values.PLATFORM_TIMEOUT_MS),
    stage: readStage(env),
  };
}
