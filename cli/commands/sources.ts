/** `concord sources list|test|add`: the webhook source registry from the command line, onboarding without code. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import jsonata from 'jsonata';
import {
  ConcordError,
  type ConcordErrorOptions,
  MalformedPayloadError,
  RegistryInconsistentError,
  SchemaViolationError,
  SignatureInvalidError,
} from '../../functions/shared/errors';
import { buildEvents } from '../../functions/shared/events/canonical-events';
import { canonicalCatalog } from '../../functions/shared/generated/catalog';
import { loadSystemOfRecord } from '../../functions/shared/governance/system-of-record';
import type { DeclaredMapping } from '../../functions/shared/sources/mappers/declared';
import type { DeclaredHmacSignature } from '../../functions/shared/sources/signatures/declared-hmac';
import {
  type Criticality,
  loadSourceRegistry,
  type SourceDefinition,
  type WebhookSource,
} from '../../functions/shared/sources/source-registry';
import type { WebhookRequest } from '../../functions/shared/sources/webhook-request';
import { readWebhookSecretsFile } from '../../local/platform';
import { printJson, printTable } from '../table-output';
import { newLocalSecret, signWebhook } from '../webhook-signing';

/** Help text of `concord sources`. */
export const sourcesHelp = `List, test and add the SaaS webhook sources of the registry (schemas/governance/sources.json).

usage: concord sources list [--json]
       concord sources test <name> <payload.json> [--headers FILE] [--secret S] [--data-dir DIR] [--json]
       concord sources add <name> --scheme SCHEME --sample payload.json --system SYSTEM --owner TEAM
                           --criticality LEVEL --canonical-type TYPE [--event-type EXPR] [--source-uri URI]
                           [hmac options] [--data-dir DIR]

  list              every source: scheme, types (sender type → canonical type), owner, criticality
  test              verify → map → validate one payload locally; prints the canonical event(s), or every
                    violation, and exits 1 on any failure (nothing is sent anywhere); 2 is a refused command
    --headers FILE  the request's headers as a JSON object (e.g. Bob-Signature as the platform sent it); the
                    signature is then checked against --secret, else the source's secrets in DIR/secrets.json.
                    Without --headers the payload is signed here, as the source's scheme signs, with a throw-away
                    secret: only the mapping and the schema are tested
  add               scaffolds a declared source (mapping "declared") from a sample payload: the registry entry,
                    the system's platform in system-of-record.json, test/fixtures/<name>/<type>.json and a local
                    secret in DIR/secrets.json; refuses an existing name, an unknown scheme, system or type
    --scheme        standard-webhooks or hmac
    --event-type    JSONata giving the sender's event type (default: type)
    --criticality   revenue-critical, compliance-sensitive, operational or analytical
  hmac options      --algorithm sha256|sha512  --header NAME  --encoding hex|base64  [--prefix TEXT]
                    [--timestamp-header NAME --timestamp-format unix-seconds|unix-milliseconds --tolerance-sec N]
                    [--signed TEMPLATE]  (default {body}; e.g. "{timestamp}.{body}")
                    [--delivery-id EXPR]  JSONata over the payload giving the delivery id (dedupe key);
                    default for standard-webhooks: the webhook-id header
  --data-dir DIR    where the local secrets.json is (env CONCORD_DATA_DIR, default .concord)`;

const rootDir = path.join(__dirname, '../..');

/** The files `concord sources` reads and writes: the repository's, or copies in a test. */
export interface RegistryFiles {
  sources: string;
  systemOfRecord: string;
  fixturesDir: string;
}

const repositoryFiles: RegistryFiles = {
  sources: path.join(rootDir, 'schemas/governance/sources.json'),
  systemOfRecord: path.join(rootDir, 'schemas/governance/system-of-record.json'),
  fixturesDir: path.join(rootDir, 'test/fixtures'),
};
const criticalities: readonly Criticality[] = [
  'revenue-critical',
  'compliance-sensitive',
  'operational',
  'analytical',
];
const declarableSchemes = ['standard-webhooks', 'hmac'] as const;

/** A refusal of `concord sources` (bad arguments, unreadable input, an entry that would not load): nothing changed. */
export class SourcesCommandError extends ConcordError {
  override readonly name = 'SourcesCommandError';
  /** A usage refusal, as for a bad flag; a test that fails is exit code 1. */
  readonly exitCode = 2;
  constructor(message: string, options?: ConcordErrorOptions) {
    super(message, options);
  }
}

interface RegistryDocument {
  $schema?: string;
  version: number;
  sources: Record<string, SourceDefinition>;
}

function readJsonFile<T>(file: string, what: string): T {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new SourcesCommandError(`cannot read ${what} ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new SourcesCommandError(`${what} ${file} is not valid JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

function dataDirOf(value: string | undefined): string {
  return path.resolve(value ?? process.env.CONCORD_DATA_DIR ?? '.concord');
}

/** The sender types a source maps, as `sender → canonical`, or the canonical types of its system for a built-in mapper. */
function typesOf(definition: SourceDefinition): string[] {
  if (definition.declared)
    return Object.entries(definition.declared.types).map(
      ([senderType, spec]) => `${senderType}→${spec.canonicalType}`,
    );
  return Object.values(canonicalCatalog)
    .filter((info) => info.domain === definition.system)
    .map((info) => info.type);
}

/** Reads and loads the registry as the ingest function does, against the system-of-record beside it. */
function loadRegistry(files: RegistryFiles) {
  const document = readJsonFile<RegistryDocument>(files.sources, 'source registry');
  const systemOfRecord = loadSystemOfRecord(readJsonFile(files.systemOfRecord, 'system-of-record registry'));
  return { document, sources: loadSourceRegistry(document, systemOfRecord) };
}

function list(json: boolean, files: RegistryFiles): number {
  // Loaded, not only read: a listing is never of a registry the runtime would refuse.
  const { document } = loadRegistry(files);
  const rows = Object.entries(document.sources).map(([name, definition]) => ({
    name,
    scheme: definition.scheme,
    mapping: definition.mapping,
    system: definition.system,
    owner: definition.owner,
    criticality: definition.criticality,
    types: typesOf(definition),
  }));
  if (json) printJson({ sources: rows });
  else
    printTable(
      ['SOURCE', 'SCHEME', 'SYSTEM', 'OWNER', 'CRITICALITY', 'TYPES'],
      rows.map((row) => [row.name, row.scheme, row.system, row.owner, row.criticality, row.types.join(', ')]),
    );
  return 0;
}

function readHeaders(file: string): Record<string, string> {
  const raw = readJsonFile<unknown>(file, 'headers file');
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new SourcesCommandError(`headers file ${file} must be a JSON object of header → value`);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (typeof value !== 'string')
      throw new SourcesCommandError(`headers file ${file}: "${name}" must be a string`);
    headers[name.toLowerCase()] = value;
  }
  return headers;
}

function secretsFor(name: string, secret: string | undefined, dataDir: string): string[] {
  if (secret) return [secret];
  const file = path.join(dataDir, 'secrets.json');
  const stored = existsSync(file) ? readWebhookSecretsFile(file)[name] : undefined;
  if (!stored)
    throw new SourcesCommandError(
      `no secret to verify ${name} with: pass --secret, or add "${name}" to ${file}`,
    );
  return stored;
}

/** The outcome of one local test: canonical events, or why there are none. */
interface TestReport {
  ok: boolean;
  signedHere: boolean;
  events: unknown[];
  ignored: string[];
  failure?: { stage: 'verify' | 'map' | 'validate'; message: string; violations: unknown[] };
}

async function runPipeline(
  source: WebhookSource,
  request: WebhookRequest,
  secrets: readonly string[],
  signedHere: boolean,
): Promise<TestReport> {
  const report: TestReport = { ok: false, signedHere, events: [], ignored: [] };
  try {
    source.verify(request, secrets);
  } catch (error) {
    if (!(error instanceof SignatureInvalidError)) throw error;
    return { ...report, failure: { stage: 'verify', message: error.message, violations: [] } };
  }
  let payload: unknown;
  try {
    payload = JSON.parse(request.body.toString('utf8'));
  } catch (error) {
    return { ...report, failure: { stage: 'map', message: (error as Error).message, violations: [] } };
  }
  let deliveries: Awaited<ReturnType<WebhookSource['map']>>;
  try {
    deliveries = await source.map(request, payload);
  } catch (error) {
    if (error instanceof SchemaViolationError)
      return {
        ...report,
        failure: { stage: 'map', message: error.message, violations: [...error.violations] },
      };
    if (error instanceof MalformedPayloadError)
      return { ...report, failure: { stage: 'map', message: error.message, violations: [] } };
    throw error;
  }
  const ignored = deliveries.flatMap((delivery) => (delivery.kind === 'ignored' ? [delivery.reason] : []));
  try {
    const events = buildEvents(request, deliveries).map((item) => item.event);
    // A payload that maps to nothing has not shown that the source flows: a failure, with the reason.
    return { ...report, ok: events.length > 0, events, ignored };
  } catch (error) {
    if (!(error instanceof SchemaViolationError)) throw error;
    return {
      ...report,
      ignored,
      failure: { stage: 'validate', message: error.message, violations: [...error.violations] },
    };
  }
}

async function test(
  name: string,
  payloadFile: string,
  options: { headers?: string; secret?: string; dataDir: string; json: boolean },
  files: RegistryFiles,
): Promise<number> {
  const { document, sources } = loadRegistry(files);
  const source = sources.get(name);
  if (!source)
    throw new SourcesCommandError(
      `unknown source "${name}": one of ${Object.keys(document.sources).join(', ')}`,
    );
  let body: Buffer;
  try {
    body = readFileSync(path.resolve(payloadFile));
  } catch (error) {
    throw new SourcesCommandError(`cannot read payload ${payloadFile}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const url = `http://127.0.0.1:3000/webhooks/${name}`;
  const signedHere = options.headers === undefined;
  let headers: Record<string, string>;
  let secrets: string[];
  if (signedHere) {
    const secret = newLocalSecret(source.scheme);
    secrets = [secret];
    headers = signWebhook(source.scheme, secret, body.toString('utf8'), url, {
      signature: document.sources[name]?.signature,
    });
  } else {
    headers = readHeaders(path.resolve(options.headers as string));
    secrets = secretsFor(name, options.secret, options.dataDir);
  }
  const request: WebhookRequest = {
    sourceName: name,
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json', ...headers },
    body,
    receivedAt: new Date(),
  };
  const report = await runPipeline(source, request, secrets, signedHere);
  if (options.json) printJson(report);
  else printReport(name, report);
  return report.ok ? 0 : 1;
}

function printReport(name: string, report: TestReport): void {
  if (report.signedHere)
    console.error(`${name}: signed here with a throw-away secret (pass --headers to test a real signature)`);
  if (report.failure) {
    console.error(`${name}: ${report.failure.stage} failed: ${report.failure.message}`);
    for (const violation of report.failure.violations as { path: string; message: string }[])
      console.error(`  ${violation.path || '/'}: ${violation.message}`);
    return;
  }
  for (const reason of report.ignored) console.error(`${name}: ignored: ${reason}`);
  if (report.events.length === 0) {
    console.error(`${name}: no canonical event: declare the sender's type under declared.types`);
    return;
  }
  printJson(report.events.length === 1 ? report.events[0] : report.events);
}

interface AddOptions {
  scheme?: string;
  sample?: string;
  system?: string;
  owner?: string;
  criticality?: string;
  'canonical-type'?: string;
  'event-type'?: string;
  'source-uri'?: string;
  algorithm?: string;
  header?: string;
  encoding?: string;
  prefix?: string;
  'timestamp-header'?: string;
  'timestamp-format'?: string;
  'tolerance-sec'?: string;
  signed?: string;
  'delivery-id'?: string;
  'data-dir'?: string;
}

function required(options: AddOptions, key: keyof AddOptions): string {
  const value = options[key];
  if (!value) throw new SourcesCommandError(`concord sources add needs --${key} (see --help)`);
  return value;
}

function hmacSignature(options: AddOptions): DeclaredHmacSignature {
  const signature: DeclaredHmacSignature = {
    algorithm: required(options, 'algorithm') as DeclaredHmacSignature['algorithm'],
    header: required(options, 'header'),
    encoding: required(options, 'encoding') as DeclaredHmacSignature['encoding'],
    signed: options.signed ?? '{body}',
  };
  if (options.prefix) signature.prefix = options.prefix;
  if (options['timestamp-header']) {
    const toleranceSec = Number(options['tolerance-sec'] ?? '300');
    signature.timestamp = {
      header: options['timestamp-header'],
      format: (options['timestamp-format'] ?? 'unix-seconds') as 'unix-seconds' | 'unix-milliseconds',
      toleranceSec,
    };
  }
  return signature;
}

/**
 * A first mapping to edit: each part is an unbound JSONata variable that evaluates to nothing, so `sources test`
 * names every part still to write rather than publishing a made-up subject or version.
 */
function scaffoldMapping(canonicalType: string): DeclaredMapping['types'][string] {
  return {
    canonicalType,
    subject: '$todo_subject',
    time: '$todo_time',
    entityVersion: '$todo_entityVersion',
    data: '$todo_data',
  };
}

function fixtureName(senderType: string): string {
  return `${
    senderType
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'event'
  }.json`;
}

/** Writes a JSON file as the repository formats it (two spaces; short arrays kept on one line, as biome does). */
function writeJson(file: string, value: unknown): void {
  const text = JSON.stringify(value, null, 2).replace(
    /\[\n\s+((?:"[^"\n]*"(?:,\n\s+)?)*)\n\s*\]/g,
    (whole, items: string) => {
      const inline = `[${items.split(/,\n\s+/).join(', ')}]`;
      return inline.length <= 80 ? inline : whole;
    },
  );
  writeFileSync(file, `${text}\n`);
}

/** Lets biome lay the rewritten registries out as committed (one-line short objects), so the diff is the entry only. */
function formatLikeTheRepository(paths: string[]): void {
  const biome = path.join(rootDir, 'node_modules/.bin/biome');
  if (!existsSync(biome)) return;
  const result = spawnSync(biome, ['format', '--write', ...paths], { cwd: rootDir, encoding: 'utf8' });
  if (result.status !== 0)
    console.error(
      `note: biome could not format ${paths.join(', ')}; run \`npx biome format --write\` on them`,
    );
}

async function add(name: string | undefined, options: AddOptions, files: RegistryFiles): Promise<number> {
  if (!name)
    throw new SourcesCommandError('usage: concord sources add <name> --scheme … --sample payload.json');
  const scheme = required(options, 'scheme');
  if (!(declarableSchemes as readonly string[]).includes(scheme))
    throw new SourcesCommandError(
      `--scheme ${scheme} cannot be declared: one of ${declarableSchemes.join(', ')} (a built-in vendor scheme comes with its own mapper)`,
    );
  const document = readJsonFile<RegistryDocument>(files.sources, 'source registry');
  if (document.sources[name])
    throw new SourcesCommandError(`source "${name}" already exists in ${files.sources}`);
  const criticality = required(options, 'criticality');
  if (!(criticalities as readonly string[]).includes(criticality))
    throw new SourcesCommandError(`--criticality must be one of ${criticalities.join(', ')}`);
  const canonicalType = required(options, 'canonical-type');
  if (!Object.hasOwn(canonicalCatalog, canonicalType))
    throw new SourcesCommandError(
      `--canonical-type ${canonicalType} has no schema in schemas/events/ (concord schemas catalog lists them)`,
    );
  const system = required(options, 'system');
  const samplePath = path.resolve(required(options, 'sample'));
  const sample = readJsonFile<unknown>(samplePath, 'sample payload');
  const eventTypeExpression = options['event-type'] ?? 'type';
  let senderType: unknown;
  try {
    senderType = await jsonata(eventTypeExpression).evaluate(sample);
  } catch (error) {
    throw new SourcesCommandError(`--event-type ${eventTypeExpression}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (typeof senderType !== 'string' || senderType === '')
    throw new SourcesCommandError(
      `--event-type ${eventTypeExpression} gives no event type for ${samplePath} (got ${JSON.stringify(senderType)})`,
    );

  const declared: DeclaredMapping = {
    eventType: eventTypeExpression,
    ...(options['delivery-id'] ? { deliveryId: { expression: options['delivery-id'] } } : {}),
    types: { [senderType]: scaffoldMapping(canonicalType) },
  };
  if (scheme === 'hmac' && !options['delivery-id'])
    throw new SourcesCommandError(
      '--delivery-id is needed with --scheme hmac: a JSONata expression giving an id the sender keeps across retries',
    );
  const definition: SourceDefinition = {
    description: `${name}: ${senderType} (scaffolded by concord sources add; describe the platform here).`,
    owner: required(options, 'owner'),
    criticality: criticality as Criticality,
    scheme: scheme as SourceDefinition['scheme'],
    ...(scheme === 'hmac' ? { signature: hmacSignature(options) } : {}),
    mapping: 'declared',
    system,
    retryWindowSec: 86400,
    dedupeWindowSec: 172800,
    sourceUri: options['source-uri'] ?? `${name}://default`,
    declared,
  };
  const nextSources: RegistryDocument = { ...document, sources: { ...document.sources, [name]: definition } };
  const systemOfRecord = readJsonFile<{ systems: Record<string, { platforms: string[] }> }>(
    files.systemOfRecord,
    'system-of-record registry',
  );
  const owningSystem = systemOfRecord.systems[system];
  if (!owningSystem)
    throw new SourcesCommandError(
      `--system ${system} is not in ${files.systemOfRecord}: one of ${Object.keys(systemOfRecord.systems).join(', ')}`,
    );
  const nextSystemOfRecord = {
    ...systemOfRecord,
    systems: {
      ...systemOfRecord.systems,
      [system]: { ...owningSystem, platforms: [...owningSystem.platforms, name] },
    },
  };
  // Check the whole result as the ingest function will load it before writing anything.
  try {
    loadSourceRegistry(nextSources, loadSystemOfRecord(nextSystemOfRecord));
  } catch (error) {
    if (error instanceof RegistryInconsistentError)
      throw new SourcesCommandError(`the new entry would not load: ${error.problems.join('; ')}`, {
        cause: error,
      });
    throw error;
  }

  const fixtureDir = path.join(files.fixturesDir, name);
  const fixtureFile = path.join(fixtureDir, fixtureName(senderType));
  mkdirSync(fixtureDir, { recursive: true });
  writeFileSync(fixtureFile, readFileSync(samplePath));
  writeJson(files.systemOfRecord, nextSystemOfRecord);
  writeJson(files.sources, nextSources);
  formatLikeTheRepository([files.systemOfRecord, files.sources]);
  const secretsFile = path.join(dataDirOf(options['data-dir']), 'secrets.json');
  if (existsSync(secretsFile)) {
    const secrets = readWebhookSecretsFile(secretsFile);
    secrets[name] = [newLocalSecret(scheme)];
    writeFileSync(secretsFile, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  }
  console.log(`added ${name} to ${path.relative(process.cwd(), files.sources)} (platform of ${system})`);
  console.log(`fixture ${path.relative(process.cwd(), fixtureFile)}`);
  if (existsSync(secretsFile)) console.log(`local secret for ${name} in ${secretsFile}`);
  console.log(
    `next: edit declared.types["${senderType}"] (subject, time, entityVersion, data), then\n` +
      `      concord sources test ${name} ${path.relative(process.cwd(), fixtureFile)}`,
  );
  return 0;
}

/** Runs `concord sources <verb>` on the repository's registry (or on `files`, in a test). */
export async function runSources(args: string[], files: RegistryFiles = repositoryFiles): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      json: { type: 'boolean' },
      headers: { type: 'string' },
      secret: { type: 'string' },
      'data-dir': { type: 'string' },
      scheme: { type: 'string' },
      sample: { type: 'string' },
      system: { type: 'string' },
      owner: { type: 'string' },
      criticality: { type: 'string' },
      'canonical-type': { type: 'string' },
      'event-type': { type: 'string' },
      'source-uri': { type: 'string' },
      algorithm: { type: 'string' },
      header: { type: 'string' },
      encoding: { type: 'string' },
      prefix: { type: 'string' },
      'timestamp-header': { type: 'string' },
      'timestamp-format': { type: 'string' },
      'tolerance-sec': { type: 'string' },
      signed: { type: 'string' },
      'delivery-id': { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  const [verb, name, file] = positionals;
  if (verb === 'list') return list(values.json === true, files);
  if (verb === 'test') {
    if (!name || !file) throw new SourcesCommandError('usage: concord sources test <name> <payload.json>');
    return test(
      name,
      file,
      {
        headers: values.headers,
        secret: values.secret,
        dataDir: dataDirOf(values['data-dir']),
        json: values.json === true,
      },
      files,
    );
  }
  if (verb === 'add') return add(name, values, files);
  throw new SourcesCommandError('usage: concord sources list | test | add (see --help)');
}
