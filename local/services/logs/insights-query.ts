/** CloudWatch Logs Insights queries: the parser and evaluator of the commands operators type and `concord trace` sends. */
import { AwsError } from '../../edge/aws-error';

/** A field's value as a query sees it: JSON scalars of a structured line, or the text of a discovered field. */
export type FieldValue = string | number | boolean;

/** One log event as a query reads it. */
export interface LogRecord {
  timestampMs: number;
  ingestionMs: number;
  message: string;
  logStream: string;
  /** `<account>:<log group>`, as Insights shows `@log`. */
  log: string;
  /** The opaque `@ptr` that names the event. */
  ptr: string;
}

/** One row of a query's results: its fields in order, as GetQueryResults answers them. */
export type ResultRow = { field: string; value: string }[];

/** A query string Insights would refuse, answered as AWS's MalformedQueryException. */
export class MalformedQueryError extends AwsError {
  override readonly name = 'MalformedQueryError';

  constructor(
    readonly query: string,
    readonly reason: string,
    override readonly cause?: unknown,
  ) {
    super('MalformedQueryException', `Invalid query: ${reason}`);
  }
}

type Token =
  | { kind: 'name'; text: string; at: number }
  | { kind: 'string'; text: string; at: number }
  | { kind: 'regex'; regex: RegExp; at: number }
  | { kind: 'number'; value: number; at: number }
  | { kind: 'symbol'; text: string; at: number };

type Expression =
  | { kind: 'field'; name: string }
  | { kind: 'literal'; value: FieldValue }
  | { kind: 'not'; operand: Expression }
  | { kind: 'and' | 'or'; left: Expression; right: Expression }
  | { kind: 'compare'; operator: string; left: Expression; right: Expression }
  | { kind: 'like'; operand: Expression; test: (text: string) => boolean; negated: boolean }
  | { kind: 'in'; operand: Expression; values: FieldValue[]; negated: boolean }
  | { kind: 'present'; name: string; empty: boolean };

type Aggregate = { fn: 'count' | 'min' | 'max' | 'avg' | 'sum'; field?: string; name: string };
type Group = { name: string; field?: string; binMs?: number };

type Command =
  | { kind: 'fields'; items: { name: string; source: string }[] }
  | { kind: 'display'; names: string[] }
  | { kind: 'filter'; condition: Expression }
  | { kind: 'sort'; keys: { name: string; descending: boolean }[] }
  | { kind: 'limit'; count: number }
  | { kind: 'stats'; aggregates: Aggregate[]; groups: Group[] };

type StatsCommand = Command & { kind: 'stats' };

/** A parsed query. */
export interface InsightsQuery {
  text: string;
  commands: Command[];
}

/** The most rows a query answers (a `limit` command or StartQuery's limit may lower it). */
export const maxQueryResults = 10_000;
const binUnitsMs: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** Splits the query at `|` outside strings, regexes and backticks, dropping `#` comments. */
function commandTexts(text: string): { text: string; at: number }[] {
  const parts: { text: string; at: number }[] = [];
  let start = 0;
  let current = '';
  let index = 0;
  while (index < text.length) {
    const char = text[index] as string;
    if (char === '#') {
      while (index < text.length && text[index] !== '\n') index += 1;
      continue;
    }
    if (char === '"' || char === "'" || char === '`' || char === '/') {
      const end = closing(text, index, char);
      current += text.slice(index, end + 1);
      index = end + 1;
      continue;
    }
    if (char === '|') {
      parts.push({ text: current, at: start });
      current = '';
      start = index + 1;
    } else current += char;
    index += 1;
  }
  parts.push({ text: current, at: start });
  return parts;
}

/** The index of the quote that closes the one at `from`, honouring backslash escapes. */
function closing(text: string, from: number, quote: string): number {
  for (let index = from + 1; index < text.length; index += 1) {
    if (text[index] === '\\') index += 1;
    else if (text[index] === quote) return index;
  }
  throw new MalformedQueryError(text, `unterminated ${quote} starting at character ${from}`);
}

/** Insights writes case-insensitive matching as a leading `(?i)`, which JavaScript spells as a flag. */
function compileRegex(source: string, query: string): RegExp {
  const insensitive = source.startsWith('(?i)');
  try {
    return new RegExp(insensitive ? source.slice(4) : source, insensitive ? 'i' : '');
  } catch (error) {
    throw new MalformedQueryError(query, `invalid regular expression /${source}/`, error);
  }
}

function tokenize(text: string, query: string): Token[] {
  const found: Token[] = [];
  let index = 0;
  while (index < text.length) {
    const char = text[index] as string;
    if (/\s/.test(char)) {
      index += 1;
      continue;
    }
    if (char === '"' || char === "'" || char === '`' || char === '/') {
      const end = closing(text, index, char);
      const body = text.slice(index + 1, end);
      if (char === '/')
        found.push({ kind: 'regex', regex: compileRegex(body.replace(/\\\//g, '/'), query), at: index });
      else if (char === '`') found.push({ kind: 'name', text: body, at: index });
      else found.push({ kind: 'string', text: body.replace(/\\(.)/g, '$1'), at: index });
      index = end + 1;
      continue;
    }
    const symbol = /^(!=|<=|>=|=~|=|<|>|\(|\)|\[|\]|,|\*)/.exec(text.slice(index));
    if (symbol) {
      found.push({ kind: 'symbol', text: symbol[1] as string, at: index });
      index += symbol[1]?.length ?? 1;
      continue;
    }
    const number = /^-?\d+(\.\d+)?(?![\w@.])/.exec(text.slice(index));
    if (number) {
      found.push({ kind: 'number', value: Number(number[0]), at: index });
      index += number[0].length;
      continue;
    }
    // A name, or a period such as `5m` (which bin() takes).
    const name = /^(?:[@A-Za-z_]|\d+[A-Za-z])[\w@.]*/.exec(text.slice(index));
    if (!name) throw new MalformedQueryError(query, `unexpected character ${char}`);
    found.push({ kind: 'name', text: name[0], at: index });
    index += name[0].length;
  }
  return found;
}

/** A cursor over one command's tokens. */
class Cursor {
  private index = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly query: string,
  ) {}

  peek(): Token | undefined {
    return this.tokens[this.index];
  }

  next(): Token | undefined {
    return this.tokens[this.index++];
  }

  done(): boolean {
    return this.index >= this.tokens.length;
  }

  /** Consumes a keyword (case-insensitive) or symbol when it is next. */
  accept(word: string): boolean {
    const token = this.peek();
    const text = token?.kind === 'name' || token?.kind === 'symbol' ? token.text : undefined;
    if (text === undefined || text.toLowerCase() !== word) return false;
    this.index += 1;
    return true;
  }

  expect(word: string): void {
    if (!this.accept(word)) this.fail(`expected ${word}`);
  }

  fieldName(): string {
    const token = this.next();
    if (token?.kind !== 'name') this.fail('expected a field name', token);
    return token.text;
  }

  fail(why: string, token: Token | undefined = this.peek()): never {
    throw new MalformedQueryError(
      this.query,
      token ? `${why} at character ${token.at}` : `${why} at the end of the command`,
    );
  }
}

function parseCondition(cursor: Cursor): Expression {
  let left = parseConjunction(cursor);
  while (cursor.accept('or')) left = { kind: 'or', left, right: parseConjunction(cursor) };
  return left;
}

function parseConjunction(cursor: Cursor): Expression {
  let left = parseNegation(cursor);
  while (cursor.accept('and')) left = { kind: 'and', left, right: parseNegation(cursor) };
  return left;
}

function parseNegation(cursor: Cursor): Expression {
  if (cursor.accept('not')) return { kind: 'not', operand: parseNegation(cursor) };
  return parseComparison(cursor);
}

function parseComparison(cursor: Cursor): Expression {
  const left = parseOperand(cursor);
  const negated = cursor.accept('not');
  let result: Expression | undefined;
  if (cursor.accept('like') || cursor.accept('=~')) {
    const pattern = cursor.next();
    if (pattern?.kind === 'regex')
      result = { kind: 'like', operand: left, test: (text) => pattern.regex.test(text), negated };
    else if (pattern?.kind === 'string')
      result = { kind: 'like', operand: left, test: (text) => text.includes(pattern.text), negated };
    else cursor.fail('like takes a /regular expression/ or a "string"', pattern);
  } else if (cursor.accept('in')) {
    cursor.expect('[');
    const values: FieldValue[] = [];
    if (!cursor.accept(']')) {
      do {
        const value = cursor.next();
        if (value?.kind === 'string') values.push(value.text);
        else if (value?.kind === 'number') values.push(value.value);
        else cursor.fail('in [..] takes strings and numbers', value);
      } while (cursor.accept(','));
      cursor.expect(']');
    }
    result = { kind: 'in', operand: left, values, negated };
  } else if (negated) cursor.fail('not here takes like or in');
  if (result) return result;
  const operator = cursor.peek();
  if (operator?.kind === 'symbol' && ['=', '!=', '<', '<=', '>', '>='].includes(operator.text)) {
    cursor.next();
    return { kind: 'compare', operator: operator.text, left, right: parseOperand(cursor) };
  }
  return left;
}

function parseOperand(cursor: Cursor): Expression {
  const token = cursor.next();
  if (token?.kind === 'symbol' && token.text === '(') {
    const inner = parseCondition(cursor);
    cursor.expect(')');
    return inner;
  }
  if (token?.kind === 'string') return { kind: 'literal', value: token.text };
  if (token?.kind === 'number') return { kind: 'literal', value: token.value };
  if (token?.kind !== 'name') return cursor.fail('expected a field, a value or (', token);
  const lower = token.text.toLowerCase();
  if ((lower === 'ispresent' || lower === 'isempty') && cursor.accept('(')) {
    const name = cursor.fieldName();
    cursor.expect(')');
    return { kind: 'present', name, empty: lower === 'isempty' };
  }
  if (lower === 'true' || lower === 'false') return { kind: 'literal', value: lower === 'true' };
  if (cursor.peek()?.kind === 'symbol' && (cursor.peek() as { text: string }).text === '(')
    cursor.fail(`function ${token.text} is not supported by the local Logs Insights`, token);
  return { kind: 'field', name: token.text };
}

function parseStats(cursor: Cursor): Command {
  const aggregates: Aggregate[] = [];
  do {
    const fnToken = cursor.next();
    const fn = fnToken?.kind === 'name' ? fnToken.text.toLowerCase() : '';
    if (!['count', 'min', 'max', 'avg', 'sum'].includes(fn))
      cursor.fail('stats takes count, min, max, avg or sum', fnToken);
    cursor.expect('(');
    let field: string | undefined;
    if (fn === 'count' && cursor.accept('*')) field = undefined;
    else field = cursor.fieldName();
    cursor.expect(')');
    const written = `${fn}(${field ?? '*'})`;
    const name = cursor.accept('as') ? cursor.fieldName() : written;
    aggregates.push({ fn: fn as Aggregate['fn'], ...(field === undefined ? {} : { field }), name });
  } while (cursor.accept(','));
  const groups: Group[] = [];
  if (cursor.accept('by'))
    do {
      const token = cursor.peek();
      if (token?.kind === 'name' && token.text.toLowerCase() === 'bin') {
        cursor.next();
        cursor.expect('(');
        const period = cursor.next();
        const match = period?.kind === 'name' ? /^(\d+)(ms|s|min|m|h|d|w)$/.exec(period.text) : null;
        if (!match) cursor.fail('bin() takes a period such as 5m or 1h', period);
        cursor.expect(')');
        const written = `bin(${match[1]}${match[2]})`;
        groups.push({
          name: cursor.accept('as') ? cursor.fieldName() : written,
          binMs: Number(match[1]) * (binUnitsMs[match[2] as string] as number),
        });
      } else {
        const field = cursor.fieldName();
        groups.push({ field, name: cursor.accept('as') ? cursor.fieldName() : field });
      }
    } while (cursor.accept(','));
  return { kind: 'stats', aggregates, groups };
}

function parseCommand(text: string, query: string): Command {
  const tokens = tokenize(text, query);
  const cursor: Cursor = new Cursor(tokens, query);
  const keyword = cursor.next();
  if (keyword?.kind !== 'name') return cursor.fail('expected a command', keyword);
  let command: Command;
  switch (keyword.text.toLowerCase()) {
    case 'fields': {
      const items: { name: string; source: string }[] = [];
      do {
        const source = cursor.fieldName();
        items.push({ source, name: cursor.accept('as') ? cursor.fieldName() : source });
      } while (cursor.accept(','));
      command = { kind: 'fields', items };
      break;
    }
    case 'display': {
      const names: string[] = [];
      do names.push(cursor.fieldName());
      while (cursor.accept(','));
      command = { kind: 'display', names };
      break;
    }
    case 'filter':
      command = { kind: 'filter', condition: parseCondition(cursor) };
      break;
    case 'sort': {
      const keys: { name: string; descending: boolean }[] = [];
      do {
        const name = cursor.fieldName();
        const descending = cursor.accept('desc');
        if (!descending) cursor.accept('asc');
        keys.push({ name, descending });
      } while (cursor.accept(','));
      command = { kind: 'sort', keys };
      break;
    }
    case 'limit': {
      const count = cursor.next();
      if (count?.kind !== 'number' || !Number.isInteger(count.value) || count.value < 1)
        cursor.fail('limit takes a positive whole number', count);
      if (count.value > maxQueryResults) cursor.fail(`limit is at most ${maxQueryResults}`, count);
      command = { kind: 'limit', count: count.value };
      break;
    }
    case 'stats':
      command = parseStats(cursor);
      break;
    default:
      return cursor.fail(`command ${keyword.text} is not supported by the local Logs Insights`, keyword);
  }
  if (!cursor.done()) cursor.fail('unexpected text');
  return command;
}

/** Parses a Logs Insights query string; a query Insights would refuse throws {@link MalformedQueryError}. */
export function parseInsightsQuery(text: string): InsightsQuery {
  const parts = commandTexts(text).filter((part) => part.text.trim() !== '');
  if (parts.length === 0) throw new MalformedQueryError(text, 'the query is empty');
  const commands = parts.map((part) => parseCommand(part.text, text));
  if (commands.filter((command) => command.kind === 'stats').length > 1)
    throw new MalformedQueryError(text, 'only one stats command is supported locally');
  return { text, commands };
}

/** `2026-11-29 21:53:32.123`: how Insights writes a time. */
export function insightsTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

/** A structured line's fields, flattened as Insights discovers them: `a.b`, arrays as `a.0.b`. */
function flatten(value: unknown, prefix: string, into: Map<string, FieldValue>): void {
  if (value === null || value === undefined) return;
  if (typeof value === 'object') {
    for (const [key, inner] of Object.entries(value as Record<string, unknown>))
      flatten(inner, prefix ? `${prefix}.${key}` : key, into);
    return;
  }
  if (prefix) into.set(prefix, value as FieldValue);
}

/** Every field of one event, as GetLogRecord answers it: the discovered `@` fields, then a JSON line's fields. */
export function recordFields(record: LogRecord): Record<string, string> {
  const fields = new Map<string, FieldValue>();
  const text = record.message.trim();
  if (text.startsWith('{'))
    try {
      flatten(JSON.parse(text), '', fields);
    } catch {
      // A plain line has only the discovered fields.
    }
  return {
    '@timestamp': String(record.timestampMs),
    '@ingestionTime': String(record.ingestionMs),
    '@message': record.message,
    '@logStream': record.logStream,
    '@log': record.log,
    ...Object.fromEntries([...fields].map(([name, value]) => [name, String(value)])),
  };
}

/** A row the commands read: a log event before `stats`, an aggregate after it. */
interface Row {
  get(name: string): FieldValue | undefined;
  readonly record?: LogRecord;
}

/** A log event as a row: the discovered `@` fields, then the JSON fields of a structured line (parsed once). */
class EventRow implements Row {
  private fields: Map<string, FieldValue> | undefined;

  constructor(
    readonly record: LogRecord,
    private readonly aliases: ReadonlyMap<string, string>,
  ) {}

  get(name: string): FieldValue | undefined {
    const source = this.aliases.get(name) ?? name;
    switch (source) {
      case '@timestamp':
        return this.record.timestampMs;
      case '@ingestionTime':
        return this.record.ingestionMs;
      case '@message':
        return this.record.message;
      case '@logStream':
        return this.record.logStream;
      case '@log':
        return this.record.log;
      case '@ptr':
        return this.record.ptr;
    }
    if (!this.fields) {
      this.fields = new Map();
      const text = this.record.message.trim();
      if (text.startsWith('{'))
        try {
          flatten(JSON.parse(text), '', this.fields);
        } catch {
          // Not JSON after all: a plain line has only the discovered fields.
        }
    }
    return this.fields.get(source);
  }
}

class AggregateRow implements Row {
  constructor(private readonly values: Map<string, FieldValue>) {}

  get(name: string): FieldValue | undefined {
    return this.values.get(name);
  }
}

const numeric = (value: FieldValue): number | undefined => {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value)) return Number(value);
  return undefined;
};

function evaluate(expression: Expression, row: Row): FieldValue | undefined {
  switch (expression.kind) {
    case 'field':
      return row.get(expression.name);
    case 'literal':
      return expression.value;
    case 'not':
      return !truthy(evaluate(expression.operand, row));
    case 'and':
      return truthy(evaluate(expression.left, row)) && truthy(evaluate(expression.right, row));
    case 'or':
      return truthy(evaluate(expression.left, row)) || truthy(evaluate(expression.right, row));
    case 'present': {
      const value = row.get(expression.name);
      return expression.empty ? value === undefined || value === '' : value !== undefined;
    }
    // A missing field neither matches nor fails to match: `x not like …` and `x not in […]` need x too.
    case 'like': {
      const value = evaluate(expression.operand, row);
      return value !== undefined && expression.test(String(value)) !== expression.negated;
    }
    case 'in': {
      const value = evaluate(expression.operand, row);
      return (
        value !== undefined &&
        expression.values.some((candidate) => equal(value, candidate)) !== expression.negated
      );
    }
    case 'compare': {
      const left = evaluate(expression.left, row);
      const right = evaluate(expression.right, row);
      // A missing field compares as nothing: neither equal nor unequal, as in Insights.
      if (left === undefined || right === undefined) return false;
      if (expression.operator === '=') return equal(left, right);
      if (expression.operator === '!=') return !equal(left, right);
      const order = compareValues(left, right);
      return {
        '<': order < 0,
        '<=': order <= 0,
        '>': order > 0,
        '>=': order >= 0,
      }[expression.operator] as boolean;
    }
  }
}

function truthy(value: FieldValue | undefined): boolean {
  return value !== undefined && value !== false && value !== '' && value !== 0;
}

function equal(left: FieldValue, right: FieldValue): boolean {
  const [leftNumber, rightNumber] = [numeric(left), numeric(right)];
  if (leftNumber !== undefined && rightNumber !== undefined) return leftNumber === rightNumber;
  return String(left) === String(right);
}

/** Insights' natural order: text before numbers, numbers by value, text by chunks (digit runs by length, then value). */
export function compareValues(left: FieldValue, right: FieldValue): number {
  const [leftNumber, rightNumber] = [numeric(left), numeric(right)];
  if (leftNumber !== undefined && rightNumber !== undefined) return leftNumber - rightNumber;
  if (leftNumber !== undefined) return 1;
  if (rightNumber !== undefined) return -1;
  const chunks = (text: string): string[] => text.match(/\d+|\D+/g) ?? [];
  const [a, b] = [chunks(String(left)), chunks(String(right))];
  for (let index = 0; index < Math.min(a.length, b.length); index += 1) {
    const [x, y] = [a[index] as string, b[index] as string];
    if (x === y) continue;
    if (/^\d/.test(x) && /^\d/.test(y)) return x.length !== y.length ? x.length - y.length : x < y ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

/** How a value reads in the results: times as Insights writes them, everything else as text. */
function shown(source: string, value: FieldValue): string {
  if ((source === '@timestamp' || source === '@ingestionTime') && typeof value === 'number')
    return insightsTime(value);
  return String(value);
}

/** What an evaluation has found so far. */
export interface QueryProgress {
  recordsScanned: number;
  bytesScanned: number;
  recordsMatched: number;
}

/**
 * One run of a query over log events fed in time order: the filters before the first sort, limit or stats are applied
 * as events arrive (so only matching events are kept), the rest of the commands when {@link finish} is called.
 */
export class QueryEvaluation {
  readonly progress: QueryProgress = { recordsScanned: 0, bytesScanned: 0, recordsMatched: 0 };
  private readonly aliases = new Map<string, string>();
  private readonly streamed: Expression[] = [];
  private readonly rest: Command[];
  private readonly matched: Row[] = [];

  constructor(private readonly query: InsightsQuery) {
    let index = 0;
    for (; index < query.commands.length; index += 1) {
      const command = query.commands[index] as Command;
      if (command.kind === 'filter') this.streamed.push(command.condition);
      else if (command.kind === 'fields') this.alias(command.items);
      else if (command.kind !== 'display') break;
    }
    this.rest = query.commands.slice(index);
  }

  /** `fields a as b`: b reads a from then on. */
  private alias(items: { name: string; source: string }[]): void {
    for (const item of items) if (item.name !== item.source) this.aliases.set(item.name, item.source);
  }

  /** Reads one event. */
  feed(record: LogRecord): void {
    this.progress.recordsScanned += 1;
    this.progress.bytesScanned += Buffer.byteLength(record.message);
    const row = new EventRow(record, this.aliases);
    if (this.streamed.every((condition) => truthy(evaluate(condition, row)))) this.matched.push(row);
    this.progress.recordsMatched = this.matched.length;
  }

  /** The results, at most `limit` rows (StartQuery's limit; a smaller `limit` command wins). */
  finish(limit: number): ResultRow[] {
    const ordered = this.query.commands.some(
      (command) => command.kind === 'sort' || command.kind === 'stats',
    );
    // Without a sort, events come newest first (so a bare `limit` keeps the latest), as the Insights console shows.
    let rows = ordered ? this.matched : [...this.matched].reverse();
    let aggregated: StatsCommand | undefined;
    for (const command of this.rest) {
      if (command.kind === 'filter') rows = rows.filter((row) => truthy(evaluate(command.condition, row)));
      else if (command.kind === 'fields') this.alias(command.items);
      else if (command.kind === 'sort') {
        rows = [...rows].sort((left, right) => {
          for (const key of command.keys) {
            const [a, b] = [left.get(key.name), right.get(key.name)];
            if (a === undefined && b === undefined) continue;
            // Rows without the field go last, whichever the direction.
            if (a === undefined) return 1;
            if (b === undefined) return -1;
            const order = compareValues(a, b);
            if (order !== 0) return key.descending ? -order : order;
          }
          return 0;
        });
      } else if (command.kind === 'limit') rows = rows.slice(0, command.count);
      else if (command.kind === 'stats') {
        rows = aggregate(rows, command);
        aggregated = command;
      }
    }
    return rows.slice(0, limit).map((row) => this.project(row, aggregated));
  }

  private project(row: Row, stats: StatsCommand | undefined): ResultRow {
    const result: ResultRow = [];
    const displayed = [...this.query.commands].reverse().find((command) => command.kind === 'display');
    let names: string[];
    if (displayed?.kind === 'display') names = displayed.names;
    else if (stats)
      names = [...stats.groups.map((group) => group.name), ...stats.aggregates.map((a) => a.name)];
    else {
      const fields = this.query.commands.flatMap((command) =>
        command.kind === 'fields' ? command.items.map((item) => item.name) : [],
      );
      names = fields.length > 0 ? [...new Set(fields)] : ['@timestamp', '@message', '@logStream', '@log'];
    }
    for (const name of names) {
      const value = row.get(name);
      if (value !== undefined)
        result.push({ field: name, value: shown(this.aliases.get(name) ?? name, value) });
    }
    if (row.record) result.push({ field: '@ptr', value: row.record.ptr });
    return result;
  }
}

function aggregate(rows: Row[], stats: StatsCommand): Row[] {
  const groups = new Map<string, { key: Map<string, FieldValue>; rows: Row[] }>();
  for (const row of rows) {
    const key = new Map<string, FieldValue>();
    let complete = true;
    for (const group of stats.groups) {
      if (group.binMs !== undefined) {
        const timestamp = row.get('@timestamp');
        if (typeof timestamp !== 'number') complete = false;
        else key.set(group.name, insightsTime(Math.floor(timestamp / group.binMs) * group.binMs));
      } else {
        const value = row.get(group.field as string);
        // An event without a by-field is left out of the groups, as Insights does.
        if (value === undefined) complete = false;
        else key.set(group.name, value);
      }
    }
    if (!complete) continue;
    const id = JSON.stringify([...key.values()]);
    const entry = groups.get(id) ?? { key, rows: [] };
    entry.rows.push(row);
    groups.set(id, entry);
  }
  if (stats.groups.length === 0 && groups.size === 0 && rows.length === 0)
    groups.set('[]', { key: new Map(), rows: [] });
  return [...groups.values()].map(({ key, rows: members }) => {
    const values = new Map(key);
    for (const { fn, field, name } of stats.aggregates) {
      if (fn === 'count') {
        values.set(
          name,
          field === undefined ? members.length : members.filter((row) => row.get(field) !== undefined).length,
        );
        continue;
      }
      const numbers = members
        .map((row) => numeric(row.get(field as string) ?? ''))
        .filter((value): value is number => value !== undefined);
      if (numbers.length === 0) continue;
      const sum = numbers.reduce((total, value) => total + value, 0);
      // Folded, not spread: Math.min(...numbers) overflows the stack past some 100 000 values.
      const min = numbers.reduce((low, value) => Math.min(low, value));
      const max = numbers.reduce((high, value) => Math.max(high, value));
      values.set(name, { min, max, avg: sum / numbers.length, sum }[fn]);
    }
    return new AggregateRow(values);
  });
}
