/** CloudWatch Logs filter patterns: terms (plain, quoted, `?` any-of, `-` excluded) and JSON selectors (`{ $.a = "x" }`). */
import { AwsError } from '../../edge/aws-error';

/** Whether one log event's message matches. */
export type MessageFilter = (message: string) => boolean;

function invalidPattern(pattern: string, why: string): AwsError {
  return new AwsError('InvalidParameterException', `Invalid filter pattern ${pattern}: ${why}`);
}

/** Words of a term pattern; a quoted phrase is one word, kept without its quotes. */
function termWords(pattern: string): { prefix: '' | '?' | '-'; text: string }[] {
  const words: { prefix: '' | '?' | '-'; text: string }[] = [];
  for (const match of pattern.matchAll(/([?-]?)(?:"((?:[^"\\]|\\.)*)"|(\S+))/g)) {
    const [, prefix = '', quoted, plain] = match;
    words.push({
      prefix: prefix as '' | '?' | '-',
      text: quoted === undefined ? (plain ?? '') : quoted.replace(/\\(.)/g, '$1'),
    });
  }
  return words;
}

/**
 * Terms are case-sensitive substrings: all plain terms must appear and no `-` term may; when any term is `?`, an
 * event matches when one of the `?` terms appears (AWS's OR form).
 */
function termFilter(pattern: string): MessageFilter {
  const words = termWords(pattern);
  const anyOf = words.filter((word) => word.prefix === '?').map((word) => word.text);
  const allOf = words.filter((word) => word.prefix === '').map((word) => word.text);
  const noneOf = words.filter((word) => word.prefix === '-').map((word) => word.text);
  if (anyOf.length > 0) return (message) => anyOf.some((term) => message.includes(term));
  return (message) =>
    allOf.every((term) => message.includes(term)) && !noneOf.some((term) => message.includes(term));
}

type Token =
  | { kind: 'selector'; path: (string | number)[] }
  | { kind: 'operator'; value: string }
  | { kind: 'string'; value: string }
  | { kind: 'word'; value: string }
  | { kind: 'and' | 'or' | 'open' | 'close' };

function tokens(body: string, pattern: string): Token[] {
  const found: Token[] = [];
  const scanner =
    /\s*(?:(\$(?:\.[A-Za-z0-9_@-]+|\[\d+\])+)|(&&)|(\|\|)|(\()|(\))|(!=|<=|>=|=|<|>)|"((?:[^"\\]|\\.)*)"|([^\s()&|=!<>"]+))/y;
  let position = 0;
  while (position < body.length) {
    if (/^\s*$/.test(body.slice(position))) break;
    scanner.lastIndex = position;
    const match = scanner.exec(body);
    if (!match) throw invalidPattern(pattern, `unexpected text at ${body.slice(position).trim()}`);
    position = scanner.lastIndex;
    const [, selector, and, or, open, close, operator, quoted, word] = match;
    if (selector)
      found.push({
        kind: 'selector',
        path: [...selector.matchAll(/\.([^.[\]]+)|\[(\d+)\]/g)].map(([, key, index]) =>
          key === undefined ? Number(index) : key,
        ),
      });
    else if (and) found.push({ kind: 'and' });
    else if (or) found.push({ kind: 'or' });
    else if (open) found.push({ kind: 'open' });
    else if (close) found.push({ kind: 'close' });
    else if (operator) found.push({ kind: 'operator', value: operator });
    else if (quoted !== undefined) found.push({ kind: 'string', value: quoted.replace(/\\(.)/g, '$1') });
    else found.push({ kind: 'word', value: word ?? '' });
  }
  return found;
}

type Condition = (document: unknown) => boolean;

function valueAt(document: unknown, path: readonly (string | number)[]): unknown {
  let value = document;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string | number, unknown>)[key];
  }
  return value;
}

/** A string comparison; `*` is a wildcard, as in AWS. */
function stringMatcher(expected: string): (actual: string) => boolean {
  if (!expected.includes('*')) return (actual) => actual === expected;
  const regex = new RegExp(
    `^${expected
      .split('*')
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
    's',
  );
  return (actual) => regex.test(actual);
}

function comparison(path: (string | number)[], operator: string, operand: Token, pattern: string): Condition {
  if (operand.kind === 'string') {
    if (operator !== '=' && operator !== '!=')
      throw invalidPattern(pattern, `${operator} compares numbers, not strings`);
    const matches = stringMatcher(operand.value);
    return (document) => {
      const value = valueAt(document, path);
      const equal = typeof value === 'string' && matches(value);
      return operator === '=' ? equal : value !== undefined && !equal;
    };
  }
  if (operand.kind !== 'word') throw invalidPattern(pattern, 'a comparison needs a value');
  const literal = operand.value;
  if (/^(NULL|TRUE|FALSE)$/i.test(literal)) {
    const expected = { null: null, true: true, false: false }[literal.toLowerCase() as 'null'];
    return (document) => {
      const value = valueAt(document, path);
      return operator === '=' ? value === expected : value !== undefined && value !== expected;
    };
  }
  const number = Number(literal);
  if (Number.isNaN(number)) {
    if (operator !== '=' && operator !== '!=')
      throw invalidPattern(pattern, `${operator} compares numbers, not strings`);
    const matches = stringMatcher(literal);
    return (document) => {
      const value = valueAt(document, path);
      const equal = typeof value === 'string' && matches(value);
      return operator === '=' ? equal : value !== undefined && !equal;
    };
  }
  const compare: Record<string, (value: number) => boolean> = {
    '=': (value) => value === number,
    '!=': (value) => value !== number,
    '<': (value) => value < number,
    '<=': (value) => value <= number,
    '>': (value) => value > number,
    '>=': (value) => value >= number,
  };
  const test = compare[operator] as (value: number) => boolean;
  return (document) => {
    const value = valueAt(document, path);
    return typeof value === 'number' && test(value);
  };
}

/** `a || b && c`, with parentheses: && binds tighter, as in AWS's JSON patterns. */
function jsonFilter(pattern: string): MessageFilter {
  const body = pattern.trim().slice(1, -1);
  const list = tokens(body, pattern);
  let index = 0;
  const next = (): Token | undefined => list[index++];
  const peek = (): Token | undefined => list[index];
  const primary = (): Condition => {
    const token = next();
    if (token?.kind === 'open') {
      const inner = either();
      if (next()?.kind !== 'close') throw invalidPattern(pattern, 'unbalanced parentheses');
      return inner;
    }
    if (token?.kind !== 'selector') throw invalidPattern(pattern, 'a condition starts with a $. selector');
    const operator = next();
    const operand = next();
    if (operator?.kind !== 'operator' || !operand)
      throw invalidPattern(pattern, 'a selector needs an operator and a value');
    return comparison(token.path, operator.value, operand, pattern);
  };
  const both = (): Condition => {
    const conditions = [primary()];
    while (peek()?.kind === 'and') {
      index += 1;
      conditions.push(primary());
    }
    return (document) => conditions.every((condition) => condition(document));
  };
  const either = (): Condition => {
    const conditions = [both()];
    while (peek()?.kind === 'or') {
      index += 1;
      conditions.push(both());
    }
    return (document) => conditions.some((condition) => condition(document));
  };
  const condition = either();
  if (index !== list.length) throw invalidPattern(pattern, 'unexpected text after the condition');
  return (message) => {
    if (!message.trimStart().startsWith('{')) return false;
    try {
      return condition(JSON.parse(message));
    } catch {
      return false;
    }
  };
}

/** The filter of a FilterLogEvents `filterPattern`; an empty pattern matches every event. */
export function messageFilter(pattern: string | undefined): MessageFilter {
  const trimmed = (pattern ?? '').trim();
  if (trimmed === '') return () => true;
  if (trimmed.startsWith('{')) {
    if (!trimmed.endsWith('}')) throw invalidPattern(trimmed, 'a JSON pattern ends with }');
    return jsonFilter(trimmed);
  }
  if (trimmed.startsWith('[') || trimmed.startsWith('%'))
    throw invalidPattern(
      trimmed,
      'space-delimited and regular-expression patterns are not supported locally',
    );
  return termFilter(trimmed);
}
