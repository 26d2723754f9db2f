/**
 * Summarizes the V8 CPU profiles of one `--cpu-prof` bench run by runtime component: CPU ms per component on the
 * runtime's main thread and in the function workers, optionally per unit of work (webhook, order).
 *
 *   npx tsx bench/cpu-profile/summarize.ts <profile dir> [--per 200] [--unit order]
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { ProfileWindow } from './profiled-run';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  startTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Components in the order they are matched against a frame's (original) source path; the first match wins. */
const components: [name: string, pattern: RegExp][] = [
  ['JSONata evaluation', /node_modules\/jsonata\//],
  ['JSONPath / payload templates', /local\/asl\/(json-path|payload|intrinsics|jsonata-fields)/],
  ['ASL interpreter', /local\/asl\//],
  [
    'dynalite / LevelDB',
    /node_modules\/(dynalite|leveldown|levelup|memdown|abstract-leveldown|level-|lazy|big\.js)/,
  ],
  ['SQLite commits and queries', /node_modules\/better-sqlite3\/|local\/store\//],
  ['IAM authorization', /local\/iam\//],
  ['edge dispatch', /local\/edge\//],
  ['worker round trips (host side)', /local\/lambda-host\/|node:internal\/worker|messageport/],
  ['API Gateway (local)', /local\/apigw\//],
  [
    'logging (runtime)',
    /local\/services\/logs\/|node:internal\/console|local\/services\/cloudwatch\/embedded-metric/,
  ],
  ['logging (Powertools in functions)', /@aws-lambda-powertools\/logger/],
  [
    'SDK signing (SigV4, hashing)',
    /@smithy\/signature-v4|@aws-crypto\/|@smithy\/hash-node|@smithy\/util-hex/,
  ],
  ['SDK middleware, serde and HTTP handler', /@aws-sdk\/|@smithy\//],
  ['Powertools (other)', /@aws-lambda-powertools\//],
  ['function code (functions/)', /(^|\/)functions\//],
  ['ERP sandbox', /local\/erp-sandbox\//],
  ['local services (events, sqs, states, s3, …)', /local\/services\//],
  [
    'bench: load generator and observers',
    /node_modules\/(autocannon|hdr-histogram|undici)|bench\/|test\/e2e\//,
  ],
  ['Node HTTP and sockets', /^node:(_http|http|net|internal\/http|internal\/stream_base|internal\/streams)/],
];

/** Decodes a source map's `mappings` into, per generated line, [generated column, source index] segments. */
function decodeMappings(mappings: string): [number, number][][] {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const lines: [number, number][][] = [];
  let source = 0;
  for (const line of mappings.split(';')) {
    const segments: [number, number][] = [];
    let column = 0;
    for (const segment of line.split(',')) {
      if (!segment) continue;
      const values: number[] = [];
      let value = 0;
      let shift = 0;
      for (const char of segment) {
        const digit = alphabet.indexOf(char);
        value += (digit & 31) << shift;
        if (digit & 32) shift += 5;
        else {
          values.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = 0;
          shift = 0;
        }
      }
      column += values[0] ?? 0;
      if (values.length > 1) source += values[1] ?? 0;
      segments.push([column, source]);
    }
    lines.push(segments);
  }
  return lines;
}

/** Maps frames of a bundled function back to the source file they came from, through the kept source map. */
class BundleSources {
  private readonly maps = new Map<string, { sources: string[]; lines: [number, number][][] } | null>();

  constructor(private readonly bundlesDir: string) {}

  sourceOf(url: string, line: number, column: number): string | undefined {
    const match = /(asset\.[0-9a-f]+)\/([^/]+\.js)$/.exec(url);
    if (!match) return undefined;
    const key = `${match[1]}/${match[2]}`;
    if (!this.maps.has(key)) {
      const file = path.join(this.bundlesDir, `${key}.map`);
      if (existsSync(file)) {
        const map = JSON.parse(readFileSync(file, 'utf8')) as { sources: string[]; mappings: string };
        this.maps.set(key, { sources: map.sources, lines: decodeMappings(map.mappings) });
      } else this.maps.set(key, null);
    }
    const map = this.maps.get(key);
    if (!map) return 'unmapped bundle';
    const segments = map.lines[line] ?? [];
    let found: number | undefined;
    for (const [generatedColumn, source] of segments) {
      if (generatedColumn > column) break;
      found = source;
    }
    return found === undefined ? undefined : map.sources[found];
  }
}

function componentOf(frame: CallFrame, bundles: BundleSources): string | undefined {
  if (frame.functionName === '(garbage collector)') return 'garbage collection';
  if (frame.functionName === '(program)') return 'V8 / native (program)';
  const source = frame.url.includes('/asset.')
    ? bundles.sourceOf(frame.url, frame.lineNumber, frame.columnNumber)
    : frame.url.startsWith('file:')
      ? fileURLToPath(frame.url)
      : frame.url;
  if (!source) return undefined;
  if (source === 'unmapped bundle') return 'function bundle (no source map kept)';
  return components.find(([, pattern]) => pattern.test(source))?.[0];
}

/** CPU ms per component over one profile; idle time is left out. */
function summarize(
  profile: CpuProfile,
  bundles: BundleSources,
  windows: readonly ProfileWindow[],
): Map<string, number> {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const componentByNode = new Map<number, string>();
  const resolve = (id: number): string => {
    const known = componentByNode.get(id);
    if (known) return known;
    const node = byId.get(id) as ProfileNode;
    const own = componentOf(node.callFrame, bundles);
    const parentId = parent.get(id);
    const component = own ?? (parentId === undefined ? 'Node internals (other)' : resolve(parentId));
    componentByNode.set(id, component);
    return component;
  };
  const totals = new Map<string, number>();
  let atUs = profile.startTime;
  profile.samples.forEach((id, index) => {
    atUs += profile.timeDeltas[index] ?? 0;
    if (windows.length > 0 && !windows.some((window) => atUs >= window.startUs && atUs <= window.endUs))
      return;
    const node = byId.get(id) as ProfileNode;
    if (node.callFrame.functionName === '(idle)') return;
    const ms = (profile.timeDeltas[index + 1] ?? 0) / 1000;
    const component = resolve(id);
    totals.set(component, (totals.get(component) ?? 0) + ms);
  });
  return totals;
}

function print(title: string, totals: Map<string, number>, per: number, unit: string): void {
  const all = [...totals.values()].reduce((sum, ms) => sum + ms, 0);
  console.log(
    `\n${title}: ${all.toFixed(0)} ms CPU${per > 0 ? `, ${(all / per).toFixed(2)} ms per ${unit}` : ''}`,
  );
  console.log(`| component | CPU ms | share |${per > 0 ? ` ms per ${unit} |` : ''}`);
  console.log(`| --- | ---: | ---: |${per > 0 ? ' ---: |' : ''}`);
  for (const [component, ms] of [...totals].sort((a, b) => b[1] - a[1])) {
    if (ms / all < 0.005) continue;
    const share = `${((100 * ms) / all).toFixed(1)} %`;
    console.log(
      `| ${component} | ${ms.toFixed(0)} | ${share} |${per > 0 ? ` ${(ms / per).toFixed(2)} |` : ''}`,
    );
  }
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { per: { type: 'string', default: '0' }, unit: { type: 'string', default: 'unit' } },
  });
  const dir = positionals[0];
  if (!dir) throw new Error('Usage: summarize.ts <profile dir> [--per <units of work>] [--unit <name>]');
  const bundles = new BundleSources(path.join(dir, 'bundles'));
  const windowsFile = path.join(dir, 'windows.json');
  const windows = existsSync(windowsFile)
    ? (JSON.parse(readFileSync(windowsFile, 'utf8')) as ProfileWindow[])
    : [];
  const main = new Map<string, number>();
  const workers = new Map<string, number>();
  const files = readdirSync(dir).filter((file) => file.endsWith('.cpuprofile'));
  if (files.length === 0) throw new Error(`No .cpuprofile in ${dir}`);
  for (const file of files) {
    // CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile: thread 0 is the main thread.
    const threadId = file.split('.')[4];
    const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as CpuProfile;
    const into = threadId === '0' ? main : workers;
    for (const [component, ms] of summarize(profile, bundles, windows))
      into.set(component, (into.get(component) ?? 0) + ms);
  }
  const per = Number(values.per) || windows.reduce((sum, window) => sum + window.units, 0);
  const unit = windows[0]?.unit ?? (values.unit as string);
  if (windows.length > 0)
    console.log(
      `Measured phases only (${windows.length}, ${windows.reduce((sum, window) => sum + (window.endUs - window.startUs), 0) / 1e6} s): ${per} ${unit}s`,
    );
  print('Main thread (runtime, edge, services, load generator)', main, per, unit);
  print(`Function workers (${files.length - 1} threads)`, workers, per, unit);
}

main();
