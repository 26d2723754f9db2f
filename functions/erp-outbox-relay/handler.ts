/** Lambda entry of the ERP outbox relay, run on a schedule. */
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EventBridgePublisher } from '../shared/bus/eventbridge-publisher';
import { parsePositiveIntEnv, readEnv } from '../shared/config';
import { SandboxErpConnector } from '../shared/erp/sandbox-erp-connector';
import { DynamoDbOutboxCursor, relayOutbox } from './relay';

const env = readEnv([
  'ERP_BASE_URL',
  'ERP_TIMEOUT_MS',
  'ERP_SOURCE_URI',
  'EVENT_BUS_NAME',
  'VERSION_TABLE_NAME',
]);
const logger = new Logger({ serviceName: 'erp-outbox-relay' });
const publisher = new EventBridgePublisher(new EventBridgeClient({}), {
  eventBusName: env.EVENT_BUS_NAME,
  busSource: 'concord.erp',
});
const dependencies = {
  erp: new SandboxErpConnector({
    baseUrl: env.ERP_BASE_URL,
    timeoutMs: parsePositiveIntEnv('ERP_TIMEOUT_MS', env.ERP_TIMEOUT_MS),
  }),
  publish: (events: Parameters<EventBridgePublisher['publish']>[0]) => publisher.publish(events),
  cursor: new DynamoDbOutboxCursor(new DynamoDBClient({}), env.VERSION_TABLE_NAME),
  erpSourceUri: env.ERP_SOURCE_URI,
};

/** Scheduled handler: relays what the ERP emitted since the last run. */
export async function handler(): Promise<{ relayed: number }> {
  const relayed = await relayOutbox(dependencies);
  if (relayed > 0) logger.info('erp events relayed', { relayed });
  return { relayed };
}
