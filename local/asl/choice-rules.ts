/** Choice rules of JSONPath states: every comparison operator (and their *Path forms), And/Or/Not, and the Is* tests. */
import { evaluatePathExpression, type JsonPathScope } from './payload';
import { runtimeError } from './states-error';

/** A choice rule as written in the definition. */
export type ChoiceRule = Record<string, unknown>;

const timestampPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Whether a value is an RFC 3339 timestamp as Step Functions accepts it. */
export function isTimestamp(value: unknown): value is string {
  return typeof value === 'string' && timestampPattern.test(value) && !Number.isNaN(Date.parse(value));
}

function wildcardMatches(value: string, pattern: string): boolean {
  let regex = '';
  for (let i = 0; i < pattern.length; i += 1) {
    const char = pattern.charAt(i);
    if (char === '\\' && i + 1 < pattern.length) {
      regex += pattern.charAt(i + 1).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      i += 1;
    } else if (char === '*') regex += '.*';
    else regex += char.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${regex}$`, 's').test(value);
}

const comparisons: Record<
  string,
  { type: 'string' | 'number' | 'boolean' | 'timestamp'; test: (a: never, b: never) => boolean }
> = {
  StringEquals: { type: 'string', test: (a: string, b: string) => a === b },
  StringLessThan: { type: 'string', test: (a: string, b: string) => a < b },
  StringGreaterThan: { type: 'string', test: (a: string, b: string) => a > b },
  StringLessThanEquals: { type: 'string', test: (a: string, b: string) => a <= b },
  StringGreaterThanEquals: { type: 'string', test: (a: string, b: string) => a >= b },
  StringMatches: { type: 'string', test: (a: string, b: string) => wildcardMatches(a, b) },
  NumericEquals: { type: 'number', test: (a: number, b: number) => a === b },
  NumericLessThan: { type: 'number', test: (a: number, b: number) => a < b },
  NumericGreaterThan: { type: 'number', test: (a: number, b: number) => a > b },
  NumericLessThanEquals: { type: 'number', test: (a: number, b: number) => a <= b },
  NumericGreaterThanEquals: { type: 'number', test: (a: number, b: number) => a >= b },
  BooleanEquals: { type: 'boolean', test: (a: boolean, b: boolean) => a === b },
  TimestampEquals: { type: 'timestamp', test: (a: string, b: string) => Date.parse(a) === Date.parse(b) },
  TimestampLessThan: { type: 'timestamp', test: (a: string, b: string) => Date.parse(a) < Date.parse(b) },
  TimestampGreaterThan: { type: 'timestamp', test: (a: string, b: string) => Date.parse(a) > Date.parse(b) },
  TimestampLessThanEquals: {
    type: 'timestamp',
    test: (a: string, b: string) => Date.parse(a) <= Date.parse(b),
  },
  TimestampGreaterThanEquals: {
    type: 'timestamp',
    test: (a: string, b: string) => Date.parse(a) >= Date.parse(b),
  },
};

const typeTests: Record<string, (value: unknown) => boolean> = {
  IsNull: (value) => value === null,
  IsNumeric: (value) => typeof value === 'number',
  IsString: (value) => typeof value === 'string',
  IsBoolean: (value) => typeof value === 'boolean',
  IsTimestamp: (value) => isTimestamp(value),
};

function hasType(value: unknown, type: 'string' | 'number' | 'boolean' | 'timestamp'): boolean {
  return type === 'timestamp' ? isTimestamp(value) : typeof value === type;
}

/** The comparison operators a rule may use, for validation. */
export const choiceOperators = new Set([
  ...Object.keys(comparisons),
  ...Object.keys(comparisons).map((name) => `${name}Path`),
  ...Object.keys(typeTests),
  'IsPresent',
]);

/** Evaluates a rule against the Choice state's input. */
export function evaluateChoiceRule(rule: ChoiceRule, scope: JsonPathScope): boolean {
  if (Array.isArray(rule.And))
    return (rule.And as ChoiceRule[]).every((inner) => evaluateChoiceRule(inner, scope));
  if (Array.isArray(rule.Or))
    return (rule.Or as ChoiceRule[]).some((inner) => evaluateChoiceRule(inner, scope));
  if (rule.Not && typeof rule.Not === 'object') return !evaluateChoiceRule(rule.Not as ChoiceRule, scope);
  const variable = String(rule.Variable ?? '');
  const operator = Object.keys(rule).find((key) => choiceOperators.has(key));
  if (!operator) throw runtimeError(`Choice rule has no comparison operator: ${JSON.stringify(rule)}`);
  if (operator === 'IsPresent') {
    return (safeRead(variable, scope) !== undefined) === rule.IsPresent;
  }
  const value = safeRead(variable, scope);
  if (value === undefined)
    throw runtimeError(
      `Invalid path '${variable}': The choice state's condition path references an invalid value.`,
    );
  const typeTest = typeTests[operator];
  if (typeTest) return typeTest(value) === rule[operator];
  const isPath = operator.endsWith('Path');
  const comparison = comparisons[isPath ? operator.slice(0, -4) : operator];
  if (!comparison) throw runtimeError(`Unknown choice operator ${operator}`);
  const operand = isPath ? safeRead(String(rule[operator]), scope) : rule[operator];
  if (isPath && operand === undefined)
    throw runtimeError(
      `Invalid path '${String(rule[operator])}': The choice state's condition path references an invalid value.`,
    );
  // A value of the wrong type simply does not match, as on AWS.
  if (!hasType(value, comparison.type) || !hasType(operand, comparison.type)) return false;
  return comparison.test(value as never, operand as never);
}

function safeRead(path: string, scope: JsonPathScope): unknown {
  try {
    return evaluatePathExpression(path, scope, 'Variable');
  } catch {
    return undefined;
  }
}
