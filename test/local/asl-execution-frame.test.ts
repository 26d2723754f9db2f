import { ExecutionFrame, VariableScope } from '../../local/asl/execution-frame';
import type { Checkpoint, RunOptions } from '../../local/asl/interpreter';
import { jsonataLanguage } from '../../local/asl/jsonata-language';
import { jsonPathLanguage } from '../../local/asl/jsonpath-language';
import { LocalClock } from '../../local/clock';

// A top-level frame over fake run options; the checkpoints it saves land in `saved`.
function topFrame(saved: Checkpoint[], meter = { transitions: 0 }): ExecutionFrame {
  const options: RunOptions = {
    clock: new LocalClock(10_000),
    integrations: {
      run: async () => undefined,
      awaitTaskToken: async () => undefined,
    },
    recorder: { record: () => undefined },
    context: { Execution: { Name: 'run-1' }, StateMachine: { Name: 'sm' } },
    signal: new AbortController().signal,
    checkpoint: (checkpoint) => saved.push(checkpoint),
    meter,
  };
  return new ExecutionFrame(
    options,
    new VariableScope(undefined, { region: 'eu' }),
    jsonPathLanguage,
    true,
    async () => null,
  );
}

describe('ExecutionFrame', () => {
  it('gives a branch its own variables over its parent’s, which its assignments never reach', () => {
    // Prepare
    const frame = topFrame([]);
    const branch = frame.branch(jsonataLanguage);

    // Act
    branch.scope.assign({ region: 'us', count: 1 });

    // Assess
    expect(branch.scope.all()).toEqual({ region: 'us', count: 1 });
    expect(branch.scope.ownValues()).toEqual({ region: 'us', count: 1 });
    expect(frame.scope.all()).toEqual({ region: 'eu' });
    expect(branch.language.name).toBe('JSONata');
  });

  it('saves checkpoints at the top level only', () => {
    // Prepare
    const saved: Checkpoint[] = [];
    const frame = topFrame(saved);
    const checkpoint = { state: 'B', input: { a: 1 }, variables: {} };

    // Act
    frame.branch(jsonPathLanguage).saveCheckpoint({ ...checkpoint, state: 'InBranch' });
    frame.saveCheckpoint(checkpoint);

    // Assess
    expect(saved).toEqual([checkpoint]);
  });

  it('builds the context object of a state attempt and counts transitions on the shared meter', () => {
    // Prepare
    const meter = { transitions: 0 };
    const frame = topFrame([], meter);

    // Act
    const context = frame.contextObject('Charge', '2026-11-20T10:00:00.000Z', 2);
    frame.branch(jsonPathLanguage).countTransition();
    frame.countTransition();

    // Assess
    expect(context).toEqual({
      Execution: { Name: 'run-1' },
      StateMachine: { Name: 'sm' },
      State: { Name: 'Charge', EnteredTime: '2026-11-20T10:00:00.000Z', RetryCount: 2 },
    });
    expect(meter.transitions).toBe(2);
  });
});
