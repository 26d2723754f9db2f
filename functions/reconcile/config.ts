/** The Reconcile function's configuration, read once from the environment the stack sets. */
import { parsePositiveIntEnv, readEnv } from '../shared/config';
import {
  type ErpConnectionConfig,
  erpConnectionOf,
  erpConnectionVariables,
} from '../shared/erp/erp-connection-config';

export interface ReconcileConfig extends ErpConnectionConfig {
  eventBusName: string;
  exceptionsQueueUrl: string;
  resultsBucket: string;
  workGroup: string;
  database: string;
  allowedLagMs: number;
  maxExceptionMessages: number;
}

export function loadReconcileConfig(env: NodeJS.ProcessEnv = process.env): ReconcileConfig {
  const values = readEnv(
    [
      ...erpConnectionVariables,
      'EVENT_BUS_NAME',
      'EXCEPTIONS_QUEUE_URL',
      'RESULTS_BUCKET_NAME',
      'ATHENA_WORKGROUP',
      'WAREHOUSE_DATABASE',
      'ALLOWED_LAG_MS',
      'MAX_EXCEPTION_MESSAGES',
    ],
    env,
  );
  return {
    ...erpConnectionOf(values),
    eventBusName: values.EVENT_BUS_NAME,
    exceptionsQueueUrl: values.EXCEPTIONS_QUEUE_URL,
    resultsBucket: values.RESULTS_BUCKET_NAME,
    workGroup: values.ATHENA_WORKGROUP,
    database: values.WAREHOUSE_DATABASE,
    allowedLagMs: parsePositiveIntEnv('ALLOWED_LAG_MS', values.ALLOWED_LAG_MS),
    maxExceptionMessages: parsePositiveIntEnv('MAX_EXCEPTION_MESSAGES', values.MAX_EXCEPTION_MESSAGES),
  };
}
