/** Raw archive and quarantine on S3: one JSON object per webhook, keyed by source, date and delivery id. */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { DownstreamUnavailableError } from '../../shared/errors';
import { newId } from '../../shared/ids';
import type { QuarantineRecord, RawWebhookRecord, WebhookArchive } from '../ports';

/** Object key of a webhook: `<prefix>/<source>/<yyyy>/<mm>/<dd>/<name>.json`, so a day of one source lists in one prefix. */
export function webhookObjectKey(prefix: string, source: string, receivedAt: string, name: string): string {
  const [date = ''] = receivedAt.split('T');
  const [year, month, day] = date.split('-');
  return `${prefix}/${source}/${year}/${month}/${day}/${encodeURIComponent(name)}.json`;
}

/** A WebhookArchive writing raw webhooks to one bucket and quarantined ones to another. */
export class S3WebhookArchive implements WebhookArchive {
  constructor(
    private readonly client: S3Client,
    private readonly buckets: { archive: string; quarantine: string },
  ) {}

  async putRaw(record: RawWebhookRecord): Promise<string> {
    const key = webhookObjectKey('raw', record.source, record.receivedAt, record.deliveryIds[0] ?? newId());
    await this.put(this.buckets.archive, key, record, 'raw archive');
    return `s3://${this.buckets.archive}/${key}`;
  }

  async putQuarantined(record: QuarantineRecord): Promise<string> {
    const key = webhookObjectKey('quarantine', record.source, record.receivedAt, newId());
    await this.put(this.buckets.quarantine, key, record, 'quarantine');
    return `s3://${this.buckets.quarantine}/${key}`;
  }

  private async put(bucket: string, key: string, record: object, what: string): Promise<void> {
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: JSON.stringify(record),
          ContentType: 'application/json',
        }),
      );
    } catch (error) {
      throw new DownstreamUnavailableError(`S3 ${what}`, { cause: error });
    }
  }
}
