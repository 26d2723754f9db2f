/**
 * EventBridge event patterns: compiled once (with AWS's validation and messages), then matched against events
 * the way EventBridge does: both sides flattened to dotted paths, arrays meaning "any element".
 */
import { type IpRange, ipInRange, parseCidr, parseIp } from './cidr';
import { InvalidEventPatternError } from './pattern-errors';

/** A leaf value of a flattened event. */
type Leaf =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'literal'; value: null | boolean };

type NumericOp = '=' | '<' | '<=' | '>' | '>=';

type Matcher =
  | { kind: 'exact'; leaf: Leaf }
  | { kind: 'prefix' | 'suffix' | 'equals-ignore-case'; value: string; ignoreCase: boolean }
  | { kind: 'wildcard'; regex: RegExp; wildcards: readonly string[] }
  | { kind: 'numeric'; terms: { op: NumericOp; value: number }[] }
  | { kind: 'exists'; value: boolean }
  | { kind: 'cidr'; range: IpRange }
  | { kind: 'anything-but'; test: (leaf: Leaf) => boolean; wildcards?: readonly string[] };

/** One `$or` branch: every field must match. */
type Branch = Map<string, Matcher[]>;

/** A compiled pattern: matches when any branch matches. */
export interface CompiledPattern {
  readonly branches: readonly Branch[];
}

const numericLimit = 5e9;
const orKeyword = '$or';
const reservedInOr = new Set([
  'anything-but',
  'numeric',
  'prefix',
  'suffix',
  'exists',
  'cidr',
  'equals-ignore-case',
  'wildcard',
]);

function fail(reason: string): never {
  throw new InvalidEventPatternError(reason);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function checkNumber(value: number): number {
  if (value < -numericLimit || value > numericLimit)
    fail('Value must be between -5.0E9 and 5.0E9, inclusive');
  return value;
}

function onlyKey(expression: Record<string, unknown>): [string, unknown] {
  const entries = Object.entries(expression);
  if (entries.length === 0) fail('Match expression name not found');
  if (entries.length > 1) fail('Only one key allowed in match expression');
  return entries[0] as [string, unknown];
}

/** Compiles a wildcard pattern (`*` any run, `\*` a star, `\\` a backslash) to an anchored regex. */
function wildcardRegex(pattern: string, ignoreCase = false): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i += 1) {
    const char = pattern.charAt(i);
    if (char === '\\') {
      const next = pattern.charAt(i + 1);
      if (next !== '*' && next !== '\\') fail(`Invalid escape character at pos ${i}`);
      source += `\\${next}`;
      i += 1;
    } else if (char === '*') {
      if (pattern.charAt(i + 1) === '*') fail(`Consecutive wildcard characters at pos ${i + 1}`);
      source += '.*';
    } else {
      source += char.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`, ignoreCase ? 'si' : 's');
}

function stringOperand(value: unknown, operator: string): string {
  if (typeof value !== 'string') fail(`${operator} match pattern must be a string`);
  return value;
}

/** prefix/suffix take a string, or `{ "equals-ignore-case": "…" }`. */
function affixMatcher(kind: 'prefix' | 'suffix', operand: unknown): Matcher {
  if (isObject(operand)) {
    const [name, inner] = onlyKey(operand);
    if (name !== 'equals-ignore-case') fail(`Unsupported ${kind} pattern: ${name}`);
    return { kind, value: stringOperand(inner, 'equals-ignore-case').toLowerCase(), ignoreCase: true };
  }
  return { kind, value: stringOperand(operand, kind), ignoreCase: false };
}

function numericMatcher(operand: unknown): Matcher {
  if (!Array.isArray(operand)) fail('Value of numeric must be an array.');
  const [firstOp, firstValue, secondOp, secondValue, ...rest] = operand as unknown[];
  if (typeof firstOp !== 'string') fail(`Invalid member in numeric match: ${JSON.stringify(firstOp)}`);
  if (!['=', '<', '<=', '>', '>='].includes(firstOp)) fail(`Unrecognized numeric range operator: ${firstOp}`);
  if (typeof firstValue !== 'number')
    fail(`Value of ${firstOp === '=' ? 'equals' : firstOp} must be numeric`);
  const terms = [{ op: firstOp as NumericOp, value: checkNumber(firstValue) }];
  if (secondOp === undefined) return { kind: 'numeric', terms };
  if (firstOp === '=' || firstOp === '<' || firstOp === '<=') fail('Too many elements in numeric expression');
  if (typeof secondOp !== 'string') fail(`Bad value in numeric range: ${JSON.stringify(secondOp)}`);
  if (secondOp !== '<' && secondOp !== '<=') fail(`Bad numeric range operator: ${secondOp}`);
  if (typeof secondValue !== 'number') fail(`Value of ${secondOp} must be numeric`);
  if (rest.length > 0) fail('Too many terms in numeric range expression');
  terms.push({ op: secondOp, value: checkNumber(secondValue) });
  if (terms[0] && terms[1] && terms[0].value >= terms[1].value) fail('Bottom must be less than top');
  return { kind: 'numeric', terms };
}

function anythingButMatcher(operand: unknown): Matcher {
  if (isObject(operand)) {
    const [name, inner] = onlyKey(operand);
    if (name === 'prefix' || name === 'suffix') {
      // AWS takes one value or, since 2024, a list: the field matches when it starts (ends) with none of them.
      const values = Array.isArray(inner) ? inner : [inner];
      if (values.length === 0) fail(`Empty arrays are not allowed in anything-but/${name}`);
      const affixes = values.map((value) => {
        const text = stringOperand(value, 'prefix/suffix');
        if (text === '') fail('Null prefix/suffix not allowed');
        return text;
      });
      return {
        kind: 'anything-but',
        test: (leaf) =>
          leaf.kind !== 'string' ||
          !affixes.some((text) =>
            name === 'prefix' ? leaf.value.startsWith(text) : leaf.value.endsWith(text),
          ),
      };
    }
    if (name === 'equals-ignore-case') {
      const values = Array.isArray(inner) ? inner : [inner];
      if (values.length === 0 || values.some((value) => typeof value !== 'string')) {
        fail('Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.');
      }
      const lowered = new Set(values.map((value) => String(value).toLowerCase()));
      return {
        kind: 'anything-but',
        test: (leaf) => leaf.kind !== 'string' || !lowered.has(leaf.value.toLowerCase()),
      };
    }
    if (name === 'wildcard') {
      const values = Array.isArray(inner) ? inner : [inner];
      if (values.length === 0 || values.some((value) => typeof value !== 'string'))
        fail('wildcard match pattern must be a string');
      const regexes = values.map((value) => wildcardRegex(String(value)));
      return {
        kind: 'anything-but',
        wildcards: values as string[],
        test: (leaf) => leaf.kind !== 'string' || !regexes.some((regex) => regex.test(leaf.value)),
      };
    }
    fail(`Unsupported anything-but pattern: ${name}`);
  }
  const values = Array.isArray(operand) ? operand : [operand];
  if (!Array.isArray(operand) && typeof operand !== 'string' && typeof operand !== 'number') {
    fail('Value of anything-but must be an array or single string/number value.');
  }
  const hasString = values.some((value) => typeof value === 'string');
  const hasNumber = values.some((value) => typeof value === 'number');
  if (values.some((value) => typeof value !== 'string' && typeof value !== 'number')) {
    fail('Inside anything but list, start|null|boolean is not supported.');
  }
  if (hasString === hasNumber)
    fail('Inside anything but list, either all values are number or string, mixed type is not supported');
  if (hasNumber) {
    const numbers = values.map((value) => checkNumber(value as number));
    return { kind: 'anything-but', test: (leaf) => leaf.kind !== 'number' || !numbers.includes(leaf.value) };
  }
  const strings = new Set(values as string[]);
  return { kind: 'anything-but', test: (leaf) => leaf.kind !== 'string' || !strings.has(leaf.value) };
}

function matchExpression(expression: Record<string, unknown>): Matcher {
  const [name, operand] = onlyKey(expression);
  switch (name) {
    case 'prefix':
    case 'suffix':
      return affixMatcher(name, operand);
    case 'equals-ignore-case':
      return {
        kind: 'equals-ignore-case',
        value: stringOperand(operand, name).toLowerCase(),
        ignoreCase: true,
      };
    case 'wildcard': {
      const text = stringOperand(operand, name);
      return { kind: 'wildcard', regex: wildcardRegex(text), wildcards: [text] };
    }
    case 'numeric':
      return numericMatcher(operand);
    case 'anything-but':
      return anythingButMatcher(operand);
    case 'exists':
      if (typeof operand !== 'boolean') fail('exists match pattern must be either true or false.');
      return { kind: 'exists', value: operand };
    case 'cidr': {
      const range = parseCidr(stringOperand(operand, 'cidr'));
      if (!range) fail(`Malformed CIDR, one '/' required`);
      return { kind: 'cidr', range };
    }
    default:
      return fail(`Unrecognized match type ${name}`);
  }
}

function valueMatchers(field: string, values: unknown[]): Matcher[] {
  if (values.length === 0) fail('Empty arrays are not allowed');
  return values.map((value) => {
    if (isObject(value)) return matchExpression(value);
    if (typeof value === 'string') return { kind: 'exact', leaf: { kind: 'string', value } } as const;
    if (typeof value === 'number') return { kind: 'exact', leaf: { kind: 'number', value } } as const;
    if (value === null || typeof value === 'boolean')
      return { kind: 'exact', leaf: { kind: 'literal', value } } as const;
    return fail(`Match value must be String, number, true, false, or null (in "${field}")`);
  });
}

function compileObject(
  object: Record<string, unknown>,
  path: string[],
  branches: Branch[],
  insideOr: boolean,
): Branch[] {
  const entries = Object.entries(object);
  if (entries.length === 0) fail('Empty objects are not allowed');
  let current = branches;
  for (const [key, value] of entries) {
    if (key === orKeyword) {
      if (!Array.isArray(value)) fail(`It must be an Array followed with ${orKeyword}.`);
      if (value.some((item) => !isObject(item)))
        fail(`Only JSON object is allowed in array of ${orKeyword} relationship.`);
      if (value.length < 2) fail(`There must have at least 2 Objects in ${orKeyword} relationship.`);
      current = value.flatMap((item) =>
        compileObject(
          item as Record<string, unknown>,
          path,
          current.map((branch) => new Map(branch)),
          true,
        ),
      );
      continue;
    }
    if (insideOr && reservedInOr.has(key))
      fail(`${key} is Ruler reserved fieldName which cannot be used inside ${orKeyword}.`);
    if (isObject(value)) {
      current = compileObject(value, [...path, key], current, insideOr);
    } else if (Array.isArray(value)) {
      const matchers = valueMatchers(key, value);
      const name = [...path, key].join('.');
      for (const branch of current) branch.set(name, matchers);
    } else {
      fail(`"${key}" must be an object or an array`);
    }
  }
  return current;
}

/**
 * The most wildcard-pattern positions one field may have in play at once. EventBridge (its event-ruler engine)
 * refuses a rule whose wildcards on a field let a worst-case value keep more than this many partial matches
 * alive, e.g. `*:*:*:*:*:event-bus/*`, or four `*.ext` patterns on one field.
 */
const wildcardComplexityLimit = 10;
/** Bounds the worst-case search itself: a pattern set with more distinct match states is refused as too complex. */
const complexityStateBudget = 20_000;
const tooComplex =
  'Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character';

/** A wildcard pattern as tokens: `null` for `*`, else one literal character (escapes already resolved). */
function wildcardTokens(pattern: string): (string | null)[] {
  const tokens: (string | null)[] = [];
  for (let i = 0; i < pattern.length; i += 1) {
    const char = pattern.charAt(i);
    if (char === '\\') {
      tokens.push(pattern.charAt(i + 1));
      i += 1;
    } else tokens.push(char === '*' ? null : char);
  }
  return tokens;
}

/**
 * Refuses, as EventBridge does, the wildcard patterns of one field when some value would keep more than
 * {@link wildcardComplexityLimit} pattern positions matching at once: simulates every pattern as an automaton
 * (a `*` stays put on any character and may also be skipped) over every reachable set of positions.
 */
function checkWildcardComplexity(patterns: readonly string[]): void {
  const automata = [...new Set(patterns)].map(wildcardTokens);
  const closure = (positions: Set<string>): Set<string> => {
    for (const key of positions) {
      const [index, position] = key.split(':').map(Number) as [number, number];
      if ((automata[index] as (string | null)[])[position] === null)
        positions.add(`${index}:${position + 1}`);
    }
    return positions;
  };
  const alive = (positions: Set<string>): number =>
    [...positions].filter((key) => {
      const [index, position] = key.split(':').map(Number) as [number, number];
      return position < (automata[index] as (string | null)[]).length;
    }).length;
  // One symbol stands for every character no pattern names: such characters only move the stars.
  const alphabet: (string | symbol)[] = [
    ...new Set(automata.flat().filter((token): token is string => token !== null)),
    Symbol('other'),
  ];
  const start = closure(new Set(automata.map((_, index) => `${index}:0`)));
  const seen = new Set<string>([[...start].sort().join(',')]);
  const pending = [start];
  while (pending.length > 0) {
    const current = pending.pop() as Set<string>;
    if (alive(current) > wildcardComplexityLimit) fail(tooComplex);
    for (const char of alphabet) {
      const next = new Set<string>();
      for (const key of current) {
        const [index, position] = key.split(':').map(Number) as [number, number];
        const token = (automata[index] as (string | null)[])[position];
        if (token === null) next.add(key);
        else if (token === char) next.add(`${index}:${position + 1}`);
      }
      const expanded = closure(next);
      const id = [...expanded].sort().join(',');
      if (expanded.size === 0 || seen.has(id)) continue;
      if (seen.size >= complexityStateBudget) fail(tooComplex);
      seen.add(id);
      pending.push(expanded);
    }
  }
}

/** Gathers each field's wildcard patterns across all `$or` branches, as EventBridge builds one matcher per field. */
function checkPatternComplexity(branches: readonly Branch[]): void {
  const byField = new Map<string, string[]>();
  for (const branch of branches) {
    for (const [field, matchers] of branch) {
      for (const matcher of matchers) {
        const wildcards =
          matcher.kind === 'wildcard' || matcher.kind === 'anything-but' ? matcher.wildcards : undefined;
        if (wildcards) byField.set(field, [...(byField.get(field) ?? []), ...wildcards]);
      }
    }
  }
  for (const patterns of byField.values()) checkWildcardComplexity(patterns);
}

/** Parses (when given text) and compiles a pattern; throws InvalidEventPatternError with AWS's reason. */
export function compileEventPattern(pattern: string | unknown): CompiledPattern {
  let parsed = pattern;
  if (typeof pattern === 'string') {
    try {
      parsed = JSON.parse(pattern);
    } catch (error) {
      fail(`Filter is not valid JSON: ${(error as Error).message}`);
    }
  }
  if (!isObject(parsed)) fail('Filter is not an object');
  const branches = compileObject(parsed, [], [new Map()], false);
  checkPatternComplexity(branches);
  return { branches };
}

function flatten(value: unknown, path: string, out: Map<string, Leaf[]>): void {
  if (Array.isArray(value)) {
    for (const item of value) flatten(item, path, out);
    return;
  }
  if (isObject(value)) {
    for (const [key, child] of Object.entries(value)) flatten(child, path ? `${path}.${key}` : key, out);
    return;
  }
  let leaf: Leaf;
  if (typeof value === 'string') leaf = { kind: 'string', value };
  else if (typeof value === 'number') leaf = { kind: 'number', value };
  else leaf = { kind: 'literal', value: value as null | boolean };
  const leaves = out.get(path);
  if (leaves) leaves.push(leaf);
  else out.set(path, [leaf]);
}

/** The event as EventBridge matches it: dotted leaf paths to every value found there. */
export function flattenEvent(event: unknown): Map<string, Leaf[]> {
  const out = new Map<string, Leaf[]>();
  flatten(event, '', out);
  return out;
}

function compareNumber(value: number, op: NumericOp, operand: number): boolean {
  switch (op) {
    case '=':
      return value === operand;
    case '<':
      return value < operand;
    case '<=':
      return value <= operand;
    case '>':
      return value > operand;
    case '>=':
      return value >= operand;
  }
}

function leafMatches(matcher: Matcher, leaf: Leaf): boolean {
  switch (matcher.kind) {
    case 'exact':
      if (matcher.leaf.kind !== leaf.kind) return false;
      return matcher.leaf.value === leaf.value;
    case 'prefix':
    case 'suffix':
    case 'equals-ignore-case': {
      if (leaf.kind !== 'string') return false;
      const value = matcher.ignoreCase ? leaf.value.toLowerCase() : leaf.value;
      if (matcher.kind === 'prefix') return value.startsWith(matcher.value);
      if (matcher.kind === 'suffix') return value.endsWith(matcher.value);
      return value === matcher.value;
    }
    case 'wildcard':
      return leaf.kind === 'string' && matcher.regex.test(leaf.value);
    case 'numeric':
      return (
        leaf.kind === 'number' &&
        matcher.terms.every((term) => compareNumber(leaf.value, term.op, term.value))
      );
    case 'cidr': {
      if (leaf.kind !== 'string') return false;
      const ip = parseIp(leaf.value);
      return ip !== undefined && ipInRange(ip, matcher.range);
    }
    case 'anything-but':
      return matcher.test(leaf);
    case 'exists':
      return matcher.value;
  }
}

function fieldMatches(matchers: readonly Matcher[], leaves: readonly Leaf[] | undefined): boolean {
  return matchers.some((matcher) => {
    if (matcher.kind === 'exists')
      return matcher.value ? (leaves?.length ?? 0) > 0 : (leaves?.length ?? 0) === 0;
    return (leaves ?? []).some((leaf) => leafMatches(matcher, leaf));
  });
}

/** Whether an already flattened event matches a compiled pattern. */
export function matchesFlattened(pattern: CompiledPattern, flat: ReadonlyMap<string, Leaf[]>): boolean {
  return pattern.branches.some((branch) =>
    [...branch].every(([path, matchers]) => fieldMatches(matchers, flat.get(path))),
  );
}

/** Whether an event matches a compiled pattern. */
export function matchesEventPattern(pattern: CompiledPattern, event: unknown): boolean {
  return matchesFlattened(pattern, flattenEvent(event));
}
