/** Dead letters as the queues hold them, for the replay use-case tests. */
import type { QueueMessage } from '../../../../functions/replay/ports';

/** A canonical order event (its data is not checked by the replay of a dead letter). */
export function orderEvent(order: number, entityVersion = 1): Record<string, unknown> {
  return {
    specversion: '1.0',
    id: `01JD00000000000000000${String(order).padStart(5, '0')}`,
    source: 'shopify://acme.myshopify.com',
    type: 'commerce.order.placed.v1',
    subject: `order/${order}`,
    correlationid: `corr-${order}`,
    entityversion: entityVersion,
    data: { total: '10.00' },
  };
}

function attributes(values: Record<string, string>): QueueMessage['MessageAttributes'] {
  return Object.fromEntries(
    Object.entries(values).map(([name, value]) => [name, { DataType: 'String', StringValue: value }]),
  );
}

/** A rule target's dead letter of a bus event; it records its target when `targetArn` is given. */
export function busEventLetter(
  id: string,
  detail: Record<string, unknown>,
  options: { errorCode?: string; ruleArn?: string; targetArn?: string; sentAt?: Date } = {},
): QueueMessage {
  return {
    MessageId: id,
    Body: JSON.stringify({
      version: '0',
      id: `bus-${id}`,
      'detail-type': String(detail.type),
      source: String(detail.type).startsWith('erp.') ? 'concord.erp' : 'concord.ingest',
      time: '2026-05-04T10:00:00Z',
      detail,
    }),
    Attributes: {
      SentTimestamp: String((options.sentAt ?? new Date('2026-05-04T10:00:00Z')).getTime()),
      ApproximateReceiveCount: '1',
    },
    MessageAttributes: attributes({
      ERROR_CODE: options.errorCode ?? 'ErpUnavailableError',
      ...(options.ruleArn ? { RULE_ARN: options.ruleArn } : {}),
      ...(options.targetArn ? { TARGET_ARN: options.targetArn } : {}),
    }),
  };
}

/** A message that holds no event (a relay entry that made no valid event): nothing to re-publish. */
export function eventlessLetter(id: string): QueueMessage {
  return {
    MessageId: id,
    Body: 'not an event',
    Attributes: { SentTimestamp: '1777888800000', ApproximateReceiveCount: '1' },
    MessageAttributes: attributes({ ERROR_CODE: 'ErpUnavailableError' }),
  };
}
