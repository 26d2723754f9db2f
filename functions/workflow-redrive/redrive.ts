/**
 * The redrive queue's use case: a transaction a workflow could not finish within its execution (a long Retry-After,
 * an ERP outage) comes back, after the queue's delay, as a new execution of the same workflow that resumes it.
 */
import { ConcordError } from '../shared/errors';

/** What a workflow's Defer state sends (statemachines/*.asl.json). */
export interface RedriveRequest {
  stateMachineArn: string;
  flow: string;
  businessKey: string;
  correlationId: string;
  failedStep: string;
  /** The new execution's input: the original one, with `redrive` (attempt, step, variables). */
  input: { redrive: { attempt: number } } & Record<string, unknown>;
}

/** Starts executions. */
export interface ExecutionStarter {
  start(stateMachineArn: string, name: string, input: string): Promise<void>;
}

/** A message that is not a redrive request, or names a workflow this stage does not redrive: never retried. */
export class InvalidRedriveRequestError extends ConcordError {
  override readonly name = 'InvalidRedriveRequestError';
}

/** Parses and checks one message body against the workflows this function may start. */
export function parseRedriveRequest(body: string, allowedArns: ReadonlySet<string>): RedriveRequest {
  let request: Partial<RedriveRequest>;
  try {
    request = JSON.parse(body) as Partial<RedriveRequest>;
  } catch (error) {
    throw new InvalidRedriveRequestError('The message body is not JSON', { cause: error });
  }
  if (typeof request.stateMachineArn !== 'string' || !allowedArns.has(request.stateMachineArn))
    throw new InvalidRedriveRequestError(
      `Not a workflow this stage redrives: ${String(request.stateMachineArn)}`,
    );
  const attempt = request.input?.redrive?.attempt;
  if (!Number.isInteger(attempt) || (attempt as number) < 1)
    throw new InvalidRedriveRequestError('The input carries no redrive attempt');
  return request as RedriveRequest;
}

/**
 * The execution's name: the same for the same event and attempt, so a message delivered twice cannot start the
 * transaction twice (Step Functions refuses a name it has seen); names are at most 80 of [0-9A-Za-z_-].
 */
export function executionName(request: RedriveRequest): string {
  const detail = request.input.detail as { id?: unknown } | undefined;
  const eventId = typeof detail?.id === 'string' ? detail.id : request.correlationId;
  return `redrive-${request.input.redrive.attempt}-${eventId}`.replace(/[^0-9A-Za-z_-]/g, '-').slice(0, 80);
}

/** Starts the workflow again for one request; an execution already started for it counts as done. */
export async function redrive(request: RedriveRequest, starter: ExecutionStarter): Promise<void> {
  try {
    await starter.start(request.stateMachineArn, executionName(request), JSON.stringify(request.input));
  } catch (error) {
    if ((error as Error).name !== 'ExecutionAlreadyExists') throw error;
  }
}
