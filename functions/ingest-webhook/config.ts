/** The ingest function's runtime configuration, read once from the environment the stack sets. */

import { parseJsonEnv, parsePositiveIntEnv, readEnv } from '../shared/config';
import { ConfigurationError } from '../shared/errors';
import { readStage } from '../shared/observability/business-metrics';

/** Everything the ingest function needs to know about its deployment. */
export interface IngestConfig {
  eventBusName: string;
  dedupeTableName: string;
  archiveBucketName: string;
  /** The Firehose stream that delivers the raw archive into archiveBucketName. */
  archiveStreamName: string;
  quarantineBucketName: string;
  /** Secrets Manager secret id (ARN) per webhook source. */
  webhookSecretIds: Record<string, string>;
  maxBodyBytes: number;
  /** How long a claimed delivery blocks a concurrent duplicate before it may be claimed again. */
  inProgressSec: number;
  /** Whether a flat Shopify secret list (any shop) is accepted; only the local stage, where no real shop posts. */
  acceptUnboundSenderSecrets: boolean;
  /** The stage the stack runs in (CONCORD_STAGE), the `stage` dimension of its metrics; `unknown` when unset. */
  stage: string;
}

/** Reads the configuration, failing fast with the names of every missing variable. */
export function loadIngestConfig(env: NodeJS.ProcessEnv = process.env): IngestConfig {
  const values = readEnv(
    [
      'EVENT_BUS_NAME',
      'DEDUPE_TABLE_NAME',
      'ARCHIVE_BUCKET_NAME',
      'ARCHIVE_STREAM_NAME',
      'QUARANTINE_BUCKET_NAME',
      'WEBHOOK_SECRET_IDS',
      'MAX_BODY_BYTES',
      'IN_PROGRESS_SEC',
      'ACCEPT_UNBOUND_SENDER_SECRETS',
    ],
    env,
  );
  const secretIds = parseJsonEnv('WEBHOOK_SECRET_IDS', values.WEBHOOK_SECRET_IDS);
  if (
    secretIds === null ||
    typeof secretIds !== 'object' ||
    Object.values(secretIds).some((id) => typeof id !== 'string')
  ) {
    throw new ConfigurationError('WEBHOOK_SECRET_IDS must be a JSON object of source name → secret id');
  }
  const acceptUnbound = values.ACCEPT_UNBOUND_SENDER_SECRETS;
  if (acceptUnbound !== 'true' && acceptUnbound !== 'false')
    throw new ConfigurationError(
      `ACCEPT_UNBOUND_SENDER_SECRETS must be true or false, got "${acceptUnbound}"`,
    );
  return {
    eventBusName: values.EVENT_BUS_NAME,
    dedupeTableName: values.DEDUPE_TABLE_NAME,
    archiveBucketName: values.ARCHIVE_BUCKET_NAME,
    archiveStreamName: values.ARCHIVE_STREAM_NAME,
    quarantineBucketName: values.QUARANTINE_BUCKET_NAME,
    webhookSecretIds: secretIds as Record<string, string>,
    maxBodyBytes: parsePositiveIntEnv('MAX_BODY_BYTES', values.MAX_BODY_BYTES),
    inProgressSec: parsePositiveIntEnv('IN_PROGRESS_SEC', values.IN_PROGRESS_SEC),
    acceptUnboundSenderSecrets: acceptUnbound === 'true',
    stage: readStage(env),
  };
}
