/** docs/state-machines.md: drawn from statemachines/*.asl.json, and current with them. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  type AslDefinition,
  InvalidStateMachineDefinitionError,
  renderStateMachine,
  renderStateMachinesDoc,
  stateMachinesDoc,
} from '../../scripts/docs/generate-state-machine-diagrams';

/** A definition with every kind of edge the generator draws. */
const everyEdge: AslDefinition = {
  Comment: 'sample: a flow with every kind of edge',
  QueryLanguage: 'JSONata',
  StartAt: 'Route',
  States: {
    Route: {
      Type: 'Choice',
      Choices: [{ Condition: "{% $states.input.kind = 'batch' %}", Next: 'EachLine' }],
      Default: 'Both',
    },
    Both: {
      Type: 'Parallel',
      Branches: [
        { StartAt: 'Left', States: { Left: { Type: 'Pass', End: true } } },
        { StartAt: 'Right', States: { Right: { Type: 'Succeed' } } },
      ],
      Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Failed' }],
      Next: 'Done',
    },
    EachLine: {
      Type: 'Map',
      ItemProcessor: {
        StartAt: 'Book',
        States: {
          Book: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke',
            // biome-ignore lint/suspicious/noTemplateCurlyInString: an ASL substitution token, as the definitions write it
            Arguments: { FunctionName: '${ErpAdapterFunctionArn}', Payload: { operation: 'book' } },
            Retry: [
              { ErrorEquals: ['ErpUnavailableError'], MaxAttempts: 4, IntervalSeconds: 2, BackoffRate: 3 },
            ],
            End: true,
          },
        },
      },
      Next: 'Done',
    },
    Done: { Type: 'Succeed' },
    Failed: { Type: 'Fail' },
  },
};

describe('generate-state-machine-diagrams', () => {
  it('is what the generator draws from the ASL files', () => {
    // Prepare
    const committed = readFileSync(stateMachinesDoc, 'utf8');

    // Act
    const rendered = renderStateMachinesDoc();

    // Assess
    expect(committed).toBe(rendered);
  });

  it('draws Choice rules, defaults, Catch handlers, Parallel branches, Map processors and Retry policies', () => {
    // Prepare
    const definition = structuredClone(everyEdge);

    // Act
    const section = renderStateMachine('sample.asl.json', definition);

    // Assess
    expect(section).toContain(`s_Route -->|"$states.input.kind = 'batch'"| s_EachLine`);
    expect(section).toContain('s_Route -->|"default"| s_Both');
    expect(section).toContain('s_Both -.->|"catch States.ALL"| s_Failed');
    expect(section).toMatch(/subgraph s_Both\["Both #40;parallel#41;"\]\n\s+subgraph \w+\["branch 1"\]/);
    expect(section).toContain('subgraph s_EachLine["EachLine #40;map: each item#41;"]');
    expect(section).toContain(
      's_EachLine__item__Book["Book #8635;<br/>lambda:invoke ErpAdapter #183; book"]',
    );
    expect(section).toContain('s_EachLine --> s_Done');
    expect(section).toContain('| EachLine › item › Book | `ErpUnavailableError` | 4 attempts, 2 s, × 3 |');
    expect(section).toContain('s_Failed(["Failed"]):::fail');
  });

  it('rejects a transition to a state its scope does not define', () => {
    // Prepare
    const definition = structuredClone(everyEdge);
    definition.States.Done = { Type: 'Pass', Next: 'Nowhere' };

    // Act
    const render = () => renderStateMachine('broken.asl.json', definition);

    // Assess
    expect(render).toThrow(InvalidStateMachineDefinitionError);
    expect(render).toThrow(
      'broken.asl.json: state "Done" goes to "Nowhere", which its scope does not define',
    );
  });

  it('rejects a file that is not JSON, naming it', () => {
    // Prepare
    const directory = mkdtempSync(path.join(tmpdir(), 'concord-asl-'));
    writeFileSync(path.join(directory, 'torn.asl.json'), '{"StartAt": "A", ');

    // Act
    const render = () => renderStateMachinesDoc(directory);

    // Assess
    try {
      expect(render).toThrow('torn.asl.json: is not JSON');
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
