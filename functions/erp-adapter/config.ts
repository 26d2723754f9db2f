/** The ERP adapter's runtime configuration, read once from the environment the stack sets. */
import { parsePositiveIntEnv, readEnv } from '../shared/config';
import { readStage } from '../shared/observability/business-metrics';

/** Where the ERP and the bus are, and where idempotency records live. */
export interface ErpAdapterConfig {
  erpBaseUrl: string;
  erpTimeoutMs: number;
  /** The secret holding Concord's ERP API key. */
  erpCredentialsSecretId: string;
  erpSourceUri: string;
  eventBusName: string;
  idempotencyTableName: string;
  /** The stage the stack runs in (CONCORD_STAGE), the `stage` dimension of its metrics; `unknown` when unset. */
  stage: string;
}

/** Reads the configuration, failing fast with the names of every missing variable. */
export function loadErpAdapterConfig(env: NodeJS.ProcessEnv = process.env): ErpAdapterConfig {
  const values = readEnv(
    [
      'ERP_BASE_URL',
      'ERP_TIMEOUT_MS',
      'ERP_CREDENTIALS_SECRET_ID',
      'ERP_SOURCE_URI',
      'EVENT_BUS_NAME',
      'IDEMPOTENCY_TABLE_NAME',
    ],
    env,
  );
  return {
    erpBaseUrl: values.ERP_BASE_URL,
    erpTimeoutMs: parsePositiveIntEnv('ERP_TIMEOUT_MS', values.ERP_TIMEOUT_MS),
    erpCredentialsSecretId: values.ERP_CREDENTIALS_SECRET_ID,
    erpSourceUri: values.ERP_SOURCE_URI,
    eventBusName: values.EVENT_BUS_NAME,
    idempotencyTableName: values.IDEMPOTENCY_TABLE_NAME,
    stage: readStage(env),
  };
}
