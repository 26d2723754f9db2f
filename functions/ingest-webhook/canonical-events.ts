/** The canonical events a mapped webhook makes: identity, correlation, schema validation and the bus size limit. */
import { PayloadTooLargeError, SchemaViolationError } from '../shared/errors';
import { buildCanonicalEvent, type CanonicalEvent, validateCanonicalEvent } from '../shared/events/envelope';
import { correlationIdFrom, newId } from '../shared/ids';
import type { MappedDelivery } from '../shared/sources/mappers/mapped-delivery';
import type { WebhookRequest } from '../shared/sources/webhook-request';

/** EventBridge's limit on one PutEvents entry since 2026-01. */
export const eventBridgeMaxEntryBytes = 1_048_576;

/** One event of one provider delivery. */
export interface NewEvent {
  deliveryId: string;
  event: CanonicalEvent;
}

export function buildEvents(request: WebhookRequest, deliveries: MappedDelivery[]): NewEvent[] {
  const incomingCorrelationId = request.headers['x-correlation-id'];
  return deliveries.flatMap((delivery) => {
    if (delivery.kind !== 'event') return [];
    const event = buildCanonicalEvent(delivery.draft, {
      id: newId(),
      correlationId: correlationIdFrom(incomingCorrelationId),
      causationId: `${request.sourceName}:${delivery.deliveryId}`,
    });
    const violations = validateCanonicalEvent(event);
    if (violations.length > 0) {
      throw new SchemaViolationError(
        `The ${event.type} event mapped from delivery ${delivery.deliveryId} violates its schema`,
        violations,
      );
    }
    const sizeBytes = Buffer.byteLength(JSON.stringify(event));
    if (sizeBytes > eventBridgeMaxEntryBytes)
      throw new PayloadTooLargeError(sizeBytes, eventBridgeMaxEntryBytes);
    return [{ deliveryId: delivery.deliveryId, event }];
  });
}
