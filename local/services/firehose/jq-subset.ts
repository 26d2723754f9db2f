/**
 * The subset of jq that Firehose MetadataExtractionQuery needs here: an object of partition keys, each a path
 * (`.a.b`, `.["detail-type"]`, `.items[0]`) optionally sliced (`[0:10]`). Anything else is refused at creation.
 */
import { validationError } from '../../edge/aws-error';

type Step =
  | { kind: 'key'; name: string }
  | { kind: 'index'; index: number }
  | { kind: 'slice'; from?: number; to?: number };

function parsePath(text: string): Step[] {
  const steps: Step[] = [];
  let rest = text.trim();
  if (!rest.startsWith('.')) throw new Error(`expected a path, got ${text}`);
  const grammar: [RegExp, (match: RegExpExecArray) => Step][] = [
    [/^\.([A-Za-z_][A-Za-z0-9_]*)/, (match) => ({ kind: 'key', name: match[1] as string })],
    [/^\.?\["((?:[^"\\]|\\.)*)"\]/, (match) => ({ kind: 'key', name: JSON.parse(`"${match[1]}"`) })],
    [/^\[(-?\d+)\]/, (match) => ({ kind: 'index', index: Number(match[1]) })],
    [
      /^\[(-?\d*):(-?\d*)\]/,
      (match) => ({
        kind: 'slice',
        from: match[1] ? Number(match[1]) : undefined,
        to: match[2] ? Number(match[2]) : undefined,
      }),
    ],
  ];
  while (rest.length > 0 && rest !== '.') {
    const rule = grammar
      .map(([pattern, build]) => [pattern.exec(rest), build] as const)
      .find(([match]) => match);
    if (!rule?.[0]) throw new Error(`unsupported jq syntax at ${rest}`);
    steps.push(rule[1](rule[0]));
    rest = rest.slice(rule[0][0].length);
  }
  return steps;
}

function apply(steps: Step[], value: unknown): unknown {
  let current = value;
  for (const step of steps) {
    if (step.kind === 'key')
      current =
        current !== null && typeof current === 'object'
          ? (current as Record<string, unknown>)[step.name]
          : undefined;
    else if (step.kind === 'index') current = Array.isArray(current) ? current.at(step.index) : undefined;
    else
      current =
        typeof current === 'string' || Array.isArray(current) ? current.slice(step.from, step.to) : undefined;
  }
  return current;
}

/** Compiles `{key: path, …}`; the result maps each key to the string form of its value. */
export function compileJqQuery(query: string): (record: unknown) => Record<string, string> {
  const body = /^\s*\{(.*)\}\s*$/s.exec(query)?.[1];
  if (body === undefined)
    throw validationError(
      `MetadataExtractionQuery ${query} is not supported: use an object of paths, e.g. {type: .type}`,
    );
  const fields: [string, Step[]][] = [];
  try {
    for (const part of body.split(',')) {
      const separator = part.indexOf(':');
      const key = part
        .slice(0, separator)
        .trim()
        .replace(/^"(.*)"$/, '$1');
      if (!/^[A-Za-z0-9_-]+$/.test(key)) throw new Error(`bad key ${key}`);
      fields.push([key, parsePath(part.slice(separator + 1))]);
    }
  } catch (error) {
    throw validationError(
      `MetadataExtractionQuery ${query} is not supported locally: ${(error as Error).message}`,
    );
  }
  return (record) => {
    const out: Record<string, string> = {};
    for (const [key, steps] of fields) {
      const value = apply(steps, record);
      if (value === undefined || value === null || typeof value === 'object')
        throw new Error(`partition key ${key} has no scalar value`);
      out[key] = String(value);
    }
    return out;
  };
}
