/**
 * bench/store: acknowledged commits/s of the durable store, each commit acknowledged only once on disk, with 16
 * requests in flight: an fsync per commit (synchronous=FULL, as before) against group commit (one WAL fsync for
 * every commit made meanwhile), in one run; and resource definition reads (an IAM session, say) through the store's
 * read-through cache against the query and parse every read made before.
 *
 *   npx tsx bench/store/run.ts [--commits 2000]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DurableStore } from '../../local/store/durable-store';

const { values } = parseArgs({ options: { commits: { type: 'string', default: '2000' } } });
const commits = Number(values.commits);
const inFlight = 16;

/** Runs `commits` acknowledged commits, `inFlight` at a time; returns commits/s and main-thread CPU ms per commit. */
async function run(mode: 'fsync per commit' | 'group commit') {
  const dir = mkdtempSync(path.join(tmpdir(), 'concord-bench-store-'));
  const store = new DurableStore(dir);
  if (mode === 'fsync per commit') store.db.pragma('synchronous = FULL');
  const value = { detail: 'x'.repeat(600), at: new Date().toISOString() };
  let next = 0;
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const request = async (): Promise<void> => {
    while (next < commits) {
      const id = next++;
      store.transaction(() => store.putResource('bench', `item-${id}`, value));
      // The FULL commit is on disk when it returns; group commit acknowledges after the shared fsync.
      if (mode === 'group commit') await store.durable();
      else await Promise.resolve();
    }
  };
  await Promise.all(Array.from({ length: inFlight }, request));
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  store.close();
  rmSync(dir, { recursive: true, force: true });
  return {
    mode,
    commitsPerSec: Math.round(commits / seconds),
    cpuMsPerCommit: Number(((cpu.user + cpu.system) / 1000 / commits).toFixed(3)),
  };
}

/** Reads/s of one resource definition: the query and parse of every read before the cache, then getResource. */
function reads(count: number) {
  const dir = mkdtempSync(path.join(tmpdir(), 'concord-bench-store-'));
  const store = new DurableStore(dir);
  store.putResource('iam-session', 'AROAEXAMPLE:ingest', {
    roleArn: 'arn:aws:iam::000000000000:role/ingest',
    policies: Array.from({ length: 8 }, (_, index) => ({ action: `service:Action${index}`, resource: '*' })),
  });
  const timed = (read: () => unknown) => {
    const started = performance.now();
    for (let index = 0; index < count; index += 1) read();
    return Math.round(count / ((performance.now() - started) / 1000));
  };
  const query = store.db.prepare('SELECT value FROM resources WHERE type = ? AND name = ?');
  const queried = () =>
    JSON.parse((query.get('iam-session', 'AROAEXAMPLE:ingest') as { value: string }).value);
  timed(queried); // warm-up
  const before = timed(queried);
  const after = timed(() => store.getResource('iam-session', 'AROAEXAMPLE:ingest'));
  store.close();
  rmSync(dir, { recursive: true, force: true });
  return { queryAndParsePerSec: before, cachedPerSec: after };
}

async function main(): Promise<void> {
  await run('group commit'); // warm-up
  const full = await run('fsync per commit');
  const group = await run('group commit');
  const resourceReads = reads(100_000);
  const report = {
    measuredAt: new Date().toISOString(),
    node: process.version,
    commits,
    inFlight,
    full,
    group,
    resourceReads,
  };
  console.log(
    `bench/store — ${commits} acknowledged commits, ${inFlight} in flight: fsync per commit ${full.commitsPerSec}/s (${full.cpuMsPerCommit} ms CPU each), group commit ${group.commitsPerSec}/s (${group.cpuMsPerCommit} ms CPU each): ${(group.commitsPerSec / full.commitsPerSec).toFixed(1)}×`,
  );
  console.log(
    `resource definition reads: query and parse ${resourceReads.queryAndParsePerSec}/s, read-through cache ${resourceReads.cachedPerSec}/s: ${(resourceReads.cachedPerSec / resourceReads.queryAndParsePerSec).toFixed(1)}×`,
  );
  writeFileSync(path.join(__dirname, '../results/store.json'), `${JSON.stringify(report, null, 2)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
