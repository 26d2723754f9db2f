/** Lambda entry of the ERP outbox relay: run on a schedule, and invoked by a replay to redrive dead-lettered entries. */
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { EventBridgePublisher } from '../shared/bus/eventbridge-publisher';
import { HttpErpConnector } from '../shared/erp/http-erp-connector';
import { secretsManagerErpCredentials } from '../shared/erp/secrets-manager-erp-credentials';
import { createTracer, tracedHandler } from '../shared/observability/tracing';
import { loadErpOutboxRelayConfig } from './config';
import {
  DynamoDbOutboxCursor,
  InvalidRedriveRequestError,
  type OutboxEntry,
  type RedriveResult,
  type RelayResult,
  redriveEntries,
  relayOutbox,
} from './relay';
import { SqsOutboxDeadLetters } from './sqs-outbox-dead-letters';

const config = loadErpOutboxRelayConfig();
const logger = new Logger({ serviceName: 'erp-outbox-relay' });
// A run relays many transactions: it is traced as a whole (the ERP reads and the bus puts), without a correlation id.
const tracer = createTracer('erp-outbox-relay');
const publisher = new EventBridgePublisher(tracer.captureAWSv3Client(new EventBridgeClient({})), {
  eventBusName: config.eventBusName,
  busSource: 'concord.erp',
});
const sqs = tracer.captureAWSv3Client(new SQSClient({}));
const dependencies = {
  erp: new HttpErpConnector({
    baseUrl: config.erpBaseUrl,
    timeoutMs: config.erpTimeoutMs,
    credentials: secretsManagerErpCredentials(config.erpCredentialsSecretId),
  }),
  publish: (events: Parameters<EventBridgePublisher['publish']>[0]) => publisher.publish(events),
  cursor: new DynamoDbOutboxCursor(
    tracer.captureAWSv3Client(new DynamoDBClient({})),
    config.versionTableName,
  ),
  erpSourceUri: config.erpSourceUri,
};

/** Time kept back from the function's timeout for the last page's publishing, the cursor write and the logs. */
const relaySafetyMarginMs = 8_000;

/** What a replay sends back: the entries of the relay's dead letters, and who replays them. */
export interface RedriveRequest {
  redrive: OutboxEntry[];
  replay?: Record<string, string>;
}

function isOutboxEntry(value: unknown): value is OutboxEntry {
  const entry = value as Partial<OutboxEntry> | null;
  return (
    typeof entry === 'object' &&
    entry !== null &&
    typeof entry.seq === 'number' &&
    typeof entry.type === 'string' &&
    typeof entry.at === 'string'
  );
}

/** Scheduled: relays what the ERP emitted since the last run. Redrive: relays the entries a replay hands back. */
export const handler = tracedHandler(tracer, relay);

async function relay(
  event: RedriveRequest | Record<string, unknown>,
  context: Context,
): Promise<RelayResult | RedriveResult> {
  // The relay's own ARN goes with each dead letter: a replay hands the entry back here, not to the bus.
  const deps = {
    ...dependencies,
    deadLetters: new SqsOutboxDeadLetters(sqs, config.outboxDeadLetterQueueUrl, context.invokedFunctionArn),
  };
  if ('redrive' in event) {
    const { redrive, replay } = event as RedriveRequest;
    if (!Array.isArray(redrive) || !redrive.every(isOutboxEntry))
      throw new InvalidRedriveRequestError(
        '"redrive" must be a list of outbox entries ({ seq, at, type, payload })',
      );
    const result = await redriveEntries(deps, redrive);
    logger.info('outbox entries redriven', { ...result, seqs: redrive.map((entry) => entry.seq), replay });
    return result;
  }
  const result = await relayOutbox(deps, {
    remainingMs: () => context.getRemainingTimeInMillis(),
    safetyMarginMs: relaySafetyMarginMs,
  });
  if (result.relayed > 0 || result.deadLettered > 0) logger.info('erp outbox relayed', { ...result });
  if (!result.caughtUp)
    logger.warn(
      'erp outbox relay stopped before catching up: out of time; the next scheduled run continues',
      {
        ...result,
        remainingMs: context.getRemainingTimeInMillis(),
        safetyMarginMs: relaySafetyMarginMs,
      },
    );
  if (result.deadLettered > 0)
    logger.warn('outbox entries dead-lettered: concord dlq show ErpOutboxEntriesDlq', { ...result });
  return result;
}
