/**
 * Lambda entry of the write-back function: an ERP answer from the bus, sent to the platform the order or customer
 * came from. Invoked asynchronously by its rule; a failed write is retried by Lambda, then kept in its DLQ.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { InvalidCanonicalEventError } from '../shared/errors';
import { type CanonicalEvent, validateCanonicalEvent } from '../shared/events/envelope';
import { PowertoolsBusinessMetrics } from '../shared/observability/powertools-business-metrics';
import { createTracer, orderIdOf, tracedHandler } from '../shared/observability/tracing';
import { SandboxPlatformOutbox } from '../shared/write-back/sandbox-platform-outbox';
import { loadStatusWriteBackConfig } from './config';
import { statusUpdateFor, writeBackKey, writtenBackMetrics } from './status-update';

const config = loadStatusWriteBackConfig();
const logger = new Logger({ serviceName: 'write-back' });
// Also traces the platform's HTTP call (fetch).
const tracer = createTracer('write-back');
const metrics = new PowertoolsBusinessMetrics({ stage: config.stage, serviceName: 'write-back' });
const platforms = new SandboxPlatformOutbox({
  baseUrl: config.platformOutboxUrl,
  timeoutMs: config.platformTimeoutMs,
});

/** EventBridge's event around the canonical one. */
interface BusEvent {
  id: string;
  'detail-type': string;
  detail: CanonicalEvent;
}

/** Traced with the answer's correlation id, the platform it goes back to (`origin`) and the order id. */
export const handler = tracedHandler(tracer, writeBack, {
  fromEvent: (event) => ({
    correlationId: event.detail?.correlationid,
    source: event.detail?.origin,
    businessKey: event.detail?.subject,
    orderId: orderIdOf(event.detail?.subject),
  }),
});

async function writeBack(event: BusEvent): Promise<{ written: boolean; key?: string }> {
  const violations = validateCanonicalEvent(event.detail);
  if (violations.length > 0) throw new InvalidCanonicalEventError(event.id, event['detail-type'], violations);
  const update = statusUpdateFor(event.detail);
  if (!update) {
    logger.info('nothing to write back', { type: event.detail.type, eventId: event.detail.id });
    return { written: false };
  }
  const key = writeBackKey(update);
  await platforms.send(update, key);
  metrics.record(...writtenBackMetrics(update, new Date()));
  metrics.flush();
  logger.info('status written back', {
    platform: update.platform,
    externalRef: update.externalRef,
    status: update.status,
    correlationId: update.correlationId,
  });
  return { written: true, key };
}
