/** Validation of a state machine definition at CreateStateMachine, with AWS's InvalidDefinition message shape. */
import { AwsError } from '../edge/aws-error';
import { choiceOperators } from './choice-rules';
import type { StateMachineDefinition, StatesFragment } from './interpreter';
import { isIntrinsicCall, parseIntrinsic } from './intrinsics';
import { checkJsonataSyntax } from './jsonata-fields';

const stateTypes = new Set(['Pass', 'Task', 'Choice', 'Wait', 'Succeed', 'Fail', 'Parallel', 'Map']);
const jsonPathOnly = [
  'InputPath',
  'Parameters',
  'ResultSelector',
  'ResultPath',
  'OutputPath',
  'ItemsPath',
  'SecondsPath',
  'TimestampPath',
  'ErrorPath',
  'CausePath',
  'TimeoutSecondsPath',
  'HeartbeatSecondsPath',
  'Iterator',
];
const jsonataOnly = ['Arguments', 'Output', 'Items'];
const terminalTypes = new Set(['Choice', 'Succeed', 'Fail']);
const retryable = new Set(['Task', 'Parallel', 'Map']);

function invalid(code: string, message: string, where: string): AwsError {
  return new AwsError(
    'InvalidDefinition',
    `Invalid State Machine Definition: '${code}: ${message} at ${where}'`,
  );
}

/** Fields holding one JSONPath (or, but for ResultPath, a `$variable` reference); the first three may be null. */
const pathFields = [
  'InputPath',
  'OutputPath',
  'ResultPath',
  'ItemsPath',
  'SecondsPath',
  'TimestampPath',
  'TimeoutSecondsPath',
  'HeartbeatSecondsPath',
] as const;
const nullablePathFields = new Set(['InputPath', 'OutputPath', 'ResultPath']);

/** Whether brackets and quotes after the root of a path are balanced (what a JSONPath parser needs first). */
function balanced(rest: string): boolean {
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < rest.length; i += 1) {
    const char = rest.charAt(i);
    if (quote) {
      if (char === '\\') i += 1;
      else if (char === quote) quote = undefined;
    } else if (char === "'" || char === '"') quote = char;
    else if (char === '[') depth += 1;
    else if (char === ']') {
      depth -= 1;
      if (depth < 0) return false;
    }
  }
  return depth === 0 && quote === undefined;
}

/**
 * Whether a path field's value is one Step Functions accepts: `$`, a `$.…`/`$[…]` data path, a `$$…` context
 * path or a `$name…` variable reference; ResultPath (a reference path) takes data paths only.
 */
function validPath(value: string, field: string): boolean {
  const text = value.trim();
  const root = /^(\$\$|\$[A-Za-z_][A-Za-z0-9_]*|\$)(.*)$/s.exec(text);
  if (!root) return false;
  const [, head = '', rest = ''] = root;
  if (field === 'ResultPath' && head !== '$') return false;
  if (rest !== '' && !rest.startsWith('.') && !rest.startsWith('[')) return false;
  if (/\.\./.test(rest) && field === 'ResultPath') return false;
  return !/\.$/.test(rest) && balanced(rest);
}

function checkPathFields(state: Record<string, unknown>, at: string): void {
  for (const field of pathFields) {
    if (!(field in state)) continue;
    const value = state[field];
    if (value === null && nullablePathFields.has(field)) continue;
    if (typeof value !== 'string' || !validPath(value, field))
      throw invalid(
        'SCHEMA_VALIDATION_FAILED',
        `The value for the field '${field}' must be a valid ${field === 'ResultPath' ? 'ReferencePath' : 'JSONPath'}`,
        `${at}/${field}`,
      );
  }
}

function checkPayloadTemplate(template: unknown, where: string): void {
  if (Array.isArray(template)) {
    for (const [index, item] of template.entries()) checkPayloadTemplate(item, `${where}[${index}]`);
    return;
  }
  if (template === null || typeof template !== 'object') return;
  for (const [key, value] of Object.entries(template)) {
    if (key.endsWith('.$')) {
      if (typeof value !== 'string' || (!value.trim().startsWith('$') && !isIntrinsicCall(value))) {
        throw invalid(
          'SCHEMA_VALIDATION_FAILED',
          `The value for the field '${key}' must be a valid JSONPath or a valid intrinsic function call`,
          `${where}/${key}`,
        );
      }
      if (isIntrinsicCall(value)) {
        try {
          parseIntrinsic(value);
        } catch (error) {
          throw invalid(
            'SCHEMA_VALIDATION_FAILED',
            `The value for the field '${key}' must be a valid intrinsic function call: ${(error as Error).message}`,
            `${where}/${key}`,
          );
        }
      }
    } else {
      checkPayloadTemplate(value, `${where}/${key}`);
    }
  }
}

function checkJsonata(value: unknown, where: string): void {
  if (typeof value === 'string') {
    try {
      checkJsonataSyntax(value);
    } catch (error) {
      throw invalid('SCHEMA_VALIDATION_FAILED', (error as Error).message, where);
    }
  } else if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) checkJsonata(item, `${where}[${index}]`);
  } else if (value !== null && typeof value === 'object')
    for (const [key, item] of Object.entries(value)) checkJsonata(item, `${where}/${key}`);
}

function checkChoiceRule(rule: Record<string, unknown>, where: string, top: boolean): void {
  if (top && typeof rule.Next !== 'string')
    throw invalid('SCHEMA_VALIDATION_FAILED', 'These fields are required: [Next]', where);
  const combinator = ['And', 'Or', 'Not'].find((key) => key in rule);
  if (combinator) {
    const inner = rule[combinator];
    const rules = combinator === 'Not' ? [inner] : inner;
    if (!Array.isArray(rules) || rules.length === 0)
      throw invalid('SCHEMA_VALIDATION_FAILED', `${combinator} needs choice rules`, `${where}/${combinator}`);
    for (const [index, child] of rules.entries())
      checkChoiceRule(child as Record<string, unknown>, `${where}/${combinator}[${index}]`, false);
    return;
  }
  const operators = Object.keys(rule).filter((key) => choiceOperators.has(key));
  if (operators.length !== 1)
    throw invalid('SCHEMA_VALIDATION_FAILED', 'A choice rule needs exactly one comparison operator', where);
  if (typeof rule.Variable !== 'string')
    throw invalid('SCHEMA_VALIDATION_FAILED', 'These fields are required: [Variable]', where);
}

function checkRetryCatch(
  state: Record<string, unknown>,
  name: string,
  states: Record<string, unknown>,
  where: string,
): void {
  for (const field of ['Retry', 'Catch'] as const) {
    const list = state[field];
    if (list === undefined) continue;
    if (!retryable.has(String(state.Type)))
      throw invalid('SCHEMA_VALIDATION_FAILED', `Field ${field} is not supported`, `${where}/${field}`);
    if (!Array.isArray(list))
      throw invalid('SCHEMA_VALIDATION_FAILED', `${field} must be an array`, `${where}/${field}`);
    list.forEach((entry: Record<string, unknown>, index) => {
      const at = `${where}/${field}[${index}]`;
      const errors = entry.ErrorEquals;
      if (!Array.isArray(errors) || errors.length === 0)
        throw invalid('SCHEMA_VALIDATION_FAILED', 'ErrorEquals must be a non-empty array', at);
      if (errors.includes('States.ALL') && (errors.length > 1 || index !== list.length - 1)) {
        throw invalid(
          'SCHEMA_VALIDATION_FAILED',
          `States.ALL must appear alone and in the last ${field === 'Retry' ? 'retrier' : 'catcher'}`,
          at,
        );
      }
      if (field === 'Catch' && (typeof entry.Next !== 'string' || !(entry.Next in states))) {
        throw invalid(
          'MISSING_TRANSITION_TARGET',
          `Missing 'Next' target: ${String(entry.Next)}`,
          `${at}/Next`,
        );
      }
      if (field === 'Retry') {
        if (
          entry.MaxAttempts !== undefined &&
          (!Number.isInteger(entry.MaxAttempts) || (entry.MaxAttempts as number) < 0)
        )
          throw invalid('SCHEMA_VALIDATION_FAILED', 'MaxAttempts must be a non-negative integer', at);
        if (
          entry.BackoffRate !== undefined &&
          (typeof entry.BackoffRate !== 'number' || entry.BackoffRate < 1)
        )
          throw invalid('SCHEMA_VALIDATION_FAILED', 'BackoffRate must be at least 1.0', at);
        if (
          entry.IntervalSeconds !== undefined &&
          (!Number.isInteger(entry.IntervalSeconds) || (entry.IntervalSeconds as number) < 1)
        )
          throw invalid('SCHEMA_VALIDATION_FAILED', 'IntervalSeconds must be a positive integer', at);
        if (
          entry.JitterStrategy !== undefined &&
          entry.JitterStrategy !== 'FULL' &&
          entry.JitterStrategy !== 'NONE'
        )
          throw invalid('SCHEMA_VALIDATION_FAILED', 'JitterStrategy must be FULL or NONE', at);
      }
    });
  }
  void name;
}

function checkFragment(fragment: StatesFragment, where: string, parentLanguage: string): void {
  if (fragment === null || typeof fragment !== 'object')
    throw invalid('SCHEMA_VALIDATION_FAILED', 'Expected an object', where);
  const language = fragment.QueryLanguage ?? parentLanguage;
  if (language !== 'JSONPath' && language !== 'JSONata')
    throw invalid(
      'SCHEMA_VALIDATION_FAILED',
      `QueryLanguage must be JSONPath or JSONata`,
      `${where}/QueryLanguage`,
    );
  if (typeof fragment.StartAt !== 'string')
    throw invalid('SCHEMA_VALIDATION_FAILED', 'These fields are required: [StartAt]', where);
  const states = fragment.States;
  if (!states || typeof states !== 'object' || Object.keys(states).length === 0)
    throw invalid('SCHEMA_VALIDATION_FAILED', 'These fields are required: [States]', where);
  if (!(fragment.StartAt in states))
    throw invalid(
      'MISSING_TRANSITION_TARGET',
      `Missing 'StartAt' target: ${fragment.StartAt}`,
      `${where}/StartAt`,
    );
  for (const [name, state] of Object.entries(states)) {
    const at = `${where}/States/${name}`;
    if (name.length > 80)
      throw invalid('SCHEMA_VALIDATION_FAILED', 'State names must be at most 80 characters', at);
    if (!state || typeof state !== 'object' || !stateTypes.has(String(state.Type)))
      throw invalid(
        'SCHEMA_VALIDATION_FAILED',
        `The value for the field 'Type' must be one of ${[...stateTypes].join(', ')}`,
        `${at}/Type`,
      );
    const stateLanguage = (state.QueryLanguage as string | undefined) ?? language;
    if (stateLanguage === 'JSONPath' && language === 'JSONata' && state.QueryLanguage) {
      throw invalid(
        'SCHEMA_VALIDATION_FAILED',
        'A state cannot use JSONPath inside a JSONata state machine',
        `${at}/QueryLanguage`,
      );
    }
    const forbidden = stateLanguage === 'JSONata' ? jsonPathOnly : jsonataOnly;
    const wrong = forbidden.find((field) => field in state);
    if (wrong)
      throw invalid(
        'SCHEMA_VALIDATION_FAILED',
        `The field '${wrong}' is not supported by ${stateLanguage} states`,
        `${at}/${wrong}`,
      );
    if (!terminalTypes.has(state.Type)) {
      const hasNext = typeof state.Next === 'string';
      if (hasNext === (state.End === true))
        throw invalid('SCHEMA_VALIDATION_FAILED', 'Exactly one of Next and End must be set', at);
      if (hasNext && !((state.Next as string) in states))
        throw invalid(
          'MISSING_TRANSITION_TARGET',
          `Missing 'Next' target: ${String(state.Next)}`,
          `${at}/Next`,
        );
    } else if ('Next' in state || 'End' in state) {
      throw invalid('SCHEMA_VALIDATION_FAILED', `${state.Type} states cannot have Next or End`, at);
    }
    checkRetryCatch(state, name, states, at);
    if (stateLanguage === 'JSONPath') {
      checkPathFields(state, at);
      for (const field of ['Parameters', 'ResultSelector', 'ItemSelector', 'Assign'])
        if (state[field] !== undefined) checkPayloadTemplate(state[field], `${at}/${field}`);
    } else {
      for (const field of [
        'Arguments',
        'Output',
        'Assign',
        'Items',
        'ItemSelector',
        'Error',
        'Cause',
        'Seconds',
        'Timestamp',
        'TimeoutSeconds',
        'HeartbeatSeconds',
      ]) {
        if (state[field] !== undefined) checkJsonata(state[field], `${at}/${field}`);
      }
    }
    switch (state.Type) {
      case 'Task':
        if (typeof state.Resource !== 'string' || !state.Resource.startsWith('arn:'))
          throw invalid('SCHEMA_VALIDATION_FAILED', 'These fields are required: [Resource]', at);
        break;
      case 'Choice': {
        const choices = state.Choices;
        if (!Array.isArray(choices) || choices.length === 0)
          throw invalid('SCHEMA_VALIDATION_FAILED', 'These fields are required: [Choices]', at);
        choices.forEach((rule: Record<string, unknown>, index) => {
          const ruleAt = `${at}/Choices[${index}]`;
          if (stateLanguage === 'JSONata') {
            if (typeof rule.Condition !== 'string')
              throw invalid('SCHEMA_VALIDATION_FAILED', 'These fields are required: [Condition]', ruleAt);
            checkJsonata(rule.Condition, `${ruleAt}/Condition`);
          } else {
            checkChoiceRule(rule, ruleAt, true);
          }
          if (!(String(rule.Next) in states))
            throw invalid(
              'MISSING_TRANSITION_TARGET',
              `Missing 'Next' target: ${String(rule.Next)}`,
              `${ruleAt}/Next`,
            );
        });
        if (state.Default !== undefined && !(String(state.Default) in states))
          throw invalid(
            'MISSING_TRANSITION_TARGET',
            `Missing 'Default' target: ${String(state.Default)}`,
            `${at}/Default`,
          );
        break;
      }
      case 'Wait': {
        const fields = ['Seconds', 'Timestamp', 'SecondsPath', 'TimestampPath'].filter(
          (field) => field in state,
        );
        if (fields.length !== 1)
          throw invalid(
            'SCHEMA_VALIDATION_FAILED',
            'Exactly one of Seconds, Timestamp, SecondsPath and TimestampPath must be set',
            at,
          );
        break;
      }
      case 'Parallel': {
        const branches = state.Branches;
        if (!Array.isArray(branches) || branches.length === 0)
          throw invalid('SCHEMA_VALIDATION_FAILED', 'These fields are required: [Branches]', at);
        for (const [index, branch] of (branches as StatesFragment[]).entries())
          checkFragment(branch, `${at}/Branches[${index}]`, stateLanguage);
        break;
      }
      case 'Map': {
        const processor = (state.ItemProcessor ?? state.Iterator) as StatesFragment & {
          ProcessorConfig?: { Mode?: string };
        };
        if (!processor)
          throw invalid('SCHEMA_VALIDATION_FAILED', 'These fields are required: [ItemProcessor]', at);
        if (processor.ProcessorConfig?.Mode === 'DISTRIBUTED')
          throw invalid(
            'SCHEMA_VALIDATION_FAILED',
            'Distributed Map is not supported by the local runtime',
            `${at}/ItemProcessor`,
          );
        checkFragment(processor, `${at}/ItemProcessor`, stateLanguage);
        break;
      }
      default:
        break;
    }
  }
}

/** Parses and validates a definition string; throws InvalidDefinition as CreateStateMachine does. */
export function validateDefinition(text: string): StateMachineDefinition {
  let definition: StateMachineDefinition;
  try {
    definition = JSON.parse(text);
  } catch (error) {
    throw new AwsError(
      'InvalidDefinition',
      `Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION: ${(error as Error).message}'`,
    );
  }
  checkFragment(definition, '/', definition?.QueryLanguage ?? 'JSONPath');
  return definition;
}
