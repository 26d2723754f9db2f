/**
 * Replay from the raw webhook archive: the webhooks received in a window (the archive and the quarantine, where a
 * mapping bug sends what it could not map), mapped again through the current mapping (for when a mapping bug was
 * fixed) and published to the bus with replay metadata. Events the mapping still cannot make are reported, not
 * published.
 */

import { SchemaViolationError } from '../shared/errors';
import { buildEvents } from '../shared/events/canonical-events';
import { newId } from '../shared/ids';
import type { WebhookSource } from '../shared/sources/source-registry';
import { requireAccountable } from './accountability';
import { busSourceOf, type DeadLetterFilter, matchesFilter } from './dead-letters';
import type { ArchivedWebhook, ReplayDependencies } from './ports';
import { createRateLimiter } from './rate-limiter';

/** What a replay from the archive did, or would do. */
export interface ArchiveReplayResult {
  replayId: string;
  webhooks: number;
  published: number;
  byType: Record<string, number>;
  /** Webhooks the current mapping still cannot turn into valid events. */
  unmappable: { key: string; source: string; deliveryIds: string[]; reason: string }[];
  dryRun: boolean;
}

/** Maps archived webhooks again and publishes what the filter selects; a dry run publishes nothing and audits nothing. */
export async function replayFromArchive(
  deps: Pick<ReplayDependencies, 'bus' | 'journal'>,
  request: {
    webhooks: readonly ArchivedWebhook[];
    sources: ReadonlyMap<string, WebhookSource>;
    filter: DeadLetterFilter;
    operator: string;
    reason: string;
    dryRun?: boolean;
    max?: number;
    ratePerSec?: number;
  },
): Promise<ArchiveReplayResult> {
  // A dry run changes nothing, so it needs no one to answer for it.
  const { operator, reason } = request.dryRun
    ? { operator: request.operator, reason: request.reason }
    : requireAccountable(request, { action: 'a replay' });
  const result: ArchiveReplayResult = {
    replayId: newId(),
    webhooks: request.webhooks.length,
    published: 0,
    byType: {},
    unmappable: [],
    dryRun: request.dryRun === true,
  };
  const limiter = createRateLimiter(request.ratePerSec);
  const max = request.max ?? Number.POSITIVE_INFINITY;
  for (const { key, record } of request.webhooks) {
    const source = request.sources.get(record.source);
    if (!source) {
      result.unmappable.push({
        key,
        source: record.source,
        deliveryIds: record.deliveryIds,
        reason: 'unknown source',
      });
      continue;
    }
    const webhook = {
      sourceName: record.source,
      method: record.method,
      url: record.url,
      headers: record.headers,
      body: Buffer.from(record.bodyBase64, 'base64'),
      receivedAt: new Date(record.receivedAt),
    };
    let events: ReturnType<typeof buildEvents>;
    try {
      events = buildEvents(webhook, await source.map(webhook, JSON.parse(webhook.body.toString('utf8'))));
    } catch (error) {
      const detail =
        error instanceof SchemaViolationError
          ? `${error.message}: ${error.violations.map((violation) => violation.path).join(', ')}`
          : (error as Error).message;
      result.unmappable.push({ key, source: record.source, deliveryIds: record.deliveryIds, reason: detail });
      continue;
    }
    for (const { event } of events) {
      const letter = {
        eventType: event.type,
        source: event.source,
        entity: event.subject,
        sentAt: new Date(record.receivedAt),
      };
      if (!matchesFilter(letter, request.filter) || result.published >= max) continue;
      result.byType[event.type] = (result.byType[event.type] ?? 0) + 1;
      if (request.dryRun) {
        result.published += 1;
        continue;
      }
      await limiter.take();
      await deps.bus.publish(
        {
          source: busSourceOf(event.type),
          detailType: event.type,
          detail: event as unknown as Record<string, unknown>,
        },
        {
          replayid: result.replayId,
          replayof: key,
          replayby: operator,
          replayreason: reason,
        },
      );
      result.published += 1;
    }
  }
  if (!request.dryRun)
    await deps.journal.record({
      id: result.replayId,
      action: 'replay',
      operator,
      reason,
      queue: 'raw archive',
      at: new Date().toISOString(),
      status: 'done',
      detail: { fromArchive: true, filter: request.filter, ...result },
    });
  return result;
}
