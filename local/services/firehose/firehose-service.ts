/** Firehose Direct PUT to S3: durable buffering by size and interval, prefixes with expressions, dynamic partitioning, GZIP, error output. */
import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { LocalClock } from '../../clock';
import { AwsError, notFound, validationError } from '../../edge/aws-error';
import type { JsonService } from '../../edge/edge-server';
import type { DurableStore } from '../../store/durable-store';
import type { LocalEnvironment } from '../local-environment';
import { type OperationTable, operationHandler, operationsOf } from '../operation-table';
import type { S3Service } from '../s3/s3-service';
import { compileJqQuery } from './jq-subset';

/** How long Firehose waits before retrying a failed S3 delivery. */
const deliveryRetryMs = 5_000;
/** How long Firehose keeps retrying an S3 delivery before the records are lost. */
const deliveryRetentionMs = 24 * 3_600_000;

interface ProcessorParameter {
  ParameterName: string;
  ParameterValue: string;
}

/** The S3 destination as CreateDeliveryStream declares it (Extended or plain). */
export interface S3DestinationConfig {
  BucketARN: string;
  RoleARN?: string;
  Prefix?: string;
  ErrorOutputPrefix?: string;
  BufferingHints?: { SizeInMBs?: number; IntervalInSeconds?: number };
  CompressionFormat?: 'UNCOMPRESSED' | 'GZIP';
  /** Replaces the extension compression would append (e.g. `.jsonl.gz`). */
  FileExtension?: string;
  DynamicPartitioningConfiguration?: { Enabled?: boolean };
  ProcessingConfiguration?: {
    Enabled?: boolean;
    Processors?: { Type: string; Parameters?: ProcessorParameter[] }[];
  };
}

interface StreamDefinition {
  name: string;
  arn: string;
  createdAt: number;
  versionId: number;
  destination: S3DestinationConfig;
}

interface RecordRow {
  seq: number;
  stream: string;
  data: Buffer;
  received_at: number;
}

function processorParameter(
  destination: S3DestinationConfig,
  type: string,
  name: string,
): string | undefined {
  if (!destination.ProcessingConfiguration?.Enabled) return undefined;
  const processor = destination.ProcessingConfiguration.Processors?.find(
    (candidate) => candidate.Type === type,
  );
  return processor?.Parameters?.find((parameter) => parameter.ParameterName === name)?.ParameterValue;
}

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

/** Formats a timestamp with Java DateTimeFormatter letters (yyyy, MM, dd, HH, mm, ss), as `!{timestamp:…}` does. */
function formatTimestamp(pattern: string, ms: number): string {
  const date = new Date(ms);
  return pattern
    .replace(/yyyy/g, String(date.getUTCFullYear()))
    .replace(/MM/g, pad(date.getUTCMonth() + 1))
    .replace(/dd/g, pad(date.getUTCDate()))
    .replace(/HH/g, pad(date.getUTCHours()))
    .replace(/mm/g, pad(date.getUTCMinutes()))
    .replace(/ss/g, pad(date.getUTCSeconds()));
}

/** The Firehose service of the local runtime. */
export class FirehoseService implements JsonService {
  readonly targetPrefix = 'Firehose_20150804';
  private readonly ticker: NodeJS.Timeout;
  private flushing = false;
  /**
   * Throws when the stream's role may not write the object (IAM enforced, wired by the runtime). The records stay
   * buffered and the delivery is retried, as Firehose retries a failed S3 delivery.
   */
  authorizeWrite: (stream: { name: string; roleArn?: string }, bucket: string, key: string) => void =
    () => {};
  /** When a stream whose S3 delivery failed may be retried (local ms): Firehose retries every 5 seconds. */
  private readonly retryAtMs = new Map<string, number>();

  constructor(
    private readonly store: DurableStore,
    private readonly clock: LocalClock,
    private readonly env: LocalEnvironment,
    private readonly s3: S3Service,
  ) {
    store.db.exec(`CREATE TABLE IF NOT EXISTS firehose_records (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, stream TEXT NOT NULL, data BLOB NOT NULL, received_at INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS firehose_records_stream ON firehose_records (stream, seq);`);
    this.ticker = setInterval(() => this.flushDue(), 200);
    this.ticker.unref();
  }

  /** Flushes every buffer now (graceful shutdown), then stops the interval checks. */
  close(): void {
    clearInterval(this.ticker);
  }

  /** What answers each Firehose operation; any operation not a key is refused. */
  static readonly operations: OperationTable<FirehoseService> = {
    CreateDeliveryStream: (service, input) => service.createDeliveryStream(input),
    DescribeDeliveryStream: (service, input) => ({
      DeliveryStreamDescription: service.describe(service.stream(String(input.DeliveryStreamName ?? ''))),
    }),
    ListDeliveryStreams: (service) => ({
      DeliveryStreamNames: service.store.listResources('firehose-stream').map(({ name }) => name),
      HasMoreDeliveryStreams: false,
    }),
    DeleteDeliveryStream: (service, input) => {
      service.stream(String(input.DeliveryStreamName ?? ''));
      service.store.deleteResource('firehose-stream', String(input.DeliveryStreamName));
      return {};
    },
    PutRecord: (service, input) => {
      const [result] = service.putRecords(String(input.DeliveryStreamName ?? ''), [
        (input.Record as { Data?: string }) ?? {},
      ]);
      const failure = result as { ErrorCode?: string; ErrorMessage?: string } | undefined;
      if (failure?.ErrorCode) throw new AwsError(failure.ErrorCode, failure.ErrorMessage ?? '');
      return { ...result, Encrypted: false };
    },
    PutRecordBatch: (service, input) => {
      const records = (input.Records as { Data?: string }[]) ?? [];
      if (records.length === 0 || records.length > 500)
        throw validationError('Records must contain between 1 and 500 records.');
      const total = records.reduce((sum, record) => sum + Buffer.byteLength(record.Data ?? '', 'base64'), 0);
      if (total > 4 * 1_048_576) throw validationError('The total size of the records exceeds 4 MiB.');
      const responses = service.putRecords(String(input.DeliveryStreamName ?? ''), records);
      return {
        FailedPutCount: responses.filter((response) => 'ErrorCode' in response).length,
        Encrypted: false,
        RequestResponses: responses,
      };
    },
  };

  async handle(operation: string, input: Record<string, unknown>): Promise<unknown> {
    const answer = operationHandler(FirehoseService.operations, operation);
    if (answer) return answer(this, input, operation);
    throw new AwsError(
      'UnknownOperationException',
      `Firehose operation ${operation} is not supported by the local runtime`,
    );
  }

  private stream(name: string): StreamDefinition {
    const stream = this.store.getResource<StreamDefinition>('firehose-stream', name);
    if (!stream) throw notFound(`Firehose ${name} under account ${this.env.accountId} not found.`);
    return stream;
  }

  private createDeliveryStream(input: Record<string, unknown>) {
    const name = String(input.DeliveryStreamName ?? '');
    if (!/^[a-zA-Z0-9_.-]{1,64}$/.test(name)) throw validationError('DeliveryStreamName is not valid.');
    if (this.store.getResource('firehose-stream', name))
      throw new AwsError(
        'ResourceInUseException',
        `Firehose ${name} under accountId ${this.env.accountId} already exists`,
      );
    if ((input.DeliveryStreamType ?? 'DirectPut') !== 'DirectPut')
      throw validationError('Only DirectPut delivery streams are supported by the local runtime.');
    const destination = (input.ExtendedS3DestinationConfiguration ?? input.S3DestinationConfiguration) as
      | S3DestinationConfig
      | undefined;
    if (!destination?.BucketARN)
      throw validationError('An S3 destination (ExtendedS3DestinationConfiguration) is required locally.');
    if (destination.DynamicPartitioningConfiguration?.Enabled) {
      const query = processorParameter(destination, 'MetadataExtraction', 'MetadataExtractionQuery');
      if (!query && !destination.Prefix?.includes('!{partitionKeyFromLambda')) {
        throw validationError(
          'Dynamic partitioning needs a MetadataExtraction processor with a MetadataExtractionQuery.',
        );
      }
      if (query) compileJqQuery(query);
      if (!destination.ErrorOutputPrefix)
        throw validationError('ErrorOutputPrefix is required when dynamic partitioning is enabled.');
    }
    const arn = `arn:aws:firehose:${this.env.region}:${this.env.accountId}:deliverystream/${name}`;
    this.store.putResource('firehose-stream', name, {
      name,
      arn,
      createdAt: this.clock.now(),
      versionId: 1,
      destination,
    } satisfies StreamDefinition);
    return { DeliveryStreamARN: arn };
  }

  private describe(stream: StreamDefinition) {
    return {
      DeliveryStreamName: stream.name,
      DeliveryStreamARN: stream.arn,
      DeliveryStreamStatus: 'ACTIVE',
      DeliveryStreamType: 'DirectPut',
      VersionId: String(stream.versionId),
      CreateTimestamp: stream.createdAt / 1000,
      Destinations: [
        { DestinationId: 'destinationId-000000000001', ExtendedS3DestinationDescription: stream.destination },
      ],
      HasMoreDestinations: false,
    };
  }

  /** Buffers records durably (the answer comes after the commit); used by PutRecord(Batch) and EventBridge targets. */
  putRecords(streamName: string, records: { Data?: string }[], encoding: 'base64' | 'utf8' = 'base64') {
    const stream = this.stream(streamName);
    const now = this.clock.now();
    const insert = this.store.db.prepare(
      'INSERT INTO firehose_records (stream, data, received_at) VALUES (?, ?, ?)',
    );
    const responses = this.store.transaction(() =>
      records.map((record) => {
        const data = Buffer.from(record.Data ?? '', encoding);
        if (data.length === 0 || data.length > 1_024_000) {
          return {
            ErrorCode: 'InvalidArgumentException',
            ErrorMessage: 'Record size must be between 1 byte and 1,000 KiB.',
          };
        }
        insert.run(stream.name, data, now);
        this.env.usage.firehoseRecord(data.length);
        return { RecordId: randomUUID().replace(/-/g, '') };
      }),
    );
    this.flushIfFull(stream);
    return responses;
  }

  private buffered(stream: string): { bytes: number; oldest: number | null } {
    const row = this.store.db
      .prepare(
        'SELECT SUM(length(data)) AS bytes, MIN(received_at) AS oldest FROM firehose_records WHERE stream = ?',
      )
      .get(stream) as {
      bytes: number | null;
      oldest: number | null;
    };
    return { bytes: row.bytes ?? 0, oldest: row.oldest };
  }

  private flushIfFull(stream: StreamDefinition): void {
    const sizeLimit = (stream.destination.BufferingHints?.SizeInMBs ?? 5) * 1_048_576;
    if (this.buffered(stream.name).bytes >= sizeLimit) this.flush(stream);
  }

  private flushDue(): void {
    if (this.flushing) return;
    for (const { value: stream } of this.store.listResources<StreamDefinition>('firehose-stream')) {
      const { oldest } = this.buffered(stream.name);
      const intervalMs = (stream.destination.BufferingHints?.IntervalInSeconds ?? 300) * 1000;
      if (oldest !== null && this.clock.now() - oldest >= intervalMs) this.flush(stream);
    }
  }

  /** Writes every buffered record of a stream to S3 now. */
  flush(stream: StreamDefinition): void {
    this.flushing = true;
    try {
      const rows = this.store.db
        .prepare('SELECT * FROM firehose_records WHERE stream = ? ORDER BY seq')
        .all(stream.name) as RecordRow[];
      if (rows.length === 0) return;
      if ((this.retryAtMs.get(stream.name) ?? 0) > this.clock.now()) return;
      const objects = [...this.partition(stream, rows).values()].map((group) =>
        this.objectOf(stream, group.prefix, group.rows, group.error),
      );
      // Every object is authorized before any is written: a refused delivery writes nothing, and is retried whole.
      if (!this.deliverable(stream, objects, rows)) return;
      for (const object of objects)
        this.s3.putObject(object.bucket, object.key, object.body, {
          contentType: 'application/octet-stream',
        });
      // Objects first, then the buffer: a crash in between writes an object twice, never loses one (at-least-once).
      const last = rows.at(-1)?.seq ?? 0;
      this.store.db
        .prepare('DELETE FROM firehose_records WHERE stream = ? AND seq <= ?')
        .run(stream.name, last);
    } finally {
      this.flushing = false;
    }
  }

  /**
   * Whether the stream's role may write every object. When it may not, Firehose's error (`S3.AccessDenied`) is
   * logged, the delivery is retried 5 seconds later, and records older than 24 hours are dropped, as on AWS.
   */
  private deliverable(
    stream: StreamDefinition,
    objects: { bucket: string; key: string }[],
    rows: RecordRow[],
  ): boolean {
    try {
      for (const { bucket, key } of objects)
        this.authorizeWrite({ name: stream.name, roleArn: stream.destination.RoleARN }, bucket, key);
      this.retryAtMs.delete(stream.name);
      return true;
    } catch (error) {
      if ((error as Error)?.name !== 'AccessDeniedError') throw error;
      const nowMs = this.clock.now();
      this.retryAtMs.set(stream.name, nowMs + deliveryRetryMs);
      console.warn(
        `[firehose] ${stream.name}: S3.AccessDenied: ${(error as Error).message}; ${rows.length} records stay buffered and delivery is retried`,
      );
      const expired = rows.filter((row) => nowMs - row.received_at > deliveryRetentionMs);
      if (expired.length > 0) {
        this.store.db
          .prepare('DELETE FROM firehose_records WHERE stream = ? AND seq <= ?')
          .run(stream.name, expired.at(-1)?.seq ?? 0);
        console.error(
          `[firehose] ${stream.name}: ${expired.length} records could not be delivered for 24 hours and are dropped`,
        );
      }
      return false;
    }
  }

  /** Flushes every stream (shutdown). */
  flushAll(): void {
    for (const { value: stream } of this.store.listResources<StreamDefinition>('firehose-stream'))
      this.flush(stream);
  }

  private partition(stream: StreamDefinition, rows: RecordRow[]) {
    const destination = stream.destination;
    const groups = new Map<string, { prefix: string; rows: RecordRow[]; error: boolean }>();
    const add = (prefix: string, row: RecordRow, error: boolean) => {
      const group = groups.get(`${error}:${prefix}`) ?? { prefix, rows: [], error };
      group.rows.push(row);
      groups.set(`${error}:${prefix}`, group);
    };
    const firstArrival = rows[0]?.received_at ?? this.clock.now();
    const defaultPrefix = formatTimestamp('yyyy/MM/dd/HH/', firstArrival);
    if (!destination.DynamicPartitioningConfiguration?.Enabled) {
      const prefix = destination.Prefix
        ? this.expandPrefix(destination.Prefix, firstArrival, {})
        : defaultPrefix;
      for (const row of rows) add(prefix, row, false);
      return groups;
    }
    const query = processorParameter(destination, 'MetadataExtraction', 'MetadataExtractionQuery');
    const extract = query ? compileJqQuery(query) : () => ({});
    for (const row of rows) {
      try {
        const keys = extract(JSON.parse(row.data.toString('utf8')));
        add(this.expandPrefix(destination.Prefix ?? '', row.received_at, keys), row, false);
      } catch {
        add(this.expandErrorPrefix(destination.ErrorOutputPrefix ?? '', row.received_at), row, true);
      }
    }
    return groups;
  }

  private expandPrefix(prefix: string, atMs: number, keys: Record<string, string>): string {
    return prefix.replace(/!\{([^:}]+):([^}]+)\}/g, (_match, namespace: string, name: string) => {
      if (namespace === 'timestamp') return formatTimestamp(name, atMs);
      if (namespace === 'partitionKeyFromQuery') {
        const value = keys[name];
        if (value === undefined || value === '') throw new Error(`partition key ${name} missing`);
        return value;
      }
      if (namespace === 'firehose' && name === 'random-string') return randomUUID().slice(0, 11);
      throw new Error(`unsupported prefix expression ${namespace}:${name}`);
    });
  }

  private expandErrorPrefix(prefix: string, atMs: number): string {
    const base = prefix || 'processing-failed/';
    const expanded = base
      .replace(/!\{firehose:error-output-type\}/g, 'processing-failed')
      .replace(/!\{firehose:random-string\}/g, () => randomUUID().slice(0, 11))
      .replace(/!\{timestamp:([^}]+)\}/g, (_match, pattern: string) => formatTimestamp(pattern, atMs));
    return prefix.includes('!{timestamp:') || !prefix
      ? expanded
      : `${expanded}${formatTimestamp('yyyy/MM/dd/HH/', atMs)}`;
  }

  private objectOf(
    stream: StreamDefinition,
    prefix: string,
    rows: RecordRow[],
    error: boolean,
  ): { bucket: string; key: string; body: Buffer } {
    const destination = stream.destination;
    const delimiter = processorParameter(destination, 'AppendDelimiterToRecord', 'Delimiter');
    const appendNewline =
      destination.ProcessingConfiguration?.Enabled &&
      destination.ProcessingConfiguration.Processors?.some((p) => p.Type === 'AppendDelimiterToRecord');
    const separator = appendNewline
      ? Buffer.from(delimiter ? JSON.parse(`"${delimiter}"`) : '\n')
      : Buffer.alloc(0);
    const body = error
      ? Buffer.concat(
          rows.map((row) =>
            Buffer.from(
              `${JSON.stringify({ rawData: row.data.toString('base64'), errorCode: 'DynamicPartitioning.MetadataExtractionFailed', errorMessage: 'Partition keys could not be extracted', attemptsMade: 1, arrivalTimestamp: row.received_at })}\n`,
            ),
          ),
        )
      : Buffer.concat(rows.flatMap((row) => [row.data, separator]));
    const gzip = destination.CompressionFormat === 'GZIP';
    const name = `${stream.name}-${stream.versionId}-${formatTimestamp('yyyy-MM-dd-HH-mm-ss', rows[0]?.received_at ?? this.clock.now())}-${randomUUID()}${destination.FileExtension ?? (gzip ? '.gz' : '')}`;
    const bucket = destination.BucketARN.split(':').at(-1) ?? '';
    return { bucket, key: `${prefix}${name}`, body: gzip ? gzipSync(body) : body };
  }
}

/** The Firehose operations the local runtime answers: the keys of the table it dispatches by. */
export const firehoseOperations = operationsOf(FirehoseService.operations);
