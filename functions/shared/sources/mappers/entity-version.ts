/** Entity versions without ties: the platform's time of a change at the platform's precision, then a tie-break below it. */
import { SchemaViolationError } from '../../errors';

/**
 * Version ticks per millisecond: a version counts microsecond-sized ticks since the Unix epoch, so it stays a safe
 * integer until the year 2255 and leaves room below any platform's precision for a tie-break.
 */
export const versionTicksPerMs = 1000;

/** The tie-break room of a platform that stamps changes in whole seconds (ticks per second). */
export const secondsTieBreakRoom = 1000 * versionTicksPerMs;

/** The tie-break room of a platform that stamps changes in milliseconds (ticks per millisecond). */
export const millisecondsTieBreakRoom = versionTicksPerMs;

/**
 * The version of one change: its platform time truncated to the platform's precision (`precisionMs`: 1000 when the
 * platform stamps seconds, 1 for milliseconds), in ticks, plus a tie-break under that precision
 * (`0 ≤ tieBreak < precisionMs × versionTicksPerMs`) that orders changes the platform stamped alike. The tie-break
 * must come from what identifies the change, never from the delivery, so a redelivery gets the same version.
 */
export function entityVersion(timeMs: number, precisionMs: number, tieBreak: number, path: string): number {
  const room = precisionMs * versionTicksPerMs;
  const version = Math.floor(timeMs / precisionMs) * room + tieBreak;
  if (
    !Number.isSafeInteger(version) ||
    version < 0 ||
    !Number.isInteger(tieBreak) ||
    tieBreak < 0 ||
    tieBreak >= room
  ) {
    throw new SchemaViolationError(`The change at ${path} gives no valid entity version`, [
      { path, message: `must give a non-negative safe integer version, got time ${timeMs} ms` },
    ]);
  }
  return version;
}

/**
 * A tie-break from a finer time of the same change (Shopify's X-Shopify-Triggered-At after its `updated_at`): how
 * many milliseconds after the stamped time the change was made known, within the room. Ms resolution gives a
 * seconds platform a range of 16 minutes, far beyond any trigger delay; absent or earlier reads as 0.
 */
export function lagTieBreak(stampedMs: number, laterMs: number | undefined, room: number): number {
  if (laterMs === undefined || Number.isNaN(laterMs)) return 0;
  return Math.min(Math.max(Math.floor(laterMs - stampedMs), 0), room - 1);
}

/**
 * A tie-break that grows with a running total (Stripe's `amount_refunded` out of `amount_captured`): every refund
 * raises the total, so refunds stamped in the same second order by it. Exact (the total itself) while the whole is
 * below the room; above it, the total's share of the whole, rounded up so that any refund is above the payment (0).
 */
export function runningTotalTieBreak(total: number, whole: number, room: number): number {
  const denominator = Math.max(whole, total, 1);
  if (denominator < room) return Math.max(total, 0);
  const top = BigInt(room - 1);
  const share = (BigInt(Math.max(total, 0)) * top + BigInt(denominator) - 1n) / BigInt(denominator);
  return Number(share);
}

// FNV-1a, 32 bits: a stable hash of ids that are not numbers.
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/**
 * A tie-break from the platform's id of the change (HubSpot's `eventId`, a Standard Webhooks `webhook-id`, both kept
 * across retries): the id modulo the room when it is a decimal number, so ids handed out in sequence stay distinct
 * and in order, else a hash of it. It orders changes the platform stamped in the same instant arbitrarily but
 * deterministically: the platform gave no order to keep.
 */
export function idTieBreak(id: string, room: number): number {
  if (/^\d{1,30}$/.test(id)) return Number(BigInt(id) % BigInt(room));
  return fnv1a(id) % room;
}
