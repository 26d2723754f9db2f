/** The ERP outbox relay's runtime configuration, read once from the environment the stack sets. */
import { parsePositiveIntEnv, readEnv } from '../shared/config';

/** The ERP it reads, the bus it publishes to, where its cursor is kept and where refused entries go. */
export interface ErpOutboxRelayConfig {
  erpBaseUrl: string;
  erpTimeoutMs: number;
  erpCredentialsSecretId: string;
  /** The CloudEvents `source` of the events the relay publishes. */
  erpSourceUri: string;
  eventBusName: string;
  /** The table that holds the relay's cursor (the last relayed outbox seq). */
  versionTableName: string;
  outboxDeadLetterQueueUrl: string;
}

/** Reads the configuration, failing fast with the names of every missing variable. */
export function loadErpOutboxRelayConfig(env: NodeJS.ProcessEnv = process.env): ErpOutboxRelayConfig {
  const values = readEnv(
    [
      'ERP_BASE_URL',
      'ERP_TIMEOUT_MS',
      'ERP_CREDENTIALS_SECRET_ID',
      'ERP_SOURCE_URI',
      'EVENT_BUS_NAME',
      'VERSION_TABLE_NAME',
      'OUTBOX_DEAD_LETTER_QUEUE_URL',
    ],
    env,
  );
  return {
    erpBaseUrl: values.ERP_BASE_URL,
    erpTimeoutMs: parsePositiveIntEnv('ERP_TIMEOUT_MS', values.ERP_TIMEOUT_MS),
    erpCredentialsSecretId: values.ERP_CREDENTIALS_SECRET_ID,
    erpSourceUri: values.ERP_SOURCE_URI,
    eventBusName: values.EVENT_BUS_NAME,
    versionTableName: values.VERSION_TABLE_NAME,
    outboxDeadLetterQueueUrl: values.OUTBOX_DEAD_LETTER_QUEUE_URL,
  };
}
