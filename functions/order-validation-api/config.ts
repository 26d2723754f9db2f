/** The order-validation API's runtime configuration, read once from the environment the stack sets. */
import { parsePositiveIntEnv, readEnv } from '../shared/config';
import { ConfigurationError } from '../shared/errors';

/** Everything POST /orders/validate needs to know about its deployment. */
export interface OrderValidationConfig {
  /** The Express workflow run with StartSyncExecution. */
  stateMachineArn: string;
  /** The API's time budget for one validation; past it the answer is a 503. */
  budgetMs: number;
  /**
   * Whether the Step Functions client sends StartSyncExecution to the service endpoint itself instead of its `sync-`
   * host (the SDK's `disableHostPrefix`): AWS serves the call only on `sync-states.<region>…`, an AWS-compatible
   * endpoint such as the embedded runtime's has no such host.
   */
  sfnDisableHostPrefix: boolean;
}

/**
 * Reads the configuration, failing fast with the names of every missing variable. SFN_DISABLE_HOST_PREFIX (`true` or
 * `false`) says which endpoint answers StartSyncExecution.
 */
export function loadOrderValidationConfig(env: NodeJS.ProcessEnv = process.env): OrderValidationConfig {
  const values = readEnv(
    ['VALIDATION_STATE_MACHINE_ARN', 'VALIDATION_BUDGET_MS', 'SFN_DISABLE_HOST_PREFIX'],
    env,
  );
  return {
    stateMachineArn: values.VALIDATION_STATE_MACHINE_ARN,
    budgetMs: parsePositiveIntEnv('VALIDATION_BUDGET_MS', values.VALIDATION_BUDGET_MS),
    sfnDisableHostPrefix: sfnDisableHostPrefixOf(values.SFN_DISABLE_HOST_PREFIX),
  };
}

function sfnDisableHostPrefixOf(value: string): boolean {
  if (value === 'true' || value === 'false') return value === 'true';
  throw new ConfigurationError(
    `Environment variable SFN_DISABLE_HOST_PREFIX must be true or false, got "${value}"`,
  );
}
