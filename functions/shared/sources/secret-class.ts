/** Secret-class values (bank details) sealed at ingest: a keyed digest replaces them before any event is built. */
import { createHmac, hkdfSync } from 'node:crypto';
import { isCanonicalType } from '../events/envelope';
import { canonicalCatalog } from '../generated/catalog';

/** The form of a sealed value: `hmac-sha256:` and 64 hex digits, the pattern the schemas require of `x-secret` fields. */
export const sealedValuePattern = /^hmac-sha256:[0-9a-f]{64}$/;

const sealedPrefix = 'hmac-sha256:';

/**
 * The key that seals a source's secret-class values, derived (HKDF-SHA256) from its current signing secret with a
 * label of its own, so the digest key is never the signing key itself and differs per source. A bare SHA-256 of
 * an IBAN would not do: a country's IBANs are a few billion candidates, hashed in minutes; without the key, the
 * digest cannot be tested against any guess.
 */
export function secretClassKey(source: string, signingSecret: string): Buffer {
  if (signingSecret === '')
    throw new RangeError(`No signing secret of ${source} to derive the sealing key from`);
  return Buffer.from(hkdfSync('sha256', signingSecret, 'concord', `concord/secret-class/v1/${source}`, 32));
}

/**
 * The sealed form of one secret-class value. Identifiers are compared without spaces and case (an IBAN printed in
 * groups of four is the same account), so the same account always seals to the same digest under one key.
 */
export function sealValue(value: string, key: Buffer): string {
  const normalised = value.replace(/\s+/g, '').toUpperCase();
  return `${sealedPrefix}${createHmac('sha256', key).update(normalised, 'utf8').digest('hex')}`;
}

function sealPath(node: unknown, segments: readonly string[], key: Buffer): void {
  if (node === null || typeof node !== 'object' || segments.length === 0) return;
  const [head, ...rest] = segments as [string, ...string[]];
  const isArrayStep = head.endsWith('[]');
  const name = isArrayStep ? head.slice(0, -2) : head;
  const container = node as Record<string, unknown>;
  if (!Object.hasOwn(container, name)) return;
  const seal = (value: unknown) => (typeof value === 'string' ? sealValue(value, key) : value);
  if (isArrayStep) {
    const items = container[name];
    if (!Array.isArray(items)) return;
    if (rest.length === 0) container[name] = items.map(seal);
    else for (const item of items) sealPath(item, rest, key);
  } else if (rest.length === 0) {
    // A value that is not a string is left for the schema to refuse: it is never published either way.
    container[name] = seal(container[name]);
  } else sealPath(container[name], rest, key);
}

/**
 * A copy of an event's data with every field its schema marks `"x-secret": true` replaced by its sealed form. Every
 * string is sealed, even one that already looks sealed: a sender cannot pass a chosen digest through.
 */
export function sealSecretValues<T>(type: string, data: T, key: Buffer): T {
  const copy = structuredClone(data);
  if (!isCanonicalType(type)) return copy;
  for (const path of canonicalCatalog[type].secretPaths) sealPath(copy, path.split('.'), key);
  return copy;
}
