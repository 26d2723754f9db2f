import { PassThrough } from 'node:stream';
import { ConfirmationRequiredError } from '../../../cli/confirm-action';
import { describeError, exitCodeOf, reportError } from '../../../cli/error-output';

function streams() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const text = (stream: PassThrough) => () => String(stream.read() ?? '');
  return { stdout, stderr, out: text(stdout), err: text(stderr) };
}

/** What Node's HTTP client throws when nothing listens: an AggregateError of the IPv4 and IPv6 attempts. */
function refused(): Error {
  const attempt = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4566'), {
    code: 'ECONNREFUSED',
    address: '127.0.0.1',
    port: 4566,
  });
  return Object.assign(new AggregateError([attempt], ''), { code: 'ECONNREFUSED' });
}

describe('reportError', () => {
  it('writes {"error": {"name", "message"}} on stdout under --json, and nothing on stderr', () => {
    // Prepare
    const io = streams();

    // Act
    reportError(new ConfirmationRequiredError('Park 1 message?'), true, io);

    // Assess
    expect(JSON.parse(io.out())).toEqual({
      error: {
        name: 'ConfirmationRequiredError',
        message:
          '"Park 1 message?" needs an answer, but stdin is not a terminal: pass --yes to confirm (nothing was changed)',
      },
    });
    expect(io.err()).toBe('');
  });

  it('writes one concord: line on stderr otherwise', () => {
    // Prepare
    const io = streams();

    // Act
    reportError(new Error('a replay needs --reason'), false, io);

    // Assess
    expect(io.err()).toBe('concord: a replay needs --reason\n');
    expect(io.out()).toBe('');
  });
});

describe('describeError', () => {
  it('adds the npm start hint when the endpoint refuses the connection, however deep the refusal is', () => {
    // Act
    const direct = describeError(refused());
    const wrapped = describeError(new Error('request failed', { cause: refused() }));

    // Assess
    expect(direct.message).toBe(
      'connection refused at 127.0.0.1:4566 (connect ECONNREFUSED 127.0.0.1:4566): is `npm start` running?',
    );
    expect(wrapped.message).toContain('is `npm start` running?');
  });

  it('leaves any other failure as it is', () => {
    // Act
    const described = describeError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));

    // Assess
    expect(described).toEqual({ name: 'Error', message: 'socket hang up' });
  });
});

describe('exitCodeOf', () => {
  it('exits 2 for a refusal before anything changed and for a bad option, 1 for anything else', () => {
    // Act
    const codes = [
      exitCodeOf(new ConfirmationRequiredError('Park 1 message?')),
      exitCodeOf(
        Object.assign(new TypeError("Unknown option '--operator'"), {
          code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION',
        }),
      ),
      exitCodeOf(new Error('no dead-letter queue matches "X"')),
      exitCodeOf('thrown text'),
    ];

    // Assess
    expect(codes).toEqual([2, 2, 1, 1]);
  });
});
