import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import {
  S3WebhookArchive,
  webhookObjectKey,
} from '../../../functions/ingest-webhook/adapters/s3-webhook-archive';
import type { RawWebhookRecord } from '../../../functions/ingest-webhook/ports';
import { DownstreamUnavailableError } from '../../../functions/shared/errors';

const s3Mock = mockClient(S3Client);
const record: RawWebhookRecord = {
  source: 'shopify',
  deliveryIds: ['98880550-7158-44d4-b7cd-2c97c8a091b5'],
  receivedAt: '2026-11-20T15:00:00.000Z',
  method: 'POST',
  url: 'https://hooks.concord.example/webhooks/shopify',
  headers: { 'x-shopify-topic': 'orders/create' },
  bodyBase64: Buffer.from('{}').toString('base64'),
};

describe('S3WebhookArchive', () => {
  beforeEach(() => s3Mock.reset());
  const archive = () =>
    new S3WebhookArchive(new S3Client({ region: 'us-east-1' }), {
      archive: 'raw-bucket',
      quarantine: 'quarantine-bucket',
    });

  it('keys raw webhooks by source, date and delivery id', async () => {
    // Prepare
    s3Mock.on(PutObjectCommand).resolves({});
    // Act
    const ref = await archive().putRaw(record);
    // Assess
    expect(ref).toBe('s3://raw-bucket/raw/shopify/2026/11/20/98880550-7158-44d4-b7cd-2c97c8a091b5.json');
    expect(JSON.parse(String(s3Mock.commandCalls(PutObjectCommand)[0]?.args[0].input.Body))).toEqual(record);
  });

  it('escapes delivery ids that contain path characters', () => {
    expect(webhookObjectKey('raw', 'billing-hub', '2026-01-02T00:00:00Z', 'a/../b')).toBe(
      'raw/billing-hub/2026/01/02/a%2F..%2Fb.json',
    );
  });

  it('writes quarantined payloads to the quarantine bucket', async () => {
    s3Mock.on(PutObjectCommand).resolves({});
    const ref = await archive().putQuarantined({ ...record, reason: 'bad', violations: [] });
    expect(ref).toMatch(/^s3:\/\/quarantine-bucket\/quarantine\/shopify\/2026\/11\/20\/[0-9A-Z]{26}\.json$/);
  });

  it('rejects with DownstreamUnavailableError when S3 fails', async () => {
    s3Mock.on(PutObjectCommand).rejects(new Error('SlowDown'));
    await expect(archive().putRaw(record)).rejects.toThrow(DownstreamUnavailableError);
  });
});
