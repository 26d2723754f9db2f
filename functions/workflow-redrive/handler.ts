/** Lambda entry of the workflow redrive: SQS batches from the redrive queue, each message a new execution. */
import { Logger } from '@aws-lambda-powertools/logger';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createTracer, tracedHandler, tracedWork } from '../shared/observability/tracing';
import { loadWorkflowRedriveConfig } from './config';
import { type ExecutionStarter, InvalidRedriveRequestError, parseRedriveRequest, redrive } from './redrive';

const { allowedStateMachineArns: allowedArns } = loadWorkflowRedriveConfig();
const logger = new Logger({ serviceName: 'workflow-redrive' });
const tracer = createTracer('workflow-redrive');
const sfn = tracer.captureAWSv3Client(new SFNClient({}));
const starter: ExecutionStarter = {
  async start(stateMachineArn, name, input) {
    await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input }));
  },
};

/**
 * A message whose execution could not be started stays in the queue (a batch item failure) and is retried; after
 * the queue's receive limit it moves to the redrive DLQ, whose alarm tells an operator. Nothing is dropped.
 */
export const handler = tracedHandler(tracer, redriveBatch);

async function redriveBatch(event: SQSEvent): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    try {
      const request = parseRedriveRequest(record.body, allowedArns);
      // Each message is its own transaction: its own subsegment, found by its correlation id.
      await tracedWork(
        tracer,
        'redrive',
        { correlationId: request.correlationId, flow: request.flow, businessKey: request.businessKey },
        () => redrive(request, starter),
      );
      logger.info('transaction redriven', {
        flow: request.flow,
        businessKey: request.businessKey,
        correlationId: request.correlationId,
        failedStep: request.failedStep,
        attempt: request.input.redrive.attempt,
      });
    } catch (error) {
      logger.error(error instanceof InvalidRedriveRequestError ? 'not a redrive request' : 'redrive failed', {
        messageId: record.messageId,
        error: (error as Error).message,
      });
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
}
