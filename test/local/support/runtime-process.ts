/** Runs `concord` as a separate process, so tests can kill it hard (SIGKILL) and start it again. */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';

const cli = path.join(__dirname, '../../../cli/concord.js');

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts `concord <args>` and resolves once the edge on `edgePort` answers health 200 (deployed, for `dev`). */
export async function startConcordProcess(args: string[], edgePort: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`concord ${args[0]} exited early:\n${output}`);
    try {
      const response = await fetch(`http://127.0.0.1:${edgePort}/_concord/health`);
      if (response.status === 200) return child;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`concord ${args[0]} did not become healthy:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Starts `concord services` alone. */
export function startServicesProcess(port: number, dataDir: string, clockFactor = 1): Promise<ChildProcess> {
  return startConcordProcess(
    ['services', '--edge-port', String(port), '--data-dir', dataDir, '--clock-factor', String(clockFactor)],
    port,
  );
}

/** Kills the process with SIGKILL (no chance to flush or close anything) and waits for it to be gone. */
export async function killHard(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}
