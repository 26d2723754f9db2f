import { Interpreter, type StateMachineDefinition } from '../../local/asl/interpreter';
import { LocalClock } from '../../local/clock';

describe('Task state', () => {
  it('hands the token, the heartbeat and the execution role session of a waitForTaskToken task to the integrations', async () => {
    // Prepare
    const definition: StateMachineDefinition = {
      StartAt: 'Approve',
      States: {
        Approve: {
          Type: 'Task',
          Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken',
          Parameters: { 'token.$': '$$.Task.Token', 'order.$': '$.order' },
          HeartbeatSecondsPath: '$.heartbeatSec',
          TimeoutSeconds: 60,
          ResultPath: '$.approval',
          End: true,
        },
      },
    };
    const calls: { resource: string; input: unknown; taskToken?: string; session?: unknown }[] = [];
    const waits: { token: string; heartbeatSec?: number }[] = [];
    const events: string[] = [];
    const interpreter = new Interpreter(definition, {
      clock: new LocalClock(10_000),
      integrations: {
        run: async (resource, input, options) => {
          calls.push({ resource, input, taskToken: options.taskToken, session: options.session });
          return {};
        },
        awaitTaskToken: async (token, options) => {
          waits.push({ token, heartbeatSec: options.heartbeatSec });
          return { approved: true };
        },
      },
      recorder: {
        record: (type) => {
          events.push(type);
          return events.length;
        },
      },
      context: {
        Execution: { Name: 'run-1', RoleArn: 'arn:aws:iam::000000000000:role/sm-role' },
        StateMachine: { Name: 'sm' },
      },
      signal: new AbortController().signal,
      meter: { transitions: 0 },
    });

    // Act
    const output = await interpreter.run({ order: 'o-1', heartbeatSec: 30 });

    // Assess
    const token = calls[0]?.taskToken;
    expect(calls).toEqual([
      {
        resource: 'arn:aws:states:::sqs:sendMessage',
        input: { token, order: 'o-1' },
        taskToken: token,
        session: { roleArn: 'arn:aws:iam::000000000000:role/sm-role', sessionName: 'run-1' },
      },
    ]);
    expect(waits).toEqual([{ token, heartbeatSec: 30 }]);
    expect(output).toEqual({ order: 'o-1', heartbeatSec: 30, approval: { approved: true } });
    expect(events).toEqual(['TaskStateEntered', 'TaskScheduled', 'TaskSucceeded', 'TaskStateExited']);
  });
});
