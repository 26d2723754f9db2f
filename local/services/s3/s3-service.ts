/** S3 on the filesystem: the slice Concord needs (buckets, Put/Get/Head/Delete object, ListObjectsV2), REST with XML. */
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import type { LocalClock } from '../../clock';
import { AwsError } from '../../edge/aws-error';
import type { RawService } from '../../edge/edge-server';
import type { DurableStore } from '../../store/durable-store';
import type { UsageMeter } from '../../usage/usage-meter';

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

function xmlEscape(text: string): string {
  return text.replace(/[<>&'"]/g, (char) => `&#${char.charCodeAt(0)};`);
}

function sendXml(
  response: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  const text = `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
  response.writeHead(status, {
    'content-type': 'application/xml',
    'content-length': Buffer.byteLength(text),
    'x-amz-request-id': crypto.randomUUID(),
    ...headers,
  });
  response.end(text);
}

function s3Error(code: string, message: string, status: number, resource = ''): AwsError {
  const error = new AwsError(code, message, status);
  return Object.assign(error, { resource });
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

/** Writes a file so that it is either absent or complete and on disk (write to a temp name, fsync, rename). */
export function writeFileDurably(file: string, data: Buffer): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
  const fd = openSync(temp, 'w');
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, file);
}

/** The S3 service; objects live under `<data-dir>/s3/<bucket>/<key>`, their metadata in the store. */
export class S3Service implements RawService {
  readonly rootDir: string;

  constructor(
    private readonly store: DurableStore,
    private readonly clock: LocalClock,
    private readonly usage: UsageMeter,
  ) {
    this.rootDir = path.join(store.dataDir, 's3');
    store.db.exec(`CREATE TABLE IF NOT EXISTS s3_objects (
      bucket TEXT NOT NULL, key TEXT NOT NULL, etag TEXT NOT NULL, size INTEGER NOT NULL, content_type TEXT NOT NULL,
      content_encoding TEXT, metadata TEXT NOT NULL, modified INTEGER NOT NULL, PRIMARY KEY (bucket, key))`);
  }

  /** Creates a bucket (idempotent for its owner, as in us-east-1). */
  createBucket(bucket: string): void {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket))
      throw s3Error('InvalidBucketName', 'The specified bucket is not valid.', 400, bucket);
    this.store.putResource('s3-bucket', bucket, { name: bucket, createdAt: this.clock.now() });
    mkdirSync(path.join(this.rootDir, bucket), { recursive: true });
  }

  private requireBucket(bucket: string): void {
    if (!this.store.getResource('s3-bucket', bucket))
      throw s3Error('NoSuchBucket', 'The specified bucket does not exist', 404, bucket);
  }

  private objectPath(bucket: string, key: string): string {
    const file = path.join(this.rootDir, bucket, key);
    if (!file.startsWith(path.join(this.rootDir, bucket) + path.sep))
      throw s3Error('InvalidArgument', 'Invalid object key', 400, key);
    return file;
  }

  /** Stores an object durably; returns its ETag. */
  putObject(
    bucket: string,
    key: string,
    data: Buffer,
    options: { contentType?: string; contentEncoding?: string; metadata?: Record<string, string> } = {},
  ): string {
    this.requireBucket(bucket);
    const etag = createHash('md5').update(data).digest('hex');
    writeFileDurably(this.objectPath(bucket, key), data);
    this.store.db
      .prepare(
        'INSERT OR REPLACE INTO s3_objects (bucket, key, etag, size, content_type, content_encoding, metadata, modified) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        bucket,
        key,
        etag,
        data.length,
        options.contentType ?? 'binary/octet-stream',
        options.contentEncoding ?? null,
        JSON.stringify(options.metadata ?? {}),
        this.clock.now(),
      );
    return etag;
  }

  /** An object's bytes and metadata. */
  getObject(bucket: string, key: string): { row: ObjectRow; data: Buffer } {
    this.requireBucket(bucket);
    const row = this.store.db
      .prepare('SELECT * FROM s3_objects WHERE bucket = ? AND key = ?')
      .get(bucket, key) as ObjectRow | undefined;
    const file = this.objectPath(bucket, key);
    if (!row || !existsSync(file)) throw s3Error('NoSuchKey', 'The specified key does not exist.', 404, key);
    return { row, data: readFileSync(file) };
  }

  /** Keys under a prefix, in key order. */
  listKeys(bucket: string, prefix = ''): ObjectRow[] {
    this.requireBucket(bucket);
    return this.store.db
      .prepare('SELECT * FROM s3_objects WHERE bucket = ? AND substr(key, 1, length(?)) = ? ORDER BY key')
      .all(bucket, prefix, prefix) as ObjectRow[];
  }

  deleteObject(bucket: string, key: string): void {
    this.requireBucket(bucket);
    rmSync(this.objectPath(bucket, key), { force: true });
    this.store.db.prepare('DELETE FROM s3_objects WHERE bucket = ? AND key = ?').run(bucket, key);
  }

  async handleRaw(request: IncomingMessage, body: Buffer, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://local');
    const [, bucket = '', ...keyParts] = url.pathname.split('/');
    const key = decodeURIComponent(keyParts.join('/'));
    const method = request.method ?? 'GET';
    this.usage.s3Request(method);
    try {
      if (!bucket) return this.listBuckets(response);
      const decodedBucket = decodeURIComponent(bucket);
      if (!key) return this.bucketOperation(method, decodedBucket, url, response);
      return this.objectOperation(method, decodedBucket, key, request, body, response);
    } catch (error) {
      const aws =
        error instanceof AwsError
          ? error
          : s3Error('InternalError', 'We encountered an internal error.', 500);
      if (!(error instanceof AwsError)) console.error('[s3] internal error', error);
      if (method === 'HEAD') {
        response.writeHead(aws.statusCode);
        response.end();
        return;
      }
      const resource = (aws as AwsError & { resource?: string }).resource ?? '';
      sendXml(
        response,
        aws.statusCode,
        `<Error><Code>${aws.code}</Code><Message>${xmlEscape(aws.message)}</Message><Resource>${xmlEscape(resource)}</Resource></Error>`,
      );
    }
  }

  private listBuckets(response: ServerResponse): void {
    const buckets = this.store
      .listResources<{ name: string; createdAt: number }>('s3-bucket')
      .map(
        ({ value }) =>
          `<Bucket><Name>${xmlEscape(value.name)}</Name><CreationDate>${new Date(value.createdAt).toISOString()}</CreationDate></Bucket>`,
      );
    sendXml(
      response,
      200,
      `<ListAllMyBucketsResult><Owner><ID>local</ID></Owner><Buckets>${buckets.join('')}</Buckets></ListAllMyBucketsResult>`,
    );
  }

  private bucketOperation(method: string, bucket: string, url: URL, response: ServerResponse): void {
    if (method === 'PUT') {
      this.createBucket(bucket);
      response.writeHead(200, { location: `/${bucket}` });
      response.end();
      return;
    }
    if (method === 'HEAD') {
      this.requireBucket(bucket);
      response.writeHead(200);
      response.end();
      return;
    }
    if (method === 'DELETE') {
      this.requireBucket(bucket);
      if (this.listKeys(bucket).length > 0)
        throw s3Error('BucketNotEmpty', 'The bucket you tried to delete is not empty', 409, bucket);
      this.store.deleteResource('s3-bucket', bucket);
      response.writeHead(204);
      response.end();
      return;
    }
    if (method === 'GET') {
      this.listObjectsV2(bucket, url, response);
      return;
    }
    throw s3Error(
      'MethodNotAllowed',
      'The specified method is not allowed against this resource.',
      405,
      bucket,
    );
  }

  private listObjectsV2(bucket: string, url: URL, response: ServerResponse): void {
    const prefix = url.searchParams.get('prefix') ?? '';
    const delimiter = url.searchParams.get('delimiter') ?? '';
    const maxKeys = Math.min(1000, Number(url.searchParams.get('max-keys') ?? 1000));
    const token = url.searchParams.get('continuation-token');
    const startAfter = token
      ? Buffer.from(token, 'base64').toString('utf8')
      : (url.searchParams.get('start-after') ?? '');
    const contents: ObjectRow[] = [];
    const prefixes = new Set<string>();
    let truncated = false;
    let lastKey = '';
    for (const row of this.listKeys(bucket, prefix)) {
      if (row.key <= startAfter) continue;
      const rest = row.key.slice(prefix.length);
      const cut = delimiter ? rest.indexOf(delimiter) : -1;
      const commonPrefix = cut >= 0 ? prefix + rest.slice(0, cut + delimiter.length) : undefined;
      if (contents.length + prefixes.size >= maxKeys && !(commonPrefix && prefixes.has(commonPrefix))) {
        truncated = true;
        break;
      }
      if (commonPrefix) prefixes.add(commonPrefix);
      else contents.push(row);
      lastKey = row.key;
    }
    const items = contents.map(
      (row) =>
        `<Contents><Key>${xmlEscape(row.key)}</Key><LastModified>${new Date(row.modified).toISOString()}</LastModified><ETag>&quot;${row.etag}&quot;</ETag><Size>${row.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
    );
    const common = [...prefixes].map(
      (value) => `<CommonPrefixes><Prefix>${xmlEscape(value)}</Prefix></CommonPrefixes>`,
    );
    const next = truncated
      ? `<NextContinuationToken>${Buffer.from(lastKey).toString('base64')}</NextContinuationToken>`
      : '';
    sendXml(
      response,
      200,
      `<ListBucketResult><Name>${xmlEscape(bucket)}</Name><Prefix>${xmlEscape(prefix)}</Prefix><KeyCount>${contents.length + prefixes.size}</KeyCount><MaxKeys>${maxKeys}</MaxKeys>${delimiter ? `<Delimiter>${xmlEscape(delimiter)}</Delimiter>` : ''}<IsTruncated>${truncated}</IsTruncated>${next}${items.join('')}${common.join('')}</ListBucketResult>`,
    );
  }

  private objectOperation(
    method: string,
    bucket: string,
    key: string,
    request: IncomingMessage,
    body: Buffer,
    response: ServerResponse,
  ): void {
    if (method === 'PUT') {
      const chunked =
        String(request.headers['content-encoding'] ?? '').includes('aws-chunked') ||
        String(request.headers['x-amz-content-sha256'] ?? '').startsWith('STREAMING-');
      const data = chunked ? decodeAwsChunked(body) : body;
      const encoding = String(request.headers['content-encoding'] ?? '')
        .split(',')
        .map((part) => part.trim())
        .filter((part) => part && part !== 'aws-chunked')
        .join(',');
      const metadata = Object.fromEntries(
        Object.entries(request.headers)
          .filter(([name]) => name.startsWith('x-amz-meta-'))
          .map(([name, value]) => [name.slice(11), String(value)]),
      );
      const etag = this.putObject(bucket, key, data, {
        contentType: request.headers['content-type'],
        contentEncoding: encoding || undefined,
        metadata,
      });
      response.writeHead(200, { etag: `"${etag}"` });
      response.end();
      return;
    }
    if (method === 'GET' || method === 'HEAD') {
      const { row, data } = this.getObject(bucket, key);
      const headers: Record<string, string | number> = {
        'content-type': row.content_type,
        'content-length': row.size,
        etag: `"${row.etag}"`,
        'last-modified': new Date(row.modified).toUTCString(),
        'accept-ranges': 'bytes',
      };
      if (row.content_encoding) headers['content-encoding'] = row.content_encoding;
      for (const [name, value] of Object.entries(JSON.parse(row.metadata) as Record<string, string>))
        headers[`x-amz-meta-${name}`] = value;
      response.writeHead(200, headers);
      response.end(method === 'HEAD' ? undefined : data);
      return;
    }
    if (method === 'DELETE') {
      this.deleteObject(bucket, key);
      response.writeHead(204);
      response.end();
      return;
    }
    throw s3Error('MethodNotAllowed', 'The specified method is not allowed against this resource.', 405, key);
  }
}
