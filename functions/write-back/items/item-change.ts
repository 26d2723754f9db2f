/** A change the ERP announced that the commerce platform must follow: a stock level or a price, with its ERP version. */
import type { CanonicalEvent } from '../../shared/events/envelope';

/** A stock level of a sku at an ERP location. */
export interface StockLevelChange {
  kind: 'stock';
  sku: string;
  locationId: string;
  available: number;
  /** The ERP's version of this level: the higher wins. */
  version: number;
  /** When the ERP announced it (its event's time): where the level's write-back lag is measured from. */
  announcedAt?: string;
}

/** A list price of a sku in one currency. */
export interface PriceChange {
  kind: 'price';
  sku: string;
  currency: string;
  amount: string;
  version: number;
}

/** What the write-back keeps the latest of, per key. */
export type ItemChange = StockLevelChange | PriceChange;

/** The event types the item write-back follows. */
export const itemChangeTypes = ['erp.stock.changed.v1', 'erp.item.price-changed.v1'] as const;

/** The one thing on the platform a change sets: `stock/<sku>@<location>` or `price/<sku>/<currency>`. */
export function keyOf(change: ItemChange): string {
  return change.kind === 'stock'
    ? `stock/${change.sku}@${change.locationId}`
    : `price/${change.sku}/${change.currency}`;
}

/** The change an ERP event announces, or undefined for any other type. */
export function itemChangeOf(event: CanonicalEvent): ItemChange | undefined {
  if (event.type === 'erp.stock.changed.v1') {
    const data = event.data as CanonicalEvent<'erp.stock.changed.v1'>['data'];
    return {
      kind: 'stock',
      sku: data.sku,
      locationId: data.locationId,
      available: data.available,
      version: event.entityversion,
      announcedAt: event.time,
    };
  }
  if (event.type === 'erp.item.price-changed.v1') {
    const data = event.data as CanonicalEvent<'erp.item.price-changed.v1'>['data'];
    return {
      kind: 'price',
      sku: data.sku,
      currency: data.price.currency,
      amount: data.price.amount,
      version: event.entityversion,
    };
  }
  return undefined;
}

/** The latest change per key among `changes` (the highest version wins; equal versions are the same change). */
export function latestPerKey<T extends { change: ItemChange }>(entries: readonly T[]): Map<string, T[]> {
  const byKey = new Map<string, T[]>();
  for (const entry of entries) {
    const key = keyOf(entry.change);
    const group = byKey.get(key);
    if (!group) byKey.set(key, [entry]);
    else if (entry.change.version > (group[0] as T).change.version) group.unshift(entry);
    else group.push(entry);
  }
  return byKey;
}
