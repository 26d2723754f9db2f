/** `concord schemas check|catalog`: schema governance from the command line (and `npm test`). */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConcordError } from '../../functions/shared/errors';
import { breakingChanges } from '../../functions/shared/governance/schema-compatibility';
import {
  type Criticality,
  loadSourceRegistry,
  type WebhookSource,
} from '../../functions/shared/sources/source-registry';
import { OperatorInputError } from '../error-output';
import { printJson, printTable } from '../table-output';

export const schemasHelp = `Check the event schemas for breaking changes, and write the catalog and AsyncAPI document of the event types.

usage: concord schemas check [--base REF] [--json]
       concord schemas catalog [--out FILE]
       concord schemas asyncapi [--out FILE]

  check           compares every schema with its previous revision in git and fails on a breaking change within
                  its major version (removed field, narrowed type or bound, new required field, tightened enum,
                  closed additional properties); a breaking change needs a new major version (a new .v2.json file)
  --base REF      compare with the schemas at REF instead (e.g. origin/main); by default a schema changed in the
                  working tree is compared with HEAD, an unchanged one with its revision before its last commit
  catalog         the event types as markdown: domain, entity, revision, producers with their owner and
                  criticality (sources.json), PII fields
  asyncapi        the AsyncAPI 3.0 document of the bus (docs/asyncapi.json): every event type with its schema, the
                  functions that publish it and the rules of the synthesized stacks that route it, with their targets
  --out FILE      write the catalog (or the AsyncAPI document) there instead of printing it`;

const rootDir = path.join(__dirname, '../..');
const schemaDirs = ['schemas', 'schemas/events'];

function git(args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { cwd: rootDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return undefined;
  }
}

function schemaFiles(): string[] {
  return schemaDirs.flatMap((dir) =>
    readdirSync(path.join(rootDir, dir))
      .filter((file) => file.endsWith('.json'))
      .map((file) => `${dir}/${file}`),
  );
}

/** The file's previous revision: at `base`, else HEAD when it has uncommitted changes, else before its last commit. */
function previousRevision(file: string, base: string | undefined): { ref: string; text: string } | undefined {
  const at = (ref: string) => {
    const text = git(['show', `${ref}:${file}`]);
    return text === undefined ? undefined : { ref, text };
  };
  if (base) return at(base);
  const changed = git(['status', '--porcelain', '--', file])?.trim();
  if (changed) return at('HEAD');
  const [, previousChange] = (git(['log', '-n', '2', '--format=%H', '--', file]) ?? '').trim().split('\n');
  return previousChange ? at(previousChange) : undefined;
}

/** `schemas check` compares against earlier revisions: without the repository's git history there are none. */
export class GitHistoryMissingError extends ConcordError {
  override readonly name = 'GitHistoryMissingError';
}

function check(base: string | undefined, json: boolean): number {
  if (git(['rev-parse', '--git-dir']) === undefined)
    throw new GitHistoryMissingError('schemas check needs the git history of the repository');
  const findings: { file: string; against: string; path: string; rule: string; detail: string }[] = [];
  let compared = 0;
  for (const file of schemaFiles()) {
    const previous = previousRevision(file, base);
    if (!previous) continue;
    compared += 1;
    const current = JSON.parse(readFileSync(path.join(rootDir, file), 'utf8'));
    for (const change of breakingChanges(JSON.parse(previous.text), current))
      findings.push({ file, against: previous.ref.slice(0, 12), ...change });
  }
  if (json) printJson({ compared, breaking: findings });
  else if (findings.length === 0)
    console.log(`schemas check: ${compared} schema(s) compared, no breaking change`);
  else {
    printTable(
      ['SCHEMA', 'AGAINST', 'WHERE', 'RULE', 'CHANGE'],
      findings.map((finding) => [
        finding.file,
        finding.against,
        finding.path || '/',
        finding.rule,
        finding.detail,
      ]),
    );
    console.error(
      `schemas check: ${findings.length} breaking change(s); publish them as a new major version (a .v2.json schema)`,
    );
  }
  return findings.length === 0 ? 0 : 1;
}

const criticalityOrder: readonly Criticality[] = [
  'revenue-critical',
  'compliance-sensitive',
  'operational',
  'analytical',
];

/** Paths of the fields marked x-pii, following $refs into the common definitions. */
function piiFields(
  schema: unknown,
  common: Record<string, unknown>,
  at = '',
  seen = new Set<string>(),
): string[] {
  if (schema === null || typeof schema !== 'object') return [];
  const node = schema as Record<string, unknown>;
  if (node['x-pii'] === true) return [at || '/'];
  const found: string[] = [];
  const ref = typeof node.$ref === 'string' ? /#\/\$defs\/(\w+)$/.exec(node.$ref)?.[1] : undefined;
  if (ref && !seen.has(ref))
    found.push(
      ...piiFields((common.$defs as Record<string, unknown>)[ref], common, at, new Set([...seen, ref])),
    );
  for (const [name, child] of Object.entries((node.properties as Record<string, unknown>) ?? {}))
    found.push(...piiFields(child, common, `${at}/${name}`, seen));
  if (node.items) found.push(...piiFields(node.items, common, `${at}[]`, seen));
  for (const branch of (node.allOf as unknown[]) ?? []) found.push(...piiFields(branch, common, at, seen));
  return found;
}

/** One canonical event type as the catalog and the AsyncAPI document describe it. */
export interface EventTypeEntry {
  /** Path of the schema file, relative to the repository. */
  file: string;
  schema: Record<string, unknown>;
  meta: { type: string; revision: string; domain: string; entity: string };
  /** Who produces it: the registered webhook sources of its domain, or the ERP's publishers. */
  producers: string[];
  owners: string[];
  criticalities: Criticality[];
  pii: string[];
}

/** Every event type in `schemas/events/`, sorted by file, with its producers, owners and PII fields. */
export function eventTypeEntries(): EventTypeEntry[] {
  const common = JSON.parse(readFileSync(path.join(rootDir, 'schemas/common.v1.json'), 'utf8'));
  const producersBySystem = new Map<string, WebhookSource[]>();
  for (const source of loadSourceRegistry().values())
    producersBySystem.set(source.system, [...(producersBySystem.get(source.system) ?? []), source]);
  return readdirSync(path.join(rootDir, 'schemas/events'))
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => {
      const schema = JSON.parse(readFileSync(path.join(rootDir, 'schemas/events', file), 'utf8'));
      const meta = schema['x-concord'] as EventTypeEntry['meta'];
      const sources = producersBySystem.get(meta.domain) ?? [];
      const producers =
        meta.domain === 'erp'
          ? ['ERP (erp-adapter, erp-outbox-relay)']
          : sources.map((source) => source.name);
      // The registry's owner and criticality of each producing interface, most critical first.
      const owners = [...new Set(sources.map((source) => source.owner))];
      const criticalities = criticalityOrder.filter((level) =>
        sources.some((source) => source.criticality === level),
      );
      const pii = [...new Set(piiFields(schema, common))];
      return { file: `schemas/events/${file}`, schema, meta, producers, owners, criticalities, pii };
    });
}

function catalog(out: string | undefined): number {
  const rows = eventTypeEntries().map(
    ({ schema, meta, producers, owners, criticalities, pii }) =>
      `| \`${meta.type}\` | ${meta.domain} | ${meta.entity} | ${meta.revision} | ${producers.join(', ') || '-'} | ${owners.join(', ') || '-'} | ${criticalities.join(', ') || '-'} | ${pii.map((field) => `\`${field}\``).join(', ') || '-'} | ${String(schema.description ?? '').replace(/\|/g, '\\|')} |`,
  );
  const text = [
    '# Event catalog',
    '',
    'Generated by `npx concord schemas catalog --out docs/event-catalog.md` from `schemas/events/`; do not edit by hand.',
    'Every event travels in the CloudEvents envelope (`schemas/envelope.v1.json`). PII fields are redacted wherever',
    'events are logged.',
    '',
    '| type | domain | entity | revision | producers | owner | criticality | PII fields | description |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
  if (out) writeFileSync(out, text);
  else process.stdout.write(text);
  return 0;
}

export async function runSchemas(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { base: { type: 'string' }, json: { type: 'boolean' }, out: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  const [verb] = positionals;
  if (verb === 'check') return check(values.base, values.json === true);
  if (verb === 'catalog') return catalog(values.out ? path.resolve(values.out) : undefined);
  if (verb === 'asyncapi') {
    // Loaded on demand (require: tsx resolves it as the CLI's other modules): it synthesizes the CDK app, which
    // `check`, `catalog` and every other command do not need.
    const { asyncApiText } = require('../asyncapi-document') as typeof import('../asyncapi-document');
    const text = asyncApiText();
    if (values.out) writeFileSync(path.resolve(values.out), text);
    else process.stdout.write(text);
    return 0;
  }
  throw new OperatorInputError('usage: concord schemas check | catalog | asyncapi (see --help)');
}
