/** Typed reads from a vendor payload that fail with the exact JSON path of what is missing or mistyped. */
import { SchemaViolationError } from '../../errors';

type Json = unknown;

function describe(value: Json): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

/** A cursor over a parsed payload; every failed read becomes a SchemaViolationError with its path. */
export class PayloadReader {
  constructor(
    private readonly value: Json,
    readonly path = '',
  ) {}

  private child(key: string): { value: Json; path: string } {
    const container = this.value;
    const value =
      container !== null && typeof container === 'object' && !Array.isArray(container)
        ? (container as Record<string, Json>)[key]
        : undefined;
    return { value, path: `${this.path}/${key}` };
  }

  private fail(path: string, expected: string, value: Json): never {
    const message =
      value === undefined ? `is required (${expected})` : `must be ${expected}, got ${describe(value)}`;
    throw new SchemaViolationError(`Payload field ${path} ${message}`, [{ path, message }]);
  }

  /** A required non-empty string; numbers (ids) are accepted and turned into strings. */
  string(key: string): string {
    const value = this.optionalString(key);
    if (value === undefined) this.fail(`${this.path}/${key}`, 'a non-empty string', this.child(key).value);
    return value;
  }

  /** An optional string: absent, null and "" all read as undefined. */
  optionalString(key: string): string | undefined {
    const { value, path } = this.child(key);
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
    if (typeof value !== 'string') this.fail(path, 'a string', value);
    return value;
  }

  /** A required integer. */
  integer(key: string): number {
    const { value, path } = this.child(key);
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) this.fail(path, 'an integer', value);
    return value;
  }

  /** An optional integer. */
  optionalInteger(key: string): number | undefined {
    const { value } = this.child(key);
    return value === undefined || value === null ? undefined : this.integer(key);
  }

  /** An optional boolean. */
  optionalBoolean(key: string): boolean | undefined {
    const { value, path } = this.child(key);
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'boolean') this.fail(path, 'a boolean', value);
    return value;
  }

  /** A required object. */
  object(key: string): PayloadReader {
    const reader = this.optionalObject(key);
    if (!reader) this.fail(`${this.path}/${key}`, 'an object', this.child(key).value);
    return reader;
  }

  /** An optional object (null reads as absent). */
  optionalObject(key: string): PayloadReader | undefined {
    const { value, path } = this.child(key);
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) this.fail(path, 'an object', value);
    return new PayloadReader(value, path);
  }

  /** A required array of objects. */
  array(key: string): PayloadReader[] {
    const { value, path } = this.child(key);
    if (!Array.isArray(value)) this.fail(path, 'an array', value);
    return value.map((item, index) => {
      if (item === null || typeof item !== 'object' || Array.isArray(item))
        this.fail(`${path}/${index}`, 'an object', item);
      return new PayloadReader(item, `${path}/${index}`);
    });
  }

  /** A required RFC 3339 timestamp, normalised to UTC ISO form; also returns its epoch milliseconds. */
  timestamp(key: string): { iso: string; epochMs: number } {
    const raw = this.string(key);
    const epochMs = Date.parse(raw);
    if (Number.isNaN(epochMs)) this.fail(`${this.path}/${key}`, 'an RFC 3339 timestamp', raw);
    return { iso: new Date(epochMs).toISOString(), epochMs };
  }

  /** A required Unix timestamp in seconds, as ISO text and epoch milliseconds. */
  unixSeconds(key: string): { iso: string; epochMs: number } {
    const epochMs = this.integer(key) * 1000;
    return { iso: new Date(epochMs).toISOString(), epochMs };
  }

  /** The raw value, for mappers that branch on shape. */
  raw(): Json {
    return this.value;
  }
}

/** A reader over the payload root, which must be a JSON object. */
export function readObjectPayload(payload: Json): PayloadReader {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    throw new SchemaViolationError('Payload must be a JSON object', [
      { path: '/', message: `must be an object, got ${describe(payload)}` },
    ]);
  }
  return new PayloadReader(payload);
}

/** Drops keys whose value is undefined, so optional fields are absent rather than present-but-empty. */
export function stripUndefined<T extends object>(value: T): T {
  const result: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(value)) if (entry !== undefined) result[key] = entry;
  return result as T;
}
