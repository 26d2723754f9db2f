import { Interpreter, type StateMachineDefinition } from '../../local/asl/interpreter';
import { StatesError } from '../../local/asl/states-error';
import { validateDefinition } from '../../local/asl/validate-definition';
import { LocalClock } from '../../local/clock';

// A one-state JSONata workflow whose Output is the expression under test, run by the interpreter.
async function evaluate(expression: string, input: unknown = {}): Promise<unknown> {
  const definition = validateDefinition(
    JSON.stringify({
      QueryLanguage: 'JSONata',
      StartAt: 'Do',
      States: { Do: { Type: 'Pass', Output: `{% ${expression} %}`, End: true } },
    }),
  ) as StateMachineDefinition;
  const interpreter = new Interpreter(definition, {
    clock: new LocalClock(10_000),
    integrations: {
      run: async () => {
        throw new Error('no tasks');
      },
      awaitTaskToken: async () => {
        throw new Error('no tasks');
      },
    },
    recorder: { record: () => undefined },
    context: {
      Execution: { Id: 'arn:x', Name: 'run-1', Input: input, StartTime: '2026-11-20T10:00:00.000Z' },
      StateMachine: { Id: 'arn:sm', Name: 'sm' },
    },
    signal: new AbortController().signal,
    meter: { transitions: 0 },
  });
  return interpreter.run(input);
}

async function failure(expression: string, input: unknown = {}): Promise<StatesError> {
  try {
    await evaluate(expression, input);
  } catch (error) {
    if (error instanceof StatesError) return error;
    throw error;
  }
  throw new Error('expected the expression to fail');
}

describe('ASL JSONata functions Step Functions adds', () => {
  it.each([
    [
      '$partition chunks an array, the last chunk shorter',
      '$partition([1,2,3,4,5], 2)',
      [[1, 2], [3, 4], [5]],
    ],
    [
      '$partition rounds a non-integer chunk size down',
      '$partition([1,2,3,4,5], 2.6)',
      [[1, 2], [3, 4], [5]],
    ],
    ['$partition of an empty array', '$partition([], 3)', []],
    ['$range counts up by the step, the end included', '$range(0, 10, 2)', [0, 2, 4, 6, 8, 10]],
    ['$range counts down with a negative step', '$range(10, 0, -3)', [10, 7, 4, 1]],
    ['$range rounds non-integer arguments down', '$range(1.4, 5.6, 2.2)', [1, 3, 5]],
    ['$range from past the end is empty', '$range(5, 1, 1)', []],
    ['$hash with MD5', '$hash("hello", "MD5")', '5d41402abc4b2a76b9719d911017c592'],
    ['$hash with SHA-1', '$hash("hello", "SHA-1")', 'aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d'],
    [
      '$hash with SHA-256',
      '$hash("hello", "SHA-256")',
      '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824',
    ],
    [
      '$hash with SHA-384',
      '$hash("hello", "SHA-384")',
      '59e1748777448c69de6b800d7a33bbfb9ff1b463e44354c3553bcdb9c666fa90125a3c79f90397bdf5f6a13de828684f',
    ],
    [
      '$hash with SHA-512',
      '$hash("hello", "SHA-512")',
      '9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca72323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043',
    ],
    [
      '$hash of UTF-8 text',
      '$hash("✓", "SHA-256")',
      '1dabba21cdad44541f6b15796f8d22978fc7ea10c46aeceeeeb66c23b3ac7604',
    ],
    ['$random with the same seed gives the same number', '$random(77) = $random(77)', true],
    ['$random with different seeds gives different numbers', '$random(77) = $random(78)', false],
    ['$parse reads a JSON object', '$parse(\'{"answer":42,"items":[1,2]}\')', { answer: 42, items: [1, 2] }],
    ['$parse reads JSON with surrounding whitespace', '$parse(\' {"a":1} \')', { a: 1 }],
    ['$parse reads a JSON scalar', '$parse("true")', true],
  ])('%s', async (_name, expression, expected) => {
    // Act
    const output = await evaluate(expression);

    // Assess
    expect(output).toEqual(expected);
  });

  it('returns from $random a number n with 0 ≤ n < 1, seeded or not', async () => {
    // Act
    const output = (await evaluate('[$random(), $random(12345), $random(-3)]')) as number[];

    // Assess
    for (const value of output) {
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThan(1);
    }
  });

  it('returns from $random the same number for a seed across executions', async () => {
    // Act
    const first = await evaluate('$random($states.input.seed)', { seed: 2026 });
    const second = await evaluate('$random($states.input.seed)', { seed: 2026 });

    // Assess
    expect(first).toBe(second);
  });

  it('returns from $uuid a fresh version 4 UUID on every call', async () => {
    // Act
    const [a, b] = (await evaluate('[$uuid(), $uuid()]')) as string[];

    // Assess
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(b).not.toBe(a);
  });

  it.each([
    ['$partition of a non-array', '$partition($states.input.text, 2)', /first argument must be an array/],
    ['$partition with a zero chunk size', '$partition([1,2,3], 0)', /chunk size must be greater than 0/],
    ['$partition with a negative chunk size', '$partition([1,2,3], -1)', /chunk size must be greater than 0/],
    ['$partition with a string chunk size', '$partition([1,2,3], "2")', /Argument 2 of function "partition"/],
    ['$partition with an extra argument', '$partition([1,2,3], 2, 99)', /Argument 3 of function "partition"/],
    ['$range with a zero step', '$range(1, 10, 0)', /step must not be 0/],
    ['$range with a step rounding down to zero', '$range(1, 10, 0.49)', /step must not be 0/],
    ['$range without a step', '$range(1, 5)', /Argument 3 of function "range"/],
    ['$range with a string start', '$range("a", 5, 1)', /Argument 1 of function "range"/],
    ['$hash with an unsupported algorithm', '$hash("data", "SHA-3")', /algorithm must be one of MD5, SHA-1/],
    ['$hash with a lower-case algorithm name', '$hash("hello", "sha-256")', /algorithm must be one of/],
    ['$hash of a number', '$hash(123, "SHA-256")', /Argument 1 of function "hash"/],
    ['$hash without an algorithm', '$hash("hello")', /Argument 2 of function "hash"/],
    ['$random with a string seed', '$random("seed")', /Argument 1 of function "random"/],
    ['$random with a null seed', '$random(null)', /Argument 1 of function "random"/],
    ['$random with two arguments', '$random(77, 88)', /Argument 2 of function "random"/],
    ['$uuid with an argument', '$uuid("x")', /Argument 1 of function "uuid"/],
    ['$parse of malformed JSON', '$parse("{bad json}")', /not valid JSON/],
    ['$parse of an empty string', '$parse("")', /not valid JSON/],
    ['$parse of an object', '$parse($states.input.object)', /Argument 1 of function "parse"/],
  ])('fails %s with States.QueryEvaluationError', async (_name, expression, cause) => {
    // Act
    const error = await failure(expression, { text: 'not-array', object: { a: 1 } });

    // Assess
    expect(error.error).toBe('States.QueryEvaluationError');
    expect(error.cause).toMatch(cause);
    expect(error.cause).toContain("field 'Output'");
  });
});
