/** The States.* intrinsic functions of JSONPath states: a parser for their call syntax and each function's AWS behaviour. */
import { createHash, randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { StatesError } from './states-error';

type Argument =
  | { kind: 'literal'; value: unknown }
  | { kind: 'path'; path: string }
  | { kind: 'call'; name: string; args: Argument[] };

function intrinsicFailure(message: string): StatesError {
  return new StatesError('States.IntrinsicFailure', message);
}

/** Whether a Parameters value is an intrinsic function call. */
export function isIntrinsicCall(text: string): boolean {
  return /^States\.[A-Za-z0-9]+\(/.test(text.trim());
}

class Parser {
  private position = 0;

  constructor(private readonly text: string) {}

  parse(): Argument {
    const call = this.call();
    this.skipSpace();
    if (this.position !== this.text.length)
      throw intrinsicFailure(`Unexpected text after the call: ${this.text.slice(this.position)}`);
    return call;
  }

  private skipSpace(): void {
    while (/\s/.test(this.text.charAt(this.position))) this.position += 1;
  }

  private call(): Argument {
    this.skipSpace();
    const match = /^States\.([A-Za-z0-9]+)\(/.exec(this.text.slice(this.position));
    if (!match) throw intrinsicFailure(`Expected an intrinsic function at ${this.text.slice(this.position)}`);
    this.position += match[0].length;
    const args: Argument[] = [];
    this.skipSpace();
    if (this.text.charAt(this.position) === ')') {
      this.position += 1;
      return { kind: 'call', name: match[1] as string, args };
    }
    for (;;) {
      args.push(this.argument());
      this.skipSpace();
      const next = this.text.charAt(this.position);
      this.position += 1;
      if (next === ')') break;
      if (next !== ',') throw intrinsicFailure(`Expected ',' or ')' in ${this.text}`);
    }
    return { kind: 'call', name: match[1] as string, args };
  }

  private argument(): Argument {
    this.skipSpace();
    const rest = this.text.slice(this.position);
    if (rest.startsWith('States.')) return this.call();
    if (rest.startsWith("'")) return { kind: 'literal', value: this.string() };
    if (rest.startsWith('$')) return { kind: 'path', path: this.path() };
    const literal = /^(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|null|true|false)/.exec(rest);
    if (!literal) throw intrinsicFailure(`Unexpected argument at ${rest}`);
    this.position += literal[0].length;
    return { kind: 'literal', value: JSON.parse(literal[0]) };
  }

  private string(): string {
    let out = '';
    this.position += 1;
    for (;;) {
      const char = this.text.charAt(this.position);
      if (char === '') throw intrinsicFailure(`Unterminated string in ${this.text}`);
      this.position += 1;
      if (char === '\\') {
        out += this.text.charAt(this.position);
        this.position += 1;
      } else if (char === "'") {
        return out;
      } else {
        out += char;
      }
    }
  }

  private path(): string {
    const start = this.position;
    let depth = 0;
    let quote = '';
    while (this.position < this.text.length) {
      const char = this.text.charAt(this.position);
      if (quote) {
        if (char === quote) quote = '';
      } else if (char === "'" || char === '"') quote = char;
      else if (char === '[' || char === '(') depth += 1;
      else if (char === ']' || char === ')') {
        if (depth === 0) break;
        depth -= 1;
      } else if (char === ',' && depth === 0) break;
      this.position += 1;
    }
    return this.text.slice(start, this.position).trim();
  }
}

/** Step Functions' hash algorithm names (States.Hash, JSONata $hash) → node:crypto's. */
export const hashAlgorithms: Readonly<Record<string, string>> = {
  MD5: 'md5',
  'SHA-1': 'sha1',
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
};

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function expect<T>(
  value: unknown,
  type: 'string' | 'number' | 'array' | 'object' | 'boolean',
  fn: string,
): T {
  if (typeName(value) !== type)
    throw intrinsicFailure(`The ${fn} function expects ${type} arguments, got ${typeName(value)}`);
  return value as T;
}

function integer(value: unknown, fn: string): number {
  const number = expect<number>(value, 'number', fn);
  // Step Functions runs on Java: non-integers are rounded with Math.round semantics (half up).
  return Math.round(number);
}

function formatValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return value;
  if (typeof value === 'object')
    throw intrinsicFailure('States.Format arguments must be strings, numbers, booleans or null');
  return String(value);
}

const functions: Record<string, (args: unknown[]) => unknown> = {
  Format: (args) => {
    const [template, ...values] = args;
    const text = expect<string>(template, 'string', 'States.Format');
    let index = 0;
    let out = '';
    for (let i = 0; i < text.length; i += 1) {
      const char = text.charAt(i);
      if (char === '\\' && (text.charAt(i + 1) === '{' || text.charAt(i + 1) === '}')) {
        out += text.charAt(i + 1);
        i += 1;
      } else if (char === '{' && text.charAt(i + 1) === '}') {
        if (index >= values.length)
          throw intrinsicFailure('States.Format has more placeholders than arguments');
        out += formatValue(values[index]);
        index += 1;
        i += 1;
      } else {
        out += char;
      }
    }
    if (index !== values.length) throw intrinsicFailure('States.Format has more arguments than placeholders');
    return out;
  },
  StringToJson: ([text]) => {
    try {
      return JSON.parse(expect<string>(text, 'string', 'States.StringToJson'));
    } catch (error) {
      if (error instanceof StatesError) throw error;
      throw intrinsicFailure('States.StringToJson received a string that is not JSON');
    }
  },
  JsonToString: ([value]) => JSON.stringify(value),
  Array: (args) => args,
  ArrayPartition: ([array, size]) => {
    const items = expect<unknown[]>(array, 'array', 'States.ArrayPartition');
    const chunk = integer(size, 'States.ArrayPartition');
    if (chunk <= 0) throw intrinsicFailure('States.ArrayPartition chunk size must be greater than 0');
    const out: unknown[][] = [];
    for (let i = 0; i < items.length; i += chunk) out.push(items.slice(i, i + chunk));
    return out;
  },
  ArrayContains: ([array, value]) =>
    expect<unknown[]>(array, 'array', 'States.ArrayContains').some((item) => isDeepStrictEqual(item, value)),
  ArrayRange: ([start, end, step]) => {
    const [from, to, by] = [
      integer(start, 'States.ArrayRange'),
      integer(end, 'States.ArrayRange'),
      integer(step, 'States.ArrayRange'),
    ];
    if (by === 0) throw intrinsicFailure('States.ArrayRange step must not be 0');
    const out: number[] = [];
    for (let value = from; by > 0 ? value <= to : value >= to; value += by) {
      out.push(value);
      if (out.length > 1000) throw intrinsicFailure('States.ArrayRange produces more than 1000 items');
    }
    return out;
  },
  ArrayGetItem: ([array, index]) => {
    const items = expect<unknown[]>(array, 'array', 'States.ArrayGetItem');
    const position = integer(index, 'States.ArrayGetItem');
    if (position < 0 || position >= items.length)
      throw intrinsicFailure(`States.ArrayGetItem index ${position} is out of bounds`);
    return items[position];
  },
  ArrayLength: ([array]) => expect<unknown[]>(array, 'array', 'States.ArrayLength').length,
  ArrayUnique: ([array]) => {
    const out: unknown[] = [];
    for (const item of expect<unknown[]>(array, 'array', 'States.ArrayUnique'))
      if (!out.some((seen) => isDeepStrictEqual(seen, item))) out.push(item);
    return out;
  },
  Base64Encode: ([text]) =>
    Buffer.from(expect<string>(text, 'string', 'States.Base64Encode'), 'utf8').toString('base64'),
  Base64Decode: ([text]) =>
    Buffer.from(expect<string>(text, 'string', 'States.Base64Decode'), 'base64').toString('utf8'),
  Hash: ([data, algorithm]) => {
    const name = hashAlgorithms[expect<string>(algorithm, 'string', 'States.Hash')];
    if (!name) throw intrinsicFailure(`States.Hash does not support the algorithm ${String(algorithm)}`);
    const text = typeof data === 'string' ? data : JSON.stringify(data);
    return createHash(name).update(text, 'utf8').digest('hex');
  },
  JsonMerge: ([left, right, deep]) => {
    const a = expect<Record<string, unknown>>(left, 'object', 'States.JsonMerge');
    const b = expect<Record<string, unknown>>(right, 'object', 'States.JsonMerge');
    if (deep !== false) throw intrinsicFailure('States.JsonMerge supports only a shallow merge (false)');
    return { ...a, ...b };
  },
  MathRandom: ([start, end, seed]) => {
    const [from, to] = [integer(start, 'States.MathRandom'), integer(end, 'States.MathRandom')];
    if (from >= to) throw intrinsicFailure('States.MathRandom start must be less than end');
    const random = seed === undefined ? Math.random() : seededRandom(integer(seed, 'States.MathRandom'));
    return from + Math.floor(random * (to - from));
  },
  MathAdd: ([a, b]) => {
    const sum = integer(a, 'States.MathAdd') + integer(b, 'States.MathAdd');
    if (sum < -2147483648 || sum > 2147483647)
      throw intrinsicFailure('States.MathAdd result is out of the integer range');
    return sum;
  },
  StringSplit: ([text, delimiters]) => {
    const source = expect<string>(text, 'string', 'States.StringSplit');
    const separators = [...expect<string>(delimiters, 'string', 'States.StringSplit')];
    const out: string[] = [];
    let current = '';
    for (const char of source) {
      if (separators.includes(char)) {
        if (current) out.push(current);
        current = '';
      } else current += char;
    }
    if (current) out.push(current);
    return out;
  },
  UUID: () => randomUUID(),
};

const arity: Record<string, [number, number]> = {
  Format: [1, Number.POSITIVE_INFINITY],
  StringToJson: [1, 1],
  JsonToString: [1, 1],
  Array: [0, Number.POSITIVE_INFINITY],
  ArrayPartition: [2, 2],
  ArrayContains: [2, 2],
  ArrayRange: [3, 3],
  ArrayGetItem: [2, 2],
  ArrayLength: [1, 1],
  ArrayUnique: [1, 1],
  Base64Encode: [1, 1],
  Base64Decode: [1, 1],
  Hash: [2, 2],
  JsonMerge: [3, 3],
  MathRandom: [2, 3],
  MathAdd: [2, 2],
  StringSplit: [2, 2],
  UUID: [0, 0],
};

/** A number in [0, 1) that depends only on the seed (States.MathRandom's and JSONata $random's seeded form). */
export function seededRandom(seed: number): number {
  let t = (seed + 0x6d2b79f5) | 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

function evaluate(argument: Argument, resolvePath: (path: string) => unknown): unknown {
  if (argument.kind === 'literal') return argument.value;
  if (argument.kind === 'path') return resolvePath(argument.path);
  const fn = functions[argument.name];
  const [min, max] = arity[argument.name] ?? [0, 0];
  if (!fn) throw intrinsicFailure(`Unknown intrinsic function States.${argument.name}`);
  if (argument.args.length < min || argument.args.length > max) {
    throw intrinsicFailure(
      `States.${argument.name} takes ${min === max ? min : `${min} to ${max}`} arguments, got ${argument.args.length}`,
    );
  }
  return fn(argument.args.map((arg) => evaluate(arg, resolvePath)));
}

/** Parses an intrinsic call once (at definition validation) so syntax errors surface early. */
export function parseIntrinsic(text: string): void {
  new Parser(text).parse();
}

/** Parsed intrinsic calls by their text: a definition's calls are parsed once, not on every state entered. */
const parsedCalls = new Map<string, Argument>();
/** Definitions are few; a bound keeps a long-running runtime's cache from growing with replaced definitions. */
const parsedCallsLimit = 10_000;

/** Evaluates an intrinsic call; path arguments ($…, $$…, $variable…) are read through `resolvePath`. */
export function evaluateIntrinsic(text: string, resolvePath: (path: string) => unknown): unknown {
  let parsed = parsedCalls.get(text);
  if (!parsed) {
    parsed = new Parser(text).parse();
    if (parsedCalls.size >= parsedCallsLimit) parsedCalls.clear();
    parsedCalls.set(text, parsed);
  }
  return evaluate(parsed, resolvePath);
}
