import { PassThrough } from 'node:stream';
import {
  ConfirmationDeclinedError,
  ConfirmationRequiredError,
  confirmAction,
  countOf,
} from '../../../cli/confirm-action';

/** A terminal whose operator types `answer`, and what the prompt showed. */
function terminal(answer: string | undefined, isTTY = true) {
  const input = Object.assign(new PassThrough(), { isTTY });
  const output = new PassThrough();
  let shown = '';
  output.on('data', (chunk: Buffer) => {
    shown += chunk.toString();
    if (answer === undefined) input.end();
    else input.write(`${answer}\n`);
  });
  return { terminal: { input, output }, shown: () => shown };
}

describe('confirmAction', () => {
  it('asks the question with [y/N] and goes on when the answer is y', async () => {
    // Prepare
    const tty = terminal('y');

    // Act
    await confirmAction('Replay 12 messages from ExceptionsQueue to their recorded targets?', tty);

    // Assess
    expect(tty.shown()).toBe('Replay 12 messages from ExceptionsQueue to their recorded targets? [y/N] ');
  });

  it('accepts yes in any case', async () => {
    // Prepare
    const tty = terminal(' YES ');

    // Act
    const answered = confirmAction('Park 1 message?', tty);

    // Assess
    await expect(answered).resolves.toBeUndefined();
  });

  it.each([[''], ['n'], ['no'], ['yep']])('rejects the answer %j as not confirmed', async (answer) => {
    // Prepare
    const tty = terminal(answer);

    // Act
    const answered = confirmAction('Park 1 message?', tty);

    // Assess
    await expect(answered).rejects.toThrow(ConfirmationDeclinedError);
    await expect(answered).rejects.toThrow('not confirmed: nothing was changed');
  });

  it('rejects end of input (Ctrl-D) as not confirmed', async () => {
    // Prepare
    const tty = terminal(undefined);

    // Act
    const answered = confirmAction('Park 1 message?', tty);

    // Assess
    await expect(answered).rejects.toThrow(ConfirmationDeclinedError);
  });

  it('rejects with exit code 2 and asks nothing when stdin is not a terminal', async () => {
    // Prepare
    const tty = terminal('y', false);

    // Act
    const answered = confirmAction('Park 1 message?', tty);

    // Assess
    await expect(answered).rejects.toThrow(ConfirmationRequiredError);
    await expect(answered).rejects.toMatchObject({
      exitCode: 2,
      message:
        '"Park 1 message?" needs an answer, but stdin is not a terminal: pass --yes to confirm (nothing was changed)',
    });
    expect(tty.shown()).toBe('');
  });

  it('goes on without asking under --yes, even without a terminal', async () => {
    // Prepare
    const tty = terminal(undefined, false);

    // Act
    await confirmAction('Park 1 message?', { ...tty, yes: true });

    // Assess
    expect(tty.shown()).toBe('');
  });
});

describe('countOf', () => {
  it('names one in the singular and any other count in the plural', () => {
    // Act
    const counts = [countOf(0, 'message'), countOf(1, 'message'), countOf(12, 'message')];

    // Assess
    expect(counts).toEqual(['0 messages', '1 message', '12 messages']);
  });
});
