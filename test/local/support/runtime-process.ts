/** Runs `concord services` as a separate process, so tests can kill it hard (SIGKILL) and start it again. */
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

/** Starts the services process and resolves once /_concord/health answers 200. */
export async function startServicesProcess(
  port: number,
  dataDir: string,
  clockFactor = 1,
): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      cli,
      'services',
      '--edge-port',
      String(port),
      '--data-dir',
      dataDir,
      '--clock-factor',
      String(clockFactor),
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`concord services exited early:\n${output}`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/_concord/health`);
      if (response.status === 200) return child;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`concord services did not become healthy:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Kills the process with SIGKILL (no chance to flush or close anything) and waits for it to be gone. */
export async function killHard(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}
