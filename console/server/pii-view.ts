/**
 * How the console shows an event's personal data until the operator asks to see it: each field its schema marks
 * `"x-pii": true` becomes a short hash, so that two events can still be compared (same email, same hash) unread.
 */
import { createHash } from 'node:crypto';
import { isCanonicalType } from '../../functions/shared/events/envelope';
import { canonicalCatalog } from '../../functions/shared/generated/catalog';

/** The shown form of one personal value. */
export function piiHash(value: unknown): string {
  return `sha256:${createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 12)}`;
}

function hashPath(node: unknown, segments: readonly string[]): void {
  if (node === null || typeof node !== 'object' || segments.length === 0) return;
  const [head, ...rest] = segments as [string, ...string[]];
  const isArrayStep = head.endsWith('[]');
  const key = isArrayStep ? head.slice(0, -2) : head;
  const container = node as Record<string, unknown>;
  if (!Object.hasOwn(container, key)) return;
  const value = container[key];
  if (isArrayStep && Array.isArray(value)) {
    if (rest.length === 0) container[key] = value.map(piiHash);
    else for (const item of value) hashPath(item, rest);
  } else if (!isArrayStep) {
    if (rest.length === 0) container[key] = piiHash(value);
    else hashPath(value, rest);
  }
}

/**
 * A copy of a canonical event with its personal data hashed. An event of a type the catalog does not know has all
 * of its data hashed: what is personal in it cannot be told.
 */
export function withPiiHashed(event: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(event);
  const type = typeof event.type === 'string' ? event.type : '';
  if (!isCanonicalType(type)) return { ...copy, data: piiHash(copy.data) };
  for (const path of canonicalCatalog[type].piiPaths) hashPath(copy.data, path.split('.'));
  return copy;
}
