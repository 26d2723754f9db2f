/** Lambda entry of the ERP adapter: one workflow step, idempotent on DynamoDB (Powertools), against the ERP port. */
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { Context } from 'aws-lambda';
import { EventBridgePublisher } from '../shared/bus/eventbridge-publisher';
import { HttpErpEmployeeConnector } from '../shared/erp/http-erp-employee-connector';
import { HttpErpPurchasingConnector } from '../shared/erp/http-erp-purchasing-connector';
import { HttpErpVendorConnector } from '../shared/erp/http-erp-vendor-connector';
import { secretsManagerErpCredentials } from '../shared/erp/secrets-manager-erp-credentials';
import { PowertoolsBusinessMetrics } from '../shared/observability/powertools-business-metrics';
import { createTracer, orderIdOf, tracedHandler } from '../shared/observability/tracing';
import { loadErpAdapterConfig } from './config';
import {
  type ErpStep,
  type ErpStepDependencies,
  isErpOperation,
  mutatingOperations,
  runErpStep,
  stepIdempotencyKey,
} from './erp-steps';
import { callHonouringRetryAfter } from './retry-after';
import { InvalidErpStepError } from './step-errors';

const config = loadErpAdapterConfig();
const logger = new Logger({ serviceName: 'erp-adapter' });
// Also traces the ERP's HTTP calls (fetch), each a subsegment named by the ERP's host.
const tracer = createTracer('erp-adapter');
const metrics = new PowertoolsBusinessMetrics({ stage: config.stage, serviceName: 'erp-adapter' });

// One connector for both ports: the ERP's sales and finance API and its employee register share auth and deadlines.
const erp = new HttpErpEmployeeConnector({
  baseUrl: config.erpBaseUrl,
  timeoutMs: config.erpTimeoutMs,
  credentials: secretsManagerErpCredentials(config.erpCredentialsSecretId),
});
// The vendor master over the same API, auth and deadlines (a connector of its own: ports stay separable).
const vendors = new HttpErpVendorConnector({
  baseUrl: config.erpBaseUrl,
  timeoutMs: config.erpTimeoutMs,
  credentials: secretsManagerErpCredentials(config.erpCredentialsSecretId),
});
// Purchasing over the same API, auth and deadlines (its own connector, as the vendor master's).
const purchasing = new HttpErpPurchasingConnector({
  baseUrl: config.erpBaseUrl,
  timeoutMs: config.erpTimeoutMs,
  credentials: secretsManagerErpCredentials(config.erpCredentialsSecretId),
});
const dependencies: ErpStepDependencies = {
  erp,
  employees: erp,
  vendors,
  purchasing,
  publish: (events) => publisher.publish(events),
  erpSourceUri: config.erpSourceUri,
  now: () => new Date(),
  metrics,
};
const publisher = new EventBridgePublisher(tracer.captureAWSv3Client(new EventBridgeClient({})), {
  eventBusName: config.eventBusName,
  busSource: 'concord.erp',
});

const idempotencyConfig = new IdempotencyConfig({
  eventKeyJmesPath: 'idempotencyKey',
  expiresAfterSeconds: 7 * 24 * 3600,
});
/** One ERP step, pausing inside the invocation for a short Retry-After (see retry-after.ts). */
function runStep(step: ErpStep, context: Context): Promise<Record<string, unknown>> {
  return callHonouringRetryAfter(() => runErpStep(step, dependencies), {
    remainingMs: () => context.getRemainingTimeInMillis(),
    callReserveMs: config.erpTimeoutMs + 1000,
    maxPauses: 2,
    maxPauseMs: 5000,
  });
}

const idempotentStep = makeIdempotent(
  // Only the first argument (the request) is hashed; the context rides along for the time budget.
  (request: { idempotencyKey: string; step: ErpStep }, context: Context) => runStep(request.step, context),
  {
    persistenceStore: new DynamoDBPersistenceLayer({
      tableName: config.idempotencyTableName,
      awsSdkV3Client: tracer.captureAWSv3Client(new DynamoDBClient({})),
    }),
    config: idempotencyConfig,
  },
);

/**
 * Step Functions task handler; errors keep their class names (ErpThrottledError, …) for the workflow's Retry/Catch.
 * Traced with the step's correlation id, flow, operation, business key and order id.
 */
export const handler = tracedHandler(tracer, runWorkflowStep, {
  fromEvent: (step) => ({
    correlationId: step?.correlationId,
    flow: step?.flow,
    operation: step?.operation,
    businessKey: step?.businessKey,
    orderId: orderIdOf(step?.businessKey),
    source: step?.origin,
  }),
});

async function runWorkflowStep(step: ErpStep, context: Context): Promise<Record<string, unknown>> {
  // The request id, not addContext: the log group already names the function, and its ARN, name and memory on
  // every line would be a third of the log bill (bench/order-to-cash).
  logger.appendKeys({
    requestId: context.awsRequestId,
    correlationId: step?.correlationId,
    flow: step?.flow,
    operation: step?.operation,
  });
  // Refused before any idempotency record is written: a request that is not a step must change nothing.
  if (
    !step ||
    !isErpOperation(step.operation) ||
    typeof step.businessKey !== 'string' ||
    typeof step.entityVersion !== 'number'
  ) {
    throw new InvalidErpStepError(`Not an ERP step: ${JSON.stringify(step)?.slice(0, 200)}`);
  }
  idempotencyConfig.registerLambdaContext(context);
  try {
    const result = mutatingOperations.has(step.operation)
      ? await idempotentStep({ idempotencyKey: stepIdempotencyKey(step), step }, context)
      : await runStep(step, context);
    logger.info('erp step done', { businessKey: step.businessKey });
    return result;
  } catch (error) {
    logger.warn('erp step failed', {
      businessKey: step.businessKey,
      error: (error as Error).name,
      reason: (error as Error).message,
    });
    throw error;
  } finally {
    metrics.flush();
    logger.removeKeys(['requestId', 'correlationId', 'flow', 'operation']);
  }
}
