/** Identifiers: ULIDs for events, sortable by time and unique across concurrent Lambdas. */
import { randomBytes } from 'node:crypto';

const crockford = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const randomChars = 16;
// Random bytes are drawn in pools: one getrandom call per 256 ids instead of one per id.
const poolSize = randomChars * 256;
let pool = randomBytes(poolSize);
let poolOffset = 0;

/** A new ULID: 10 characters of millisecond time, 16 of randomness (80 bits), Crockford base32. */
export function newId(nowMs: number = Date.now()): string {
  let time = '';
  let remaining = nowMs;
  for (let i = 0; i < 10; i += 1) {
    time = crockford.charAt(remaining % 32) + time;
    remaining = Math.floor(remaining / 32);
  }
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

const correlationIdPattern = /^[A-Za-z0-9._:-]{1,128}$/;

/** Reuses a caller's correlation id when it is well formed, otherwise starts a new one. */
export function correlationIdFrom(incoming: string | undefined): string {
  return incoming && correlationIdPattern.test(incoming) ? incoming : newId();
}
