/** The canonical events a mapped webhook makes: identity, correlation, schema validation and the bus size limit. */
import { PayloadTooLargeError, SchemaViolationError } from '../errors';
import { correlationIdFrom, newId } from '../ids';
import type { MappedDelivery } from '../sources/mappers/mapped-delivery';
import { sealSecretValues } from '../sources/secret-class';
import type { WebhookRequest } from '../sources/webhook-request';
import { buildCanonicalEvent, type CanonicalEvent, validateCanonicalEvent } from './envelope';

/** EventBridge's limit on one PutEvents entry since 2026-01. */
export const eventBridgeMaxEntryBytes = 1_048_576;

/** One event of one provider delivery. */
export interface NewEvent {
  deliveryId: string;
  event: CanonicalEvent;
}

/**
 * The canonical events of the mapped deliveries, secret-class fields sealed with `sealingKey` before the schema
 * check. The schemas require the sealed form of those fields, so without a key (a replay that holds no signing
 * secret) an event carrying one fails its schema and is reported, never published plain.
 */
export function buildEvents(
  request: WebhookRequest,
  deliveries: MappedDelivery[],
  sealingKey?: Buffer,
): NewEvent[] {
  const incomingCorrelationId = request.headers['x-correlation-id'];
  return deliveries.flatMap((delivery) => {
    if (delivery.kind !== 'event') return [];
    const draft = sealingKey
      ? { ...delivery.draft, data: sealSecretValues(delivery.draft.type, delivery.draft.data, sealingKey) }
      : delivery.draft;
    const event = buildCanonicalEvent(draft, {
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
