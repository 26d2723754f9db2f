/** The HRIS reader's runtime configuration, read once from the environment the stack sets. */
import { parsePositiveIntEnv, readEnv } from '../shared/config';

/** Where HiBob's API is, which secret holds Concord's service user there, and which Bob field holds the cost centre. */
export interface HrisReaderConfig {
  hibobApiUrl: string;
  /** The Secrets Manager secret of the service user, `{ "id": "…", "token": "…" }` (never the values themselves). */
  hibobServiceUserSecretId: string;
  hibobCostCentreFieldId: string;
  hrisTimeoutMs: number;
}

/** Reads the configuration, failing fast with the names of every missing variable. */
export function loadHrisReaderConfig(env: NodeJS.ProcessEnv = process.env): HrisReaderConfig {
  const values = readEnv(
    ['HIBOB_API_URL', 'HIBOB_SERVICE_USER_SECRET_ID', 'HIBOB_COST_CENTRE_FIELD_ID', 'HRIS_TIMEOUT_MS'],
    env,
  );
  return {
    hibobApiUrl: values.HIBOB_API_URL,
    hibobServiceUserSecretId: values.HIBOB_SERVICE_USER_SECRET_ID,
    hibobCostCentreFieldId: values.HIBOB_COST_CENTRE_FIELD_ID,
    hrisTimeoutMs: parsePositiveIntEnv('HRIS_TIMEOUT_MS', values.HRIS_TIMEOUT_MS),
  };
}
