/**
 * Generates docs/state-machines.md: every workflow of statemachines/*.asl.json drawn as a Mermaid flowchart from its
 * ASL (Choice rules, Catch and Default edges, Parallel branches and Map processors as subgraphs, Retry policies in
 * a table), so the picture is the definition that deploys. `--check` fails when the committed doc differs.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { markdownTable } from './markdown-table';

/** Where the definitions are read from. */
export const stateMachinesDir = path.resolve(__dirname, '..', '..', 'statemachines');
/** The generated doc. */
export const stateMachinesDoc = path.resolve(__dirname, '..', '..', 'docs', 'state-machines.md');

/** The ASL fields the diagram reads; everything else in a state is left out of the picture. */
export interface AslState {
  Type: string;
  Comment?: string;
  Resource?: string;
  Next?: string;
  End?: boolean;
  Default?: string;
  Choices?: Array<{ Next?: string; Condition?: string; Variable?: string; [operator: string]: unknown }>;
  Catch?: Array<{ ErrorEquals?: string[]; Next?: string }>;
  Retry?: Array<{
    ErrorEquals?: string[];
    IntervalSeconds?: number;
    BackoffRate?: number;
    MaxAttempts?: number;
    MaxDelaySeconds?: number;
    JitterStrategy?: string;
  }>;
  Branches?: AslScope[];
  ItemProcessor?: AslScope;
  Iterator?: AslScope;
  Arguments?: unknown;
  Parameters?: unknown;
  Seconds?: number | string;
}

/** A state machine, a Parallel branch or a Map's item processor: states and where they start. */
export interface AslScope {
  Comment?: string;
  StartAt: string;
  States: Record<string, AslState>;
}

/** A whole definition: its top-level scope and query language. */
export type AslDefinition = AslScope & { QueryLanguage?: string };

/** An ASL definition that cannot be drawn: it names a state it does not define, or has no states. */
export class InvalidStateMachineDefinitionError extends Error {
  override readonly name = 'InvalidStateMachineDefinitionError';
  constructor(
    readonly definition: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${definition}: ${message}`, options);
  }
}

/** Longest Choice condition shown on an edge; the full rule is in the ASL file. */
const maxConditionChars = 60;

/**
 * Text safe inside a quoted Mermaid label: Mermaid reads `"`, `<`, `>`, `#`, backticks and brackets as syntax, so
 * each is written as a numeric entity (`#34;`), which Mermaid renders as the character.
 */
function label(text: string): string {
  return text.replace(/[^A-Za-z0-9 .,:;_=!?$@%^+\-*/'~]/g, (char) => `#${char.codePointAt(0)};`);
}

/** A Choice rule as a short condition: JSONata `{% … %}` unwrapped, JSONPath rules named by variable and test. */
function conditionText(rule: NonNullable<AslState['Choices']>[number]): string {
  let text: string;
  if (typeof rule.Condition === 'string') {
    text = rule.Condition.replace(/^\{%\s*|\s*%\}$/g, '');
  } else {
    const operator = Object.keys(rule).find((key) => !['Next', 'Variable', 'Assign', 'Output'].includes(key));
    text = operator
      ? `${rule.Variable ?? ''} ${operator} ${JSON.stringify(rule[operator])}`.trim()
      : (rule.Variable ?? 'rule');
  }
  text = text.replace(/\s+/g, ' ');
  return text.length > maxConditionChars ? `${text.slice(0, maxConditionChars - 1)}…` : text;
}

/** The part of a Task's resource worth a label: `lambda:invoke ErpAdapter · checkCredit`, `sqs:sendMessage`. */
function taskText(state: AslState): string {
  const resource = state.Resource ?? '';
  const integration = /^arn:aws:states:::(.+)$/.exec(resource)?.[1] ?? resource;
  const args = (state.Arguments ?? state.Parameters ?? {}) as Record<string, unknown>;
  const functionName = String(args.FunctionName ?? args['FunctionName.$'] ?? '');
  const fn = /^\$\{(\w+?)(?:FunctionArn|Arn)\}$/.exec(functionName)?.[1];
  const payload = (args.Payload ?? {}) as Record<string, unknown>;
  const operation = typeof payload.operation === 'string' ? ` · ${payload.operation}` : '';
  return fn ? `${integration} ${fn}${operation}` : integration;
}

/** Mermaid ids: `s_` + the scope path + the state name, non-word characters replaced (ids are not shown). */
function nodeId(scope: string, name: string): string {
  return `s_${scope}${name}`.replace(/\W/g, '_');
}

/** One retrier of one state: the errors it takes and its backoff. */
interface RetryRow {
  state: string;
  errors: string;
  policy: string;
}

/** The Mermaid lines of one scope (recursively for Parallel and Map), and the retry rows it contributes. */
function renderScope(
  definition: string,
  scope: AslScope,
  prefix: string,
  indent: string,
  lines: string[],
  retries: RetryRow[],
): void {
  const names = Object.keys(scope.States ?? {});
  if (names.length === 0)
    throw new InvalidStateMachineDefinitionError(definition, `${prefix || 'top'}: no States`);
  const id = (name: string, from: string): string => {
    if (!(name in scope.States))
      throw new InvalidStateMachineDefinitionError(
        definition,
        `state "${from}" goes to "${name}", which its scope does not define`,
      );
    return nodeId(prefix, name);
  };
  const startId = nodeId(prefix, '__start');
  lines.push(`${indent}${startId}(("Start"))`);
  lines.push(`${indent}${startId} --> ${id(scope.StartAt, 'StartAt')}`);
  const endId = nodeId(prefix, '__end');
  let ends = false;
  for (const name of names) {
    const state = scope.States[name] as AslState;
    const self = nodeId(prefix, name);
    const retried = (state.Retry ?? []).length > 0 ? ' ↻' : '';
    switch (state.Type) {
      case 'Task':
        lines.push(`${indent}${self}["${label(`${name}${retried}`)}<br/>${label(taskText(state))}"]`);
        break;
      case 'Choice':
        lines.push(`${indent}${self}{"${label(name)}"}`);
        break;
      case 'Wait':
        lines.push(`${indent}${self}[/"${label(`${name} (wait)`)}"/]`);
        break;
      case 'Pass':
        lines.push(`${indent}${self}["${label(name)}"]:::pass`);
        break;
      case 'Succeed':
        lines.push(`${indent}${self}(["${label(name)}"]):::succeed`);
        break;
      case 'Fail':
        lines.push(`${indent}${self}(["${label(name)}"]):::fail`);
        break;
      case 'Parallel': {
        lines.push(`${indent}subgraph ${self}["${label(`${name}${retried} (parallel)`)}"]`);
        (state.Branches ?? []).forEach((branch, index) => {
          const branchId = nodeId(`${prefix}${name}__b${index}__`, 'branch');
          lines.push(`${indent}  subgraph ${branchId}["branch ${index + 1}"]`);
          renderScope(definition, branch, `${prefix}${name}__b${index}__`, `${indent}    `, lines, retries);
          lines.push(`${indent}  end`);
        });
        lines.push(`${indent}end`);
        break;
      }
      case 'Map': {
        const processor = state.ItemProcessor ?? state.Iterator;
        if (!processor)
          throw new InvalidStateMachineDefinitionError(
            definition,
            `Map state "${name}" has no ItemProcessor`,
          );
        lines.push(`${indent}subgraph ${self}["${label(`${name}${retried} (map: each item)`)}"]`);
        renderScope(definition, processor, `${prefix}${name}__item__`, `${indent}  `, lines, retries);
        lines.push(`${indent}end`);
        break;
      }
      default:
        throw new InvalidStateMachineDefinitionError(
          definition,
          `state "${name}" has unknown Type "${state.Type}"`,
        );
    }
    for (const rule of state.Choices ?? []) {
      if (rule.Next)
        lines.push(`${indent}${self} -->|"${label(conditionText(rule))}"| ${id(rule.Next, name)}`);
    }
    if (state.Default) lines.push(`${indent}${self} -->|"default"| ${id(state.Default, name)}`);
    if (state.Next) lines.push(`${indent}${self} --> ${id(state.Next, name)}`);
    for (const handler of state.Catch ?? []) {
      if (handler.Next)
        lines.push(
          `${indent}${self} -.->|"${label(`catch ${(handler.ErrorEquals ?? []).join(', ')}`)}"| ${id(handler.Next, name)}`,
        );
    }
    if (state.End || state.Type === 'Succeed') {
      lines.push(`${indent}${self} --> ${endId}`);
      ends = true;
    }
    for (const retry of state.Retry ?? []) {
      const policy = [
        `${retry.MaxAttempts ?? 3} attempts`,
        `${retry.IntervalSeconds ?? 1} s`,
        `× ${retry.BackoffRate ?? 2}`,
        retry.MaxDelaySeconds !== undefined ? `≤ ${retry.MaxDelaySeconds} s` : undefined,
        retry.JitterStrategy === 'FULL' ? 'full jitter' : undefined,
      ]
        .filter(Boolean)
        .join(', ');
      const where = prefix ? `${prefix.replace(/__/g, ' › ').replace(/ › $/, '')} › ${name}` : name;
      retries.push({
        state: where,
        errors: (retry.ErrorEquals ?? []).map((e) => `\`${e}\``).join(', '),
        policy,
      });
    }
  }
  if (ends) lines.push(`${indent}${endId}(("End"))`);
}

/** One state machine's section: its comment, the flowchart, the legend's retry table. */
export function renderStateMachine(file: string, definition: AslDefinition): string {
  const name = file.replace(/\.asl\.json$/, '');
  const lines: string[] = ['flowchart TD'];
  const retries: RetryRow[] = [];
  renderScope(file, definition, '', '  ', lines, retries);
  lines.push(
    '  classDef pass fill:#f4f4f4,stroke:#999',
    '  classDef succeed fill:#e3f4e1,stroke:#3a7d34',
    '  classDef fail fill:#fbe3e3,stroke:#b3261e',
  );
  const section = [
    `## ${name}`,
    '',
    `[statemachines/${file}](../statemachines/${file})${definition.QueryLanguage ? ` (${definition.QueryLanguage})` : ''}: ${(definition.Comment ?? '').trim().replace(new RegExp(`^${name}:\\s*`), '')}`,
    '',
    '```mermaid',
    ...lines,
    '```',
    '',
  ];
  if (retries.length > 0) {
    // States that retry the same errors the same way share a row: the table says what differs.
    const grouped = new Map<string, { errors: string; policy: string; states: string[] }>();
    for (const row of retries) {
      const key = `${row.errors}\u0000${row.policy}`;
      const group = grouped.get(key) ?? { errors: row.errors, policy: row.policy, states: [] };
      if (!group.states.includes(row.state)) group.states.push(row.state);
      grouped.set(key, group);
    }
    section.push(
      'Retries (↻ in the diagram):',
      '',
      markdownTable(
        ['states', 'errors retried', 'policy'],
        [...grouped.values()].map((group) => [group.states.join(', '), group.errors, group.policy]),
      ),
      '',
    );
  }
  return section.join('\n');
}

/** The whole doc for the definitions in `directory`, sorted by file name. */
export function renderStateMachinesDoc(directory: string = stateMachinesDir): string {
  const files = readdirSync(directory)
    .filter((file) => file.endsWith('.asl.json'))
    .sort();
  const sections = files.map((file) => {
    const text = readFileSync(path.join(directory, file), 'utf8');
    let definition: AslScope;
    try {
      definition = JSON.parse(text) as AslScope;
    } catch (error) {
      throw new InvalidStateMachineDefinitionError(file, 'is not JSON', { cause: error });
    }
    return renderStateMachine(file, definition);
  });
  return [
    '# State machines',
    '',
    '<!-- generated by scripts/docs/generate-state-machine-diagrams.ts from statemachines/*.asl.json; do not edit -->',
    '',
    'Each workflow as its ASL definition says, drawn by `npx tsx scripts/docs/generate-state-machine-diagrams.ts`',
    '(a test fails when this page and the definitions differ). Solid arrows are `Next`, Choice rules (the JSONata',
    'condition, shortened) and `Default`; dotted arrows are `Catch` handlers with the errors they take; ↻ marks a',
    'state with a `Retry` policy, listed under its diagram; a Parallel state is a box of branches and a Map state a',
    'box around the steps run for each item. Function names such as ErpAdapter are the definition’s ARN tokens, filled in',
    'by CDK at deploy ([orchestration.md](orchestration.md) says why each flow is shaped so).',
    '',
    ...files.map((file) => `- [${file.replace(/\.asl\.json$/, '')}](#${file.replace(/\.asl\.json$/, '')})`),
    '',
    ...sections,
  ]
    .join('\n')
    .replace(/\n+$/, '\n');
}

if (require.main === module) {
  const rendered = renderStateMachinesDoc();
  const current = (() => {
    try {
      return readFileSync(stateMachinesDoc, 'utf8');
    } catch {
      return '';
    }
  })();
  if (process.argv.includes('--check')) {
    if (rendered !== current) {
      console.error(
        `${stateMachinesDoc} is stale: run npx tsx scripts/docs/generate-state-machine-diagrams.ts`,
      );
      process.exit(1);
    }
  } else if (rendered !== current) {
    writeFileSync(stateMachinesDoc, rendered);
    console.log(`Updated ${stateMachinesDoc}`);
  }
}
