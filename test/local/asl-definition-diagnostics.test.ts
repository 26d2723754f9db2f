import {
  diagnoseDefinition,
  localRuntimeUnsupported,
  validateDefinition,
} from '../../local/asl/validate-definition';
import type { JsonService } from '../../local/edge/edge-server';
import {
  type IntegrationTargets,
  LocalTaskIntegrations,
} from '../../local/services/states/task-integrations';

function text(definition: unknown): string {
  return JSON.stringify(definition);
}

const distributedMap = {
  StartAt: 'Each',
  States: {
    Each: {
      Type: 'Map',
      ItemReader: { Resource: 'arn:aws:states:::s3:getObject', Parameters: { Bucket: 'b', Key: 'k' } },
      ResultWriter: { Resource: 'arn:aws:states:::s3:putObject', Parameters: { Bucket: 'b', Prefix: 'p' } },
      ItemProcessor: {
        ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
        StartAt: 'Work',
        States: { Work: { Type: 'Pass', End: true } },
      },
      End: true,
    },
  },
};

describe('diagnoseDefinition', () => {
  it('answers no diagnostic for a valid definition', () => {
    // Prepare
    const definition = text({
      StartAt: 'A',
      States: { A: { Type: 'Pass', Next: 'B' }, B: { Type: 'Succeed' } },
    });

    // Act
    const diagnostics = diagnoseDefinition(definition);

    // Assess
    expect(diagnostics).toEqual([]);
  });

  it('answers INVALID_JSON_DESCRIPTION without a location for text that is not JSON', () => {
    // Act
    const diagnostics = diagnoseDefinition('{"StartAt": "A",');

    // Assess
    expect(diagnostics).toEqual([
      { severity: 'ERROR', code: 'INVALID_JSON_DESCRIPTION', message: expect.any(String) },
    ]);
  });

  it('lists the problem of every state, with locations from the root as AWS writes them', () => {
    // Prepare
    const definition = text({
      StartAt: 'A',
      States: {
        A: { Type: 'Pass', Next: 'Nowhere' },
        B: { Type: 'Choice', Choices: [{ Variable: '$.x', IsPresent: true, Next: 'Gone' }] },
        C: { Type: 'Pass', InputPath: 'not-a-path', End: true },
      },
    });

    // Act
    const diagnostics = diagnoseDefinition(definition);

    // Assess
    expect(diagnostics).toEqual([
      {
        severity: 'ERROR',
        code: 'MISSING_TRANSITION_TARGET',
        message: "Missing 'Next' target: Nowhere",
        location: '/States/A/Next',
      },
      {
        severity: 'ERROR',
        code: 'MISSING_TRANSITION_TARGET',
        message: "Missing 'Next' target: Gone",
        location: '/States/B/Choices[0]/Next',
      },
      {
        severity: 'ERROR',
        code: 'SCHEMA_VALIDATION_FAILED',
        message: "The value for the field 'InputPath' must be a valid JSONPath",
        location: '/States/C/InputPath',
      },
    ]);
  });

  it('reports problems inside Parallel branches and Map processors at their nested location', () => {
    // Prepare
    const definition = text({
      StartAt: 'P',
      States: {
        P: {
          Type: 'Parallel',
          Branches: [{ StartAt: 'X', States: { X: { Type: 'Pass', Next: 'Y' } } }],
          Next: 'M',
        },
        M: {
          Type: 'Map',
          ItemProcessor: { StartAt: 'Missing', States: { I: { Type: 'Succeed' } } },
          End: true,
        },
      },
    });

    // Act
    const locations = diagnoseDefinition(definition).map((diagnostic) => diagnostic.location);

    // Assess
    expect(locations).toEqual(['/States/P/Branches[0]/States/X/Next', '/States/M/ItemProcessor/StartAt']);
  });

  it('reports a Distributed Map and each of its fields as ERRORs the embedded runtime does not support', () => {
    // Act
    const diagnostics = diagnoseDefinition(text(distributedMap));

    // Assess
    expect(diagnostics).toEqual([
      expect.objectContaining({
        severity: 'ERROR',
        code: localRuntimeUnsupported,
        location: '/States/Each/ItemProcessor/ProcessorConfig/Mode',
        message: expect.stringContaining('not supported by the embedded runtime'),
      }),
      expect.objectContaining({ severity: 'ERROR', location: '/States/Each/ItemReader' }),
      expect.objectContaining({ severity: 'ERROR', location: '/States/Each/ResultWriter' }),
    ]);
  });

  it('warns that a Distributed Map field on an inline Map is ignored', () => {
    // Prepare
    const definition = text({
      StartAt: 'Each',
      States: {
        Each: {
          Type: 'Map',
          MaxConcurrencyPath: '$.limit',
          ItemProcessor: { StartAt: 'W', States: { W: { Type: 'Succeed' } } },
          End: true,
        },
      },
    });

    // Act
    const diagnostics = diagnoseDefinition(definition);

    // Assess
    expect(diagnostics).toEqual([
      expect.objectContaining({
        severity: 'WARNING',
        code: localRuntimeUnsupported,
        location: '/States/Each/MaxConcurrencyPath',
      }),
    ]);
  });

  it("warns with AWS's NO_DOLLAR and PASS_RESULT_IS_STATIC codes, after the errors", () => {
    // Prepare
    const definition = text({
      StartAt: 'A',
      States: {
        A: { Type: 'Pass', Parameters: { 'id.$': '$.id', name: '$.name' }, Next: 'B' },
        B: { Type: 'Pass', Result: { copy: '$.id' }, Next: 'C' },
        C: { Type: 'Pass', Next: 'Nowhere' },
      },
    });

    // Act
    const diagnostics = diagnoseDefinition(definition);

    // Assess
    expect(diagnostics.map(({ severity, code, location }) => ({ severity, code, location }))).toEqual([
      { severity: 'ERROR', code: 'MISSING_TRANSITION_TARGET', location: '/States/C/Next' },
      { severity: 'WARNING', code: 'NO_DOLLAR', location: '/States/A/Parameters/name' },
      { severity: 'WARNING', code: 'PASS_RESULT_IS_STATIC', location: '/States/B/Result/copy' },
    ]);
  });

  it('refuses .sync and .waitForTaskToken resources for EXPRESS only', () => {
    // Prepare
    const definition = text({
      StartAt: 'T',
      States: { T: { Type: 'Task', Resource: 'arn:aws:states:::states:startExecution.sync', End: true } },
    });

    // Act
    const express = diagnoseDefinition(definition, { type: 'EXPRESS' });
    const standard = diagnoseDefinition(definition, { type: 'STANDARD' });

    // Assess
    expect(express).toEqual([
      {
        severity: 'ERROR',
        code: 'SCHEMA_VALIDATION_FAILED',
        message: 'Express state machines do not support the .sync integration pattern',
        location: '/States/T/Resource',
      },
    ]);
    expect(standard).toEqual([]);
  });

  it('warns about a Task resource the integrations say they cannot run', () => {
    // Prepare
    const definition = text({
      StartAt: 'T',
      States: { T: { Type: 'Task', Resource: 'arn:aws:states:::ecs:runTask.sync', End: true } },
    });

    // Act
    const diagnostics = diagnoseDefinition(definition, {
      unsupportedResource: (resource) => `no ${resource}`,
    });

    // Assess
    expect(diagnostics).toEqual([
      {
        severity: 'WARNING',
        code: localRuntimeUnsupported,
        message: 'no arn:aws:states:::ecs:runTask.sync',
        location: '/States/T/Resource',
      },
    ]);
  });
});

describe('validateDefinition', () => {
  it('rejects with every error of the definition in one InvalidDefinition message', () => {
    // Prepare
    const definition = text({
      StartAt: 'A',
      States: { A: { Type: 'Pass', Next: 'X' }, B: { Type: 'Pass', Next: 'Y' } },
    });

    // Act
    const act = () => validateDefinition(definition);

    // Assess
    expect(act).toThrow(
      "Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' target: X at /States/A/Next, MISSING_TRANSITION_TARGET: Missing 'Next' target: Y at /States/B/Next'",
    );
  });

  it('accepts a definition that has warnings only', () => {
    // Prepare
    const definition = text({
      StartAt: 'A',
      States: { A: { Type: 'Pass', Parameters: { name: '$.name' }, End: true } },
    });

    // Act
    const parsed = validateDefinition(definition);

    // Assess
    expect(parsed.StartAt).toBe('A');
  });
});

describe('LocalTaskIntegrations.unsupportedReason', () => {
  const integrations = new LocalTaskIntegrations({
    json: { firehose: {} as JsonService },
  } as unknown as IntegrationTargets);

  it.each([
    'arn:aws:lambda:us-east-1:000000000000:function:f',
    'arn:aws:states:::lambda:invoke.waitForTaskToken',
    'arn:aws:states:::sqs:sendMessage',
    'arn:aws:states:::states:startExecution.sync:2',
    'arn:aws:states:::aws-sdk:firehose:putRecord',
  ])('answers nothing for %s, which runs locally', (resource) => {
    // Act
    const reason = integrations.unsupportedReason(resource);

    // Assess
    expect(reason).toBeUndefined();
  });

  it.each([
    ['arn:aws:states:::ecs:runTask.sync', 'Resource arn:aws:states:::ecs:runTask.sync is not supported'],
    ['arn:aws:states:us-east-1:000000000000:activity:a', 'activity:a is not supported'],
    ['arn:aws:states:::sqs:sendMessage.sync', 'sqs:sendMessage.sync is not supported'],
    [
      'arn:aws:states:::aws-sdk:ec2:describeInstances',
      'aws-sdk:ec2 is not supported by the embedded runtime',
    ],
  ])('explains why %s cannot run locally', (resource, expected) => {
    // Act
    const reason = integrations.unsupportedReason(resource);

    // Assess
    expect(reason).toContain(expected);
  });
});
