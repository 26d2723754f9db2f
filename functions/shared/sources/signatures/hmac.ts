/** HMAC-SHA256 and constant-time comparison shared by every signature scheme. */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { SignatureInvalidError } from '../../errors';

/** HMAC-SHA256 of the concatenated parts. */
export function hmacSha256(key: Buffer | string, ...parts: (Buffer | string)[]): Buffer {
  const hmac = createHmac('sha256', key);
  for (const part of parts) hmac.update(part);
  return hmac.digest();
}

/** Constant-time equality of two digests; different lengths are simply unequal. */
export function digestsEqual(expected: Buffer, presented: Buffer): boolean {
  return expected.length === presented.length && timingSafeEqual(expected, presented);
}

/** Whether any presented signature equals the expected digest of any secret (rotation: several are active). */
export function anySignatureMatches(
  expectedDigests: readonly Buffer[],
  presented: readonly Buffer[],
): boolean {
  let matched = false;
  // Compare every pair, without stopping early, so timing does not reveal which secret or signature matched.
  for (const expected of expectedDigests) {
    for (const candidate of presented) matched = digestsEqual(expected, candidate) || matched;
  }
  return matched;
}

/** Decodes base64 strictly: anything that is not canonical base64 gives an empty buffer (never matches). */
export function decodeBase64(value: string): Buffer {
  const trimmed = value.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed)) return Buffer.alloc(0);
  return Buffer.from(trimmed, 'base64');
}

/** Decodes lower-case or upper-case hex strictly. */
export function decodeHex(value: string): Buffer {
  return /^(?:[0-9a-fA-F]{2})+$/.test(value) ? Buffer.from(value, 'hex') : Buffer.alloc(0);
}

/** The header's value, or a SignatureInvalidError naming it. */
export function requireHeader(headers: Readonly<Record<string, string>>, name: string): string {
  const value = headers[name];
  if (!value) throw new SignatureInvalidError(`Missing ${name} header`);
  return value;
}

/** Checks a signed timestamp (seconds) against now, both ways: stale and future are rejected. */
export function assertFresh(timestampSec: number, now: Date, toleranceSec: number): void {
  const ageSec = now.getTime() / 1000 - timestampSec;
  if (ageSec > toleranceSec)
    throw new SignatureInvalidError(
      `Signature timestamp is ${Math.round(ageSec)} s old (tolerance ${toleranceSec} s)`,
    );
  if (-ageSec > toleranceSec)
    throw new SignatureInvalidError(
      `Signature timestamp is ${Math.round(-ageSec)} s in the future (tolerance ${toleranceSec} s)`,
    );
}
