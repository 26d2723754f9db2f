/**
 * S3 on the filesystem, REST with XML: buckets; Put/Get (with Range)/Head/Copy/Delete object; DeleteObjects;
 * ListObjects and ListObjectsV2 with pagination; multipart uploads (what `aws s3 cp` does above 8 MB).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import type { LocalClock } from '../../clock';
import { AwsError } from '../../edge/aws-error';
import type { RawService } from '../../edge/edge-server';
import type { DurableStore } from '../../store/durable-store';
import type { UsageMeter } from '../../usage/usage-meter';
import { concatenateFilesDurably, writeFileDurably } from './durable-file';
import { checkWriteCondition, readCondition } from './s3-conditions';
import { type ListingMarker, listingPage } from './s3-listing';
import { MultipartUploads, partNumberOf, type RequestedPart, type UploadRow } from './s3-multipart';
import { requestedRange } from './s3-range';
import { errorXml, malformedXml, S3Error, sendXml, xmlElements, xmlEscape, xmlRoot, xmlText } from './s3-xml';

export { writeFileDurably } from './durable-file';

interface ObjectRow {
  bucket: string;
  key: string;
  etag: string;
  size: number;
  content_type: string;
  content_encoding: string | null;
  metadata: string;
  modified: number;
}

/** What an object carries besides its bytes. */
interface ObjectOptions {
  contentType?: string;
  contentEncoding?: string;
  metadata?: Record<string, string>;
}

const xmlns = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';
const maxKeyBytes = 1024;
const maxDeleteKeys = 1000;

/** The operations this S3 answers; a request for any other is refused (NotImplemented), never answered as one of these. */
export const s3Operations = [
  'AbortMultipartUpload',
  'CompleteMultipartUpload',
  'CopyObject',
  'CreateBucket',
  'CreateMultipartUpload',
  'DeleteBucket',
  'DeleteObject',
  'DeleteObjects',
  'GetBucketLocation',
  'GetObject',
  'HeadBucket',
  'HeadObject',
  'ListBuckets',
  'ListMultipartUploads',
  'ListObjects',
  'ListObjectsV2',
  'ListParts',
  'PutObject',
  'UploadPart',
  'UploadPartCopy',
] as const;

/**
 * Every query parameter these operations take. Any other names a sub-resource or an option not served here
 * (`?tagging`, `?versions`, `?metadataTable`, …): refused rather than ignored, so a request never gets an answer
 * meant for another operation.
 */
const servedParameters = new Set([
  'x-id',
  'bucket-region',
  'continuation-token',
  'delete',
  'delimiter',
  'encoding-type',
  'fetch-owner',
  'key-marker',
  'list-type',
  'location',
  'marker',
  'max-buckets',
  'max-keys',
  'max-parts',
  'max-uploads',
  'part-number-marker',
  'partNumber',
  'prefix',
  'start-after',
  'upload-id-marker',
  'uploadId',
  'uploads',
  'versionId',
  'response-cache-control',
  'response-content-disposition',
  'response-content-encoding',
  'response-content-language',
  'response-content-type',
  'response-expires',
]);

/** GetObject's response-* parameters and the header each overrides. */
const responseOverrides: Record<string, string> = {
  'response-cache-control': 'cache-control',
  'response-content-disposition': 'content-disposition',
  'response-content-encoding': 'content-encoding',
  'response-content-language': 'content-language',
  'response-content-type': 'content-type',
  'response-expires': 'expires',
};

function notImplemented(what: string): S3Error {
  return new S3Error('NotImplemented', `${what} is not implemented by the local runtime`, 501);
}

function invalidArgument(message: string, name: string, value: string): S3Error {
  return new S3Error('InvalidArgument', message, 400, '', { ArgumentName: name, ArgumentValue: value });
}

function quoted(etag: string): string {
  return `"${etag}"`;
}

/** Decodes an `aws-chunked` body (the SDK's streaming uploads with trailing checksums). */
export function decodeAwsChunked(body: Buffer): Buffer {
  const chunks: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', offset);
    if (lineEnd < 0) break;
    const size = Number.parseInt(body.subarray(offset, lineEnd).toString('latin1').split(';')[0] ?? '', 16);
    if (!Number.isFinite(size) || size === 0) break;
    chunks.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(chunks);
}

/** The object bytes of a PUT: aws-chunked framing removed, Content-MD5 checked when sent. */
function payloadOf(request: IncomingMessage, body: Buffer): Buffer {
  const chunked =
    String(request.headers['content-encoding'] ?? '').includes('aws-chunked') ||
    String(request.headers['x-amz-content-sha256'] ?? '').startsWith('STREAMING-');
  const data = chunked ? decodeAwsChunked(body) : body;
  const contentMd5 = request.headers['content-md5'];
  if (typeof contentMd5 === 'string' && createHash('md5').update(data).digest('base64') !== contentMd5)
    throw new S3Error('BadDigest', 'The Content-MD5 you specified did not match what we received.', 400);
  return data;
}

/** Content-Type, Content-Encoding (without aws-chunked) and x-amz-meta-* of a request. */
function objectOptionsOf(request: IncomingMessage): ObjectOptions {
  const encoding = String(request.headers['content-encoding'] ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part && part !== 'aws-chunked')
    .join(',');
  return {
    contentType: request.headers['content-type'],
    contentEncoding: encoding || undefined,
    metadata: Object.fromEntries(
      Object.entries(request.headers)
        .filter(([name]) => name.startsWith('x-amz-meta-'))
        .map(([name, value]) => [name.slice(11), String(value)]),
    ),
  };
}

/** A listing's page size: an integer from 0, at most 1000. */
function pageSize(url: URL, name: string): number {
  const raw = url.searchParams.get(name);
  if (raw === null) return 1000;
  if (!/^\d+$/.test(raw))
    throw invalidArgument(`Provided ${name} not an integer or within integer range`, name, raw);
  return Math.min(1000, Number(raw));
}

/** EncodingType=url (what the AWS CLI asks for) percent-encodes keys and prefixes in a listing. */
function listingEncoder(url: URL): (text: string) => string {
  const encoding = url.searchParams.get('encoding-type');
  if (encoding === null) return xmlEscape;
  if (encoding !== 'url')
    throw invalidArgument('Invalid Encoding Method specified in Request', 'encoding-type', encoding);
  return (text) => encodeURIComponent(text).replace(/%2F/g, '/');
}

/** The bucket and key an `x-amz-copy-source` header names (`bucket/key`, URL-encoded, optionally `?versionId=`). */
function copySourceOf(copySource: string): { bucket: string; key: string } {
  const [sourcePath = '', sourceQuery = ''] = copySource.split('?');
  const sourceVersion = new URLSearchParams(sourceQuery).get('versionId');
  if (sourceVersion !== null && sourceVersion !== 'null')
    throw new S3Error('NoSuchVersion', 'The specified version does not exist.', 404, copySource);
  const decoded = decodeURIComponent(sourcePath).replace(/^\//, '');
  const slash = decoded.indexOf('/');
  if (slash <= 0 || slash === decoded.length - 1)
    throw invalidArgument('Invalid copy source object key', 'x-amz-copy-source', copySource);
  return { bucket: decoded.slice(0, slash), key: decoded.slice(slash + 1) };
}

function ownerXml(): string {
  return '<Owner><ID>local</ID><DisplayName>local</DisplayName></Owner>';
}

/** The S3 service; objects live under `<data-dir>/s3/<bucket>/<key>`, their metadata in the store. */
export class S3Service implements RawService {
  readonly rootDir: string;
  private readonly uploads: MultipartUploads;

  constructor(
    private readonly store: DurableStore,
    private readonly clock: LocalClock,
    private readonly usage: UsageMeter,
  ) {
    this.rootDir = path.join(store.dataDir, 's3');
    store.db.exec(`CREATE TABLE IF NOT EXISTS s3_objects (
      bucket TEXT NOT NULL, key TEXT NOT NULL, etag TEXT NOT NULL, size INTEGER NOT NULL, content_type TEXT NOT NULL,
      content_encoding TEXT, metadata TEXT NOT NULL, modified INTEGER NOT NULL, PRIMARY KEY (bucket, key))`);
    this.uploads = new MultipartUploads(store, clock);
  }

  /** Creates a bucket (idempotent for its owner, as in us-east-1). */
  createBucket(bucket: string): void {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket))
      throw new S3Error('InvalidBucketName', 'The specified bucket is not valid.', 400, bucket);
    this.store.putResource('s3-bucket', bucket, { name: bucket, createdAt: this.clock.now() });
    mkdirSync(path.join(this.rootDir, bucket), { recursive: true });
  }

  private requireBucket(bucket: string): void {
    if (!this.store.getResource('s3-bucket', bucket))
      throw new S3Error('NoSuchBucket', 'The specified bucket does not exist', 404, bucket);
  }

  private objectPath(bucket: string, key: string): string {
    const file = path.join(this.rootDir, bucket, key);
    if (!file.startsWith(path.join(this.rootDir, bucket) + path.sep) || key.endsWith('/'))
      throw new S3Error(
        'InvalidArgument',
        'The local runtime cannot store an object under this key',
        400,
        key,
      );
    return file;
  }

  /**
   * Keys are file paths here, so `a` and `a/b` cannot both exist: refused clearly rather than failing in the
   * filesystem (S3 itself would store both).
   */
  private checkStorable(bucket: string, key: string): void {
    const root = path.join(this.rootDir, bucket);
    const file = this.objectPath(bucket, key);
    const conflict = (other: string) =>
      new S3Error(
        'InvalidArgument',
        `The local runtime keeps objects as files and cannot store "${key}" while "${other}" exists`,
        400,
        key,
      );
    if (existsSync(file) && statSync(file).isDirectory()) throw conflict(`${key}/…`);
    for (let dir = path.dirname(file); dir.startsWith(root + path.sep); dir = path.dirname(dir))
      if (existsSync(dir) && !statSync(dir).isDirectory())
        throw conflict(path.relative(root, dir).split(path.sep).join('/'));
  }

  private checkNewKey(key: string): void {
    if (Buffer.byteLength(key) > maxKeyBytes)
      throw new S3Error('KeyTooLongError', 'Your key is too long', 400, key);
    this.objectPath('-', key);
  }

  private recordObject(
    bucket: string,
    key: string,
    etag: string,
    size: number,
    options: ObjectOptions,
  ): void {
    this.store.db
      .prepare(
        'INSERT OR REPLACE INTO s3_objects (bucket, key, etag, size, content_type, content_encoding, metadata, modified) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        bucket,
        key,
        etag,
        size,
        options.contentType ?? 'binary/octet-stream',
        options.contentEncoding ?? null,
        JSON.stringify(options.metadata ?? {}),
        this.clock.now(),
      );
  }

  /** Stores an object durably; returns its ETag. */
  putObject(bucket: string, key: string, data: Buffer, options: ObjectOptions = {}): string {
    this.requireBucket(bucket);
    this.checkNewKey(key);
    this.checkStorable(bucket, key);
    const etag = createHash('md5').update(data).digest('hex');
    writeFileDurably(this.objectPath(bucket, key), data);
    this.recordObject(bucket, key, etag, data.length, options);
    return etag;
  }

  /** An object's bytes and metadata. */
  getObject(bucket: string, key: string): { row: ObjectRow; data: Buffer } {
    const row = this.objectRow(bucket, key);
    return { row, data: readFileSync(this.objectPath(bucket, key)) };
  }

  private objectRow(bucket: string, key: string): ObjectRow {
    this.requireBucket(bucket);
    const row = this.store.db
      .prepare('SELECT * FROM s3_objects WHERE bucket = ? AND key = ?')
      .get(bucket, key) as ObjectRow | undefined;
    if (!row || !existsSync(this.objectPath(bucket, key)))
      throw new S3Error('NoSuchKey', 'The specified key does not exist.', 404, key, { Key: key });
    return row;
  }

  private existingEtag(bucket: string, key: string): string | undefined {
    const row = this.store.db
      .prepare('SELECT etag FROM s3_objects WHERE bucket = ? AND key = ?')
      .get(bucket, key) as { etag: string } | undefined;
    return row?.etag;
  }

  /** Keys under a prefix, in key order. */
  listKeys(bucket: string, prefix = ''): ObjectRow[] {
    this.requireBucket(bucket);
    return this.store.db
      .prepare('SELECT * FROM s3_objects WHERE bucket = ? AND substr(key, 1, length(?)) = ? ORDER BY key')
      .all(bucket, prefix, prefix) as ObjectRow[];
  }

  /** Deletes an object; deleting a key that does not exist succeeds, as on S3. */
  deleteObject(bucket: string, key: string): void {
    this.requireBucket(bucket);
    rmSync(this.objectPath(bucket, key), { force: true });
    this.store.db.prepare('DELETE FROM s3_objects WHERE bucket = ? AND key = ?').run(bucket, key);
  }

  async handleRaw(request: IncomingMessage, body: Buffer, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://local');
    const [, bucket = '', ...keyParts] = url.pathname.split('/');
    const method = request.method ?? 'GET';
    this.usage.s3Request(method);
    try {
      let key: string;
      try {
        key = decodeURIComponent(keyParts.join('/'));
      } catch (error) {
        throw new S3Error(
          'InvalidURI',
          "Couldn't parse the specified URI.",
          400,
          url.pathname,
          {},
          { cause: error },
        );
      }
      const unsupported = [...url.searchParams.keys()].find((name) => !servedParameters.has(name));
      if (unsupported) throw notImplemented(`The ?${unsupported} sub-resource or parameter`);
      // The SDK names its operation in x-id: one not served here is refused whatever its route would look like.
      const operation = url.searchParams.get('x-id');
      if (operation !== null && !(s3Operations as readonly string[]).includes(operation))
        throw notImplemented(operation);
      if (!bucket) {
        if (method !== 'GET')
          throw new S3Error(
            'MethodNotAllowed',
            'The specified method is not allowed against this resource.',
            405,
          );
        return this.listBuckets(url, response);
      }
      const decodedBucket = decodeURIComponent(bucket);
      if (!key) return this.bucketOperation(method, decodedBucket, url, body, response);
      return this.objectOperation(method, decodedBucket, key, url, request, body, response);
    } catch (error) {
      const aws =
        error instanceof AwsError
          ? error
          : new S3Error('InternalError', 'We encountered an internal error.', 500);
      if (!(error instanceof AwsError)) console.error('[s3] internal error', error);
      if (method === 'HEAD') {
        response.writeHead(aws.statusCode, { 'x-amz-request-id': crypto.randomUUID() });
        response.end();
        return;
      }
      sendXml(response, aws.statusCode, errorXml(aws));
    }
  }

  /** ListBuckets: every bucket, or a page of them (MaxBuckets, ContinuationToken, Prefix). */
  private listBuckets(url: URL, response: ServerResponse): void {
    const region = url.searchParams.get('bucket-region');
    const prefix = url.searchParams.get('prefix') ?? '';
    const maxRaw = url.searchParams.get('max-buckets');
    if (maxRaw !== null && (!/^\d+$/.test(maxRaw) || Number(maxRaw) < 1 || Number(maxRaw) > 10000))
      throw invalidArgument('Invalid max-buckets value', 'max-buckets', maxRaw);
    const token = url.searchParams.get('continuation-token');
    const after = token === null ? undefined : Buffer.from(token, 'base64').toString('utf8');
    const all = this.store
      .listResources<{ name: string; createdAt: number }>('s3-bucket')
      .map(({ value }) => value)
      // Every local bucket is in us-east-1.
      .filter((value) => value.name.startsWith(prefix) && (region === null || region === 'us-east-1'))
      .filter((value) => after === undefined || value.name > after);
    const page = maxRaw === null ? all : all.slice(0, Number(maxRaw));
    const last = page.at(-1);
    const next =
      page.length < all.length && last
        ? `<ContinuationToken>${Buffer.from(last.name).toString('base64')}</ContinuationToken>`
        : '';
    const buckets = page.map(
      (value) =>
        `<Bucket><Name>${xmlEscape(value.name)}</Name><CreationDate>${new Date(value.createdAt).toISOString()}</CreationDate><BucketRegion>us-east-1</BucketRegion></Bucket>`,
    );
    sendXml(
      response,
      200,
      `<ListAllMyBucketsResult ${xmlns}><Owner><ID>local</ID></Owner><Buckets>${buckets.join('')}</Buckets>${next}${prefix ? `<Prefix>${xmlEscape(prefix)}</Prefix>` : ''}</ListAllMyBucketsResult>`,
    );
  }

  private bucketOperation(method: string, bucket: string, url: URL, body: Buffer, response: ServerResponse) {
    const has = (name: string) => url.searchParams.has(name);
    if (method === 'PUT' && [...url.searchParams.keys()].every((name) => name === 'x-id')) {
      this.createBucket(bucket);
      response.writeHead(200, { location: `/${bucket}` });
      response.end();
      return;
    }
    if (method === 'HEAD') {
      this.requireBucket(bucket);
      response.writeHead(200, { 'x-amz-bucket-region': 'us-east-1' });
      response.end();
      return;
    }
    if (method === 'DELETE') {
      this.requireBucket(bucket);
      if (this.listKeys(bucket).length > 0)
        throw new S3Error('BucketNotEmpty', 'The bucket you tried to delete is not empty', 409, bucket);
      this.store.deleteResource('s3-bucket', bucket);
      response.writeHead(204);
      response.end();
      return;
    }
    if (method === 'POST' && has('delete')) return this.deleteObjects(bucket, body, response);
    if (method === 'GET' && has('uploads')) return this.listMultipartUploads(bucket, url, response);
    if (method === 'GET' && has('location')) {
      this.requireBucket(bucket);
      // us-east-1 answers an empty constraint.
      sendXml(response, 200, `<LocationConstraint ${xmlns}/>`);
      return;
    }
    if (method === 'GET' && url.searchParams.get('list-type') === '2')
      return this.listObjectsV2(bucket, url, response);
    if (method === 'GET' && !has('list-type')) return this.listObjects(bucket, url, response);
    throw new S3Error(
      'MethodNotAllowed',
      'The specified method is not allowed against this resource.',
      405,
      bucket,
    );
  }

  private listObjectsV2(bucket: string, url: URL, response: ServerResponse): void {
    const prefix = url.searchParams.get('prefix') ?? '';
    const delimiter = url.searchParams.get('delimiter') ?? '';
    const maxKeys = pageSize(url, 'max-keys');
    const encode = listingEncoder(url);
    const token = url.searchParams.get('continuation-token');
    const startAfter = url.searchParams.get('start-after');
    // A continuation token wins over StartAfter, as on S3.
    const marker =
      token !== null ? this.continuationMarker(token) : startAfter ? { afterKey: startAfter } : undefined;
    const page = listingPage(this.listKeys(bucket, prefix), (row) => row.key, {
      prefix,
      delimiter,
      marker,
      maxKeys,
    });
    const fetchOwner = url.searchParams.get('fetch-owner') === 'true';
    const parts = [
      `<Name>${xmlEscape(bucket)}</Name>`,
      `<Prefix>${encode(prefix)}</Prefix>`,
      delimiter ? `<Delimiter>${encode(delimiter)}</Delimiter>` : '',
      `<MaxKeys>${maxKeys}</MaxKeys>`,
      `<KeyCount>${page.entries.length + page.commonPrefixes.length}</KeyCount>`,
      `<IsTruncated>${page.truncated}</IsTruncated>`,
      token !== null ? `<ContinuationToken>${xmlEscape(token)}</ContinuationToken>` : '',
      page.truncated && page.next
        ? `<NextContinuationToken>${Buffer.from(JSON.stringify(page.next)).toString('base64')}</NextContinuationToken>`
        : '',
      startAfter ? `<StartAfter>${encode(startAfter)}</StartAfter>` : '',
      url.searchParams.has('encoding-type') ? '<EncodingType>url</EncodingType>' : '',
      ...page.entries.map((row) => this.contentsXml(row, encode, fetchOwner)),
      ...page.commonPrefixes.map(
        (value) => `<CommonPrefixes><Prefix>${encode(value)}</Prefix></CommonPrefixes>`,
      ),
    ];
    sendXml(response, 200, `<ListBucketResult ${xmlns}>${parts.join('')}</ListBucketResult>`);
  }

  private continuationMarker(token: string): ListingMarker {
    try {
      const marker = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as ListingMarker;
      if (typeof (marker as { afterKey?: unknown }).afterKey === 'string') return marker;
      if (typeof (marker as { afterPrefix?: unknown }).afterPrefix === 'string') return marker;
    } catch {
      // Not a token this runtime issued: the same answer as for a malformed one.
    }
    throw invalidArgument('The continuation token provided is incorrect', 'continuation-token', token);
  }

  /** ListObjects (version 1): Marker and, with a delimiter, NextMarker. */
  private listObjects(bucket: string, url: URL, response: ServerResponse): void {
    const prefix = url.searchParams.get('prefix') ?? '';
    const delimiter = url.searchParams.get('delimiter') ?? '';
    const maxKeys = pageSize(url, 'max-keys');
    const encode = listingEncoder(url);
    const markerKey = url.searchParams.get('marker') ?? '';
    // A marker that is a common prefix of the previous page resumes after everything under it.
    const marker: ListingMarker | undefined = !markerKey
      ? undefined
      : delimiter && markerKey.endsWith(delimiter)
        ? { afterPrefix: markerKey }
        : { afterKey: markerKey };
    const page = listingPage(this.listKeys(bucket, prefix), (row) => row.key, {
      prefix,
      delimiter,
      marker,
      maxKeys,
    });
    const next = page.next && ('afterKey' in page.next ? page.next.afterKey : page.next.afterPrefix);
    const parts = [
      `<Name>${xmlEscape(bucket)}</Name>`,
      `<Prefix>${encode(prefix)}</Prefix>`,
      `<Marker>${encode(markerKey)}</Marker>`,
      delimiter ? `<Delimiter>${encode(delimiter)}</Delimiter>` : '',
      `<MaxKeys>${maxKeys}</MaxKeys>`,
      `<IsTruncated>${page.truncated}</IsTruncated>`,
      page.truncated && delimiter && next ? `<NextMarker>${encode(next)}</NextMarker>` : '',
      url.searchParams.has('encoding-type') ? '<EncodingType>url</EncodingType>' : '',
      ...page.entries.map((row) => this.contentsXml(row, encode, true)),
      ...page.commonPrefixes.map(
        (value) => `<CommonPrefixes><Prefix>${encode(value)}</Prefix></CommonPrefixes>`,
      ),
    ];
    sendXml(response, 200, `<ListBucketResult ${xmlns}>${parts.join('')}</ListBucketResult>`);
  }

  private contentsXml(row: ObjectRow, encode: (text: string) => string, withOwner: boolean): string {
    return `<Contents><Key>${encode(row.key)}</Key><LastModified>${new Date(row.modified).toISOString()}</LastModified><ETag>${xmlEscape(quoted(row.etag))}</ETag><Size>${row.size}</Size>${withOwner ? ownerXml() : ''}<StorageClass>STANDARD</StorageClass></Contents>`;
  }

  /** DeleteObjects: up to 1,000 keys; each key succeeds or fails on its own; Quiet answers only the failures. */
  private deleteObjects(bucket: string, body: Buffer, response: ServerResponse): void {
    this.requireBucket(bucket);
    const document = xmlRoot(body, 'Delete');
    const quiet = xmlText(document, 'Quiet') === 'true';
    const objects = xmlElements(document, 'Object').map((fragment) => ({
      key: xmlText(fragment, 'Key'),
      versionId: xmlText(fragment, 'VersionId'),
    }));
    if (objects.length === 0 || objects.length > maxDeleteKeys || objects.some((object) => !object.key))
      throw malformedXml();
    const results: string[] = [];
    for (const { key = '', versionId } of objects) {
      try {
        // Buckets here are unversioned: only the null version exists.
        if (versionId !== undefined && versionId !== 'null')
          throw new S3Error('NoSuchVersion', 'The specified version does not exist.', 404, key);
        this.deleteObject(bucket, key);
        if (!quiet) results.push(`<Deleted><Key>${xmlEscape(key)}</Key></Deleted>`);
      } catch (error) {
        const aws =
          error instanceof AwsError
            ? error
            : new S3Error('InternalError', 'We encountered an internal error.', 500);
        if (!(error instanceof AwsError)) console.error('[s3] DeleteObjects failed for a key', error);
        results.push(
          `<Error><Key>${xmlEscape(key)}</Key>${versionId ? `<VersionId>${xmlEscape(versionId)}</VersionId>` : ''}<Code>${aws.code}</Code><Message>${xmlEscape(aws.message)}</Message></Error>`,
        );
      }
    }
    sendXml(response, 200, `<DeleteResult ${xmlns}>${results.join('')}</DeleteResult>`);
  }

  private listMultipartUploads(bucket: string, url: URL, response: ServerResponse): void {
    this.requireBucket(bucket);
    const prefix = url.searchParams.get('prefix') ?? '';
    const delimiter = url.searchParams.get('delimiter') ?? '';
    const maxUploads = pageSize(url, 'max-uploads');
    const encode = listingEncoder(url);
    const keyMarker = url.searchParams.get('key-marker') ?? '';
    const uploadIdMarker = url.searchParams.get('upload-id-marker') ?? '';
    let rows = this.uploads.listUploads(bucket, prefix);
    if (keyMarker) {
      // With an upload-id marker, the marker key's uploads after that one (in initiation order) still come.
      const sameKey = rows.filter((row) => row.key === keyMarker);
      const position = uploadIdMarker ? sameKey.findIndex((row) => row.upload_id === uploadIdMarker) : -1;
      const keep = new Set(position >= 0 ? sameKey.slice(position + 1) : []);
      rows = rows.filter((row) => row.key > keyMarker || keep.has(row));
    }
    const page = listingPage(rows, (row: UploadRow) => row.key, {
      prefix,
      delimiter,
      maxKeys: maxUploads,
    });
    const last = page.entries.at(-1);
    const parts = [
      `<Bucket>${xmlEscape(bucket)}</Bucket>`,
      `<KeyMarker>${encode(keyMarker)}</KeyMarker>`,
      `<UploadIdMarker>${xmlEscape(uploadIdMarker)}</UploadIdMarker>`,
      page.truncated && last ? `<NextKeyMarker>${encode(last.key)}</NextKeyMarker>` : '',
      page.truncated && last ? `<NextUploadIdMarker>${xmlEscape(last.upload_id)}</NextUploadIdMarker>` : '',
      prefix ? `<Prefix>${encode(prefix)}</Prefix>` : '',
      delimiter ? `<Delimiter>${encode(delimiter)}</Delimiter>` : '',
      `<MaxUploads>${maxUploads}</MaxUploads>`,
      `<IsTruncated>${page.truncated}</IsTruncated>`,
      ...page.entries.map(
        (row) =>
          `<Upload><Key>${encode(row.key)}</Key><UploadId>${xmlEscape(row.upload_id)}</UploadId><Initiator><ID>local</ID></Initiator>${ownerXml()}<StorageClass>STANDARD</StorageClass><Initiated>${new Date(row.initiated).toISOString()}</Initiated></Upload>`,
      ),
      ...page.commonPrefixes.map(
        (value) => `<CommonPrefixes><Prefix>${encode(value)}</Prefix></CommonPrefixes>`,
      ),
    ];
    sendXml(
      response,
      200,
      `<ListMultipartUploadsResult ${xmlns}>${parts.join('')}</ListMultipartUploadsResult>`,
    );
  }

  private objectOperation(
    method: string,
    bucket: string,
    key: string,
    url: URL,
    request: IncomingMessage,
    body: Buffer,
    response: ServerResponse,
  ) {
    const uploadId = url.searchParams.get('uploadId');
    const versionId = url.searchParams.get('versionId');
    if (versionId !== null && versionId !== 'null')
      throw invalidArgument('Invalid version id specified', 'versionId', versionId);
    const copySource = request.headers['x-amz-copy-source'];
    if (method === 'PUT' && uploadId !== null) {
      if (typeof copySource === 'string')
        return this.uploadPartCopy(bucket, key, uploadId, copySource, url, request, response);
      return this.uploadPart(bucket, key, uploadId, url, request, body, response);
    }
    if (method === 'POST' && url.searchParams.has('uploads'))
      return this.createMultipartUpload(bucket, key, request, response);
    if (method === 'POST' && uploadId !== null)
      return this.completeMultipartUpload(bucket, key, uploadId, body, request, response);
    if (method === 'GET' && uploadId !== null) return this.listParts(bucket, key, uploadId, url, response);
    if (method === 'DELETE' && uploadId !== null) {
      this.requireBucket(bucket);
      this.uploads.upload(bucket, key, uploadId);
      this.uploads.remove(uploadId);
      response.writeHead(204);
      response.end();
      return;
    }
    if (method === 'PUT' && typeof copySource === 'string')
      return this.copyObject(bucket, key, copySource, request, response);
    if (method === 'PUT') {
      this.requireBucket(bucket);
      checkWriteCondition(request.headers, key, this.existingEtag(bucket, key));
      const etag = this.putObject(bucket, key, payloadOf(request, body), objectOptionsOf(request));
      response.writeHead(200, { etag: quoted(etag) });
      response.end();
      return;
    }
    if (method === 'GET' || method === 'HEAD')
      return this.readObject(method, bucket, key, url, request, response);
    if (method === 'DELETE') {
      this.deleteObject(bucket, key);
      response.writeHead(204);
      response.end();
      return;
    }
    throw new S3Error(
      'MethodNotAllowed',
      'The specified method is not allowed against this resource.',
      405,
      key,
    );
  }

  /** GetObject and HeadObject, with one byte range (206 and Content-Range; 416 InvalidRange past the end). */
  private readObject(
    method: string,
    bucket: string,
    key: string,
    url: URL,
    request: IncomingMessage,
    response: ServerResponse,
  ): void {
    if (url.searchParams.has('partNumber')) throw notImplemented('GetObject by partNumber');
    const row = this.objectRow(bucket, key);
    const condition = readCondition(request.headers, row.etag, row.modified);
    if (condition === 'precondition-failed')
      throw new S3Error(
        'PreconditionFailed',
        'At least one of the pre-conditions you specified did not hold',
        412,
        key,
      );
    if (condition === 'not-modified') {
      response.writeHead(304, {
        etag: quoted(row.etag),
        'last-modified': new Date(row.modified).toUTCString(),
      });
      response.end();
      return;
    }
    const range = requestedRange(request.headers.range, row.size);
    if (range === 'unsatisfiable')
      throw new S3Error('InvalidRange', 'The requested range is not satisfiable', 416, key, {
        RangeRequested: String(request.headers.range),
        ActualObjectSize: String(row.size),
      });
    const headers: Record<string, string | number> = {
      'content-type': row.content_type,
      'content-length': range ? range.end - range.start + 1 : row.size,
      etag: quoted(row.etag),
      'last-modified': new Date(row.modified).toUTCString(),
      'accept-ranges': 'bytes',
      'x-amz-request-id': crypto.randomUUID(),
    };
    if (range) headers['content-range'] = `bytes ${range.start}-${range.end}/${row.size}`;
    if (row.content_encoding) headers['content-encoding'] = row.content_encoding;
    for (const [name, value] of Object.entries(JSON.parse(row.metadata) as Record<string, string>))
      headers[`x-amz-meta-${name}`] = value;
    if (method === 'GET')
      for (const [parameter, header] of Object.entries(responseOverrides)) {
        const value = url.searchParams.get(parameter);
        if (value !== null) headers[header] = value;
      }
    response.writeHead(range ? 206 : 200, headers);
    if (method === 'HEAD') {
      response.end();
      return;
    }
    const data = readFileSync(this.objectPath(bucket, key));
    response.end(range ? data.subarray(range.start, range.end + 1) : data);
  }

  /** CopyObject: the metadata directive COPY (the default) keeps the source's, REPLACE takes the request's. */
  private copyObject(
    bucket: string,
    key: string,
    copySource: string,
    request: IncomingMessage,
    response: ServerResponse,
  ): void {
    const { bucket: sourceBucket, key: sourceKey } = copySourceOf(copySource);
    const directive = String(request.headers['x-amz-metadata-directive'] ?? 'COPY');
    if (directive !== 'COPY' && directive !== 'REPLACE')
      throw invalidArgument('Unknown metadata directive.', 'x-amz-metadata-directive', directive);
    this.requireBucket(bucket);
    const { row: source, data } = this.getObject(sourceBucket, sourceKey);
    this.checkCopyConditions(source, request);
    if (sourceBucket === bucket && sourceKey === key && directive === 'COPY')
      throw new S3Error(
        'InvalidRequest',
        "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
        400,
        key,
      );
    const options: ObjectOptions =
      directive === 'COPY'
        ? {
            contentType: source.content_type,
            contentEncoding: source.content_encoding ?? undefined,
            metadata: JSON.parse(source.metadata) as Record<string, string>,
          }
        : objectOptionsOf(request);
    const etag = this.putObject(bucket, key, data, options);
    const modified = this.objectRow(bucket, key).modified;
    sendXml(
      response,
      200,
      `<CopyObjectResult ${xmlns}><LastModified>${new Date(modified).toISOString()}</LastModified><ETag>${xmlEscape(quoted(etag))}</ETag></CopyObjectResult>`,
    );
  }

  private checkCopyConditions(source: ObjectRow, request: IncomingMessage): void {
    const header = (name: string) => {
      const value = request.headers[`x-amz-copy-source-${name}`];
      return typeof value === 'string' ? value : undefined;
    };
    const etagMatches = (value: string) =>
      value.split(',').some((candidate) => candidate.trim().replace(/^"(.*)"$/, '$1') === source.etag);
    const ifMatch = header('if-match');
    const ifNoneMatch = header('if-none-match');
    const ifModifiedSince = header('if-modified-since');
    const ifUnmodifiedSince = header('if-unmodified-since');
    const failed =
      (ifMatch !== undefined && !etagMatches(ifMatch)) ||
      (ifNoneMatch !== undefined && etagMatches(ifNoneMatch)) ||
      (ifMatch === undefined &&
        ifUnmodifiedSince !== undefined &&
        source.modified > Date.parse(ifUnmodifiedSince) + 999) ||
      (ifNoneMatch === undefined &&
        ifModifiedSince !== undefined &&
        source.modified <= Date.parse(ifModifiedSince) + 999);
    if (failed)
      throw new S3Error(
        'PreconditionFailed',
        'At least one of the pre-conditions you specified did not hold',
        412,
      );
  }

  private createMultipartUpload(
    bucket: string,
    key: string,
    request: IncomingMessage,
    response: ServerResponse,
  ): void {
    this.requireBucket(bucket);
    this.checkNewKey(key);
    const options = objectOptionsOf(request);
    const uploadId = this.uploads.create(bucket, key, { ...options, metadata: options.metadata ?? {} });
    sendXml(
      response,
      200,
      `<InitiateMultipartUploadResult ${xmlns}><Bucket>${xmlEscape(bucket)}</Bucket><Key>${xmlEscape(key)}</Key><UploadId>${xmlEscape(uploadId)}</UploadId></InitiateMultipartUploadResult>`,
    );
  }

  private uploadPart(
    bucket: string,
    key: string,
    uploadId: string,
    url: URL,
    request: IncomingMessage,
    body: Buffer,
    response: ServerResponse,
  ): void {
    this.requireBucket(bucket);
    const partNumber = partNumberOf(url.searchParams.get('partNumber'));
    const etag = this.uploads.uploadPart(bucket, key, uploadId, partNumber, payloadOf(request, body));
    response.writeHead(200, { etag: quoted(etag), 'x-amz-request-id': crypto.randomUUID() });
    response.end();
  }

  /** UploadPartCopy: a part taken from an existing object, whole or `x-amz-copy-source-range: bytes=first-last`. */
  private uploadPartCopy(
    bucket: string,
    key: string,
    uploadId: string,
    copySource: string,
    url: URL,
    request: IncomingMessage,
    response: ServerResponse,
  ): void {
    this.requireBucket(bucket);
    const partNumber = partNumberOf(url.searchParams.get('partNumber'));
    this.uploads.upload(bucket, key, uploadId);
    const source = copySourceOf(copySource);
    const { row, data } = this.getObject(source.bucket, source.key);
    this.checkCopyConditions(row, request);
    const rangeHeader = request.headers['x-amz-copy-source-range'];
    let part = data;
    if (typeof rangeHeader === 'string') {
      const match = /^bytes=(\d+)-(\d+)$/.exec(rangeHeader.trim());
      if (!match)
        throw invalidArgument(
          'The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy',
          'x-amz-copy-source-range',
          rangeHeader,
        );
      const first = Number(match[1]);
      const last = Number(match[2]);
      if (first > last || last >= row.size)
        throw invalidArgument(
          `Range specified is not valid for source object of size: ${row.size}`,
          'x-amz-copy-source-range',
          rangeHeader,
        );
      part = data.subarray(first, last + 1);
    }
    const etag = this.uploads.uploadPart(bucket, key, uploadId, partNumber, part);
    sendXml(
      response,
      200,
      `<CopyPartResult ${xmlns}><LastModified>${new Date(this.clock.now()).toISOString()}</LastModified><ETag>${xmlEscape(quoted(etag))}</ETag></CopyPartResult>`,
    );
  }

  private completeMultipartUpload(
    bucket: string,
    key: string,
    uploadId: string,
    body: Buffer,
    request: IncomingMessage,
    response: ServerResponse,
  ): void {
    this.requireBucket(bucket);
    this.uploads.upload(bucket, key, uploadId);
    const requested: RequestedPart[] = xmlElements(xmlRoot(body, 'CompleteMultipartUpload'), 'Part').map(
      (fragment) => {
        const partNumber = xmlText(fragment, 'PartNumber');
        const etag = xmlText(fragment, 'ETag');
        if (partNumber === undefined || etag === undefined) throw malformedXml();
        return { partNumber: partNumberOf(partNumber), etag };
      },
    );
    if (requested.length === 0) throw malformedXml();
    const plan = this.uploads.plan(bucket, key, uploadId, requested);
    this.checkStorable(bucket, key);
    checkWriteCondition(request.headers, key, this.existingEtag(bucket, key));
    concatenateFilesDurably(this.objectPath(bucket, key), plan.partFiles);
    this.recordObject(bucket, key, plan.etag, plan.size, {
      contentType: plan.upload.content_type,
      contentEncoding: plan.upload.content_encoding ?? undefined,
      metadata: JSON.parse(plan.upload.metadata) as Record<string, string>,
    });
    this.uploads.remove(uploadId);
    const location = `http://${request.headers.host ?? 'localhost'}/${encodeURIComponent(bucket)}/${key.split('/').map(encodeURIComponent).join('/')}`;
    sendXml(
      response,
      200,
      `<CompleteMultipartUploadResult ${xmlns}><Location>${xmlEscape(location)}</Location><Bucket>${xmlEscape(bucket)}</Bucket><Key>${xmlEscape(key)}</Key><ETag>${xmlEscape(quoted(plan.etag))}</ETag></CompleteMultipartUploadResult>`,
    );
  }

  private listParts(bucket: string, key: string, uploadId: string, url: URL, response: ServerResponse): void {
    this.requireBucket(bucket);
    const maxParts = pageSize(url, 'max-parts');
    const markerRaw = url.searchParams.get('part-number-marker') ?? '0';
    if (!/^\d+$/.test(markerRaw))
      throw invalidArgument('Provided part-number-marker not an integer', 'part-number-marker', markerRaw);
    const marker = Number(markerRaw);
    const { parts, truncated } = this.uploads.listParts(bucket, key, uploadId, { maxParts, marker });
    const last = parts.at(-1);
    const xml = [
      `<Bucket>${xmlEscape(bucket)}</Bucket>`,
      `<Key>${xmlEscape(key)}</Key>`,
      `<UploadId>${xmlEscape(uploadId)}</UploadId>`,
      `<PartNumberMarker>${marker}</PartNumberMarker>`,
      last ? `<NextPartNumberMarker>${last.part_number}</NextPartNumberMarker>` : '',
      `<MaxParts>${maxParts}</MaxParts>`,
      `<IsTruncated>${truncated}</IsTruncated>`,
      '<Initiator><ID>local</ID></Initiator>',
      ownerXml(),
      '<StorageClass>STANDARD</StorageClass>',
      ...parts.map(
        (part) =>
          `<Part><PartNumber>${part.part_number}</PartNumber><LastModified>${new Date(part.modified).toISOString()}</LastModified><ETag>${xmlEscape(quoted(part.etag))}</ETag><Size>${part.size}</Size></Part>`,
      ),
    ];
    sendXml(response, 200, `<ListPartsResult ${xmlns}>${xml.join('')}</ListPartsResult>`);
  }
}
