/** The question `concord` asks before a real replay or park, naming how many messages it will change. */
import { createInterface } from 'node:readline/promises';
import { ConcordError, type ConcordErrorOptions } from '../functions/shared/errors';

/** Where the question is asked: a terminal's input and the stream the prompt is written to. */
export interface ConfirmationTerminal {
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: NodeJS.WritableStream;
}

/** Nobody could be asked (stdin is not a terminal) and `--yes` was not given: nothing was changed. */
export class ConfirmationRequiredError extends ConcordError {
  override readonly name = 'ConfirmationRequiredError';
  /** A usage refusal, as for a bad flag. */
  readonly exitCode = 2;

  constructor(question: string, options?: ConcordErrorOptions) {
    super(
      `"${question}" needs an answer, but stdin is not a terminal: pass --yes to confirm (nothing was changed)`,
      options,
    );
  }
}

/** The operator answered no (or nothing): nothing was changed. */
export class ConfirmationDeclinedError extends ConcordError {
  override readonly name = 'ConfirmationDeclinedError';

  constructor(options?: ConcordErrorOptions) {
    super('not confirmed: nothing was changed', options);
  }
}

/** `n message` or `n messages`. */
export function countOf(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/**
 * Asks `question [y/N]` on the terminal and resolves when the answer is yes; `--yes` answers it without asking. Throws
 * ConfirmationRequiredError when no one can be asked, ConfirmationDeclinedError on anything but y or yes.
 */
export async function confirmAction(
  question: string,
  options: { yes?: boolean; terminal?: ConfirmationTerminal },
): Promise<void> {
  if (options.yes) return;
  // The prompt goes to stderr so that stdout stays the command's result (--json).
  const terminal = options.terminal ?? { input: process.stdin, output: process.stderr };
  if (!terminal.input.isTTY) throw new ConfirmationRequiredError(question);
  const prompt = createInterface({ input: terminal.input, output: terminal.output, terminal: false });
  try {
    const answer = await new Promise<string>((resolve) => {
      // End of input (Ctrl-D) is no answer, so no.
      prompt.once('close', () => resolve(''));
      prompt.question(`${question} [y/N] `).then(resolve, () => resolve(''));
    });
    if (!/^\s*y(es)?\s*$/i.test(answer)) throw new ConfirmationDeclinedError();
  } finally {
    prompt.close();
  }
}
