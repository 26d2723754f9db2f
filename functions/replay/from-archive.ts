/**
 * Replay from the raw webhook archive: the webhooks received in a window, mapped again through the current mapping
 * (for when a mapping bug was fixed) and published to the bus with replay metadata. Reads the Firehose batches
 * (`raw/stream/…`), the webhooks too large for them (`raw/<source>/…`) and the quarantine (`quarantine/<source>/…`,
 * where a mapping bug sends what it could not map). Events the mapping still cannot make are reported, not published.
 */
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { buildEvents } from '../ingest-webhook/canonical-events';
import type { RawWebhookRecord } from '../ingest-webhook/ports';
import { SchemaViolationError } from '../shared/errors';
import { newId } from '../shared/ids';
import type { WebhookSource } from '../shared/sources/source-registry';
import { busSourceOf, type DeadLetterFilter, matchesFilter } from './dead-letters';
import { createRateLimiter } from './rate-limiter';
import type { ReplayDependencies } from './replay';
import { publishReplayed } from './replay-io';

/** An archived webhook and where it was found. */
export interface ArchivedWebhook {
  key: string;
  record: RawWebhookRecord;
}

function daysBetween(since: Date, until: Date): string[] {
  const days: string[] = [];
  const day = new Date(Date.UTC(since.getUTCFullYear(), since.getUTCMonth(), since.getUTCDate()));
  while (day <= until) {
    days.push(day.toISOString().slice(0, 10).replaceAll('-', '/'));
    day.setUTCDate(day.getUTCDate() + 1);
  }
  return days;
}

async function objectText(s3: S3Client, bucket: string, key: string): Promise<string> {
  const { Body } = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const bytes = Buffer.from(
    await (Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
  );
  return (key.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
}

/** Every archived or quarantined webhook received in [since, until], oldest first. */
export async function readArchive(
  s3: S3Client,
  buckets: { archive: string; quarantine: string },
  sourceNames: readonly string[],
  since: Date,
  until: Date,
): Promise<ArchivedWebhook[]> {
  const found: ArchivedWebhook[] = [];
  for (const day of daysBetween(since, until)) {
    const places = [
      { bucket: buckets.archive, prefix: `raw/stream/${day}/` },
      ...sourceNames.flatMap((source) => [
        { bucket: buckets.archive, prefix: `raw/${source}/${day}/` },
        { bucket: buckets.quarantine, prefix: `quarantine/${source}/${day}/` },
      ]),
    ];
    for (const { bucket, prefix } of places) {
      let ContinuationToken: string | undefined;
      do {
        const page = await s3.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken }),
        );
        for (const { Key } of page.Contents ?? []) {
          const text = await objectText(s3, bucket, Key as string);
          for (const line of text.split('\n').filter((candidate) => candidate.trim() !== ''))
            found.push({ key: `s3://${bucket}/${Key}`, record: JSON.parse(line) as RawWebhookRecord });
        }
        ContinuationToken = page.NextContinuationToken;
      } while (ContinuationToken);
    }
  }
  return found
    .filter(({ record }) => {
      const at = new Date(record.receivedAt);
      return at >= since && at <= until;
    })
    .sort((a, b) => a.record.receivedAt.localeCompare(b.record.receivedAt));
}

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

/** Maps archived webhooks again and publishes what the filter selects. */
export async function replayFromArchive(
  deps: ReplayDependencies,
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
      await publishReplayed(
        deps,
        {
          source: busSourceOf(event.type),
          detailType: event.type,
          detail: event as unknown as Record<string, unknown>,
        },
        {
          replayid: result.replayId,
          replayof: key,
          replayby: request.operator,
          replayreason: request.reason,
        },
      );
      result.published += 1;
    }
  }
  if (!request.dryRun)
    await deps.journal.record({
      id: result.replayId,
      action: 'replay',
      operator: request.operator,
      reason: request.reason,
      queue: 'raw archive',
      at: new Date().toISOString(),
      status: 'done',
      detail: { fromArchive: true, filter: request.filter, ...result },
    });
  return result;
}
