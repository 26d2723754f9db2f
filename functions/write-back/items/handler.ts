/**
 * Lambda entry of the item write-back: ERP stock and price events from its SQS queue are recorded as the latest per
 * key, and delayed flush requests on the same queue write each key's latest to Shopify once.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { secretsManagerErpCredentials } from '../../shared/erp/secrets-manager-erp-credentials';
import { type CanonicalEvent, validateCanonicalEvent } from '../../shared/events/envelope';
import { PowertoolsBusinessMetrics } from '../../shared/observability/powertools-business-metrics';
import { createTracer, tracedHandler } from '../../shared/observability/tracing';
import {
  parseShopifyAccessToken,
  secretsManagerPlatformCredentials,
} from '../../shared/secrets/platform-credentials';
import { loadItemWriteBackConfig } from './config';
import { DynamoDbLatestChangeStore } from './dynamodb-latest-change-store';
import { HttpErpItemReader } from './http-erp-item-reader';
import { itemChangeOf } from './item-change';
import {
  acceptChanges,
  type DeliveredChange,
  type DeliveredFlush,
  flushKeys,
  type ItemWriteBackDependencies,
} from './item-write-back';
import { itemWriteBackMetrics } from './item-write-back-metrics';
import { ShopifyAdminPlatform } from './shopify-admin-platform';
import { SqsFlushQueue, SqsItemDeadLetters } from './sqs-item-queues';

const config = loadItemWriteBackConfig();
const logger = new Logger({ serviceName: 'item-write-back' });
const tracer = createTracer('item-write-back');
const metrics = new PowertoolsBusinessMetrics({ stage: config.stage, serviceName: 'item-write-back' });
const sqs = tracer.captureAWSv3Client(new SQSClient({}));
const platform = new ShopifyAdminPlatform({
  baseUrl: config.shopifyAdminApiUrl,
  accessToken: secretsManagerPlatformCredentials(
    config.shopifyAccessTokenSecretId,
    'Shopify Admin API',
    parseShopifyAccessToken,
  ),
  locationNames: config.shopifyLocationNames,
  currency: config.shopifyCurrency,
  leakPerSec: config.shopifyLeakPerSec,
  timeoutMs: config.platformTimeoutMs,
  maxRetryWaitMs: 5_000,
});
const store = new DynamoDbLatestChangeStore(tracer.captureAWSv3Client(new DynamoDBClient({})), {
  tableName: config.latestChangeTableName,
  platform: platform.name,
  // Longer than a flush's whole retry life: 5 attempts × the queue's 6-minute visibility timeout.
  flushLeaseMs: 45 * 60_000,
});
const erp = new HttpErpItemReader({
  baseUrl: config.erpBaseUrl,
  credentials: secretsManagerErpCredentials(config.erpCredentialsSecretId),
  timeoutMs: config.erpTimeoutMs,
});
const flushQueue = new SqsFlushQueue(sqs, config.itemQueueUrl, config.coalesceWindowSec);
const deadLetters = new SqsItemDeadLetters(sqs, config.itemDeadLetterQueueUrl);

/** The bus event EventBridge puts on the queue. */
interface BusEvent {
  id: string;
  'detail-type': string;
  detail: CanonicalEvent;
}

/** The item write-back batch: changes and flush requests apart, failures reported per message. */
export const handler = tracedHandler(tracer, writeBackItems);

async function writeBackItems(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  const changes: DeliveredChange[] = [];
  const flushes: DeliveredFlush[] = [];
  const unreadable: string[] = [];
  let otherCurrency = 0;
  for (const record of event.Records) {
    let body: Partial<BusEvent> & { flush?: unknown };
    try {
      body = JSON.parse(record.body);
    } catch {
      body = {};
    }
    if (typeof body.flush === 'string') {
      flushes.push({
        messageId: record.messageId,
        key: body.flush,
        receiveCount: Number(record.attributes.ApproximateReceiveCount ?? 1),
      });
      continue;
    }
    const violations = body.detail
      ? validateCanonicalEvent(body.detail)
      : [{ path: '/', message: 'no event' }];
    const change = violations.length === 0 ? itemChangeOf(body.detail as CanonicalEvent) : undefined;
    if (!change) {
      // Left in the queue: after its receive count, SQS moves it to the item write-back DLQ for an operator.
      logger.error('not an item change event', { messageId: record.messageId, violations });
      unreadable.push(record.messageId);
      continue;
    }
    if (change.kind === 'price' && change.currency !== config.shopifyCurrency) {
      otherCurrency += 1;
      continue;
    }
    changes.push({ messageId: record.messageId, change });
  }
  const deps: ItemWriteBackDependencies = {
    store,
    erp,
    flushQueue,
    platform,
    deadLetters,
    now: Date.now,
    remainingMs: () => context.getRemainingTimeInMillis(),
  };
  // The platform's counters live as long as the container: the batch's 429s are the difference.
  const throttledBefore = platform.stats.throttled;
  const accepted = await acceptChanges(deps, changes);
  const flushed = await flushKeys(deps, flushes, { maxAttempts: config.flushMaxAttempts });
  metrics.record(
    ...itemWriteBackMetrics({
      received: changes.length + otherCurrency,
      accepted,
      flushed,
      throttled: platform.stats.throttled - throttledBefore,
    }),
  );
  metrics.flush();
  const failed = [...unreadable, ...accepted.failedMessageIds, ...flushed.failedMessageIds];
  logger.info('item write-back batch', {
    changes: changes.length,
    flushes: flushes.length,
    otherCurrency,
    recorded: accepted.recorded,
    stale: accepted.stale + flushed.stale,
    flushesScheduled: accepted.flushesScheduled + flushed.flushesScheduled,
    written: flushed.written,
    alreadyWritten: flushed.alreadyWritten,
    deadLettered: flushed.deadLettered,
    failed: failed.length,
    shopify: platform.stats,
  });
  if (flushed.deadLettered > 0)
    logger.warn('item writes dead-lettered: concord dlq show ItemWriteBackDlq', {
      deadLettered: flushed.deadLettered,
    });
  return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
}
