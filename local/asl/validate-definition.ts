/** Validation of a state machine definition: AWS's diagnostics (ValidateStateMachineDefinition) and InvalidDefinition. */
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

/** ERROR keeps a definition from being created; WARNING does not (ValidateStateMachineDefinition's severities). */
export type DiagnosticSeverity = 'ERROR' | 'WARNING';

/** One problem found in a definition, shaped as ValidateStateMachineDefinition answers it. */
export interface DefinitionDiagnostic {
  severity: DiagnosticSeverity;
  /** AWS's code (`SCHEMA_VALIDATION_FAILED`, `MISSING_TRANSITION_TARGET`, …) or {@link localRuntimeUnsupported}. */
  code: string;
  message: string;
  /** Where in the definition, as AWS writes it (`/States/MyState/Next`); absent when the text is not JSON. */
  location?: string;
}

/**
 * The code of a diagnostic about something AWS accepts but the embedded runtime cannot run. Not one of AWS's codes
 * (AWS says it may add codes): a code of its own keeps it apart from real definition errors in a CI log.
 */
export const localRuntimeUnsupported = 'UNSUPPORTED_BY_EMBEDDED_RUNTIME';

/** What the checks of one definition need besides the definition. */
export interface DiagnoseOptions {
  /** The target type; Express machines refuse `.sync` and `.waitForTaskToken` resources. Default STANDARD. */
  type?: 'STANDARD' | 'EXPRESS';
  /** Why the runtime could not run a Task resource, or undefined when it can (the local task integrations). */
  unsupportedResource?: (resource: string) => string | undefined;
}

/** One definition error, thrown inside a state's checks and collected per state. */
class DefinitionProblemError extends Error {
  override readonly name = 'DefinitionProblemError';

  constructor(
    readonly diagnostic: DefinitionDiagnostic,
    options?: { cause?: unknown },
  ) {
    super(`${diagnostic.code}: ${diagnostic.message} at ${diagnostic.location}`, options);
  }
}

/** The diagnostics found so far, and what the checks need to know. */
interface Findings extends DiagnoseOptions {
  diagnostics: DefinitionDiagnostic[];
}

/** A location as AWS writes it: the root is `/`, anything under it `/States/…`. */
function locationOf(where: string): string {
  return where === '' ? '/' : where;
}

function invalid(code: string, message: string, where: string, cause?: unknown): DefinitionProblemError {
  return new DefinitionProblemError(
    { severity: 'ERROR', code, message, location: locationOf(where) },
    cause === undefined ? undefined : { cause },
  );
}

function warn(findings: Findings, code: string, message: string, where: string): void {
  findings.diagnostics.push({ severity: 'WARNING', code, message, location: locationOf(where) });
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

/** Whether a plain value looks like a path or an intrinsic call that was meant to be evaluated (AWS's NO_DOLLAR). */
function looksEvaluated(value: unknown): boolean {
  return typeof value === 'string' && (/^\$(\$)?[.[]/.test(value.trim()) || isIntrinsicCall(value));
}

function checkPayloadTemplate(template: unknown, where: string, findings: Findings): void {
  if (Array.isArray(template)) {
    for (const [index, item] of template.entries())
      checkPayloadTemplate(item, `${where}[${index}]`, findings);
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
            error,
          );
        }
      }
    } else {
      // A path without `.$` is passed on as the literal text, which is rarely what was meant.
      if (looksEvaluated(value))
        warn(
          findings,
          'NO_DOLLAR',
          `The field '${key}' holds a JSONPath or an intrinsic function call but its name does not end with '.$', so it is passed as a literal string`,
          `${where}/${key}`,
        );
      checkPayloadTemplate(value, `${where}/${key}`, findings);
    }
  }
}

/** Pass `Result` is static: paths in it are not evaluated (AWS's PASS_RESULT_IS_STATIC). */
function checkPassResult(result: unknown, where: string, findings: Findings): void {
  if (looksEvaluated(result)) {
    warn(
      findings,
      'PASS_RESULT_IS_STATIC',
      'The Result of a Pass state is static: this JSONPath or intrinsic function call is not evaluated (use Parameters)',
      where,
    );
    return;
  }
  if (Array.isArray(result))
    for (const [index, item] of result.entries()) checkPassResult(item, `${where}[${index}]`, findings);
  else if (result !== null && typeof result === 'object')
    for (const [key, item] of Object.entries(result)) checkPassResult(item, `${where}/${key}`, findings);
}

function checkJsonata(value: unknown, where: string): void {
  if (typeof value === 'string') {
    try {
      checkJsonataSyntax(value);
    } catch (error) {
      throw invalid('SCHEMA_VALIDATION_FAILED', (error as Error).message, where, error);
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
}

/** Fields of a Distributed Map that an inline Map does not have (AWS's Map state reference). */
const distributedMapFields = [
  'ItemReader',
  'ItemBatcher',
  'ResultWriter',
  'Label',
  'ToleratedFailureCountPath',
  'ToleratedFailurePercentagePath',
  'MaxConcurrencyPath',
] as const;

/**
 * What the embedded runtime cannot run in a Map state. A Distributed Map is refused at CreateStateMachine, so it
 * is an ERROR here too (the answer says what CreateStateMachine would do); a Distributed Map field on an inline
 * Map is ignored by the interpreter, a WARNING.
 */
function checkMapSupport(state: Record<string, unknown>, at: string, findings: Findings): void {
  const processor = (state.ItemProcessor ?? state.Iterator) as { ProcessorConfig?: { Mode?: string } };
  const distributed = processor?.ProcessorConfig?.Mode === 'DISTRIBUTED';
  if (distributed)
    findings.diagnostics.push({
      severity: 'ERROR',
      code: localRuntimeUnsupported,
      message:
        'Distributed Map (ProcessorConfig Mode DISTRIBUTED) is not supported by the embedded runtime; AWS accepts it, the local CreateStateMachine refuses it',
      location: `${at}/ItemProcessor/ProcessorConfig/Mode`,
    });
  for (const field of distributedMapFields) {
    if (!(field in state)) continue;
    findings.diagnostics.push({
      severity: distributed ? 'ERROR' : 'WARNING',
      code: localRuntimeUnsupported,
      message: distributed
        ? `The Distributed Map field '${field}' is not supported by the embedded runtime`
        : `The Distributed Map field '${field}' is ignored by the embedded runtime, which runs this Map inline`,
      location: `${at}/${field}`,
    });
  }
}

/** What the embedded runtime cannot run in a Task resource, and what an Express machine refuses. */
function checkTaskResource(resource: string, at: string, findings: Findings): void {
  const pattern = /\.(waitForTaskToken|sync(:2)?)$/.exec(resource);
  // Express workflows support request-response integrations only.
  if (findings.type === 'EXPRESS' && pattern)
    throw invalid(
      'SCHEMA_VALIDATION_FAILED',
      `Express state machines do not support the .${pattern[1]} integration pattern`,
      `${at}/Resource`,
    );
  const reason = findings.unsupportedResource?.(resource);
  if (reason) warn(findings, localRuntimeUnsupported, reason, `${at}/Resource`);
}

function checkState(
  name: string,
  state: StatesFragment['States'][string],
  states: StatesFragment['States'],
  at: string,
  language: string,
  findings: Findings,
): void {
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
  checkRetryCatch(state, states, at);
  if (stateLanguage === 'JSONPath') {
    checkPathFields(state, at);
    for (const field of ['Parameters', 'ResultSelector', 'ItemSelector', 'Assign'])
      if (state[field] !== undefined) checkPayloadTemplate(state[field], `${at}/${field}`, findings);
    if (state.Type === 'Pass' && state.Result !== undefined)
      checkPassResult(state.Result, `${at}/Result`, findings);
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
      checkTaskResource(state.Resource, at, findings);
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
        checkFragment(branch, `${at}/Branches[${index}]`, stateLanguage, findings);
      break;
    }
    case 'Map': {
      const processor = (state.ItemProcessor ?? state.Iterator) as StatesFragment;
      if (!processor)
        throw invalid('SCHEMA_VALIDATION_FAILED', 'These fields are required: [ItemProcessor]', at);
      checkMapSupport(state, at, findings);
      checkFragment(
        processor,
        `${at}/${state.ItemProcessor ? 'ItemProcessor' : 'Iterator'}`,
        stateLanguage,
        findings,
      );
      break;
    }
    default:
      break;
  }
}

/**
 * Checks a definition or a branch. A problem in one state is recorded and the next state is checked, so that one
 * answer lists the problems of every state, as ValidateStateMachineDefinition does.
 */
function checkFragment(
  fragment: StatesFragment,
  where: string,
  parentLanguage: string,
  findings: Findings,
): void {
  try {
    if (fragment === null || typeof fragment !== 'object' || Array.isArray(fragment))
      throw invalid('SCHEMA_VALIDATION_FAILED', 'Expected an object', where);
    const language = fragment.QueryLanguage ?? parentLanguage;
    if (language !== 'JSONPath' && language !== 'JSONata')
      throw invalid(
        'SCHEMA_VALIDATION_FAILED',
        'QueryLanguage must be JSONPath or JSONata',
        `${where}/QueryLanguage`,
      );
    const states = fragment.States;
    if (!states || typeof states !== 'object' || Object.keys(states).length === 0)
      throw invalid('SCHEMA_VALIDATION_FAILED', 'These fields are required: [States]', where);
    if (typeof fragment.StartAt !== 'string')
      record(findings, invalid('SCHEMA_VALIDATION_FAILED', 'These fields are required: [StartAt]', where));
    else if (!(fragment.StartAt in states))
      record(
        findings,
        invalid(
          'MISSING_TRANSITION_TARGET',
          `Missing 'StartAt' target: ${fragment.StartAt}`,
          `${where}/StartAt`,
        ),
      );
    for (const [name, state] of Object.entries(states)) {
      try {
        checkState(name, state, states, `${where}/States/${name}`, language, findings);
      } catch (error) {
        record(findings, error);
      }
    }
  } catch (error) {
    record(findings, error);
  }
}

/** Records a definition problem; anything else is a fault of the checks themselves and propagates. */
function record(findings: Findings, error: unknown): void {
  if (!(error instanceof DefinitionProblemError)) throw error;
  findings.diagnostics.push(error.diagnostic);
}

/**
 * Every problem of a definition, errors first: what ValidateStateMachineDefinition answers before its severity
 * filter and its limit. Errors are what CreateStateMachine refuses on this runtime.
 */
export function diagnoseDefinition(text: string, options: DiagnoseOptions = {}): DefinitionDiagnostic[] {
  let definition: StateMachineDefinition;
  try {
    definition = JSON.parse(text);
  } catch (error) {
    return [{ severity: 'ERROR', code: 'INVALID_JSON_DESCRIPTION', message: (error as Error).message }];
  }
  if (definition === null)
    return [
      { severity: 'ERROR', code: 'MISSING_DESCRIPTION', message: 'The definition is null', location: '/' },
    ];
  const findings: Findings = { ...options, diagnostics: [] };
  checkFragment(definition, '', definition?.QueryLanguage ?? 'JSONPath', findings);
  const errors = findings.diagnostics.filter((diagnostic) => diagnostic.severity === 'ERROR');
  return [...errors, ...findings.diagnostics.filter((diagnostic) => diagnostic.severity !== 'ERROR')];
}

/**
 * Parses and validates a definition string; throws InvalidDefinition as CreateStateMachine does, naming every
 * error (`CODE: message at location`, joined with `, ` as AWS joins them).
 */
export function validateDefinition(
  text: string,
  type: DiagnoseOptions['type'] = 'STANDARD',
): StateMachineDefinition {
  const errors = diagnoseDefinition(text, { type }).filter((diagnostic) => diagnostic.severity === 'ERROR');
  if (errors.length > 0) {
    const described = errors.map(
      (error) =>
        `${error.code}: ${error.message}${error.location === undefined ? '' : ` at ${error.location}`}`,
    );
    throw new AwsError('InvalidDefinition', `Invalid State Machine Definition: '${described.join(', ')}'`);
  }
  return JSON.parse(text) as StateMachineDefinition;
}
