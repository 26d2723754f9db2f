/** Redaction of personal data, driven by the `"x-pii": true` marks in the event schemas. */
import { canonicalCatalog } from '../generated/catalog';
import { isCanonicalType } from './envelope';

/** What a redacted value is replaced with. */
export const redactedMarker = '[redacted]';

function redactPath(node: unknown, segments: readonly string[]): void {
  if (node === null || typeof node !== 'object' || segments.length === 0) return;
  const [head, ...rest] = segments as [string, ...string[]];
  const isArrayStep = head.endsWith('[]');
  const key = isArrayStep ? head.slice(0, -2) : head;
  const container = node as Record<string, unknown>;
  if (!Object.hasOwn(container, key)) return;
  if (isArrayStep) {
    const items = container[key];
    if (!Array.isArray(items)) return;
    if (rest.length === 0) container[key] = items.map(() => redactedMarker);
    else for (const item of items) redactPath(item, rest);
  } else if (rest.length === 0) {
    container[key] = redactedMarker;
  } else {
    redactPath(container[key], rest);
  }
}

/** A copy of an event (envelope or data) with every PII field of its type replaced; safe to log. */
export function redactPii<E extends { type: string; data: unknown }>(event: E): E {
  const copy = structuredClone(event);
  if (!isCanonicalType(event.type)) return { ...copy, data: redactedMarker };
  for (const path of canonicalCatalog[event.type].piiPaths) redactPath(copy.data, path.split('.'));
  return copy;
}
