/** The ERP adapter's runtime configuration, read once from the environment the stack sets. */
import { readEnv } from '../shared/config';
import {
  type ErpConnectionConfig,
  erpConnectionOf,
  erpConnectionVariables,
} from '../shared/erp/erp-connection-config';
import { readStage } from '../shared/observability/business-metrics';

/** Where the ERP and the bus are, and where idempotency records live. */
export interface ErpAdapterConfig extends ErpConnectionConfig {
  erpSourceUri: string;
  eventBusName: string;
  idempotencyTableName: string;
  /** The stage the stack runs in (CONCORD_STAGE), the `stage` dimension of its metrics; `unknown` when unset. */
  stage: string;
}

/** Reads the configuration, failing fast with the names of every missing variable. */
export function loadErpAdapterConfig(env: NodeJS.ProcessEnv = process.env): ErpAdapterConfig {
  const values = readEnv(
    [...erpConnectionVariables, 'ERP_SOURCE_URI', 'EVENT_BUS_NAME', 'IDEMPOTENCY_TABLE_NAME'],
    env,
  );
  return {
    ...erpConnectionOf(values),
    erpSourceUri: values.ERP_SOURCE_URI,
    eventBusName: values.EVENT_BUS_NAME,
    idempotencyTableName: values.IDEMPOTENCY_TABLE_NAME,
    stage: readStage(env),
  };
}
