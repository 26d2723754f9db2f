/** The relay's mappers for the ERP item master's outbox entries: stock levels and prices, as authoritative events. */
import { ConcordError } from '../shared/errors';
import { buildCanonicalEvent, type CanonicalEvent } from '../shared/events/envelope';
import { idOf } from '../shared/ids';
import type { OutboxEntry } from './relay';

/**
 * An item entry's payload lacks a field or has it mistyped. The relay reads any mapper's error as an invalid entry
 * and dead-letters it with this message (a class of relay.ts would make the two modules import each other).
 */
export class ItemOutboxPayloadError extends ConcordError {
  override readonly name = 'ItemOutboxPayloadError';
}

function invalid(field: string, rule: string): never {
  throw new ItemOutboxPayloadError(`payload.${field} ${rule}`);
}

function text(payload: Record<string, unknown>, field: string): string {
  const value = payload[field];
  if (typeof value !== 'string' || value === '') invalid(field, 'must be a non-empty string');
  return value;
}

function count(payload: Record<string, unknown>, field: string): number {
  const value = payload[field];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    invalid(field, 'must be a non-negative integer');
  return value;
}

function identity(entry: OutboxEntry, erpSourceUri: string, at: string) {
  // The entry's own id: a relay re-run before its cursor moved announces the same event; each change starts its own
  // transaction, so it is the correlation too.
  const id = idOf(`${erpSourceUri}/outbox/${entry.seq}`, Date.parse(at));
  return { id, correlationId: id, causationId: `erp-outbox:${entry.seq}` };
}

function isoTime(at: string): string {
  const time = new Date(at);
  if (Number.isNaN(time.getTime())) throw new ItemOutboxPayloadError(`at "${at}" is not a timestamp`);
  return time.toISOString();
}

/**
 * Outbox entry type → canonical event. The ERP's item version (one counter over every level and price) is the
 * entity version: per subject it only grows, so the highest version of a level or a price is the ERP's latest.
 */
export const itemMappers: Record<string, (entry: OutboxEntry, erpSourceUri: string) => CanonicalEvent> = {
  'stock.changed': (entry, erpSourceUri) => {
    const { payload } = entry;
    const at = isoTime(entry.at);
    const sku = text(payload, 'sku');
    const locationId = text(payload, 'locationId');
    return buildCanonicalEvent(
      {
        type: 'erp.stock.changed.v1',
        source: erpSourceUri,
        subject: `item/${sku}/stock/${locationId}`,
        time: at,
        entityVersion: count(payload, 'version'),
        data: {
          sku,
          locationId,
          available: count(payload, 'available'),
          reference: text(payload, 'reference'),
          changedAt: at,
        },
      },
      identity(entry, erpSourceUri, at),
    );
  },
  'item.price-changed': (entry, erpSourceUri) => {
    const { payload } = entry;
    const at = isoTime(entry.at);
    const sku = text(payload, 'sku');
    const currency = text(payload, 'currency');
    return buildCanonicalEvent(
      {
        type: 'erp.item.price-changed.v1',
        source: erpSourceUri,
        subject: `item/${sku}/price/${currency}`,
        time: at,
        entityVersion: count(payload, 'version'),
        data: { sku, price: { amount: text(payload, 'amount'), currency }, changedAt: at },
      },
      identity(entry, erpSourceUri, at),
    );
  },
};
