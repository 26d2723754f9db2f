/** How `concord` reports a failure: one line on stderr, or `{"error": {"name", "message"}}` on stdout under --json. */
import { ConcordError } from '../functions/shared/errors';

/**
 * What the operator gave is not what the command takes (its words, a flag's value, a file they edited): the message
 * says what was expected, and nothing was changed.
 */
export class OperatorInputError extends ConcordError {
  override readonly name = 'OperatorInputError';
}

interface SocketError {
  code?: string;
  message?: string;
  address?: string;
  port?: number;
  cause?: unknown;
  errors?: unknown[];
}

/**
 * The refused connection anywhere in an error's causes, preferring one that names its address: Node wraps the IPv4
 * and IPv6 attempts to `localhost` in an AggregateError whose own message is empty.
 */
function refusedConnection(error: unknown, depth = 0): SocketError | undefined {
  if (!error || typeof error !== 'object' || depth > 5) return undefined;
  const candidate = error as SocketError;
  if (candidate.code === 'ECONNREFUSED' && candidate.address) return candidate;
  for (const inner of [candidate.cause, ...(Array.isArray(candidate.errors) ? candidate.errors : [])]) {
    const found = refusedConnection(inner, depth + 1);
    if (found) return found;
  }
  return candidate.code === 'ECONNREFUSED' ? candidate : undefined;
}

/** What a failure is called and says, with the hint an operator needs when nothing listens at the endpoint. */
export function describeError(error: unknown): { name: string; message: string } {
  const name = (error as Error)?.name || 'Error';
  const message = (error as Error)?.message || String(error);
  const refused = refusedConnection(error);
  if (!refused) return { name, message };
  const where = refused.address ? ` at ${refused.address}${refused.port ? `:${refused.port}` : ''}` : '';
  return {
    name,
    message: `connection refused${where} (${refused.message || 'ECONNREFUSED'}): is \`npm start\` running?`,
  };
}

/** The exit code a failure ends the command with: its own (2 for a refusal before anything changed), else 1. */
export function exitCodeOf(error: unknown): number {
  const { exitCode, code } = (error ?? {}) as { exitCode?: unknown; code?: unknown };
  if (typeof exitCode === 'number' && Number.isInteger(exitCode) && exitCode > 0) return exitCode;
  // An unknown or malformed option (node:util parseArgs) is a usage error, as an unknown command is.
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_') ? 2 : 1;
}

/** Writes a failure where the caller looks: JSON on stdout for scripts (--json), a `concord:` line on stderr otherwise. */
export function reportError(
  error: unknown,
  json: boolean,
  streams: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream } = process,
): void {
  const described = describeError(error);
  if (json) streams.stdout.write(`${JSON.stringify({ error: described })}\n`);
  else streams.stderr.write(`concord: ${described.message}\n`);
}
