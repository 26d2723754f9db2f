/**
 * Lambda entry of governed replay, for the AWS console ("Test" with a JSON request) and automation. The same use
 * cases as `concord dlq` and `concord replay`:
 *
 *   { "action": "list" }
 *   { "action": "show", "queue": "OrderToCashDlq", "filter": { "type": "commerce.order.*" } }
 *   { "action": "replay", "queue": "ExceptionsQueue", "filter": { "error": "ErpUnavailableError",
 *     "since": "2h" }, "dryRun": true, "operator": "jane", "reason": "ERP outage INC-4711", "max": 100,
 *     "ratePerSec": 20 }
 *   { "action": "replay", "resume": "<replay id>", "queue": "ExceptionsQueue", "operator": "jane", "reason": "…" }
 *   { "action": "replayArchive", "since": "2h", "filter": { "source": "billing-hub" }, "dryRun": true }
 *   { "action": "park", "queue": "OrderToCashDlq", "messageIds": ["…"], "operator": "jane", "reason": "…" }
 *   { "action": "edit", "queue": "ExceptionsQueue", "messageId": "…", "patch": { "data": { … } },
 *     "operator": "jane", "reason": "…" }
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
import { parseTimeBound } from '../shared/ops/time-window';
import { loadSourceRegistry } from '../shared/sources/source-registry';
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
const dynamodb = new DynamoDBClient({});
const sqs = new SQSClient({});
const s3 = new S3Client({});
const metrics = new PowertoolsBusinessMetrics({ stage: readStage(), serviceName: 'replay' });
const deps: ReplayDependencies = {
  sqs,
  events: new EventBridgeClient({}),
  journal: new OpsJournal(dynamodb, env.OPS_AUDIT_TABLE_NAME),
  busName: env.EVENT_BUS_NAME,
  // A dead letter that records the target that failed is delivered to it alone.
  targets: { sfn: new SFNClient({}), lambda: new LambdaClient({}), firehose: new FirehoseClient({}) },
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
  operator?: string;
  reason?: string;
  max?: number;
  ratePerSec?: number;
  resume?: string;
}

function queueUrl(designation: string | undefined): string {
  if (!designation) throw new Error('"queue" is required: a dead-letter queue name or a unique part of one');
  return pickQueue(queueUrls, designation);
}

export async function handler(request: ReplayLambdaRequest, context: Context): Promise<unknown> {
  try {
    return await dispatch(request, context);
  } finally {
    metrics.flush();
  }
}

async function dispatch(request: ReplayLambdaRequest, context: Context): Promise<unknown> {
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
      if (!request.operator || !request.reason)
        throw new Error('a replay needs "operator" and "reason": they go into the audit');
      // Stop a minute before Lambda would kill the invocation: the journal then says where to resume.
      const signal = AbortSignal.timeout(Math.max(1000, context.getRemainingTimeInMillis() - 60_000));
      const result = await runReplay(deps, {
        queueUrl: url,
        filter: parseFilter(request.filter),
        operator: request.operator,
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
      if (!request.dryRun && (!request.operator || !request.reason))
        throw new Error('a replay needs "operator" and "reason": they go into the audit');
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
        operator: request.operator ?? 'dry run',
        reason: request.reason ?? 'dry run',
        dryRun: request.dryRun,
        max: request.max,
        ratePerSec: request.ratePerSec,
      });
    }
    case 'park':
    case 'edit': {
      if (!request.operator || !request.reason)
        throw new Error(`${request.action} needs "operator" and "reason": they go into the audit`);
      const { operator, reason } = request;
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
