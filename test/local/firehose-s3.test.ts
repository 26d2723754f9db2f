import { gunzipSync } from 'node:zlib';
import {
  CreateDeliveryStreamCommand,
  PutRecordBatchCommand,
  PutRecordCommand,
} from '@aws-sdk/client-firehose';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { startTestRuntime } from './support/local-runtime';

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('Firehose and S3 (through the AWS SDK)', () => {
  let local: Awaited<ReturnType<typeof startTestRuntime>>;

  beforeAll(async () => {
    local = await startTestRuntime();
    await local.clients.s3.send(new CreateBucketCommand({ Bucket: 'warehouse' }));
  });

  afterAll(async () => {
    await local.stop();
  });

  async function keys(prefix: string): Promise<string[]> {
    const { Contents = [] } = await local.clients.s3.send(
      new ListObjectsV2Command({ Bucket: 'warehouse', Prefix: prefix }),
    );
    return Contents.map((object) => object.Key as string);
  }

  it('stores, reads and lists objects, including SDK streaming uploads', async () => {
    // Act
    await local.clients.s3.send(
      new PutObjectCommand({
        Bucket: 'warehouse',
        Key: 'raw/a b/1.json',
        Body: '{"x":1}',
        ContentType: 'application/json',
      }),
    );
    const object = await local.clients.s3.send(
      new GetObjectCommand({ Bucket: 'warehouse', Key: 'raw/a b/1.json' }),
    );
    const listed = await local.clients.s3.send(
      new ListObjectsV2Command({ Bucket: 'warehouse', Prefix: 'raw/', Delimiter: '/' }),
    );
    // Assess
    expect(await object.Body?.transformToString()).toBe('{"x":1}');
    expect(object.ContentType).toBe('application/json');
    expect(listed.CommonPrefixes).toEqual([{ Prefix: 'raw/a b/' }]);
    await expect(
      local.clients.s3.send(new HeadObjectCommand({ Bucket: 'warehouse', Key: 'missing' })),
    ).rejects.toMatchObject({ name: 'NotFound' });
    await expect(
      local.clients.s3.send(new GetObjectCommand({ Bucket: 'warehouse', Key: 'missing' })),
    ).rejects.toMatchObject({ name: 'NoSuchKey' });
  });

  it('flushes by size into dynamically partitioned, GZIP-compressed objects', async () => {
    // Prepare
    await local.clients.firehose.send(
      new CreateDeliveryStreamCommand({
        DeliveryStreamName: 'by-size',
        ExtendedS3DestinationConfiguration: {
          BucketARN: 'arn:aws:s3:::warehouse',
          RoleARN: 'arn:aws:iam::000000000000:role/firehose',
          Prefix: 'events/type=!{partitionKeyFromQuery:type}/date=!{partitionKeyFromQuery:date}/',
          ErrorOutputPrefix: 'errors/!{firehose:error-output-type}/',
          BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 900 },
          CompressionFormat: 'GZIP',
          DynamicPartitioningConfiguration: { Enabled: true },
          ProcessingConfiguration: {
            Enabled: true,
            Processors: [
              {
                Type: 'MetadataExtraction',
                Parameters: [
                  {
                    ParameterName: 'MetadataExtractionQuery',
                    ParameterValue: '{type: .["detail-type"], date: .time[0:10]}',
                  },
                  { ParameterName: 'JsonParsingEngine', ParameterValue: 'JQ-1.6' },
                ],
              },
              {
                Type: 'AppendDelimiterToRecord',
                Parameters: [{ ParameterName: 'Delimiter', ParameterValue: '\\n' }],
              },
            ],
          },
        },
      }),
    );
    const padding = 'x'.repeat(2000);
    const records = Array.from({ length: 500 }, (_, i) => ({
      Data: Buffer.from(
        JSON.stringify({
          'detail-type': i % 2 ? 'erp.order.accepted.v1' : 'commerce.order.placed.v1',
          time: '2026-11-20T10:00:00Z',
          i,
          padding,
        }),
      ),
    }));
    // Act
    const put = await local.clients.firehose.send(
      new PutRecordBatchCommand({ DeliveryStreamName: 'by-size', Records: records }),
    );
    await local.clients.firehose.send(
      new PutRecordCommand({ DeliveryStreamName: 'by-size', Record: { Data: Buffer.from('{"no":"type"}') } }),
    );
    await local.clients.firehose.send(
      new PutRecordBatchCommand({ DeliveryStreamName: 'by-size', Records: records.slice(0, 100) }),
    );
    const placed = await waitFor(async () => {
      const found = await keys('events/type=commerce.order.placed.v1/date=2026-11-20/');
      return found.length > 0 ? found : undefined;
    });
    const object = await local.clients.s3.send(new GetObjectCommand({ Bucket: 'warehouse', Key: placed[0] }));
    const lines = gunzipSync(
      Buffer.from(await (object.Body?.transformToByteArray() ?? Promise.resolve(new Uint8Array()))),
    )
      .toString('utf8')
      .trim()
      .split('\n');
    // Assess
    expect(put.FailedPutCount).toBe(0);
    expect(placed[0]).toMatch(
      /^events\/type=commerce\.order\.placed\.v1\/date=2026-11-20\/by-size-1-2026-\d\d-\d\d-\d\d-\d\d-\d\d-[0-9a-f-]+\.gz$/,
    );
    expect(lines.map((line) => JSON.parse(line)['detail-type'])).toEqual(
      Array(lines.length).fill('commerce.order.placed.v1'),
    );
    expect(await keys('errors/processing-failed/')).toHaveLength(1);
  });

  it('flushes by interval when the buffer stays small', async () => {
    // Prepare
    await local.clients.firehose.send(
      new CreateDeliveryStreamCommand({
        DeliveryStreamName: 'by-interval',
        ExtendedS3DestinationConfiguration: {
          BucketARN: 'arn:aws:s3:::warehouse',
          RoleARN: 'arn:aws:iam::000000000000:role/f',
          Prefix: 'small/',
          BufferingHints: { SizeInMBs: 5, IntervalInSeconds: 1 },
        },
      }),
    );
    // Act
    await local.clients.firehose.send(
      new PutRecordCommand({ DeliveryStreamName: 'by-interval', Record: { Data: Buffer.from('{"a":1}') } }),
    );
    const before = await keys('small/');
    const after = await waitFor(async () => {
      const found = await keys('small/');
      return found.length > 0 ? found : undefined;
    });
    const object = await local.clients.s3.send(new GetObjectCommand({ Bucket: 'warehouse', Key: after[0] }));
    // Assess
    expect(before).toEqual([]);
    expect(await object.Body?.transformToString()).toBe('{"a":1}');
  });

  it('rejects records to a stream that does not exist', async () => {
    await expect(
      local.clients.firehose.send(
        new PutRecordCommand({ DeliveryStreamName: 'nope', Record: { Data: Buffer.from('x') } }),
      ),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });
});
