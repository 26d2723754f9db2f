import * as sfnClient from '@aws-sdk/client-sfn';
import { statesOperations } from '../../local/services/states/states-service';
import { clientOperations } from '../../scripts/generate-local-runtime-operations';
import { startTestRuntime } from './support/local-runtime';

const { ValidateStateMachineDefinitionCommand } = sfnClient;

/** A Pass chain of `count` states whose every `Next` names a missing state: one error per state. */
function brokenChain(count: number): string {
  const states = Object.fromEntries(
    Array.from({ length: count }, (_, index) => [`S${index}`, { Type: 'Pass', Next: `Missing${index}` }]),
  );
  return JSON.stringify({ StartAt: 'S0', States: states });
}

describe('ValidateStateMachineDefinition on the embedded runtime', () => {
  let local: Awaited<ReturnType<typeof startTestRuntime>>;
  const validate = (input: sfnClient.ValidateStateMachineDefinitionInput) =>
    local.clients.sfn.send(new ValidateStateMachineDefinitionCommand(input));

  beforeAll(async () => {
    local = await startTestRuntime();
  });

  afterAll(async () => {
    await local.stop();
  });

  it('answers OK with no diagnostics for a valid definition', async () => {
    // Prepare
    const definition = JSON.stringify({
      StartAt: 'Send',
      States: {
        Send: {
          Type: 'Task',
          Resource: 'arn:aws:states:::sqs:sendMessage',
          Parameters: { QueueUrl: 'https://sqs/q', 'MessageBody.$': '$' },
          Next: 'Done',
        },
        Done: { Type: 'Succeed' },
      },
    });

    // Act
    const answer = await validate({ definition, severity: 'WARNING' });

    // Assess
    expect(answer).toMatchObject({ result: 'OK', diagnostics: [], truncated: false });
  });

  it('answers FAIL with INVALID_JSON_DESCRIPTION for text that is not JSON', async () => {
    // Act
    const answer = await validate({ definition: '{"StartAt": "A", "States": {' });

    // Assess
    expect(answer.result).toBe('FAIL');
    expect(answer.diagnostics).toEqual([
      { severity: 'ERROR', code: 'INVALID_JSON_DESCRIPTION', message: expect.any(String) },
    ]);
  });

  it("answers FAIL with MISSING_TRANSITION_TARGET at the state's Next", async () => {
    // Prepare
    const definition = JSON.stringify({ StartAt: 'A', States: { A: { Type: 'Pass', Next: 'Nowhere' } } });

    // Act
    const answer = await validate({ definition });

    // Assess
    expect(answer).toMatchObject({
      result: 'FAIL',
      truncated: false,
      diagnostics: [
        {
          severity: 'ERROR',
          code: 'MISSING_TRANSITION_TARGET',
          message: "Missing 'Next' target: Nowhere",
          location: '/States/A/Next',
        },
      ],
    });
  });

  it('answers FAIL for a Distributed Map, saying the embedded runtime does not support it', async () => {
    // Prepare
    const definition = JSON.stringify({
      StartAt: 'Each',
      States: {
        Each: {
          Type: 'Map',
          ItemProcessor: {
            ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' },
            StartAt: 'Work',
            States: { Work: { Type: 'Pass', End: true } },
          },
          End: true,
        },
      },
    });

    // Act
    const answer = await validate({ definition });

    // Assess
    expect(answer.result).toBe('FAIL');
    expect(answer.diagnostics).toEqual([
      {
        severity: 'ERROR',
        code: 'UNSUPPORTED_BY_EMBEDDED_RUNTIME',
        message: expect.stringContaining('not supported by the embedded runtime'),
        location: '/States/Each/ItemProcessor/ProcessorConfig/Mode',
      },
    ]);
  });

  it('answers OK for a Task resource the runtime cannot run, naming it as a WARNING only when asked for warnings', async () => {
    // Prepare
    const definition = JSON.stringify({
      StartAt: 'Run',
      States: { Run: { Type: 'Task', Resource: 'arn:aws:states:::ecs:runTask.sync', End: true } },
    });

    // Act
    const errorsOnly = await validate({ definition });
    const withWarnings = await validate({ definition, severity: 'WARNING' });

    // Assess
    expect(errorsOnly).toMatchObject({ result: 'OK', diagnostics: [], truncated: false });
    expect(withWarnings).toMatchObject({
      result: 'OK',
      diagnostics: [
        {
          severity: 'WARNING',
          code: 'UNSUPPORTED_BY_EMBEDDED_RUNTIME',
          message: 'Resource arn:aws:states:::ecs:runTask.sync is not supported by the embedded runtime',
          location: '/States/Run/Resource',
        },
      ],
    });
  });

  it('answers FAIL for EXPRESS and OK for STANDARD when a Task waits for a token', async () => {
    // Prepare
    const definition = JSON.stringify({
      StartAt: 'Wait',
      States: {
        Wait: { Type: 'Task', Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken', End: true },
      },
    });

    // Act
    const express = await validate({ definition, type: 'EXPRESS' });
    const standard = await validate({ definition, type: 'STANDARD' });

    // Assess
    expect(express.result).toBe('FAIL');
    expect(express.diagnostics?.[0]).toMatchObject({
      code: 'SCHEMA_VALIDATION_FAILED',
      location: '/States/Wait/Resource',
    });
    expect(standard.result).toBe('OK');
  });

  it('answers at most maxResults diagnostics and says when it truncated them', async () => {
    // Prepare
    const definition = brokenChain(3);

    // Act
    const limited = await validate({ definition, maxResults: 2 });
    const whole = await validate({ definition, maxResults: 3 });

    // Assess
    expect(limited).toMatchObject({ result: 'FAIL', truncated: true });
    expect(limited.diagnostics?.map((diagnostic) => diagnostic.location)).toEqual([
      '/States/S0/Next',
      '/States/S1/Next',
    ]);
    expect(whole.truncated).toBe(false);
    expect(whole.diagnostics).toHaveLength(3);
  });

  it('answers at most 100 diagnostics when maxResults is 0 or absent', async () => {
    // Prepare
    const definition = brokenChain(101);

    // Act
    const zero = await validate({ definition, maxResults: 0 });
    const absent = await validate({ definition });

    // Assess
    expect(zero.diagnostics).toHaveLength(100);
    expect(zero.truncated).toBe(true);
    expect(absent.diagnostics).toHaveLength(100);
  });

  it('puts errors before warnings, so that the limit keeps the errors', async () => {
    // Prepare
    const definition = JSON.stringify({
      StartAt: 'A',
      States: {
        A: { Type: 'Pass', Parameters: { name: '$.name' }, Next: 'B' },
        B: { Type: 'Pass', Next: 'Nowhere' },
      },
    });

    // Act
    const answer = await validate({ definition, severity: 'WARNING', maxResults: 1 });

    // Assess
    expect(answer).toMatchObject({
      result: 'FAIL',
      truncated: true,
      diagnostics: [{ severity: 'ERROR', code: 'MISSING_TRANSITION_TARGET' }],
    });
  });

  it.each([
    [{ maxResults: 101 }, 'maxResults'],
    [{ maxResults: -1 }, 'maxResults'],
    [{ severity: 'INFO' }, 'severity'],
    [{ type: 'BATCH' }, 'type'],
    [{ definition: '' }, 'definition'],
  ])('rejects %j with ValidationException naming %s', async (override, field) => {
    // Prepare
    const input = {
      definition: JSON.stringify({ StartAt: 'A', States: { A: { Type: 'Succeed' } } }),
      ...override,
    } as sfnClient.ValidateStateMachineDefinitionInput;

    // Act
    const answer = validate(input);

    // Assess
    await expect(answer).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining(`'${field}'`),
    });
  });

  it('answers exactly the listed Step Functions operations, refusing the others with UnknownOperationException', async () => {
    // Prepare
    const client = new sfnClient.SFNClient({
      endpoint: local.runtime.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      disableHostPrefix: true,
      maxAttempts: 1,
    });
    const answered: string[] = [];

    // Act
    for (const operation of clientOperations(sfnClient)) {
      const Command = (sfnClient as unknown as Record<string, new (input: object) => unknown>)[
        `${operation}Command`
      ];
      if (!Command) throw new Error(`@aws-sdk/client-sfn has no ${operation}Command`);
      try {
        // A definition the runtime refuses keeps CreateStateMachine from creating anything.
        await client.send(
          new Command({ definition: '{', stateMachineArn: 'arn:aws:states:::none' }) as never,
        );
        answered.push(operation);
      } catch (error) {
        if ((error as Error).name !== 'UnknownOperationException') answered.push(operation);
      }
    }
    client.destroy();

    // Assess
    expect(answered).toEqual([...statesOperations].sort());
  });
});
