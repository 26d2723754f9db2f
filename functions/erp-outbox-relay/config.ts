/** The ERP outbox relay's runtime configuration, read once from the environment the stack sets. */
import { readEnv } from '../shared/config';
import {
  type ErpConnectionConfig,
  erpConnectionOf,
  erpConnectionVariables,
} from '../shared/erp/erp-connection-config';

/** The ERP it reads, the bus it publishes to, where its cursor is kept and where refused entries go. */
export interface ErpOutboxRelayConfig extends ErpConnectionConfig {
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
      ...erpConnectionVariables,
      'ERP_SOURCE_URI',
      'EVENT_BUS_NAME',
      'VERSION_TABLE_NAME',
      'OUTBOX_DEAD_LETTER_QUEUE_URL',
    ],
    env,
  );
  return {
    ...erpConnectionOf(values),
    erpSourceUri: values.ERP_SOURCE_URI,
    eventBusName: values.EVENT_BUS_NAME,
    versionTableName: values.VERSION_TABLE_NAME,
    outboxDeadLetterQueueUrl: values.OUTBOX_DEAD_LETTER_QUEUE_URL,
  };
}
