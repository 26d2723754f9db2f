/**
 * The Replay function's request, read and answered: checks what a request must hold, proves who asks, calls one use
 * case and records its metrics. The AWS wiring stays in handler.ts, so this runs with fakes of every port.
 */
import type { BusinessMetrics } from '../shared/observability/business-metrics';
import { parseTimeBound } from '../shared/ops/time-window';
import type { WebhookSource } from '../shared/sources/source-registry';
import { requireReason } from './accountability';
import { type CallerProof, OperatorNotAcceptedError, operatorOf } from './caller-identity';
import { type FilterInput, parseFilter } from './dead-letters';
import { replayFromArchive } from './from-archive';
import { editAndReplay, mergePatch, parkMessages } from './park-and-edit';
import type { ReplayDependencies, WebhookArchiveReader } from './ports';
import { listDeadLetterQueues, peekQueue, pickQueue, planReplay, runReplay } from './replay';
import { editedReplayMetrics, parkedMetrics, replayRunMetrics } from './replay-metrics';

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

/** A request the function cannot act on (a missing or unknown field): nothing was read or changed. */
export class ReplayRequestInvalidError extends Error {
  override readonly name = 'ReplayRequestInvalidError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Says who signed a request's caller proof (STS, in production); throws CallerNotVerifiedError otherwise. */
export interface CallerVerifier {
  callerArn(request: Record<string, unknown>): Promise<string>;
}

/** What the adapter needs besides the request: the use cases' ports and the stack's names. */
export interface ReplayInvokeDependencies {
  replay: ReplayDependencies;
  /** The stack's dead-letter queues: the function acts on these alone. */
  queueUrls: readonly string[];
  callers: CallerVerifier;
  archive: WebhookArchiveReader;
  sources: ReadonlyMap<string, WebhookSource>;
  metrics: BusinessMetrics;
}

/** The invocation's clock: how long it may still run. */
export interface InvocationClock {
  getRemainingTimeInMillis(): number;
}

/** Answers Replay function requests with the given dependencies. */
export function createReplayInvokeHandler(
  deps: ReplayInvokeDependencies,
): (request: ReplayLambdaRequest, clock: InvocationClock) => Promise<unknown> {
  const { replay, metrics } = deps;

  function queueUrl(designation: string | undefined): string {
    if (!designation)
      throw new ReplayRequestInvalidError(
        '"queue" is required: a dead-letter queue name or a unique part of one',
      );
    return pickQueue(deps.queueUrls, designation);
  }

  /** The operator STS says signed the request's proof: the name the audit records. */
  async function operatorFor(request: ReplayLambdaRequest): Promise<string> {
    return operatorOf(await deps.callers.callerArn(request as unknown as Record<string, unknown>));
  }

  return async (request, clock) => {
    if (request && typeof request === 'object' && 'operator' in request) throw new OperatorNotAcceptedError();
    switch (request?.action) {
      case 'list':
        // The queues of this stack, by their URLs (no ListQueues: the function may read only its DLQs).
        return (await listDeadLetterQueues(replay.queues, deps.queueUrls)).map(
          ({ url: _url, ...summary }) => summary,
        );
      case 'show':
        return (await peekQueue(replay.queues, queueUrl(request.queue), request.max ?? 100)).map(
          ({ receiptHandle: _handle, ...letter }) => letter,
        );
      case 'replay': {
        const url = queueUrl(request.queue);
        if (request.dryRun) return planReplay(replay, url, parseFilter(request.filter), request.max);
        // The use case checks the reason too; here it is checked before STS is asked who signed.
        const reason = requireReason(request.reason, { action: 'a replay' });
        const operator = await operatorFor(request);
        // Stop a minute before Lambda would kill the invocation: the journal then says where to resume.
        const signal = AbortSignal.timeout(Math.max(1000, clock.getRemainingTimeInMillis() - 60_000));
        const result = await runReplay(replay, {
          queueUrl: url,
          filter: parseFilter(request.filter),
          operator,
          reason,
          max: request.max,
          ratePerSec: request.ratePerSec,
          replayId: request.resume,
          signal,
        });
        metrics.record(...replayRunMetrics(result));
        return result;
      }
      case 'replayArchive': {
        if (!request.since)
          throw new ReplayRequestInvalidError(
            '"since" is required: a duration such as 2h, or an ISO timestamp',
          );
        const reason = request.dryRun ? 'dry run' : requireReason(request.reason, { action: 'a replay' });
        const operator = request.dryRun ? 'dry run' : await operatorFor(request);
        const webhooks = await deps.archive.read(
          [...deps.sources.keys()],
          parseTimeBound(request.since),
          request.until ? parseTimeBound(request.until) : new Date(),
        );
        return replayFromArchive(replay, {
          webhooks,
          sources: deps.sources,
          filter: parseFilter({ ...request.filter, since: undefined, until: undefined }),
          operator,
          reason,
          dryRun: request.dryRun,
          max: request.max,
          ratePerSec: request.ratePerSec,
        });
      }
      case 'park': {
        const reason = requireReason(request.reason, { action: 'parking' });
        const operator = await operatorFor(request);
        const from = queueUrl(request.queue);
        const result = await parkMessages(replay, {
          queueUrl: from,
          parkingQueueUrl: queueUrl('ParkingQueue'),
          messageIds: request.messageIds ?? [],
          operator,
          reason,
        });
        metrics.record(...parkedMetrics(from, result.parked.length));
        return result;
      }
      case 'edit': {
        const reason = requireReason(request.reason, { action: 'an edit' });
        const operator = await operatorFor(request);
        if (!request.messageId || request.patch === undefined)
          throw new ReplayRequestInvalidError(
            'an edit needs "messageId" and "patch" (a JSON merge patch of the event)',
          );
        const from = queueUrl(request.queue);
        const result = await editAndReplay(replay, {
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
        throw new ReplayRequestInvalidError(
          '"action" must be list, show, replay, replayArchive, park or edit',
        );
    }
  };
}
