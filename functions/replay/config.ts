/** The Replay function's runtime configuration, read once from the environment the stack sets. */
import { parseJsonEnv, readEnv } from '../shared/config';
import { ConfigurationError } from '../shared/errors';
import { readStage } from '../shared/observability/business-metrics';

/** Everything the Replay function needs to know about its deployment; it discovers nothing itself. */
export interface ReplayConfig {
  eventBusName: string;
  opsAuditTableName: string;
  versionTableName: string;
  /** The stack's dead-letter queues, by URL: the only queues the function may read (it has no ListQueues). */
  deadLetterQueueUrls: string[];
  archiveBucketName: string;
  quarantineBucketName: string;
  /**
   * Where caller proofs go instead of the STS host they were signed for: the SDK's endpoint variables
   * (AWS_ENDPOINT_URL_STS, else AWS_ENDPOINT_URL), set only where STS is answered elsewhere (the embedded runtime).
   */
  stsEndpointOverride?: string;
  /** The stage the stack runs in (CONCORD_STAGE), the `stage` dimension of its metrics; `unknown` when unset. */
  stage: string;
}

/** Reads the configuration, failing fast with the names of every missing variable. */
export function loadReplayConfig(env: NodeJS.ProcessEnv = process.env): ReplayConfig {
  const values = readEnv(
    [
      'EVENT_BUS_NAME',
      'OPS_AUDIT_TABLE_NAME',
      'VERSION_TABLE_NAME',
      'DEAD_LETTER_QUEUE_URLS',
      'ARCHIVE_BUCKET_NAME',
      'QUARANTINE_BUCKET_NAME',
    ],
    env,
  );
  const queueUrls = parseJsonEnv('DEAD_LETTER_QUEUE_URLS', values.DEAD_LETTER_QUEUE_URLS);
  if (!Array.isArray(queueUrls) || queueUrls.some((url) => typeof url !== 'string'))
    throw new ConfigurationError('DEAD_LETTER_QUEUE_URLS must be a JSON array of queue URLs');
  const stsEndpointOverride = env.AWS_ENDPOINT_URL_STS ?? env.AWS_ENDPOINT_URL;
  return {
    eventBusName: values.EVENT_BUS_NAME,
    opsAuditTableName: values.OPS_AUDIT_TABLE_NAME,
    versionTableName: values.VERSION_TABLE_NAME,
    deadLetterQueueUrls: queueUrls as string[],
    archiveBucketName: values.ARCHIVE_BUCKET_NAME,
    quarantineBucketName: values.QUARANTINE_BUCKET_NAME,
    ...(stsEndpointOverride ? { stsEndpointOverride } : {}),
    stage: readStage(env),
  };
}
