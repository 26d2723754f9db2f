/**
 * A workflow step's input or output as the Transaction page shows it: pretty JSON with personal data hashed until
 * the operator reveals it. Step data is any JSON, not one event, so both the events in it and every field named as
 * the catalog names a personal field are hashed.
 */
import { isCanonicalType } from '../../../functions/shared/events/envelope';
import { canonicalCatalog } from '../../../functions/shared/generated/catalog';
import { piiHash, withPiiHashed } from '../pii-view';

/** The last segment of every `x-pii` path in the catalog (`customer.email` → `email`): where a step keeps personal data. */
const personalKeys = new Set(
  Object.values(canonicalCatalog).flatMap((entry) =>
    entry.piiPaths.map((path) => (path.split('.').at(-1) as string).replace(/\[\]$/, '')),
  ),
);

function hashed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(hashed);
  if (value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  // A canonical event: its schema says exactly what is personal (its unknown-type fallback hashes all of its data).
  const event =
    typeof record.type === 'string' && isCanonicalType(record.type) && 'data' in record
      ? withPiiHashed(record)
      : record;
  return Object.fromEntries(
    Object.entries(event).map(([key, inner]) => [
      key,
      personalKeys.has(key) && !(typeof inner === 'string' && inner.startsWith('sha256:'))
        ? piiHash(inner)
        : hashed(inner),
    ]),
  );
}

/** Step data (a JSON text from the execution history) for the page: indented, its personal data hashed unless revealed. */
export function shownStepData(text: string | undefined, revealed: boolean): string {
  if (text === undefined) return '-';
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // Not JSON: nothing can tell what is personal in it.
    return revealed ? text : piiHash(text);
  }
  return JSON.stringify(revealed ? value : hashed(value), null, 2);
}
