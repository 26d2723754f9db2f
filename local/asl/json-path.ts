/** JSONPath as Step Functions uses it: paths that must resolve, reference paths for ResultPath, the context object `$$`. */
import { JSONPath } from 'jsonpath-plus';
import { runtimeError, StatesError } from './states-error';

/** Whether a path selects more than one value (and so yields an array). */
function isIndefinite(path: string): boolean {
  return /\[\*\]|\.\.|\[\?|\[-?\d*:-?\d*\]|\[\d+(,\d+)+\]|\*/.test(path);
}

/** Evaluates a JSONPath (`$…` against data, `$$…` against the context object); undefined when nothing matches. */
export function readPath(path: string, data: unknown, context: unknown): unknown {
  const [root, json] = path.startsWith('$$') ? [`$${path.slice(2)}`, context] : [path, data];
  if (root === '$') return json;
  if (json === null || typeof json !== 'object') return undefined;
  const results = JSONPath({ path: root, json: json as object, wrap: true }) as unknown[];
  if (isIndefinite(root)) return results;
  return results.length === 0 ? undefined : results[0];
}

/** Like readPath, but a path that matches nothing is a States.Runtime error naming the field. */
export function requirePath(path: string, data: unknown, context: unknown, field: string): unknown {
  const value = readPath(path, data, context);
  if (value === undefined) {
    throw runtimeError(
      `The JSONPath '${path}' specified for the field '${field}' could not be found in the input '${JSON.stringify(data)}'`,
    );
  }
  return value;
}

/** Splits a reference path ($.a.b, $['a'].b) into keys; only plain child steps are allowed, as in ResultPath. */
function referenceSteps(path: string): string[] {
  if (path === '$') return [];
  const steps: string[] = [];
  let rest = path.slice(1);
  while (rest.length > 0) {
    let match = /^\.([^.[\]]+)/.exec(rest);
    if (!match) match = /^\['((?:[^'\\]|\\.)*)'\]/.exec(rest);
    if (!match) match = /^\["((?:[^"\\]|\\.)*)"\]/.exec(rest);
    if (!match)
      throw new StatesError('States.Runtime', `Invalid ResultPath '${path}': only simple paths are allowed`);
    steps.push(match[1] as string);
    rest = rest.slice(match[0].length);
  }
  return steps;
}

/** Places `value` at a ResultPath inside a copy of `input` ($ replaces it; intermediate objects are created). */
export function applyResultPath(
  input: unknown,
  resultPath: string | null | undefined,
  value: unknown,
): unknown {
  if (resultPath === null) return input;
  const path = resultPath ?? '$';
  const steps = referenceSteps(path);
  if (steps.length === 0) return value;
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new StatesError(
      'States.ResultPathMatchFailure',
      `Unable to apply ResultPath '${path}' to input '${JSON.stringify(input)}': the input is not an object`,
    );
  }
  const root = structuredClone(input) as Record<string, unknown>;
  let node = root;
  for (const [index, step] of steps.entries()) {
    if (index === steps.length - 1) {
      node[step] = value;
      break;
    }
    const next = node[step];
    if (next === undefined) node[step] = {};
    else if (next === null || typeof next !== 'object' || Array.isArray(next)) {
      throw new StatesError(
        'States.ResultPathMatchFailure',
        `Unable to apply ResultPath '${path}': '${step}' is not an object`,
      );
    }
    node = node[step] as Record<string, unknown>;
  }
  return root;
}
