/**
 * The Task state: calls its resource through the TaskIntegrations (which IAM-authorize the call as the execution's
 * role), waits for a task token when asked, and enforces TimeoutSeconds; heartbeats are the integrations' part.
 */
import { randomUUID } from 'node:crypto';
import { type StateAttempt, type StateHandler, transition } from '../execution-frame';
import { StatesError } from '../states-error';

const tokenSuffix = '.waitForTaskToken';

/** Runs a Task state. */
export const runTaskState: StateHandler = async (attempt) => {
  const { language, state, context } = attempt;
  // A task waiting for a token sees it in the context ($$.Task.Token) while its input is built.
  if (String(state.Resource).endsWith(tokenSuffix))
    context.Task = { Token: attempt.waitingToken ?? randomUUID() };
  const input = language.input(attempt);
  const args = await language.arguments(attempt, input);
  const limits = await language.taskLimits(attempt, input);
  const result = await callResource(attempt, args, limits);
  return transition(state, await language.finish(attempt, input, { result }));
};

/** Calls the resource with the task's arguments, recording the Scheduled/Succeeded/Failed/TimedOut events. */
async function callResource(
  attempt: StateAttempt,
  args: unknown,
  { timeoutSec, heartbeatSec }: { timeoutSec: number | undefined; heartbeatSec: number | undefined },
): Promise<unknown> {
  const { frame, name, state, rawInput, context, waitingToken } = attempt;
  const resourceField = String(state.Resource);
  const waitsForToken = resourceField.endsWith(tokenSuffix);
  const resource = waitsForToken ? resourceField.slice(0, -tokenSuffix.length) : resourceField;
  const isLambdaArn = resource.startsWith('arn:aws:lambda:');
  const kind = isLambdaArn ? 'LambdaFunction' : 'Task';
  const detailsPrefix = isLambdaArn ? 'lambdaFunction' : 'task';
  const controller = new AbortController();
  // The execution's role session: the integrations authorize the call as the state machine's role (local/iam).
  const { RoleArn: roleArn, Name: sessionName } = frame.execution;
  const session =
    typeof roleArn === 'string' && roleArn ? { roleArn, sessionName: String(sessionName) } : undefined;
  const abort = () => controller.abort(frame.signal.reason);
  frame.signal.addEventListener('abort', abort);
  const resourceDetails = {
    resourceType: resource.split(':')[5] ?? 'lambda',
    resource: resource.split(':').slice(6).join(':') || resource,
  };
  frame.recorder.record(`${kind}Scheduled`, {
    [`${detailsPrefix}ScheduledEventDetails`]: {
      ...resourceDetails,
      parameters: JSON.stringify(args),
      region: 'us-east-1',
    },
  });
  try {
    const work = (async () => {
      if (!waitsForToken)
        return frame.integrations.run(resource, args, { signal: controller.signal, session });
      const token = (context.Task as { Token: string }).Token;
      if (!waitingToken) {
        // Persist "waiting" before the message that carries the token leaves: a restart then waits, never re-sends.
        frame.saveCheckpoint({
          state: name,
          input: rawInput,
          variables: frame.scope.ownValues(),
          waitingToken: token,
        });
        await frame.integrations.run(resource, args, {
          signal: controller.signal,
          taskToken: token,
          session,
        });
      }
      return frame.integrations.awaitTaskToken(token, { heartbeatSec, signal: controller.signal });
    })();
    const limitSec = timeoutSec ?? 99_999_999;
    const timeout = frame.clock.sleep(limitSec * 1000, controller.signal).then(() => {
      throw new StatesError('States.Timeout', `Task '${name}' timed out after ${limitSec} seconds`);
    });
    const result = await Promise.race([work, timeout]);
    frame.recorder.record(`${kind}Succeeded`, {
      [`${detailsPrefix}SucceededEventDetails`]: { ...resourceDetails, output: JSON.stringify(result) },
    });
    return result;
  } catch (error) {
    if (error instanceof StatesError) {
      frame.recorder.record(error.error === 'States.Timeout' ? `${kind}TimedOut` : `${kind}Failed`, {
        [`${detailsPrefix}FailedEventDetails`]: {
          ...resourceDetails,
          error: error.error,
          cause: error.cause,
        },
      });
    }
    throw error;
  } finally {
    frame.signal.removeEventListener('abort', abort);
    controller.abort(new Error('task finished'));
  }
}
