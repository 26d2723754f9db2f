/** The ERP connection settings every function that calls the ERP reads alike from the environment its stack sets. */
import { parsePositiveIntEnv } from '../config';

/** Where the ERP is, how long one call may take, and which secret holds Concord's ERP API key. */
export interface ErpConnectionConfig {
  erpBaseUrl: string;
  erpTimeoutMs: number;
  /** The Secrets Manager secret holding Concord's ERP API key (never the key itself). */
  erpCredentialsSecretId: string;
}

/** The variables {@link erpConnectionOf} reads: list them in the function's `readEnv` so that all missing ones are named. */
export const erpConnectionVariables = [
  'ERP_BASE_URL',
  'ERP_TIMEOUT_MS',
  'ERP_CREDENTIALS_SECRET_ID',
] as const;

/** The ERP connection settings from values `readEnv` returned for {@link erpConnectionVariables}. */
export function erpConnectionOf(
  values: Record<(typeof erpConnectionVariables)[number], string>,
): ErpConnectionConfig {
  return {
    erpBaseUrl: values.ERP_BASE_URL,
    erpTimeoutMs: parsePositiveIntEnv('ERP_TIMEOUT_MS', values.ERP_TIMEOUT_MS),
    erpCredentialsSecretId: values.ERP_CREDENTIALS_SECRET_ID,
  };
}
