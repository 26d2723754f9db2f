/**
 * Lambda entry of POST /orders/validate: checks the body, runs the order-validation workflow with StartSyncExecution
 * and answers with its decision and reasons, within the API's time budget.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import {
  SFNClient,
  StartSyncExecutionCommand,
  type StartSyncExecutionCommandOutput,
} from '@aws-sdk/client-sfn';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { parsePositiveIntEnv, readEnv } from '../shared/config';
import { type HttpResult, jsonResult, problemResult } from '../shared/http/problem';
import { correlationIdFrom } from '../shared/ids';
import { annotateTransaction, createTracer, tracedHandler } from '../shared/observability/tracing';
import {
  InvalidRequestError,
  internal,
  invalid,
  unavailable,
  ValidationUnavailableError,
} from './validation-problems';
import { parseValidationRequest } from './validation-request';

const env = readEnv(['VALIDATION_STATE_MACHINE_ARN', 'VALIDATION_BUDGET_MS']);
const budgetMs = parsePositiveIntEnv('VALIDATION_BUDGET_MS', env.VALIDATION_BUDGET_MS);
const logger = new Logger({ serviceName: 'order-validation-api' });
const tracer = createTracer('order-validation-api');
// StartSyncExecution is served on the `sync-` host in AWS; an emulated endpoint (AWS_ENDPOINT_URL) has no such host.
const sfn = tracer.captureAWSv3Client(
  new SFNClient({ disableHostPrefix: Boolean(process.env.AWS_ENDPOINT_URL) }),
);

function parseBody(event: APIGatewayProxyEventV2): unknown {
  const text = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : event.body;
  try {
    return JSON.parse(text ?? '');
  } catch {
    throw new InvalidRequestError([{ path: '/', message: 'the body must be JSON' }]);
  }
}

/** The call's answer, or ValidationUnavailableError once the budget is spent (the request is aborted too). */
async function withinBudget(
  call: (abortSignal: AbortSignal) => Promise<StartSyncExecutionCommandOutput>,
): Promise<StartSyncExecutionCommandOutput> {
  const budget = AbortSignal.timeout(budgetMs);
  const spent = new Promise<never>((_resolve, reject) =>
    budget.addEventListener(
      'abort',
      () => reject(new ValidationUnavailableError(`The validation did not finish within ${budgetMs} ms`)),
      { once: true },
    ),
  );
  // Once the call has won the race nobody awaits `spent`; its later rejection must not count as unhandled.
  spent.catch(() => {});
  return Promise.race([call(budget), spent]);
}

async function validate(event: APIGatewayProxyEventV2, requestId: string): Promise<HttpResult> {
  const parsed = parseValidationRequest(parseBody(event), requestId);
  if ('violations' in parsed) throw new InvalidRequestError(parsed.violations);
  const execution = await withinBudget((abortSignal) =>
    sfn.send(
      new StartSyncExecutionCommand({
        stateMachineArn: env.VALIDATION_STATE_MACHINE_ARN,
        input: JSON.stringify(parsed.request),
      }),
      { abortSignal },
    ),
  );
  if (execution.status === 'SUCCEEDED') return jsonResult(200, JSON.parse(execution.output ?? '{}'));
  if (execution.status === 'TIMED_OUT' || execution.error === 'ValidationUnavailable')
    throw new ValidationUnavailableError(execution.cause ?? 'The ERP could not answer');
  throw new Error(`order-validation ended ${execution.status}: ${execution.error} ${execution.cause ?? ''}`);
}

/** POST /orders/validate, traced with the request id its answer quotes (the caller's x-request-id, or one minted). */
export const handler = tracedHandler(tracer, validateRequest);

async function validateRequest(event: APIGatewayProxyEventV2): Promise<HttpResult> {
  const requestId = correlationIdFrom(event.headers?.['x-request-id']);
  annotateTransaction(tracer, { correlationId: requestId });
  try {
    const result = await validate(event, requestId);
    logger.info('order validated', { requestId, decision: JSON.parse(result.body).decision });
    return result;
  } catch (error) {
    if (error instanceof InvalidRequestError) return problemResult(error, invalid, requestId);
    if (error instanceof ValidationUnavailableError) {
      logger.warn('validation unavailable', { requestId, reason: error.message });
      return problemResult(error, unavailable, requestId);
    }
    logger.error('validation failed', { requestId, error: error as Error });
    return problemResult(new Error(`Validation failed; quote request id ${requestId}`), internal, requestId);
  }
}
