/**
 * bench/store: acknowledged commits/s of the durable store, each commit acknowledged only once on disk, with 16
 * requests in flight: an fsync per commit (synchronous=FULL, as before) against group commit (one WAL fsync for
 * every commit made meanwhile), in one run.
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

async function main(): Promise<void> {
  await run('group commit'); // warm-up
  const full = await run('fsync per commit');
  const group = await run('group commit');
  const report = {
    measuredAt: new Date().toISOString(),
    node: process.version,
    commits,
    inFlight,
    full,
    group,
  };
  console.log(
    `bench/store — ${commits} acknowledged commits, ${inFlight} in flight: fsync per commit ${full.commitsPerSec}/s (${full.cpuMsPerCommit} ms CPU each), group commit ${group.commitsPerSec}/s (${group.cpuMsPerCommit} ms CPU each): ${(group.commitsPerSec / full.commitsPerSec).toFixed(1)}×`,
  );
  writeFileSync(path.join(__dirname, '../results/store.json'), `${JSON.stringify(report, null, 2)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
