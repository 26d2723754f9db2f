/** `concord dev` as a child process on fixed ports and one data directory, so a run can kill it hard and start it again. */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import path from 'node:path';

const cli = path.join(__dirname, '../../../cli/concord.js');

/** Where the platform listens and keeps its state; the same on every restart. */
export interface DevProcessOptions {
  assemblyDir: string;
  dataDir: string;
  edgePort: number;
  apiPort: number;
  erpPort: number;
  /** The child's stdout and stderr are appended there (a long run logs far too much to keep in memory). */
  logFile: string;
  startTimeoutMs?: number;
}

/**
 * Starts `concord dev` on an existing assembly and resolves once its edge answers health 200 (deployed). Unlike
 * test/local/support/runtime-process.ts it keeps no output in memory: a soak's child logs for many minutes.
 */
export async function startDevProcess(options: DevProcessOptions): Promise<ChildProcess> {
  const log = createWriteStream(options.logFile, { flags: 'a' });
  log.write(`\n--- concord dev started at ${new Date().toISOString()} ---\n`);
  const child = spawn(
    process.execPath,
    [
      cli,
      'dev',
      '--assembly',
      options.assemblyDir,
      '--data-dir',
      options.dataDir,
      '--edge-port',
      String(options.edgePort),
      '--api-port',
      String(options.apiPort),
      '--erp-port',
      String(options.erpPort),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  child.once('exit', () => log.end());
  const deadline = Date.now() + (options.startTimeoutMs ?? 120_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`concord dev exited early; see ${options.logFile}`);
    try {
      const response = await fetch(`http://127.0.0.1:${options.edgePort}/_concord/health`);
      if (response.status === 200) return child;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`concord dev did not become healthy; see ${options.logFile}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Asks the child to stop as Ctrl-C would (drain, flush) and waits for it, killing it if it takes too long. */
export async function stopDevProcess(child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
}
