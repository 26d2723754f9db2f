import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectsCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { startTestRuntime } from './support/local-runtime';

describe('S3 objects: copy, batch delete, listing pages and ranges (through the AWS SDK)', () => {
  let local: Awaited<ReturnType<typeof startTestRuntime>>;

  beforeAll(async () => {
    local = await startTestRuntime();
    for (const bucket of ['objects', 'archive', 'listing', 'deleting'])
      await local.clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });

  afterAll(async () => {
    await local.stop();
  });

  async function put(
    bucket: string,
    key: string,
    body: string,
    extra: Partial<PutObjectCommand['input']> = {},
  ) {
    await local.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ...extra }));
  }

  /** Puts an object and answers the ETag a HEAD of it then reports. */
  async function putAndHead(bucket: string, key: string, body: string): Promise<string | undefined> {
    await put(bucket, key, body);
    return (await local.clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).ETag;
  }

  async function text(bucket: string, key: string, range?: string) {
    const object = await local.clients.s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: key, Range: range }),
    );
    return {
      object,
      body: await (object.Body as { transformToString(): Promise<string> }).transformToString(),
    };
  }

  async function failure(promise: Promise<unknown>): Promise<S3ServiceException> {
    const error = await promise.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(S3ServiceException);
    return error as S3ServiceException;
  }

  describe('CopyObject', () => {
    it('copies bytes, content type and metadata across buckets when the directive is COPY (the default)', async () => {
      // Prepare
      await put('objects', 'invoices/2026/inv 1.json', '{"total":12}', {
        ContentType: 'application/json',
        Metadata: { source: 'erp' },
      });

      // Act
      const copied = await local.clients.s3.send(
        new CopyObjectCommand({
          Bucket: 'archive',
          Key: 'copy.json',
          CopySource: `objects/${encodeURIComponent('invoices/2026/inv 1.json')}`,
          ContentType: 'text/plain',
        }),
      );
      const { object, body } = await text('archive', 'copy.json');

      // Assess
      expect(copied.CopyObjectResult?.ETag).toBe(object.ETag);
      expect(copied.CopyObjectResult?.LastModified).toBeInstanceOf(Date);
      expect(body).toBe('{"total":12}');
      expect(object.ContentType).toBe('application/json');
      expect(object.Metadata).toEqual({ source: 'erp' });
    });

    it('takes the request metadata and content type when the directive is REPLACE, even onto itself', async () => {
      // Prepare
      await put('objects', 'replace.txt', 'keep me', { ContentType: 'text/plain', Metadata: { old: 'yes' } });

      // Act
      await local.clients.s3.send(
        new CopyObjectCommand({
          Bucket: 'objects',
          Key: 'replace.txt',
          CopySource: 'objects/replace.txt',
          MetadataDirective: 'REPLACE',
          ContentType: 'text/csv',
          Metadata: { new: 'yes' },
        }),
      );
      const { object, body } = await text('objects', 'replace.txt');

      // Assess
      expect(body).toBe('keep me');
      expect(object.ContentType).toBe('text/csv');
      expect(object.Metadata).toEqual({ new: 'yes' });
    });

    it('rejects a copy onto itself without changes with InvalidRequest, and a missing source with NoSuchKey', async () => {
      // Prepare
      await put('objects', 'self.txt', 'same');

      // Act
      const self = await failure(
        local.clients.s3.send(
          new CopyObjectCommand({ Bucket: 'objects', Key: 'self.txt', CopySource: 'objects/self.txt' }),
        ),
      );
      const missing = await failure(
        local.clients.s3.send(
          new CopyObjectCommand({ Bucket: 'objects', Key: 'x.txt', CopySource: 'objects/absent.txt' }),
        ),
      );
      const badDirective = await failure(
        local.clients.s3.send(
          new CopyObjectCommand({
            Bucket: 'objects',
            Key: 'x.txt',
            CopySource: 'objects/self.txt',
            MetadataDirective: 'MERGE' as 'COPY',
          }),
        ),
      );

      // Assess
      expect(self.name).toBe('InvalidRequest');
      expect(missing.name).toBe('NoSuchKey');
      expect(missing.$metadata.httpStatusCode).toBe(404);
      expect(badDirective.name).toBe('InvalidArgument');
      await failure(local.clients.s3.send(new HeadObjectCommand({ Bucket: 'objects', Key: 'x.txt' })));
    });

    it('copies only when the source ETag matches CopySourceIfMatch, failing with PreconditionFailed otherwise', async () => {
      // Prepare
      const ETag = await putAndHead('objects', 'conditional.txt', 'v1');

      // Act
      const mismatch = await failure(
        local.clients.s3.send(
          new CopyObjectCommand({
            Bucket: 'archive',
            Key: 'conditional.txt',
            CopySource: 'objects/conditional.txt',
            CopySourceIfMatch: '"00000000000000000000000000000000"',
          }),
        ),
      );
      await local.clients.s3.send(
        new CopyObjectCommand({
          Bucket: 'archive',
          Key: 'conditional.txt',
          CopySource: 'objects/conditional.txt',
          CopySourceIfMatch: ETag,
        }),
      );

      // Assess
      expect(mismatch.name).toBe('PreconditionFailed');
      expect(mismatch.$metadata.httpStatusCode).toBe(412);
      expect((await text('archive', 'conditional.txt')).body).toBe('v1');
    });
  });

  describe('DeleteObjects', () => {
    it('deletes every key, absent ones included, and names each deleted key', async () => {
      // Prepare
      await put('deleting', 'a.txt', 'a');
      await put('deleting', 'b/c.txt', 'c');

      // Act
      const result = await local.clients.s3.send(
        new DeleteObjectsCommand({
          Bucket: 'deleting',
          Delete: { Objects: [{ Key: 'a.txt' }, { Key: 'b/c.txt' }, { Key: 'never-there.txt' }] },
        }),
      );
      const remaining = await local.clients.s3.send(new ListObjectsV2Command({ Bucket: 'deleting' }));

      // Assess
      expect(result.Deleted?.map((entry) => entry.Key)).toEqual(['a.txt', 'b/c.txt', 'never-there.txt']);
      expect(result.Errors).toBeUndefined();
      expect(remaining.KeyCount).toBe(0);
    });

    it('answers only the failures in quiet mode, each key failing on its own', async () => {
      // Prepare
      await put('deleting', 'quiet-1.txt', '1');
      await put('deleting', 'quiet-2.txt', '2');

      // Act
      const result = await local.clients.s3.send(
        new DeleteObjectsCommand({
          Bucket: 'deleting',
          Delete: {
            Quiet: true,
            Objects: [
              { Key: 'quiet-1.txt' },
              { Key: 'quiet-2.txt', VersionId: '3HL4kqtJlcpXroDTDmJ' },
              { Key: 'a & <b>' },
            ],
          },
        }),
      );
      const remaining = await local.clients.s3.send(new ListObjectsV2Command({ Bucket: 'deleting' }));

      // Assess
      expect(result.Deleted).toBeUndefined();
      expect(result.Errors).toEqual([
        {
          Key: 'quiet-2.txt',
          VersionId: '3HL4kqtJlcpXroDTDmJ',
          Code: 'NoSuchVersion',
          Message: 'The specified version does not exist.',
        },
      ]);
      expect(remaining.Contents?.map((entry) => entry.Key)).toEqual(['quiet-2.txt']);
    });

    it('rejects more than 1,000 keys with MalformedXML and deletes nothing', async () => {
      // Prepare
      await put('deleting', 'kept.txt', 'k');
      const objects = Array.from({ length: 1001 }, (_, index) => ({
        Key: index === 0 ? 'kept.txt' : `k${index}`,
      }));

      // Act
      const error = await failure(
        local.clients.s3.send(new DeleteObjectsCommand({ Bucket: 'deleting', Delete: { Objects: objects } })),
      );

      // Assess
      expect(error.name).toBe('MalformedXML');
      expect((await text('deleting', 'kept.txt')).body).toBe('k');
    });
  });

  describe('ListObjectsV2', () => {
    const keys = [
      '2026/01/a.json',
      '2026/01/b.json',
      '2026/02/c.json',
      '2026/top.json',
      'readme.txt',
      'z.txt',
    ];

    beforeAll(async () => {
      for (const key of keys) await put('listing', key, key);
    });

    async function allPages(input: Omit<ListObjectsV2Command['input'], 'Bucket'>) {
      const pages: ListObjectsV2CommandOutput[] = [];
      let token: string | undefined;
      do {
        const page = await local.clients.s3.send(
          new ListObjectsV2Command({ Bucket: 'listing', ...input, ContinuationToken: token }),
        );
        pages.push(page);
        token = page.NextContinuationToken;
      } while (token);
      return pages;
    }

    it('pages through every key with MaxKeys and the continuation token, each key once', async () => {
      // Act
      const pages = await allPages({ MaxKeys: 4 });

      // Assess
      expect(pages.map((page) => page.Contents?.map((entry) => entry.Key))).toEqual([
        keys.slice(0, 4),
        keys.slice(4),
      ]);
      expect(pages.map((page) => [page.KeyCount, page.IsTruncated])).toEqual([
        [4, true],
        [2, false],
      ]);
      expect(pages[1]?.ContinuationToken).toBe(pages[0]?.NextContinuationToken);
    });

    it('rolls keys up into common prefixes with a delimiter, never repeating a prefix across pages', async () => {
      // Act
      const top = await allPages({ Delimiter: '/', MaxKeys: 1 });
      const under2026 = await allPages({ Prefix: '2026/', Delimiter: '/', MaxKeys: 2 });

      // Assess
      expect(
        top.map((page) => [
          page.CommonPrefixes?.map((entry) => entry.Prefix),
          page.Contents?.map((entry) => entry.Key),
        ]),
      ).toEqual([
        [['2026/'], undefined],
        [undefined, ['readme.txt']],
        [undefined, ['z.txt']],
      ]);
      expect(under2026.flatMap((page) => page.CommonPrefixes?.map((entry) => entry.Prefix) ?? [])).toEqual([
        '2026/01/',
        '2026/02/',
      ]);
      expect(under2026.flatMap((page) => page.Contents?.map((entry) => entry.Key) ?? [])).toEqual([
        '2026/top.json',
      ]);
    });

    it('starts after StartAfter, and the continuation token wins over it', async () => {
      // Act
      const after = await local.clients.s3.send(
        new ListObjectsV2Command({ Bucket: 'listing', StartAfter: '2026/top.json' }),
      );
      const first = await local.clients.s3.send(new ListObjectsV2Command({ Bucket: 'listing', MaxKeys: 1 }));
      const both = await local.clients.s3.send(
        new ListObjectsV2Command({
          Bucket: 'listing',
          StartAfter: 'readme.txt',
          ContinuationToken: first.NextContinuationToken,
          MaxKeys: 1,
        }),
      );

      // Assess
      expect(after.Contents?.map((entry) => entry.Key)).toEqual(['readme.txt', 'z.txt']);
      expect(after.StartAfter).toBe('2026/top.json');
      expect(both.Contents?.map((entry) => entry.Key)).toEqual(['2026/01/b.json']);
    });

    it('rejects a continuation token it did not issue and a negative MaxKeys with InvalidArgument', async () => {
      // Act
      const token = await failure(
        local.clients.s3.send(
          new ListObjectsV2Command({ Bucket: 'listing', ContinuationToken: 'bm90IGEgdG9rZW4=' }),
        ),
      );
      const maxKeys = await failure(
        local.clients.s3.send(new ListObjectsV2Command({ Bucket: 'listing', MaxKeys: -1 })),
      );

      // Assess
      expect(token.name).toBe('InvalidArgument');
      expect(maxKeys.name).toBe('InvalidArgument');
    });

    it('answers ListObjects (version 1) with Marker and NextMarker', async () => {
      // Act
      const first = await local.clients.s3.send(
        new ListObjectsCommand({ Bucket: 'listing', Delimiter: '/', MaxKeys: 2 }),
      );
      const second = await local.clients.s3.send(
        new ListObjectsCommand({ Bucket: 'listing', Delimiter: '/', Marker: first.NextMarker }),
      );

      // Assess
      expect(first.CommonPrefixes?.map((entry) => entry.Prefix)).toEqual(['2026/']);
      expect(first.Contents?.map((entry) => entry.Key)).toEqual(['readme.txt']);
      expect(first.NextMarker).toBe('readme.txt');
      expect(second.Contents?.map((entry) => entry.Key)).toEqual(['z.txt']);
      expect(second.IsTruncated).toBe(false);
    });
  });

  describe('GetObject with Range', () => {
    beforeAll(async () => {
      await put('objects', 'digits.txt', '0123456789');
    });

    it('answers 206 with Content-Range for a range, an open range and a suffix', async () => {
      // Act
      const middle = await text('objects', 'digits.txt', 'bytes=2-5');
      const open = await text('objects', 'digits.txt', 'bytes=7-');
      const suffix = await text('objects', 'digits.txt', 'bytes=-3');
      const beyond = await text('objects', 'digits.txt', 'bytes=8-100');

      // Assess
      expect([middle.body, middle.object.ContentRange, middle.object.ContentLength]).toEqual([
        '2345',
        'bytes 2-5/10',
        4,
      ]);
      expect([open.body, open.object.ContentRange]).toEqual(['789', 'bytes 7-9/10']);
      expect([suffix.body, suffix.object.ContentRange]).toEqual(['789', 'bytes 7-9/10']);
      expect([beyond.body, beyond.object.ContentRange]).toEqual(['89', 'bytes 8-9/10']);
      expect(middle.object.$metadata.httpStatusCode).toBe(206);
    });

    it('rejects a range starting past the end with 416 InvalidRange', async () => {
      // Act
      const error = await failure(
        local.clients.s3.send(
          new GetObjectCommand({ Bucket: 'objects', Key: 'digits.txt', Range: 'bytes=10-' }),
        ),
      );

      // Assess
      expect(error.name).toBe('InvalidRange');
      expect(error.$metadata.httpStatusCode).toBe(416);
    });

    it('answers the whole object (200) for a Range header that is not one byte range', async () => {
      // Act
      const reversed = await text('objects', 'digits.txt', 'bytes=5-2');
      const several = await text('objects', 'digits.txt', 'bytes=0-1,4-5');

      // Assess
      expect([reversed.body, reversed.object.$metadata.httpStatusCode]).toEqual(['0123456789', 200]);
      expect([several.body, several.object.ContentRange]).toEqual(['0123456789', undefined]);
    });
  });

  it('refuses a sub-resource it does not serve with NotImplemented (501) instead of answering something else', async () => {
    // Prepare
    await put('objects', 'tagged.txt', 't');

    // Act
    const versioning = await failure(
      local.clients.s3.send(new GetBucketVersioningCommand({ Bucket: 'objects' })),
    );
    const tagging = await failure(
      local.clients.s3.send(new GetObjectTaggingCommand({ Bucket: 'objects', Key: 'tagged.txt' })),
    );

    // Assess
    expect([versioning.name, versioning.$metadata.httpStatusCode]).toEqual(['NotImplemented', 501]);
    expect(tagging.name).toBe('NotImplemented');
  });

  it('refuses clearly a key that would make an object a folder, or a folder an object, and keeps both objects', async () => {
    // Prepare
    await put('objects', 'nested/leaf.txt', 'leaf');
    await put('objects', 'flat.txt', 'flat');

    // Act
    const overFolder = await failure(put('objects', 'nested', 'x'));
    const underObject = await failure(put('objects', 'flat.txt/child', 'x'));

    // Assess
    expect([overFolder.name, overFolder.$metadata.httpStatusCode]).toEqual(['InvalidArgument', 400]);
    expect(overFolder.message).toContain('cannot store "nested" while "nested/…" exists');
    expect(underObject.message).toContain('cannot store "flat.txt/child" while "flat.txt" exists');
    expect((await text('objects', 'nested/leaf.txt')).body).toBe('leaf');
    expect((await text('objects', 'flat.txt')).body).toBe('flat');
  });

  it('lists buckets a page at a time with MaxBuckets and ContinuationToken, filtered by Prefix', async () => {
    // Act
    const first = await local.clients.s3.send(new ListBucketsCommand({ MaxBuckets: 2 }));
    const rest = await local.clients.s3.send(
      new ListBucketsCommand({ ContinuationToken: first.ContinuationToken }),
    );
    const prefixed = await local.clients.s3.send(new ListBucketsCommand({ Prefix: 'list' }));

    // Assess
    expect(first.Buckets?.map((bucket) => bucket.Name)).toEqual(['archive', 'deleting']);
    expect(rest.Buckets?.map((bucket) => bucket.Name)).toEqual(['listing', 'objects']);
    expect(rest.ContinuationToken).toBeUndefined();
    expect(prefixed.Buckets?.map((bucket) => bucket.Name)).toEqual(['listing']);
  });

  describe('conditional requests', () => {
    it('answers 304 for If-None-Match on the current ETag and 412 for If-Match on another', async () => {
      // Prepare
      const ETag = await putAndHead('objects', 'conditional-read.txt', 'v1');

      // Act
      const notModified = await failure(
        local.clients.s3.send(
          new GetObjectCommand({ Bucket: 'objects', Key: 'conditional-read.txt', IfNoneMatch: ETag }),
        ),
      );
      const mismatch = await failure(
        local.clients.s3.send(
          new GetObjectCommand({
            Bucket: 'objects',
            Key: 'conditional-read.txt',
            IfMatch: '"0123456789abcdef0123456789abcdef"',
          }),
        ),
      );
      const matching = await local.clients.s3.send(
        new GetObjectCommand({
          Bucket: 'objects',
          Key: 'conditional-read.txt',
          IfMatch: ETag,
          IfNoneMatch: '"other"',
        }),
      );

      // Assess
      expect(notModified.$metadata.httpStatusCode).toBe(304);
      expect([mismatch.name, mismatch.$metadata.httpStatusCode]).toEqual(['PreconditionFailed', 412]);
      expect(matching.ETag).toBe(ETag);
    });

    it('refuses a write with If-None-Match: * over an existing key, and with If-Match on another ETag, keeping the object', async () => {
      // Prepare
      await put('objects', 'conditional-write.txt', 'first');

      // Act
      const exists = await failure(put('objects', 'conditional-write.txt', 'second', { IfNoneMatch: '*' }));
      const stale = await failure(
        put('objects', 'conditional-write.txt', 'third', { IfMatch: '"00000000000000000000000000000000"' }),
      );
      const absent = await failure(
        put('objects', 'never-written.txt', 'x', { IfMatch: '"00000000000000000000000000000000"' }),
      );
      await put('objects', 'fresh.txt', 'created', { IfNoneMatch: '*' });

      // Assess
      expect([exists.name, exists.$metadata.httpStatusCode]).toEqual(['PreconditionFailed', 412]);
      expect(stale.name).toBe('PreconditionFailed');
      expect(absent.name).toBe('NoSuchKey');
      expect((await text('objects', 'conditional-write.txt')).body).toBe('first');
      expect((await text('objects', 'fresh.txt')).body).toBe('created');
    });
  });

  it('answers a key that is not valid percent-encoding with InvalidURI in the S3 error document', async () => {
    // Act
    const response = await fetch(`${local.runtime.endpoint}/objects/bad%E0%A4%A`, {
      headers: {
        authorization:
          'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00',
      },
    });
    const body = await response.text();

    // Assess
    expect(response.status).toBe(400);
    expect(body).toContain('<Code>InvalidURI</Code>');
  });
});
