/** Runs the real `concord` binary as a subprocess, as an operator would. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const cli = path.join(__dirname, '../../../cli/concord.js');

export async function concord(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], {
      timeout: 120_000,
      env: { ...process.env, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code: number; stdout: string; stderr: string };
    return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr };
  }
}

/**
 * Runs `concord warehouse sql <sql> --json` on a local data directory: the rows (none when the command failed, as
 * before the warehouse has the table) and its raw output, for a failure message.
 */
export async function warehouseSql(
  dataDir: string,
  sql: string,
): Promise<{ rows: Record<string, unknown>[]; stdout: string }> {
  const { code, stdout } = await concord(['warehouse', 'sql', sql, '--data-dir', dataDir, '--json']);
  return { rows: code === 0 ? (JSON.parse(stdout) as Record<string, unknown>[]) : [], stdout };
}
