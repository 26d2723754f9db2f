/**
 * The raw webhook archive on S3, read back: the {@link WebhookArchiveReader} port. Reads the Firehose batches
 * (`raw/stream/…`), the webhooks too large for them (`raw/<source>/…`) and the quarantine (`quarantine/<source>/…`).
 */
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { RawWebhookRecord } from '../../shared/sources/raw-webhook-record';
import type { ArchivedWebhook, WebhookArchiveReader } from '../ports';

/** The buckets the ingest function writes: the raw archive and the quarantine. */
export interface WebhookArchiveBuckets {
  archive: string;
  quarantine: string;
}

/** The archive's day prefixes (`yyyy/mm/dd`, UTC) from the day of `since` to the day of `until`. */
function daysBetween(since: Date, until: Date): string[] {
  const days: string[] = [];
  const day = new Date(Date.UTC(since.getUTCFullYear(), since.getUTCMonth(), since.getUTCDate()));
  while (day <= until) {
    days.push(day.toISOString().slice(0, 10).replaceAll('-', '/'));
    day.setUTCDate(day.getUTCDate() + 1);
  }
  return days;
}

/** Reads the archive's objects day by day, gunzipping the Firehose batches, one JSON record per line. */
export class S3WebhookArchiveReader implements WebhookArchiveReader {
  constructor(
    private readonly s3: S3Client,
    private readonly buckets: WebhookArchiveBuckets,
  ) {}

  async read(sourceNames: readonly string[], since: Date, until: Date): Promise<ArchivedWebhook[]> {
    const found: ArchivedWebhook[] = [];
    for (const day of daysBetween(since, until)) {
      const places = [
        { bucket: this.buckets.archive, prefix: `raw/stream/${day}/` },
        ...sourceNames.flatMap((source) => [
          { bucket: this.buckets.archive, prefix: `raw/${source}/${day}/` },
          { bucket: this.buckets.quarantine, prefix: `quarantine/${source}/${day}/` },
        ]),
      ];
      for (const { bucket, prefix } of places) {
        let ContinuationToken: string | undefined;
        do {
          const page = await this.s3.send(
            new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken }),
          );
          for (const { Key } of page.Contents ?? []) {
            const text = await this.objectText(bucket, Key as string);
            for (const line of text.split('\n').filter((candidate) => candidate.trim() !== ''))
              found.push({ key: `s3://${bucket}/${Key}`, record: JSON.parse(line) as RawWebhookRecord });
          }
          ContinuationToken = page.NextContinuationToken;
        } while (ContinuationToken);
      }
    }
    // The day prefixes hold whole days: the window's edges are cut by each record's own time.
    return found
      .filter(({ record }) => {
        const at = new Date(record.receivedAt);
        return at >= since && at <= until;
      })
      .sort((a, b) => a.record.receivedAt.localeCompare(b.record.receivedAt));
  }

  private async objectText(bucket: string, key: string): Promise<string> {
    const { Body } = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const bytes = Buffer.from(
      await (Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
    );
    return (key.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
  }
}
