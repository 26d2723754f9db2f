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
import { createTracer, tracedHandler } from '../shared/observability/tracing';
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
const tracer = createTracer('ingest-webhook');
const metrics = new PowertoolsBusinessMetrics({ stage: config.stage, serviceName: 'ingest-webhook' });

const dependencies: IngestDependencies = {
  sources: loadSourceRegistry(),
  secrets: new SecretsManagerWebhookSecrets(
    new SecretsProvider({ awsSdkV3Client: tracer.captureAWSv3Client(new SecretsManagerClient({})) }),
    config.webhookSecretIds,
  ),
  dedupe: new DynamoDbDedupeStore(tracer.captureAWSv3Client(new DynamoDBClient({})), config.dedupeTableName),
  archive: new FirehoseWebhookArchive(
    tracer.captureAWSv3Client(new FirehoseClient({})),
    config.archiveStreamName,
    new S3WebhookArchive(tracer.captureAWSv3Client(new S3Client({})), {
      archive: config.archiveBucketName,
      quarantine: config.quarantineBucketName,
    }),
  ),
  publisher: new EventBridgePublisher(tracer.captureAWSv3Client(new EventBridgeClient({})), {
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

/**
 * API Gateway HTTP API (payload format 2.0) handler, traced with the source and the correlation id (the sender's, or
 * the one ingest minted, read from the answer).
 */
export const handler = tracedHandler(tracer, receive, {
  fromEvent: (event) => ({
    source: event.pathParameters?.source,
    correlationId: event.headers?.['x-correlation-id'],
  }),
  fromResult: (result) => ({ correlationId: JSON.parse(result.body).correlationId }),
});

async function receive(event: APIGatewayProxyEventV2, context: Context) {
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
