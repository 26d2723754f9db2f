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
import { type HttpResult, jsonResult, problemResult } from '../shared/http/problem';
import { correlationIdFrom } from '../shared/ids';
import { annotateTransaction, createTracer, tracedHandler } from '../shared/observability/tracing';
import { loadOrderValidationConfig } from './config';
import {
  InvalidRequestError,
  internal,
  ValidationFailedError,
  ValidationUnavailableError,
  validationProblemFor,
} from './validation-problems';
import { parseValidationRequest } from './validation-request';

const config = loadOrderValidationConfig();
const { budgetMs } = config;
const logger = new Logger({ serviceName: 'order-validation-api' });
const tracer = createTracer('order-validation-api');
const sfn = tracer.captureAWSv3Client(new SFNClient({ disableHostPrefix: config.sfnDisableHostPrefix }));

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
        stateMachineArn: config.stateMachineArn,
        input: JSON.stringify(parsed.request),
      }),
      { abortSignal },
    ),
  );
  if (execution.status === 'SUCCEEDED') return jsonResult(200, JSON.parse(execution.output ?? '{}'));
  if (execution.status === 'TIMED_OUT' || execution.error === 'ValidationUnavailable')
    throw new ValidationUnavailableError(execution.cause ?? 'The ERP could not answer');
  throw new ValidationFailedError(
    `order-validation ended ${execution.status}: ${execution.error} ${execution.cause ?? ''}`,
  );
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
    const mapping = validationProblemFor(error);
    if (mapping !== internal) {
      if (error instanceof ValidationUnavailableError)
        logger.warn('validation unavailable', { requestId, reason: error.message });
      return problemResult(error as Error, mapping, requestId);
    }
    logger.error('validation failed', { requestId, error: error as Error });
    // Never echo an internal failure's message: it may name resources or carry data.
    const shown = new ValidationFailedError(`Validation failed; quote request id ${requestId}`, {
      cause: error,
    });
    return problemResult(shown, internal, requestId);
  }
}
