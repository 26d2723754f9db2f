/** Payload templates of JSONPath states (Parameters, ResultSelector, ItemSelector, Assign) and their variable references. */
import { evaluateIntrinsic, isIntrinsicCall } from './intrinsics';
import { readPath, requirePath } from './json-path';
import { runtimeError } from './states-error';

/** What a JSONPath expression in a state can see. */
export interface JsonPathScope {
  /** `$`: the data the template is applied to. */
  data: unknown;
  /** `$$`: the context object. */
  context: unknown;
  /** `$name`: workflow variables. */
  variables: Readonly<Record<string, unknown>>;
  /** `$states.input` / `$states.result` where the field allows them. */
  states?: { input?: unknown; result?: unknown; errorOutput?: unknown };
}

/** Evaluates one path expression: `$…` data, `$$…` context, `$states.…`, `$var…` a variable, or an intrinsic call. */
export function evaluatePathExpression(expression: string, scope: JsonPathScope, field: string): unknown {
  const text = expression.trim();
  if (isIntrinsicCall(text))
    return evaluateIntrinsic(text, (path) => evaluatePathExpression(path, scope, field));
  if (text.startsWith('$$') || text === '$' || text.startsWith('$.') || text.startsWith('$[')) {
    return requirePath(text, scope.data, scope.context, field);
  }
  const variable = /^\$([A-Za-z_][A-Za-z0-9_]*)(.*)$/.exec(text);
  if (!variable) throw runtimeError(`The value '${text}' of field '${field}' is not a valid JSONPath`);
  const [, name = '', rest = ''] = variable;
  let root: unknown;
  if (name === 'states' && scope.states) root = scope.states;
  else if (Object.hasOwn(scope.variables, name)) root = scope.variables[name];
  else throw runtimeError(`The variable '$${name}' referenced by field '${field}' is not defined`);
  if (rest === '') return root;
  const value = readPath(`$${rest}`, root, scope.context);
  if (value === undefined)
    throw runtimeError(`The JSONPath '${text}' specified for the field '${field}' could not be found`);
  return value;
}

/**
 * Reads a JSONPath field of a state (InputPath, OutputPath, ItemsPath, the `…Path` fields): a `$…` data or `$$…`
 * context path, or, as Step Functions allows in every JSONPath field but ResultPath, a `$variable…` reference.
 * A path that selects nothing, or an unassigned variable, is a States.Runtime error naming the field.
 */
export function selectPath(path: string, scope: JsonPathScope, field: string): unknown {
  if (isIntrinsicCall(path.trim()))
    throw runtimeError(
      `The value '${path}' of field '${field}' must be a JSONPath, not an intrinsic function`,
    );
  return evaluatePathExpression(path, scope, field);
}

/** Applies a payload template: keys ending in `.$` are evaluated, everything else is copied. */
export function applyPayloadTemplate(template: unknown, scope: JsonPathScope): unknown {
  if (Array.isArray(template)) return template.map((item) => applyPayloadTemplate(item, scope));
  if (template === null || typeof template !== 'object') return template;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(template)) {
    if (key.endsWith('.$')) {
      if (typeof value !== 'string')
        throw runtimeError(`The value of field '${key}' must be a JSONPath string`);
      out[key.slice(0, -2)] = evaluatePathExpression(value, scope, key);
    } else {
      out[key] = applyPayloadTemplate(value, scope);
    }
  }
  return out;
}
