/** JSONata fields of JSONata states: `{% … %}` strings anywhere in a value, evaluated with $states and the variables. */
import { createHash, randomUUID } from 'node:crypto';
import jsonata from 'jsonata';
import { hashAlgorithms, seededRandom } from './intrinsics';
import { StatesError } from './states-error';

const compiled = new Map<string, jsonata.Expression>();

/**
 * Step Functions rounds non-integer arguments of its integer parameters down (the documentation's rule); like
 * the Java service, toward zero.
 */
function integerArgument(value: number): number {
  return Math.trunc(value);
}

// A range this long cannot leave a state (256 KiB payloads) and would only exhaust the runtime's memory.
const maxRangeItems = 10_000_000;

/**
 * The functions Step Functions adds to JSONata, with its argument rules. A JSONata signature checks types and
 * arity (a mismatch is a JSONata error, reported as States.QueryEvaluationError like any other); the bodies
 * check what a signature cannot say.
 */
function stepFunctionsExtras(expression: jsonata.Expression): void {
  expression.registerFunction(
    'partition',
    // `j`, not `a`: JSONata would wrap a single value into an array, where AWS refuses anything but an array.
    (array: unknown, size?: number) => {
      if (!Array.isArray(array)) throw new Error('$partition: the first argument must be an array');
      if (size === undefined) return [array];
      const chunk = integerArgument(size);
      if (chunk <= 0) throw new Error(`$partition: the chunk size must be greater than 0, got ${size}`);
      const out: unknown[][] = [];
      for (let i = 0; i < array.length; i += chunk) out.push(array.slice(i, i + chunk));
      return out;
    },
    '<jn?:a>',
  );
  expression.registerFunction(
    'range',
    (start: number, end: number, step: number) => {
      const [from, to, by] = [integerArgument(start), integerArgument(end), integerArgument(step)];
      if (by === 0) throw new Error(`$range: the step must not be 0, got ${step}`);
      const count = Math.max(0, Math.floor((to - from) / by) + 1);
      if (count > maxRangeItems)
        throw new Error(`$range: ${count} items is more than the ${maxRangeItems} the runtime builds`);
      return Array.from({ length: count }, (_, index) => from + index * by);
    },
    '<nnn:a<n>>',
  );
  expression.registerFunction(
    'hash',
    (data: string, algorithm: string) => {
      const name = hashAlgorithms[algorithm];
      if (!name)
        throw new Error(
          `$hash: the algorithm must be one of ${Object.keys(hashAlgorithms).join(', ')}, got '${algorithm}'`,
        );
      return createHash(name).update(data, 'utf8').digest('hex');
    },
    '<ss:s>',
  );
  expression.registerFunction(
    'random',
    (seed?: number) => (seed === undefined ? Math.random() : seededRandom(integerArgument(seed))),
    '<n?:n>',
  );
  expression.registerFunction('uuid', () => randomUUID(), '<:s>');
  expression.registerFunction(
    'parse',
    (text: string) => {
      try {
        return JSON.parse(text);
      } catch (error) {
        throw new Error(`$parse: the argument is not valid JSON: ${(error as Error).message}`);
      }
    },
    '<s:j>',
  );
}

function expressionOf(text: string): jsonata.Expression {
  let expression = compiled.get(text);
  if (!expression) {
    try {
      expression = jsonata(text);
    } catch (error) {
      throw new StatesError(
        'States.QueryEvaluationError',
        `Invalid JSONata expression '${text}': ${(error as Error).message}`,
      );
    }
    stepFunctionsExtras(expression);
    compiled.set(text, expression);
  }
  return expression;
}

/** The text inside `{% … %}`, or undefined for a plain string. */
export function jsonataExpressionText(value: string): string | undefined {
  const trimmed = value.trim();
  return trimmed.startsWith('{%') && trimmed.endsWith('%}') ? trimmed.slice(2, -2) : undefined;
}

/** Compiles a `{% … %}` expression at definition time, so a syntax error is an invalid definition. */
export function checkJsonataSyntax(value: string): void {
  const text = jsonataExpressionText(value);
  if (text !== undefined) expressionOf(text);
}

/** Bindings of a JSONata evaluation. */
export interface JsonataBindings {
  states: { input?: unknown; result?: unknown; errorOutput?: unknown; context: unknown };
  variables: Readonly<Record<string, unknown>>;
}

// JSONata returns arrays with a `sequence` flag and may return undefined: normalise to plain JSON.
function plain(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

/**
 * Evaluates a value whose strings may be `{% … %}` expressions (recursively through objects and arrays). A field
 * that is one expression and yields nothing is States.QueryEvaluationError, as AWS documents ("JSON cannot
 * represent an undefined value"); inside an object the key is left out, which workflows use for optional keys.
 */
export async function evaluateJsonataValue(
  value: unknown,
  bindings: JsonataBindings,
  field: string,
): Promise<unknown> {
  return evaluateValue(value, bindings, field, false);
}

async function evaluateValue(
  value: unknown,
  bindings: JsonataBindings,
  field: string,
  nested: boolean,
): Promise<unknown> {
  if (typeof value === 'string') {
    const text = jsonataExpressionText(value);
    if (text === undefined) return value;
    let result: unknown;
    try {
      result = plain(
        await expressionOf(text).evaluate({}, { ...bindings.variables, states: bindings.states }),
      );
    } catch (error) {
      if (error instanceof StatesError) throw error;
      const message = (error as { message?: string }).message ?? String(error);
      throw new StatesError(
        'States.QueryEvaluationError',
        `An error occurred while evaluating the JSONata expression of field '${field}': ${message}`,
      );
    }
    // JSON has no undefined: a missing field or an unassigned variable fails the field on AWS.
    if (result === undefined && !nested)
      throw new StatesError(
        'States.QueryEvaluationError',
        `The JSONata expression '${text.trim()}' specified for the field '${field}' returned nothing (undefined)`,
      );
    return result;
  }
  if (Array.isArray(value))
    return Promise.all(value.map((item) => evaluateValue(item, bindings, field, true)));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const evaluated = await evaluateValue(item, bindings, `${field}.${key}`, true);
      if (evaluated !== undefined) out[key] = evaluated;
    }
    return out;
  }
  return value;
}
