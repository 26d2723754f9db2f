import { createHash } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  PutObjectCommand,
  S3ServiceException,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { startTestRuntime } from './support/local-runtime';

const mib = 1024 * 1024;

function bytes(size: number, seed: number): Buffer {
  return Buffer.alloc(size, seed);
}

function md5(data: Buffer): string {
  return createHash('md5').update(data).digest('hex');
}

describe('S3 multipart upload (through the AWS SDK)', () => {
  let local: Awaited<ReturnType<typeof startTestRuntime>>;
  const bucket = 'multipart';

  beforeAll(async () => {
    local = await startTestRuntime();
    await local.clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });

  afterAll(async () => {
    await local.stop();
  });

  async function start(key: string, extra: { ContentType?: string; Metadata?: Record<string, string> } = {}) {
    const { UploadId } = await local.clients.s3.send(
      new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ...extra }),
    );
    return UploadId as string;
  }

  async function part(key: string, uploadId: string, partNumber: number, body: Buffer) {
    const { ETag } = await local.clients.s3.send(
      new UploadPartCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        PartNumber: partNumber,
        Body: body,
      }),
    );
    return ETag as string;
  }

  async function failure(promise: Promise<unknown>): Promise<S3ServiceException> {
    const error = await promise.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(S3ServiceException);
    return error as S3ServiceException;
  }

  it('assembles the parts in order into one object with the -N multipart ETag and the upload metadata', async () => {
    // Prepare
    const key = 'exports/big file.bin';
    const first = bytes(5 * mib, 1);
    const second = bytes(5 * mib, 2);
    const last = bytes(1234, 3);
    const uploadId = await start(key, { ContentType: 'application/x-ndjson', Metadata: { origin: 'erp' } });
    const etags = [await part(key, uploadId, 1, first), await part(key, uploadId, 2, second)];
    etags.push(await part(key, uploadId, 3, last));

    // Act
    const completed = await local.clients.s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: etags.map((ETag, index) => ({ ETag, PartNumber: index + 1 })) },
      }),
    );
    const object = await local.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const body = Buffer.from(
      await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
    );

    // Assess
    const expectedEtag = `"${md5(Buffer.concat([first, second, last].map((data) => Buffer.from(md5(data), 'hex'))))}-3"`;
    expect(etags).toEqual([first, second, last].map((data) => `"${md5(data)}"`));
    expect(completed.ETag).toBe(expectedEtag);
    expect(completed.Key).toBe(key);
    expect(object.ETag).toBe(expectedEtag);
    expect(object.ContentType).toBe('application/x-ndjson');
    expect(object.Metadata).toEqual({ origin: 'erp' });
    expect(body.equals(Buffer.concat([first, second, last]))).toBe(true);
    const uploads = await local.clients.s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    expect(uploads.Uploads ?? []).toEqual([]);
    const afterCompletion = await failure(
      local.clients.s3.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId })),
    );
    expect(afterCompletion.name).toBe('NoSuchUpload');
  });

  it('lets a part be uploaded again, the last upload winning, and skips part numbers left out', async () => {
    // Prepare
    const key = 'reupload.bin';
    const uploadId = await start(key);
    await part(key, uploadId, 1, bytes(5 * mib, 7));
    const one = await part(key, uploadId, 1, bytes(5 * mib, 8));
    const three = await part(key, uploadId, 3, Buffer.from('tail'));

    // Act
    await local.clients.s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: {
          Parts: [
            { PartNumber: 1, ETag: one },
            { PartNumber: 3, ETag: three },
          ],
        },
      }),
    );
    const head = await local.clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));

    // Assess
    expect(head.ContentLength).toBe(5 * mib + 4);
    expect(head.ETag).toMatch(/-2"$/);
  });

  it('lists the parts of an upload page by page and the uploads in progress', async () => {
    // Prepare
    const key = 'listed.bin';
    const uploadId = await start(key);
    for (const number of [1, 2, 3]) await part(key, uploadId, number, Buffer.from(`part ${number}`));
    const otherId = await start('other/listed.bin');

    // Act
    const firstPage = await local.clients.s3.send(
      new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MaxParts: 2 }),
    );
    const secondPage = await local.clients.s3.send(
      new ListPartsCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        PartNumberMarker: firstPage.NextPartNumberMarker,
      }),
    );
    const uploads = await local.clients.s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    const underOther = await local.clients.s3.send(
      new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'other/' }),
    );

    // Assess
    expect(firstPage.Parts?.map((entry) => [entry.PartNumber, entry.Size, entry.ETag])).toEqual([
      [1, 6, `"${md5(Buffer.from('part 1'))}"`],
      [2, 6, `"${md5(Buffer.from('part 2'))}"`],
    ]);
    expect(firstPage.IsTruncated).toBe(true);
    expect(secondPage.Parts?.map((entry) => entry.PartNumber)).toEqual([3]);
    expect(secondPage.IsTruncated).toBe(false);
    expect(uploads.Uploads?.map((upload) => [upload.Key, upload.UploadId])).toEqual([
      [key, uploadId],
      ['other/listed.bin', otherId],
    ]);
    expect(underOther.Uploads?.map((upload) => upload.UploadId)).toEqual([otherId]);
    await local.clients.s3.send(
      new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }),
    );
    await local.clients.s3.send(
      new AbortMultipartUploadCommand({ Bucket: bucket, Key: 'other/listed.bin', UploadId: otherId }),
    );
  });

  it('pages through uploads in progress with the key and upload id markers', async () => {
    // Prepare
    const ids = [await start('paged/a'), await start('paged/a'), await start('paged/b')];

    // Act
    const first = await local.clients.s3.send(
      new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'paged/', MaxUploads: 2 }),
    );
    const second = await local.clients.s3.send(
      new ListMultipartUploadsCommand({
        Bucket: bucket,
        Prefix: 'paged/',
        KeyMarker: first.NextKeyMarker,
        UploadIdMarker: first.NextUploadIdMarker,
      }),
    );

    // Assess
    expect(first.IsTruncated).toBe(true);
    expect(first.Uploads?.map((upload) => upload.UploadId)).toEqual(ids.slice(0, 2));
    expect(second.IsTruncated).toBe(false);
    expect(second.Uploads?.map((upload) => upload.UploadId)).toEqual(ids.slice(2));
    for (const [index, id] of ids.entries())
      await local.clients.s3.send(
        new AbortMultipartUploadCommand({
          Bucket: bucket,
          Key: index < 2 ? 'paged/a' : 'paged/b',
          UploadId: id,
        }),
      );
  });

  it('rejects a part other than the last below 5 MiB with EntityTooSmall and keeps the upload', async () => {
    // Prepare
    const key = 'small.bin';
    const uploadId = await start(key);
    const parts = [
      { PartNumber: 1, ETag: await part(key, uploadId, 1, bytes(5 * mib - 1, 1)) },
      { PartNumber: 2, ETag: await part(key, uploadId, 2, Buffer.from('x')) },
    ];

    // Act
    const error = await failure(
      local.clients.s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
        }),
      ),
    );

    // Assess
    expect(error.name).toBe('EntityTooSmall');
    expect(error.$metadata.httpStatusCode).toBe(400);
    const listed = await local.clients.s3.send(
      new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId }),
    );
    expect(listed.Parts).toHaveLength(2);
    await failure(local.clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })));
  });

  it('rejects a part whose ETag does not match with InvalidPart, and parts out of order with InvalidPartOrder', async () => {
    // Prepare
    const key = 'mismatch.bin';
    const uploadId = await start(key);
    const one = await part(key, uploadId, 1, bytes(5 * mib, 4));
    const two = await part(key, uploadId, 2, Buffer.from('end'));
    const complete = (Parts: { PartNumber: number; ETag: string }[]) =>
      local.clients.s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts },
        }),
      );

    // Act
    const wrongEtag = await failure(
      complete([
        { PartNumber: 1, ETag: one },
        { PartNumber: 2, ETag: `"${md5(Buffer.from('other'))}"` },
      ]),
    );
    const missing = await failure(
      complete([
        { PartNumber: 1, ETag: one },
        { PartNumber: 5, ETag: two },
      ]),
    );
    const unordered = await failure(
      complete([
        { PartNumber: 2, ETag: two },
        { PartNumber: 1, ETag: one },
      ]),
    );
    const repeated = await failure(
      complete([
        { PartNumber: 1, ETag: one },
        { PartNumber: 1, ETag: one },
      ]),
    );

    // Assess
    expect(wrongEtag.name).toBe('InvalidPart');
    expect(missing.name).toBe('InvalidPart');
    expect(unordered.name).toBe('InvalidPartOrder');
    expect(repeated.name).toBe('InvalidPartOrder');
    const completed = await complete([
      { PartNumber: 1, ETag: one },
      { PartNumber: 2, ETag: two },
    ]);
    expect(completed.ETag).toMatch(/-2"$/);
  });

  it('rejects an upload id that is unknown, aborted or completed with NoSuchUpload (404)', async () => {
    // Prepare
    const key = 'aborted.bin';
    const uploadId = await start(key);
    await part(key, uploadId, 1, Buffer.from('a'));
    await local.clients.s3.send(
      new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }),
    );

    // Act
    const afterAbort = await failure(part(key, uploadId, 2, Buffer.from('b')));
    const listAfterAbort = await failure(
      local.clients.s3.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId })),
    );
    const abortAgain = await failure(
      local.clients.s3.send(
        new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }),
      ),
    );
    const otherKey = await failure(part('another-key.bin', await start(key), 1, Buffer.from('c')));

    // Assess
    for (const error of [afterAbort, listAfterAbort, abortAgain, otherKey]) {
      expect(error.name).toBe('NoSuchUpload');
      expect(error.$metadata.httpStatusCode).toBe(404);
    }
  });

  it('rejects a part number outside 1–10000 with InvalidArgument', async () => {
    // Prepare
    const key = 'numbers.bin';
    const uploadId = await start(key);

    // Act
    const zero = await failure(part(key, uploadId, 0, Buffer.from('a')));
    const tooHigh = await failure(part(key, uploadId, 10001, Buffer.from('a')));

    // Assess
    expect(zero.name).toBe('InvalidArgument');
    expect(tooHigh.name).toBe('InvalidArgument');
    expect(tooHigh.message).toBe('Part number must be an integer between 1 and 10000, inclusive');
  });

  it('answers a CompleteMultipartUpload without parts with MalformedXML', async () => {
    // Prepare
    const key = 'empty.bin';
    const uploadId = await start(key);

    // Act
    const error = await failure(
      local.clients.s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: [] },
        }),
      ),
    );

    // Assess
    expect(error.name).toBe('MalformedXML');
  });

  it('copies parts from an existing object, whole or by x-amz-copy-source-range, as aws s3 cp between buckets does', async () => {
    // Prepare
    const source = Buffer.concat([bytes(5 * mib, 5), Buffer.from('0123456789')]);
    await local.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'source.bin', Body: source }));
    const key = 'copied.bin';
    const uploadId = await start(key);
    const copy = (PartNumber: number, CopySourceRange?: string) =>
      local.clients.s3.send(
        new UploadPartCopyCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          PartNumber,
          CopySource: `${bucket}/source.bin`,
          CopySourceRange,
        }),
      );

    // Act
    const first = await copy(1, `bytes=0-${5 * mib - 1}`);
    const second = await copy(2, `bytes=${5 * mib + 2}-${5 * mib + 4}`);
    const beyond = await failure(copy(3, `bytes=0-${source.length}`));
    await local.clients.s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: {
          Parts: [
            { PartNumber: 1, ETag: first.CopyPartResult?.ETag },
            { PartNumber: 2, ETag: second.CopyPartResult?.ETag },
          ],
        },
      }),
    );
    const object = await local.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const body = Buffer.from(
      await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
    );

    // Assess
    expect(second.CopyPartResult?.ETag).toBe(`"${md5(Buffer.from('234'))}"`);
    expect([beyond.name, beyond.message]).toEqual([
      'InvalidArgument',
      `Range specified is not valid for source object of size: ${source.length}`,
    ]);
    expect(body.equals(Buffer.concat([bytes(5 * mib, 5), Buffer.from('234')]))).toBe(true);
  });
});
