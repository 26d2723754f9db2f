/** Lambda entry of POST /webhooks/{source}: wires the AWS adapters once per container and hands each request to the use case. */
import { Logger } from '@aws-lambda-powertools/logger';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { EventBridgePublisher } from '../shared/bus/eventbridge-publisher';
import { ingestBusSource } from '../shared/events/envelope';
import { PowertoolsBusinessMetrics } from '../shared/observability/powertools-business-metrics';
import { SecretsManagerWebhookSecrets } from '../shared/secrets/webhook-secrets';
import { loadSourceRegistry } from '../shared/sources/source-registry';
import { DynamoDbDedupeStore } from './adapters/dynamodb-dedupe-store';
import { FirehoseWebhookArchive } from './adapters/firehose-webhook-archive';
import { S3WebhookArchive } from './adapters/s3-webhook-archive';
import { loadIngestConfig } from './config';
import { createWebhookHandler } from './http-adapter';
import { type IngestDependencies, receiveWebhook } from './receive-webhook';

const config = loadIngestConfig();
const logger = new Logger({ serviceName: 'ingest-webhook' });
const metrics = new PowertoolsBusinessMetrics({ stage: config.stage, serviceName: 'ingest-webhook' });

const dependencies: IngestDependencies = {
  sources: loadSourceRegistry(),
  secrets: new SecretsManagerWebhookSecrets(
    new SecretsProvider({ awsSdkV3Client: new SecretsManagerClient({}) }),
    config.webhookSecretIds,
  ),
  dedupe: new DynamoDbDedupeStore(new DynamoDBClient({}), config.dedupeTableName),
  archive: new FirehoseWebhookArchive(
    new FirehoseClient({}),
    config.archiveStreamName,
    new S3WebhookArchive(new S3Client({}), {
      archive: config.archiveBucketName,
      quarantine: config.quarantineBucketName,
    }),
  ),
  publisher: new EventBridgePublisher(new EventBridgeClient({}), {
    eventBusName: config.eventBusName,
    busSource: ingestBusSource,
  }),
  logger,
  logEventBodies: logger.getLevelName() === 'DEBUG',
  limits: { maxBodyBytes: config.maxBodyBytes, inProgressSec: config.inProgressSec },
  acceptUnboundSenderSecrets: config.acceptUnboundSenderSecrets,
};

const handleWebhook = createWebhookHandler(
  (request) => receiveWebhook(request, dependencies),
  logger,
  () => new Date(),
  { metrics, knownSources: dependencies.sources },
);

/** API Gateway HTTP API (payload format 2.0) handler. */
export async function handler(event: APIGatewayProxyEventV2, context: Context) {
  // The request id only: the log group names the function (see the ERP adapter's handler).
  logger.appendKeys({ requestId: context.awsRequestId });
  const correlationId = event.headers?.['x-correlation-id'];
  if (correlationId) logger.appendKeys({ correlationId });
  try {
    return await handleWebhook(event);
  } finally {
    metrics.flush();
    logger.removeKeys(['requestId', 'correlationId']);
  }
}
