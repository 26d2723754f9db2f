import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import path from 'node:path';
import { consolePages } from '../../console/server/pages/registry';
import { concord } from '../e2e/support/concord-cli';

const cli = path.join(__dirname, '../../cli/concord.js');

/** Starts `concord console` and resolves with the process and the URL it prints. */
function startCommand(args: string[]): Promise<{ child: ChildProcessWithoutNullStreams; url: string }> {
  const child = spawn(process.execPath, [cli, 'console', ...args], {
    env: { ...process.env, CONCORD_ERP_API_KEY: 'unused' },
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const url = /Concord console for stage local: (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
      if (url) resolve({ child, url });
    });
    child.once('exit', (code) =>
      reject(new Error(`concord console exited with ${code} before serving: ${out}`)),
    );
  });
}

describe('concord console', () => {
  it('serves on 127.0.0.1, prints its URL, says why a stage is unreachable and stops on SIGINT', async () => {
    // Prepare: a stage endpoint that refuses connections.
    const { child, url } = await startCommand(['--port', '0', '--endpoint', 'http://127.0.0.1:9']);
    // Act
    const home = await fetch(url, { redirect: 'manual' });
    const exceptions = await fetch(`${url}/exceptions`);
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    // Assess
    expect([home.status, home.headers.get('location')]).toEqual([302, consolePages[0]?.path]);
    expect(exceptions.status).toBe(500);
    expect(await exceptions.text()).toContain('is `npm start` running?');
    expect(await exited).toBe(0);
  }, 30_000);

  it('rejects a port that is not a number, with one line and exit code 1', async () => {
    // Act
    const result = await concord(['console', '--port', 'eighty']);
    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--port must be a port number, not "eighty"');
  }, 30_000);
});
