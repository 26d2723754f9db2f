/** EventBridge schedule expressions: rate(…) and cron(…) (six fields, UTC), and the next time each fires. */
import { validationError } from '../../edge/aws-error';

/** A parsed schedule. */
export type Schedule =
  | { kind: 'rate'; periodMs: number }
  | { kind: 'cron'; fields: Set<number>[]; dayOfMonthAny: boolean; dayOfWeekAny: boolean };

const invalid = () => validationError('Parameter ScheduleExpression is not valid.');

const units: Record<string, number> = {
  minute: 60_000,
  minutes: 60_000,
  hour: 3_600_000,
  hours: 3_600_000,
  day: 86_400_000,
  days: 86_400_000,
};
const monthNames = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const dayNames = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
// minutes, hours, day-of-month, month, day-of-week (1 = Sunday), year
const bounds: [number, number][] = [
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [1, 7],
  [1970, 2199],
];

function value(text: string, field: number): number {
  const upper = text.toUpperCase();
  if (field === 3 && monthNames.includes(upper)) return monthNames.indexOf(upper) + 1;
  if (field === 4 && dayNames.includes(upper)) return dayNames.indexOf(upper) + 1;
  if (!/^\d+$/.test(text)) throw invalid();
  return Number(text);
}

function parseField(text: string, field: number): Set<number> {
  const [min, max] = bounds[field] as [number, number];
  const out = new Set<number>();
  for (const part of text.split(',')) {
    if (/[LW#]/.test(part))
      throw validationError(
        `Parameter ScheduleExpression is not valid: ${part} (L, W and # are not supported by the local runtime)`,
      );
    const [range = '', stepText] = part.split('/');
    const step = stepText === undefined ? 1 : value(stepText, -1);
    let [from, to] = [min, max];
    if (range !== '*' && range !== '?') {
      const [a = '', b] = range.split('-');
      from = value(a, field);
      to = b === undefined ? (stepText === undefined ? from : max) : value(b, field);
    }
    if (step < 1 || from < min || to > max || from > to) throw invalid();
    for (let v = from; v <= to; v += step) out.add(v);
  }
  return out;
}

/** Parses a schedule expression; throws ValidationException as EventBridge does. */
export function parseScheduleExpression(expression: string): Schedule {
  const rate = /^rate\((\d+) (minutes?|hours?|days?)\)$/.exec(expression);
  if (rate) {
    const amount = Number(rate[1]);
    const unit = rate[2] as string;
    if (amount < 1 || (amount === 1) !== !unit.endsWith('s')) throw invalid();
    return { kind: 'rate', periodMs: amount * (units[unit] as number) };
  }
  const cron = /^cron\((.+)\)$/.exec(expression);
  const parts = cron?.[1]?.trim().split(/\s+/);
  if (parts?.length !== 6) throw invalid();
  const dayOfMonthAny = parts[2] === '?';
  const dayOfWeekAny = parts[4] === '?';
  if (dayOfMonthAny === dayOfWeekAny) throw invalid();
  return {
    kind: 'cron',
    fields: parts.map((part, index) => parseField(part, index)),
    dayOfMonthAny,
    dayOfWeekAny,
  };
}

/** The next firing time strictly after `afterMs` (UTC). */
export function nextScheduleTime(schedule: Schedule, afterMs: number): number {
  if (schedule.kind === 'rate') return afterMs + schedule.periodMs;
  const [minutes, hours, daysOfMonth, months, daysOfWeek, years] = schedule.fields as Set<number>[];
  const candidate = new Date(Math.floor(afterMs / 60_000) * 60_000 + 60_000);
  const limit = afterMs + 5 * 366 * 86_400_000;
  while (candidate.getTime() <= limit) {
    const dayMatches = schedule.dayOfMonthAny
      ? daysOfWeek?.has(candidate.getUTCDay() + 1)
      : daysOfMonth?.has(candidate.getUTCDate());
    if (!years?.has(candidate.getUTCFullYear()) || !months?.has(candidate.getUTCMonth() + 1) || !dayMatches) {
      candidate.setUTCHours(24, 0, 0, 0);
    } else if (!hours?.has(candidate.getUTCHours())) {
      candidate.setUTCHours(candidate.getUTCHours() + 1, 0, 0, 0);
    } else if (!minutes?.has(candidate.getUTCMinutes())) {
      candidate.setUTCMinutes(candidate.getUTCMinutes() + 1, 0, 0);
    } else {
      return candidate.getTime();
    }
  }
  throw invalid();
}
