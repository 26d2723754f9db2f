import { FirehoseClient, PutRecordCommand } from '@aws-sdk/client-firehose';
import { mockClient } from 'aws-sdk-client-mock';
import {
  FirehoseWebhookArchive,
  maxFirehoseRecordBytes,
} from '../../../functions/ingest-webhook/adapters/firehose-webhook-archive';
import type {
  QuarantineRecord,
  RawWebhookRecord,
  WebhookArchive,
} from '../../../functions/ingest-webhook/ports';
import { DownstreamUnavailableError } from '../../../functions/shared/errors';

const firehoseMock = mockClient(FirehoseClient);
const record: RawWebhookRecord = {
  source: 'shopify',
  deliveryIds: ['98880550-7158-44d4-b7cd-2c97c8a091b5'],
  receivedAt: '2026-11-20T15:00:00.000Z',
  method: 'POST',
  url: 'https://hooks.concord.example/webhooks/shopify',
  headers: { 'x-shopify-topic': 'orders/create' },
  bodyBase64: Buffer.from('{}').toString('base64'),
};

/** Records what reaches the S3 side. */
function objectArchive(): WebhookArchive & { raw: RawWebhookRecord[]; quarantined: QuarantineRecord[] } {
  const raw: RawWebhookRecord[] = [];
  const quarantined: QuarantineRecord[] = [];
  return {
    raw,
    quarantined,
    putRaw: async (item) => {
      raw.push(item);
      return 's3://raw-bucket/raw/shopify/2026/11/20/98880550.json';
    },
    putQuarantined: async (item) => {
      quarantined.push(item);
      return 's3://quarantine-bucket/quarantine/x.json';
    },
  };
}

describe('FirehoseWebhookArchive', () => {
  beforeEach(() => firehoseMock.reset());

  it('puts the raw webhook as one JSON line on the stream and answers with its record id', async () => {
    // Prepare
    firehoseMock.on(PutRecordCommand).resolves({ RecordId: 'rec-1' });
    const objects = objectArchive();
    const archive = new FirehoseWebhookArchive(
      new FirehoseClient({ region: 'us-east-1' }),
      'raw-archive',
      objects,
    );
    // Act
    const key = await archive.putRaw(record);
    // Assess
    const sent = firehoseMock.commandCalls(PutRecordCommand)[0]?.args[0].input;
    expect(key).toBe('firehose://raw-archive/rec-1');
    expect(sent?.DeliveryStreamName).toBe('raw-archive');
    expect(Buffer.from(sent?.Record?.Data as Uint8Array).toString()).toBe(`${JSON.stringify(record)}\n`);
    expect(objects.raw).toEqual([]);
  });

  it('writes a webhook too large for a Firehose record to S3 instead', async () => {
    const objects = objectArchive();
    const archive = new FirehoseWebhookArchive(
      new FirehoseClient({ region: 'us-east-1' }),
      'raw-archive',
      objects,
    );
    const large = { ...record, bodyBase64: 'A'.repeat(maxFirehoseRecordBytes) };
    expect(await archive.putRaw(large)).toMatch(/^s3:\/\//);
    expect(objects.raw).toEqual([large]);
    expect(firehoseMock.commandCalls(PutRecordCommand)).toHaveLength(0);
  });

  it('reports Firehose failures as a downstream outage, so that the sender retries', async () => {
    firehoseMock.on(PutRecordCommand).rejects(new Error('ServiceUnavailableException'));
    const archive = new FirehoseWebhookArchive(
      new FirehoseClient({ region: 'us-east-1' }),
      'raw-archive',
      objectArchive(),
    );
    await expect(archive.putRaw(record)).rejects.toBeInstanceOf(DownstreamUnavailableError);
  });

  it('keeps quarantined payloads on S3', async () => {
    const objects = objectArchive();
    const archive = new FirehoseWebhookArchive(
      new FirehoseClient({ region: 'us-east-1' }),
      'raw-archive',
      objects,
    );
    const refused = { ...record, reason: 'schema', violations: [] };
    await archive.putQuarantined(refused);
    expect(objects.quarantined).toEqual([refused]);
  });
});
