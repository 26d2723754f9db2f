/** IAM condition operators: the string, ARN, boolean, numeric, date and null families, with IfExists and ForAnyValue/ForAllValues. */
import { PolicyDocumentError } from './policy-document';

/** The request context a condition reads: keys compared case-insensitively, single or multi-valued. */
export type ConditionContext = Record<string, string | string[] | undefined>;

type Compare = (actual: string, expected: string) => boolean;

/** IAM's wildcard match: `*` any run of characters, `?` exactly one. */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const source = pattern
    .split('')
    .map((character) =>
      character === '*' ? '.*' : character === '?' ? '.' : character.replace(/[.+^${}()|[\]\\]/g, '\\$&'),
    )
    .join('');
  return new RegExp(`^${source}$`, ignoreCase ? 'is' : 's').test(value);
}

/** ArnLike: the six colon-separated parts matched one by one, so that a wildcard never spans a part. */
export function arnLike(pattern: string, arn: string): boolean {
  const patternParts = pattern.split(':');
  const arnParts = arn.split(':');
  if (patternParts.length < 6 || arnParts.length < 6) return wildcardMatch(pattern, arn);
  // The resource part (the sixth) keeps its own colons.
  const head = (parts: string[]) => [...parts.slice(0, 5), parts.slice(5).join(':')];
  const expected = head(patternParts);
  return head(arnParts).every((part, index) => wildcardMatch(expected[index] as string, part));
}

function numeric(compare: (actual: number, expected: number) => boolean): Compare {
  return (actual, expected) => {
    const a = Number(actual);
    const e = Number(expected);
    return !Number.isNaN(a) && !Number.isNaN(e) && compare(a, e);
  };
}

function date(compare: (actual: number, expected: number) => boolean): Compare {
  const epoch = (text: string) => (/^\d+$/.test(text) ? Number(text) * 1000 : Date.parse(text));
  return (actual, expected) => {
    const a = epoch(actual);
    const e = epoch(expected);
    return !Number.isNaN(a) && !Number.isNaN(e) && compare(a, e);
  };
}

/** Each base operator: how one context value compares with one policy value, and whether it is a negation. */
const operators: Record<string, { compare: Compare; negated: boolean }> = {
  StringEquals: { compare: (a, e) => a === e, negated: false },
  StringNotEquals: { compare: (a, e) => a === e, negated: true },
  StringEqualsIgnoreCase: { compare: (a, e) => a.toLowerCase() === e.toLowerCase(), negated: false },
  StringNotEqualsIgnoreCase: { compare: (a, e) => a.toLowerCase() === e.toLowerCase(), negated: true },
  StringLike: { compare: (a, e) => wildcardMatch(e, a), negated: false },
  StringNotLike: { compare: (a, e) => wildcardMatch(e, a), negated: true },
  ArnEquals: { compare: (a, e) => arnLike(e, a), negated: false },
  ArnLike: { compare: (a, e) => arnLike(e, a), negated: false },
  ArnNotEquals: { compare: (a, e) => arnLike(e, a), negated: true },
  ArnNotLike: { compare: (a, e) => arnLike(e, a), negated: true },
  Bool: { compare: (a, e) => a.toLowerCase() === e.toLowerCase(), negated: false },
  NumericEquals: { compare: numeric((a, e) => a === e), negated: false },
  NumericNotEquals: { compare: numeric((a, e) => a === e), negated: true },
  NumericLessThan: { compare: numeric((a, e) => a < e), negated: false },
  NumericLessThanEquals: { compare: numeric((a, e) => a <= e), negated: false },
  NumericGreaterThan: { compare: numeric((a, e) => a > e), negated: false },
  NumericGreaterThanEquals: { compare: numeric((a, e) => a >= e), negated: false },
  DateEquals: { compare: date((a, e) => a === e), negated: false },
  DateNotEquals: { compare: date((a, e) => a === e), negated: true },
  DateLessThan: { compare: date((a, e) => a < e), negated: false },
  DateLessThanEquals: { compare: date((a, e) => a <= e), negated: false },
  DateGreaterThan: { compare: date((a, e) => a > e), negated: false },
  DateGreaterThanEquals: { compare: date((a, e) => a >= e), negated: false },
};

interface ParsedOperator {
  base: string;
  set?: 'ForAnyValue' | 'ForAllValues';
  ifExists: boolean;
}

function parseOperator(operator: string): ParsedOperator | undefined {
  let rest = operator;
  let set: ParsedOperator['set'];
  const qualifier = /^(ForAnyValue|ForAllValues):(.+)$/.exec(rest);
  if (qualifier) {
    set = qualifier[1] as ParsedOperator['set'];
    rest = qualifier[2] as string;
  }
  const ifExists = rest.endsWith('IfExists') && rest !== 'IfExists';
  if (ifExists) rest = rest.slice(0, -'IfExists'.length);
  if (rest !== 'Null' && !operators[rest]) return undefined;
  if (rest === 'Null' && (ifExists || set)) return undefined;
  return { base: rest, set, ifExists };
}

/** Refuses a condition operator IAM does not know, as IAM refuses the policy (MalformedPolicyDocument). */
export function assertKnownOperator(operator: string, where: string): void {
  if (!parseOperator(operator))
    throw new PolicyDocumentError(`${where}: unknown condition operator ${operator}`);
}

function lookup(context: ConditionContext, key: string): string[] | undefined {
  const wanted = key.toLowerCase();
  for (const [name, value] of Object.entries(context))
    if (name.toLowerCase() === wanted && value !== undefined) return Array.isArray(value) ? value : [value];
  return undefined;
}

/** Whether one operator's block (key → values) holds for the request: every key must hold (AND), any value may (OR). */
export function conditionHolds(
  operator: string,
  keys: Record<string, string[]>,
  context: ConditionContext,
): boolean {
  const parsed = parseOperator(operator);
  if (!parsed) throw new PolicyDocumentError(`Unknown condition operator ${operator}`);
  return Object.entries(keys).every(([key, expected]) => {
    const actual = lookup(context, key);
    if (parsed.base === 'Null') {
      const wantsAbsent = expected.some((value) => value.toLowerCase() === 'true');
      return wantsAbsent ? actual === undefined : actual !== undefined;
    }
    const { compare, negated } = operators[parsed.base] as { compare: Compare; negated: boolean };
    if (actual === undefined || actual.length === 0) {
      // A missing key: IfExists and ForAllValues hold; a negated operator holds; anything else does not.
      if (parsed.ifExists || parsed.set === 'ForAllValues') return true;
      return negated && parsed.set === undefined;
    }
    const matchesAny = (value: string) => expected.some((candidate) => compare(value, candidate));
    if (parsed.set === 'ForAllValues')
      return actual.every((value) => (negated ? !matchesAny(value) : matchesAny(value)));
    if (parsed.set === 'ForAnyValue')
      return actual.some((value) => (negated ? !matchesAny(value) : matchesAny(value)));
    // A single-valued key (or a multi-valued one without a set operator, matched on any of its values).
    const any = actual.some(matchesAny);
    return negated ? !any : any;
  });
}
