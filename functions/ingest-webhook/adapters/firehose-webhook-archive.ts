/**
 * The raw archive through a Firehose stream: one PutRecord per webhook (billed in 5 KB units, about $0.15 per
 * million, where an S3 PUT per webhook is $5), delivered in batches to the archive bucket under
 * `raw/stream/<yyyy>/<mm>/<dd>/` as gzipped JSON lines, each naming its source. Acknowledged once Firehose has stored the record.
 * A record above Firehose's 1,000 KiB limit, and every quarantined payload, is written to S3 directly.
 */
import { type FirehoseClient, PutRecordCommand } from '@aws-sdk/client-firehose';
import { DownstreamUnavailableError } from '../../shared/errors';
import type { QuarantineRecord, RawWebhookRecord, WebhookArchive } from '../ports';

/** Firehose's largest record, before base64 encoding. */
export const maxFirehoseRecordBytes = 1000 * 1024;

export class FirehoseWebhookArchive implements WebhookArchive {
  constructor(
    private readonly client: FirehoseClient,
    private readonly streamName: string,
    /** For what Firehose cannot take: oversized raw records and the quarantine. */
    private readonly objects: WebhookArchive,
  ) {}

  async putRaw(record: RawWebhookRecord): Promise<string> {
    // One JSON document per line: the delivered objects are JSON Lines, read back record by record.
    const line = Buffer.from(`${JSON.stringify(record)}\n`);
    if (line.length > maxFirehoseRecordBytes) return this.objects.putRaw(record);
    try {
      const { RecordId } = await this.client.send(
        new PutRecordCommand({ DeliveryStreamName: this.streamName, Record: { Data: line } }),
      );
      return `firehose://${this.streamName}/${RecordId}`;
    } catch (error) {
      throw new DownstreamUnavailableError('Firehose raw archive', { cause: error });
    }
  }

  putQuarantined(record: QuarantineRecord): Promise<string> {
    return this.objects.putQuarantined(record);
  }
}
