/** Identifiers: ULIDs for events, sortable by time and unique across concurrent Lambdas. */
import { createHash, randomBytes } from 'node:crypto';

const crockford = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const randomChars = 16;
// Random bytes are drawn in pools: one getrandom call per 256 ids instead of one per id.
const poolSize = randomChars * 256;
let pool = randomBytes(poolSize);
let poolOffset = 0;

function ulidTime(timeMs: number): string {
  let time = '';
  let remaining = timeMs;
  for (let i = 0; i < 10; i += 1) {
    time = crockford.charAt(remaining % 32) + time;
    remaining = Math.floor(remaining / 32);
  }
  return time;
}

/** A new ULID: 10 characters of millisecond time, 16 of randomness (80 bits), Crockford base32. */
export function newId(nowMs: number = Date.now()): string {
  const time = ulidTime(nowMs);
  if (poolOffset + randomChars > poolSize) {
    pool = randomBytes(poolSize);
    poolOffset = 0;
  }
  let random = '';
  // 256 is a multiple of 32, so the low five bits of each byte are uniform.
  for (let i = 0; i < randomChars; i += 1) random += crockford.charAt((pool[poolOffset + i] as number) & 31);
  poolOffset += randomChars;
  return time + random;
}

/**
 * The ULID of one fact, the same on every path that announces it (a retry, a re-run after a crash, a resolved lost
 * answer): `timeMs` as its time, 80 bits of SHA-256 of `seed` as its randomness, so consumers deduplicate by id.
 */
export function idOf(seed: string, timeMs: number): string {
  const digest = createHash('sha256').update(seed).digest();
  let random = '';
  for (let i = 0; i < randomChars; i += 1) random += crockford.charAt((digest[i] as number) & 31);
  return ulidTime(timeMs) + random;
}

const ulidPattern = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** The millisecond time a ULID carries, or undefined for anything that is not a ULID. */
export function timeOfId(id: string): number | undefined {
  if (!ulidPattern.test(id)) return undefined;
  let time = 0;
  for (const char of id.slice(0, 10)) time = time * 32 + crockford.indexOf(char);
  return time;
}

const correlationIdPattern = /^[A-Za-z0-9._:-]{1,128}$/;

/** Reuses a caller's correlation id when it is well formed, otherwise starts a new one. */
export function correlationIdFrom(incoming: string | undefined): string {
  return incoming && correlationIdPattern.test(incoming) ? incoming : newId();
}
