/** Times as operators type them: a duration back from now (`15m`, `2h`, `3d`) or an ISO 8601 timestamp. */

const units: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** The instant `value` names, relative to `now`; throws a one-line explanation for anything else. */
export function parseTimeBound(value: string, now: Date = new Date()): Date {
  const duration = /^(\d+)([smhd])$/.exec(value.trim());
  if (duration)
    return new Date(now.getTime() - Number(duration[1]) * (units[duration[2] as string] as number));
  if (/^\d{4}-\d{2}-\d{2}/.test(value)) {
    const at = new Date(value);
    if (!Number.isNaN(at.getTime())) return at;
  }
  throw new Error(
    `"${value}" is neither a duration (15m, 2h, 3d) nor an ISO timestamp (2026-11-27T10:00:00Z)`,
  );
}
