/**
 * Lambda entry of the purchase-order write-back: the ERP's answer about a platform's purchase order (released with its
 * PO number, refused, three-way match after a receipt or invoice) written to that platform. Invoked asynchronously by
 * its rule; a failed write is retried by Lambda, then kept in its dead-letter queue.
 */

import { Logger } from '@aws-lambda-powertools/logger';
import { ConcordError, InvalidCanonicalEventError } from '../../shared/errors';
import { type CanonicalEvent, validateCanonicalEvent } from '../../shared/events/envelope';
import { PowertoolsBusinessMetrics } from '../../shared/observability/powertools-business-metrics';
import { createTracer, tracedHandler } from '../../shared/observability/tracing';
import {
  parseSpendeskApiToken,
  secretsManagerPlatformCredentials,
} from '../../shared/secrets/platform-credentials';
import { loadPurchaseOrderWriteBackConfig } from './config';
import { purchaseOrderStatusWrite, purchaseOrderWrittenBackMetrics } from './purchase-order-status';
import { SpendeskPurchaseOrderClient } from './spendesk-purchase-order-client';

const config = loadPurchaseOrderWriteBackConfig();
const logger = new Logger({ serviceName: 'purchase-order-write-back' });
const tracer = createTracer('purchase-order-write-back');
const metrics = new PowertoolsBusinessMetrics({
  stage: config.stage,
  serviceName: 'purchase-order-write-back',
});
// One procurement platform so far: a second one adds its client here, chosen by the event's origin.
const platforms = {
  spendesk: new SpendeskPurchaseOrderClient({
    apiUrl: config.spendeskApiUrl,
    apiToken: secretsManagerPlatformCredentials(
      config.spendeskApiTokenSecretId,
      'Spendesk API',
      parseSpendeskApiToken,
    ),
    timeoutMs: config.platformTimeoutMs,
  }),
};

/** A purchase order's origin names a platform this function has no client for: a configuration gap, never skipped. */
export class UnsupportedProcurementPlatformError extends ConcordError {
  override readonly name = 'UnsupportedProcurementPlatformError';
}

/** EventBridge's event around the canonical one. */
interface BusEvent {
  id: string;
  'detail-type': string;
  detail: CanonicalEvent;
}

/** Traced with the answer's correlation id and the platform it goes back to. */
export const handler = tracedHandler(tracer, writeBack, {
  fromEvent: (event) => ({
    correlationId: event.detail?.correlationid,
    source: event.detail?.origin,
    businessKey: event.detail?.subject,
  }),
});

async function writeBack(event: BusEvent): Promise<{ written: boolean }> {
  const violations = validateCanonicalEvent(event.detail);
  if (violations.length > 0) throw new InvalidCanonicalEventError(event.id, event['detail-type'], violations);
  const write = purchaseOrderStatusWrite(event.detail);
  if (!write) {
    logger.info('nothing to write back', { type: event.detail.type, eventId: event.detail.id });
    return { written: false };
  }
  const client = Object.hasOwn(platforms, write.platform)
    ? platforms[write.platform as keyof typeof platforms]
    : undefined;
  if (!client)
    throw new UnsupportedProcurementPlatformError(
      `No purchase-order write-back for platform ${write.platform} (event ${event.detail.id})`,
    );
  await client.write(write.status);
  metrics.record(...purchaseOrderWrittenBackMetrics(write, new Date()));
  metrics.flush();
  logger.info('purchase order status written back', {
    platform: write.platform,
    purchaseOrderId: write.status.purchaseOrderId,
    erpStatus: write.status.erpStatus,
    erpVersion: write.status.erpVersion,
    correlationId: write.correlationId,
  });
  return { written: true };
}
