/** S3 multipart uploads: uploads and their parts kept durably until completed or aborted, and AWS's rules for completing them. */
import { createHash, randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import path from 'node:path';
import type { LocalClock } from '../../clock';
import type { DurableStore } from '../../store/durable-store';
import { writeFileDurably } from './durable-file';
import { S3Error } from './s3-xml';

/** Every part but the last must be at least this big (S3's limit). */
export const minPartSizeBytes = 5 * 1024 * 1024;
/** Part numbers run from 1 to this. */
export const maxPartNumber = 10_000;

/** An upload in progress, with what CreateMultipartUpload said the object will carry. */
export interface UploadRow {
  upload_id: string;
  bucket: string;
  key: string;
  initiated: number;
  content_type: string;
  content_encoding: string | null;
  metadata: string;
}

/** A part as uploaded (the last upload of a part number wins, as on S3). */
export interface PartRow {
  upload_id: string;
  part_number: number;
  etag: string;
  size: number;
  modified: number;
}

/** A part as CompleteMultipartUpload names it. */
export interface RequestedPart {
  partNumber: number;
  etag: string;
}

/** What completing an upload writes: the parts' files in order, the object's size and its `-N` ETag. */
export interface CompletionPlan {
  upload: UploadRow;
  partFiles: string[];
  size: number;
  etag: string;
}

function noSuchUpload(uploadId: string): S3Error {
  return new S3Error(
    'NoSuchUpload',
    'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
    404,
    uploadId,
    { UploadId: uploadId },
  );
}

function unquote(etag: string): string {
  return etag.trim().replace(/^"(.*)"$/, '$1');
}

/** The ETag S3 gives a multipart object: the MD5 of the parts' binary MD5s, then `-` and the number of parts. */
export function multipartEtag(partEtags: readonly string[]): string {
  const digests = Buffer.concat(partEtags.map((etag) => Buffer.from(etag, 'hex')));
  return `${createHash('md5').update(digests).digest('hex')}-${partEtags.length}`;
}

/** A part number as S3 accepts it; InvalidArgument otherwise. */
export function partNumberOf(value: string | null): number {
  const number = Number(value);
  if (value === null || !/^\d+$/.test(value) || number < 1 || number > maxPartNumber)
    throw new S3Error(
      'InvalidArgument',
      `Part number must be an integer between 1 and ${maxPartNumber}, inclusive`,
      400,
      '',
      { ArgumentName: 'partNumber', ArgumentValue: value ?? '' },
    );
  return number;
}

/** The multipart uploads of every bucket; parts live under `<data-dir>/s3-uploads/<uploadId>/`, outside the buckets. */
export class MultipartUploads {
  private readonly partsDir: string;

  constructor(
    private readonly store: DurableStore,
    private readonly clock: LocalClock,
  ) {
    this.partsDir = path.join(store.dataDir, 's3-uploads');
    store.db.exec(`CREATE TABLE IF NOT EXISTS s3_uploads (
      upload_id TEXT PRIMARY KEY, bucket TEXT NOT NULL, key TEXT NOT NULL, initiated INTEGER NOT NULL,
      content_type TEXT NOT NULL, content_encoding TEXT, metadata TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS s3_parts (
      upload_id TEXT NOT NULL, part_number INTEGER NOT NULL, etag TEXT NOT NULL, size INTEGER NOT NULL,
      modified INTEGER NOT NULL, PRIMARY KEY (upload_id, part_number));`);
  }

  /** Starts an upload; returns its id. */
  create(
    bucket: string,
    key: string,
    object: { contentType?: string; contentEncoding?: string; metadata: Record<string, string> },
  ): string {
    const uploadId = randomBytes(24).toString('base64url');
    this.store.db
      .prepare(
        'INSERT INTO s3_uploads (upload_id, bucket, key, initiated, content_type, content_encoding, metadata) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        uploadId,
        bucket,
        key,
        this.clock.now(),
        object.contentType ?? 'binary/octet-stream',
        object.contentEncoding ?? null,
        JSON.stringify(object.metadata),
      );
    return uploadId;
  }

  /** The upload with this id for this object; NoSuchUpload when it is unknown, finished, or another object's. */
  upload(bucket: string, key: string, uploadId: string): UploadRow {
    const row = this.store.db.prepare('SELECT * FROM s3_uploads WHERE upload_id = ?').get(uploadId) as
      | UploadRow
      | undefined;
    if (!row || row.bucket !== bucket || row.key !== key) throw noSuchUpload(uploadId);
    return row;
  }

  /** Stores a part (replacing an earlier upload of the same number); returns its ETag. */
  uploadPart(bucket: string, key: string, uploadId: string, partNumber: number, data: Buffer): string {
    this.upload(bucket, key, uploadId);
    const etag = createHash('md5').update(data).digest('hex');
    writeFileDurably(this.partFile(uploadId, partNumber), data);
    this.store.db
      .prepare(
        'INSERT OR REPLACE INTO s3_parts (upload_id, part_number, etag, size, modified) VALUES (?, ?, ?, ?, ?)',
      )
      .run(uploadId, partNumber, etag, data.length, this.clock.now());
    return etag;
  }

  /** Parts after `marker`, in part-number order, and whether more follow. */
  listParts(
    bucket: string,
    key: string,
    uploadId: string,
    options: { maxParts: number; marker: number },
  ): { upload: UploadRow; parts: PartRow[]; truncated: boolean } {
    const upload = this.upload(bucket, key, uploadId);
    const rows = this.store.db
      .prepare('SELECT * FROM s3_parts WHERE upload_id = ? AND part_number > ? ORDER BY part_number LIMIT ?')
      .all(uploadId, options.marker, options.maxParts + 1) as PartRow[];
    return { upload, parts: rows.slice(0, options.maxParts), truncated: rows.length > options.maxParts };
  }

  /** Uploads in progress in a bucket, in key then initiation order. */
  listUploads(bucket: string, prefix: string): UploadRow[] {
    return this.store.db
      .prepare(
        'SELECT * FROM s3_uploads WHERE bucket = ? AND substr(key, 1, length(?)) = ? ORDER BY key, initiated, upload_id',
      )
      .all(bucket, prefix, prefix) as UploadRow[];
  }

  /**
   * Checks a CompleteMultipartUpload part list as S3 does (ascending part numbers, every part uploaded with that
   * ETag, every part but the last at least 5 MiB) and says what the object will be; changes nothing.
   */
  plan(bucket: string, key: string, uploadId: string, requested: readonly RequestedPart[]): CompletionPlan {
    const upload = this.upload(bucket, key, uploadId);
    for (let index = 1; index < requested.length; index++)
      if ((requested[index]?.partNumber ?? 0) <= (requested[index - 1]?.partNumber ?? 0))
        throw new S3Error(
          'InvalidPartOrder',
          'The list of parts was not in ascending order. The parts list must be specified in order by part number.',
          400,
          key,
          { UploadId: uploadId },
        );
    const stored = new Map(
      (this.store.db.prepare('SELECT * FROM s3_parts WHERE upload_id = ?').all(uploadId) as PartRow[]).map(
        (row) => [row.part_number, row],
      ),
    );
    const parts = requested.map((part) => {
      const row = stored.get(part.partNumber);
      if (!row || row.etag !== unquote(part.etag))
        throw new S3Error(
          'InvalidPart',
          "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
          400,
          key,
          { UploadId: uploadId, PartNumber: String(part.partNumber), ETag: part.etag },
        );
      return row;
    });
    parts.slice(0, -1).forEach((part) => {
      if (part.size < minPartSizeBytes)
        throw new S3Error(
          'EntityTooSmall',
          'Your proposed upload is smaller than the minimum allowed size',
          400,
          key,
          {
            ProposedSize: String(part.size),
            MinSizeAllowed: String(minPartSizeBytes),
            PartNumber: String(part.part_number),
            ETag: `"${part.etag}"`,
          },
        );
    });
    return {
      upload,
      partFiles: parts.map((part) => this.partFile(uploadId, part.part_number)),
      size: parts.reduce((total, part) => total + part.size, 0),
      etag: multipartEtag(parts.map((part) => part.etag)),
    };
  }

  /** Forgets an upload and deletes its parts (after completion, or on abort). */
  remove(uploadId: string): void {
    this.store.transaction(() => {
      this.store.db.prepare('DELETE FROM s3_parts WHERE upload_id = ?').run(uploadId);
      this.store.db.prepare('DELETE FROM s3_uploads WHERE upload_id = ?').run(uploadId);
    });
    rmSync(path.join(this.partsDir, uploadId), { recursive: true, force: true });
  }

  private partFile(uploadId: string, partNumber: number): string {
    return path.join(this.partsDir, uploadId, String(partNumber));
  }
}
