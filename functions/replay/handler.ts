/**
 * Lambda entry of governed replay, for automation and the AWS console ("Test" with a JSON request, for what changes
 * nothing). The same use cases as `concord dlq` and `concord replay`:
 *
 *   { "action": "list" }
 *   { "action": "show", "queue": "OrderToCashDlq", "filter": { "type": "commerce.order.*" } }
 *   { "action": "replay", "queue": "ExceptionsQueue", "filter": { "error": "ErpUnavailableError",
 *     "since": "2h" }, "dryRun": true, "max": 100 }
 *   { "action": "replay", "queue": "ExceptionsQueue", "reason": "ERP outage INC-4711", "ratePerSec": 20,
 *     "callerProof": { … } }
 *   { "action": "replay", "resume": "<replay id>", "queue": "ExceptionsQueue", "reason": "…", "callerProof": { … } }
 *   { "action": "replayArchive", "since": "2h", "filter": { "source": "billing-hub" }, "dryRun": true }
 *   { "action": "park", "queue": "OrderToCashDlq", "messageIds": ["…"], "reason": "…", "callerProof": { … } }
 *   { "action": "edit", "queue": "ExceptionsQueue", "messageId": "…", "patch": { "data": { … } }, "reason": "…",
 *     "callerProof": { … } }
 *
 * Who acts is never a typed name. A direct invocation carries nothing AWS vouches for about its invoker (the event
 * is whatever the invoker wrote, even a Function URL's requestContext), so whatever changes something needs
 * "callerProof": a GetCallerIdentity request signed by the operator's credentials and bound to this request's hash
 * (proveCaller), which this function sends to STS itself. STS's answer names the operator the audit records, exactly
 * as `concord` and the console name it; a request with "operator" is refused.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { PowertoolsBusinessMetrics } from '../shared/observability/powertools-business-metrics';
import { createTracer, tracedHandler } from '../shared/observability/tracing';
import { loadSourceRegistry } from '../shared/sources/source-registry';
import { AwsTargetDeliverer } from './adapters/aws-target-deliverer';
import { DynamoDbAppliedVersions } from './adapters/dynamodb-applied-versions';
import { EventBridgeReplayBus } from './adapters/eventbridge-replay-bus';
import { S3WebhookArchiveReader } from './adapters/s3-webhook-archive-reader';
import { SqsDeadLetterQueues } from './adapters/sqs-dead-letter-queues';
import { StsCallerVerifier } from './caller-identity';
import { loadReplayConfig } from './config';
import { createReplayInvokeHandler, type ReplayLambdaRequest } from './invoke-adapter';
import { OpsJournal } from './ops-journal';

const config = loadReplayConfig();
const tracer = createTracer('replay');
const metrics = new PowertoolsBusinessMetrics({ stage: config.stage, serviceName: 'replay' });
const sqs = tracer.captureAWSv3Client(new SQSClient({}));
const events = tracer.captureAWSv3Client(new EventBridgeClient({}));
const dynamodb = tracer.captureAWSv3Client(new DynamoDBClient({}));
const versions = new DynamoDbAppliedVersions(dynamodb, config.versionTableName);

const answer = createReplayInvokeHandler({
  replay: {
    queues: new SqsDeadLetterQueues(sqs),
    bus: new EventBridgeReplayBus(events, config.eventBusName),
    busName: config.eventBusName,
    journal: new OpsJournal(dynamodb, config.opsAuditTableName),
    // A dead letter that records the target that failed is delivered to it alone.
    targets: new AwsTargetDeliverer({
      events,
      sqs,
      sfn: tracer.captureAWSv3Client(new SFNClient({})),
      lambda: tracer.captureAWSv3Client(new LambdaClient({})),
      firehose: tracer.captureAWSv3Client(new FirehoseClient({})),
    }),
    appliedVersion: (subject) => versions.appliedVersion(subject),
  },
  queueUrls: config.deadLetterQueueUrls,
  // The embedded runtime answers STS at the edge like every other service; on AWS the proof goes to the STS host it was signed for.
  callers: new StsCallerVerifier({ endpointOverride: config.stsEndpointOverride }),
  archive: new S3WebhookArchiveReader(tracer.captureAWSv3Client(new S3Client({})), {
    archive: config.archiveBucketName,
    quarantine: config.quarantineBucketName,
  }),
  sources: loadSourceRegistry(),
  metrics,
});

/** Direct invocation (the console, automation, the AWS console's "Test"), traced with the action it asks for. */
export const handler = tracedHandler(
  tracer,
  async (request: ReplayLambdaRequest, context: Context): Promise<unknown> => {
    try {
      return await answer(request, context);
    } finally {
      metrics.flush();
    }
  },
  // An operator's action is not one transaction: what was done is what a trace search needs.
  { fromEvent: (request) => ({ flow: 'replay', operation: request.action }) },
);
