import { validateDefinition } from '../../local/asl/validate-definition';

function definitionWith(field: string, value: unknown): string {
  return JSON.stringify({ StartAt: 'P', States: { P: { Type: 'Pass', [field]: value, End: true } } });
}

describe('ASL definition validation (JSONPath fields)', () => {
  it.each([
    ['InputPath', 'foo', 'JSONPath'],
    ['InputPath', '$.items[0', 'JSONPath'],
    ['OutputPath', 'result', 'JSONPath'],
    ['OutputPath', '$.a.', 'JSONPath'],
    ['InputPath', 42, 'JSONPath'],
    ['ResultPath', '$$.Execution.Id', 'ReferencePath'],
    ['ResultPath', '$saved', 'ReferencePath'],
  ])('rejects %s %j as not a valid %s', (field, value, kind) => {
    // Prepare
    const text = definitionWith(field, value);

    // Act
    const act = () => validateDefinition(text);

    // Assess
    expect(act).toThrow(
      `SCHEMA_VALIDATION_FAILED: The value for the field '${field}' must be a valid ${kind} at /States/P/${field}`,
    );
    expect(act).toThrow(expect.objectContaining({ code: 'InvalidDefinition' }));
  });

  it.each([
    ['InputPath', '$'],
    ['InputPath', "$.order['lines'][0]"],
    ['InputPath', '$order.lines'],
    ['OutputPath', '$$.Execution.Input'],
    ['OutputPath', null],
    ['InputPath', null],
    ['ResultPath', null],
    ['ResultPath', '$.result.payload'],
  ])('accepts %s %j', (field, value) => {
    // Prepare
    const text = definitionWith(field, value);

    // Act
    const act = () => validateDefinition(text);

    // Assess
    expect(act).not.toThrow();
  });
});
