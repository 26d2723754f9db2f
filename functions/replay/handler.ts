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
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { parseJsonEnv, readEnv } from '../shared/config';
import { readStage } from '../shared/observability/business-metrics';
import { PowertoolsBusinessMetrics } from '../shared/observability/powertools-business-metrics';
import { createTracer, tracedHandler } from '../shared/observability/tracing';
import { parseTimeBound } from '../shared/ops/time-window';
import { loadSourceRegistry } from '../shared/sources/source-registry';
import { type CallerProof, OperatorNotAcceptedError, operatorOf, StsCallerVerifier } from './caller-identity';
import { type FilterInput, parseFilter } from './dead-letters';
import { readArchive, replayFromArchive } from './from-archive';
import { OpsJournal } from './ops-journal';
import { editAndReplay, mergePatch, parkMessages } from './park-and-edit';
import {
  listDeadLetterQueues,
  peekQueue,
  pickQueue,
  planReplay,
  type ReplayDependencies,
  runReplay,
} from './replay';
import { editedReplayMetrics, parkedMetrics, replayRunMetrics } from './replay-metrics';

const env = readEnv([
  'EVENT_BUS_NAME',
  'OPS_AUDIT_TABLE_NAME',
  'VERSION_TABLE_NAME',
  'DEAD_LETTER_QUEUE_URLS',
  'ARCHIVE_BUCKET_NAME',
  'QUARANTINE_BUCKET_NAME',
]);
const queueUrls = parseJsonEnv('DEAD_LETTER_QUEUE_URLS', env.DEAD_LETTER_QUEUE_URLS) as string[];
const tracer = createTracer('replay');
const dynamodb = tracer.captureAWSv3Client(new DynamoDBClient({}));
const sqs = tracer.captureAWSv3Client(new SQSClient({}));
const s3 = tracer.captureAWSv3Client(new S3Client({}));
// The embedded runtime answers STS at the edge like every other service; on AWS the proof goes to the STS host it was signed for.
const callers = new StsCallerVerifier({
  endpointOverride: process.env.AWS_ENDPOINT_URL_STS ?? process.env.AWS_ENDPOINT_URL,
});
const metrics = new PowertoolsBusinessMetrics({ stage: readStage(), serviceName: 'replay' });
const deps: ReplayDependencies = {
  sqs,
  events: tracer.captureAWSv3Client(new EventBridgeClient({})),
  journal: new OpsJournal(dynamodb, env.OPS_AUDIT_TABLE_NAME),
  busName: env.EVENT_BUS_NAME,
  // A dead letter that records the target that failed is delivered to it alone.
  targets: {
    sfn: tracer.captureAWSv3Client(new SFNClient({})),
    lambda: tracer.captureAWSv3Client(new LambdaClient({})),
    firehose: tracer.captureAWSv3Client(new FirehoseClient({})),
  },
  async appliedVersion(subject) {
    const { Item } = await dynamodb.send(
      new GetItemCommand({ TableName: env.VERSION_TABLE_NAME, Key: { subject: { S: subject } } }),
    );
    return Item?.entityVersion?.N ? Number(Item.entityVersion.N) : undefined;
  },
};

/** The request, as the console sends it. */
export interface ReplayLambdaRequest {
  action: 'list' | 'show' | 'replay' | 'replayArchive' | 'park' | 'edit';
  /** replayArchive: the window of webhooks received, as in the filter (duration or ISO timestamp). */
  since?: string;
  until?: string;
  messageIds?: string[];
  messageId?: string;
  /** A JSON merge patch (RFC 7386) applied to the event before it is checked and published. */
  patch?: unknown;
  queue?: string;
  filter?: FilterInput;
  dryRun?: boolean;
  /** Who asks, for anything that changes something: a signed GetCallerIdentity bound to this request. */
  callerProof?: CallerProof;
  reason?: string;
  max?: number;
  ratePerSec?: number;
  resume?: string;
}

function queueUrl(designation: string | undefined): string {
  if (!designation) throw new Error('"queue" is required: a dead-letter queue name or a unique part of one');
  return pickQueue(queueUrls, designation);
}

export const handler = tracedHandler(
  tracer,
  async (request: ReplayLambdaRequest, context: Context): Promise<unknown> => {
    try {
      return await dispatch(request, context);
    } finally {
      metrics.flush();
    }
  },
  // An operator's action is not one transaction: what was done is what a trace search needs.
  { fromEvent: (request) => ({ flow: 'replay', operation: request.action }) },
);

/** The operator STS says signed the request's proof: the name the audit records. */
async function operatorFor(request: ReplayLambdaRequest): Promise<string> {
  return operatorOf(await callers.callerArn(request as unknown as Record<string, unknown>));
}

async function dispatch(request: ReplayLambdaRequest, context: Context): Promise<unknown> {
  if (request && typeof request === 'object' && 'operator' in request) throw new OperatorNotAcceptedError();
  switch (request?.action) {
    case 'list':
      // The queues of this stack, by their URLs (no ListQueues: the function may read only its DLQs).
      return (await listDeadLetterQueues(sqs, queueUrls)).map(({ url: _url, ...summary }) => summary);
    case 'show':
      return (await peekQueue(sqs, queueUrl(request.queue), request.max ?? 100)).map(
        ({ receiptHandle: _handle, ...letter }) => letter,
      );
    case 'replay': {
      const url = queueUrl(request.queue);
      if (request.dryRun) return planReplay(deps, url, parseFilter(request.filter), request.max);
      if (!request.reason) throw new Error('a replay needs "reason": it goes into the audit');
      const operator = await operatorFor(request);
      // Stop a minute before Lambda would kill the invocation: the journal then says where to resume.
      const signal = AbortSignal.timeout(Math.max(1000, context.getRemainingTimeInMillis() - 60_000));
      const result = await runReplay(deps, {
        queueUrl: url,
        filter: parseFilter(request.filter),
        operator,
        reason: request.reason,
        max: request.max,
        ratePerSec: request.ratePerSec,
        replayId: request.resume,
        signal,
      });
      metrics.record(...replayRunMetrics(result));
      return result;
    }
    case 'replayArchive': {
      if (!request.since) throw new Error('"since" is required: a duration such as 2h, or an ISO timestamp');
      if (!request.dryRun && !request.reason)
        throw new Error('a replay needs "reason": it goes into the audit');
      const operator = request.dryRun ? 'dry run' : await operatorFor(request);
      const sources = loadSourceRegistry();
      const webhooks = await readArchive(
        s3,
        { archive: env.ARCHIVE_BUCKET_NAME, quarantine: env.QUARANTINE_BUCKET_NAME },
        [...sources.keys()],
        parseTimeBound(request.since),
        request.until ? parseTimeBound(request.until) : new Date(),
      );
      return replayFromArchive(deps, {
        webhooks,
        sources,
        filter: parseFilter({ ...request.filter, since: undefined, until: undefined }),
        operator,
        reason: request.reason ?? 'dry run',
        dryRun: request.dryRun,
        max: request.max,
        ratePerSec: request.ratePerSec,
      });
    }
    case 'park':
    case 'edit': {
      if (!request.reason) throw new Error(`${request.action} needs "reason": it goes into the audit`);
      const { reason } = request;
      const operator = await operatorFor(request);
      if (request.action === 'park') {
        const from = queueUrl(request.queue);
        const result = await parkMessages(deps, {
          queueUrl: from,
          parkingQueueUrl: queueUrl('ParkingQueue'),
          messageIds: request.messageIds ?? [],
          operator,
          reason,
        });
        metrics.record(...parkedMetrics(from, result.parked.length));
        return result;
      }
      if (!request.messageId || request.patch === undefined)
        throw new Error('an edit needs "messageId" and "patch" (a JSON merge patch of the event)');
      const from = queueUrl(request.queue);
      const result = await editAndReplay(deps, {
        queueUrl: from,
        messageId: request.messageId,
        operator,
        reason,
        edit: async (original) => mergePatch(original, request.patch),
      });
      metrics.record(...editedReplayMetrics(from));
      return result;
    }
    default:
      throw new Error('"action" must be list, show, replay, park or edit');
  }
}
