/** The status write-back's runtime configuration, read once from the environment the stack sets. */
import { parsePositiveIntEnv, readEnv } from '../shared/config';
import { readStage } from '../shared/observability/business-metrics';

/** Where the platforms' outbox is, how long one write may take, and the stage its metrics are counted under. */
export interface StatusWriteBackConfig {
  platformOutboxUrl: string;
  platformTimeoutMs: number;
  /** The stage the stack runs in (CONCORD_STAGE), the `stage` dimension of its metrics; `unknown` when unset. */
  stage: string;
}

/** Reads the configuration, failing fast with the names of every missing variable. */
export function loadStatusWriteBackConfig(env: NodeJS.ProcessEnv = process.env): StatusWriteBackConfig {
  const values = readEnv(['PLATFORM_OUTBOX_URL', 'PLATFORM_TIMEOUT_MS'], env);
  return {
    platformOutboxUrl: values.PLATFORM_OUTBOX_URL,
    platformTimeoutMs: parsePositiveIntEnv('PLATFORM_TIMEOUT_MS', values.PLATFORM_TIMEOUT_MS),
    stage: readStage(env),
  };
}
