/** The item write-back's runtime configuration, read once from the environment the stack sets. */
import { parseJsonEnv, parsePositiveIntEnv, readEnv } from '../../shared/config';
import {
  type ErpConnectionConfig,
  erpConnectionOf,
  erpConnectionVariables,
} from '../../shared/erp/erp-connection-config';
import { ConfigurationError } from '../../shared/errors';
import { readStage } from '../../shared/observability/business-metrics';

/** Where the shop's Admin API is, which secrets hold the credentials, and how the write-back paces and coalesces. */
export interface ItemWriteBackConfig extends ErpConnectionConfig {
  latestChangeTableName: string;
  itemQueueUrl: string;
  itemDeadLetterQueueUrl: string;
  coalesceWindowSec: number;
  flushMaxAttempts: number;
  /** The shop's Admin API root: `<shop URL>/admin/api/<version>`. */
  shopifyAdminApiUrl: string;
  /** The Secrets Manager secret of the Admin API access token, `{ "accessToken": "…" }` (never the token itself). */
  shopifyAccessTokenSecretId: string;
  shopifyCurrency: string;
  shopifyLeakPerSec: number;
  /** ERP location code → the shop's location name, where they differ. */
  shopifyLocationNames: Record<string, string>;
  platformTimeoutMs: number;
  /** The stage the stack runs in (CONCORD_STAGE), the `stage` dimension of its metrics; `unknown` when unset. */
  stage: string;
}

function locationNames(value: string): Record<string, string> {
  const parsed = parseJsonEnv('SHOPIFY_LOCATION_NAMES', value);
  if (
    parsed === null ||
    typeof parsed !== 'object' ||
    Array.isArray(parsed) ||
    Object.values(parsed).some((name) => typeof name !== 'string' || name === '')
  )
    throw new ConfigurationError(
      'Environment variable SHOPIFY_LOCATION_NAMES must be a JSON object of ERP location code → shop location name',
    );
  return parsed as Record<string, string>;
}

/** Reads the configuration, failing fast with the names of every missing variable. */
export function loadItemWriteBackConfig(env: NodeJS.ProcessEnv = process.env): ItemWriteBackConfig {
  const values = readEnv(
    [
      'LATEST_CHANGE_TABLE_NAME',
      'ITEM_QUEUE_URL',
      'ITEM_DEAD_LETTER_QUEUE_URL',
      'COALESCE_WINDOW_SEC',
      'FLUSH_MAX_ATTEMPTS',
      'SHOPIFY_ADMIN_API_URL',
      'SHOPIFY_ACCESS_TOKEN_SECRET_ID',
      'SHOPIFY_CURRENCY',
      'SHOPIFY_LEAK_PER_SEC',
      'SHOPIFY_LOCATION_NAMES',
      'PLATFORM_TIMEOUT_MS',
      ...erpConnectionVariables,
    ],
    env,
  );
  return {
    latestChangeTableName: values.LATEST_CHANGE_TABLE_NAME,
    itemQueueUrl: values.ITEM_QUEUE_URL,
    itemDeadLetterQueueUrl: values.ITEM_DEAD_LETTER_QUEUE_URL,
    coalesceWindowSec: parsePositiveIntEnv('COALESCE_WINDOW_SEC', values.COALESCE_WINDOW_SEC),
    flushMaxAttempts: parsePositiveIntEnv('FLUSH_MAX_ATTEMPTS', values.FLUSH_MAX_ATTEMPTS),
    shopifyAdminApiUrl: values.SHOPIFY_ADMIN_API_URL,
    shopifyAccessTokenSecretId: values.SHOPIFY_ACCESS_TOKEN_SECRET_ID,
    shopifyCurrency: values.SHOPIFY_CURRENCY,
    shopifyLeakPerSec: parsePositiveIntEnv('SHOPIFY_LEAK_PER_SEC', values.SHOPIFY_LEAK_PER_SEC),
    shopifyLocationNames: locationNames(values.SHOPIFY_LOCATION_NAMES),
    platformTimeoutMs: parsePositiveIntEnv('PLATFORM_TIMEOUT_MS', values.PLATFORM_TIMEOUT_MS),
    ...erpConnectionOf(values),
    stage: readStage(env),
  };
}
