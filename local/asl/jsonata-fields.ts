/** JSONata fields of JSONata states: `{% … %}` strings anywhere in a value, evaluated with $states and the variables. */
import { createHash, randomUUID } from 'node:crypto';
import jsonata from 'jsonata';
import { hashAlgorithms } from './intrinsics';
import { StatesError } from './states-error';

const compiled = new Map<string, jsonata.Expression>();

// Step Functions adds these functions to JSONata.
function stepFunctionsExtras(expression: jsonata.Expression): void {
  expression.registerFunction(
    'partition',
    (array: unknown[], size: number) => {
      const out: unknown[][] = [];
      for (let i = 0; i < array.length; i += size) out.push(array.slice(i, i + size));
      return out;
    },
    '<a<j>n:a>',
  );
  expression.registerFunction(
    'range',
    (start: number, end: number, step: number) => {
      const out: number[] = [];
      for (let value = start; step > 0 ? value <= end : value >= end; value += step) out.push(value);
      return out;
    },
    '<nnn:a<n>>',
  );
  expression.registerFunction(
    'hash',
    (data: string, algorithm = 'SHA-256') => {
      const name = hashAlgorithms[algorithm];
      if (!name) throw new Error(`$hash does not support the algorithm ${algorithm}`);
      return createHash(name).update(data).digest('hex');
    },
    '<ss?:s>',
  );
  expression.registerFunction('random', () => Math.random(), '<n?:n>');
  expression.registerFunction('uuid', () => randomUUID(), '<:s>');
  expression.registerFunction('parse', (text: string) => JSON.parse(text), '<s:x>');
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

/** Evaluates a value whose strings may be `{% … %}` expressions (recursively through objects and arrays). */
export async function evaluateJsonataValue(
  value: unknown,
  bindings: JsonataBindings,
  field: string,
): Promise<unknown> {
  if (typeof value === 'string') {
    const text = jsonataExpressionText(value);
    if (text === undefined) return value;
    try {
      return plain(await expressionOf(text).evaluate({}, { ...bindings.variables, states: bindings.states }));
    } catch (error) {
      if (error instanceof StatesError) throw error;
      const message = (error as { message?: string }).message ?? String(error);
      throw new StatesError(
        'States.QueryEvaluationError',
        `An error occurred while evaluating the JSONata expression of field '${field}': ${message}`,
      );
    }
  }
  if (Array.isArray(value))
    return Promise.all(value.map((item) => evaluateJsonataValue(item, bindings, field)));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const evaluated = await evaluateJsonataValue(item, bindings, `${field}.${key}`);
      if (evaluated !== undefined) out[key] = evaluated;
    }
    return out;
  }
  return value;
}
