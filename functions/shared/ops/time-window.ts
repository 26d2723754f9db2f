/** Times as operators type them: a duration back from now (`15m`, `2h`, `3d`) or an ISO 8601 timestamp. */
import { ConcordError } from '../errors';

/** An operator's time or window is not one: the message says what was expected, in one line. */
export class TimeWindowError extends ConcordError {
  override readonly name = 'TimeWindowError';
}

const units: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `15m` → 900000: a duration in milliseconds, or undefined when `value` is not one. */
export function durationMs(value: string): number | undefined {
  const duration = /^(\d+)([smhd])$/.exec(value.trim());
  return duration ? Number(duration[1]) * (units[duration[2] as string] as number) : undefined;
}

/** The instant `value` names, relative to `now`; throws a one-line explanation for anything else. */
export function parseTimeBound(value: string, now: Date = new Date()): Date {
  const duration = durationMs(value);
  if (duration !== undefined) return new Date(now.getTime() - duration);
  if (/^\d{4}-\d{2}-\d{2}/.test(value)) {
    const at = new Date(value);
    if (!Number.isNaN(at.getTime())) return at;
  }
  throw new TimeWindowError(
    `"${value}" is neither a duration (15m, 2h, 3d) nor an ISO timestamp (2026-11-27T10:00:00Z)`,
  );
}

const dayMs = 86_400_000;

/** A window as operators name it: one UTC day (`date`), or `since` … `until` (default now). */
export function namedWindow(
  values: { date?: string; since?: string; until?: string },
  now: Date = new Date(),
): { from: Date; to: Date } {
  if (values.date !== undefined) {
    if (values.since !== undefined || values.until !== undefined)
      throw new TimeWindowError('give either a date or since/until, not both');
    const from = new Date(`${values.date}T00:00:00.000Z`);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(values.date) || Number.isNaN(from.getTime()))
      throw new TimeWindowError(`"${values.date}" is not a day such as 2026-11-27`);
    return { from, to: new Date(from.getTime() + dayMs) };
  }
  if (values.since === undefined)
    throw new TimeWindowError('which window? give a date (YYYY-MM-DD) or since');
  const from = parseTimeBound(values.since, now);
  const to = values.until === undefined ? now : parseTimeBound(values.until, now);
  if (from >= to)
    throw new TimeWindowError(`since ${values.since} is not before until ${values.until ?? 'now'}`);
  return { from, to };
}
