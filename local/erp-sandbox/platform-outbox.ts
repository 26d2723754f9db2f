/**
 * The sandbox's stand-in for the SaaS platforms' write APIs: every status update Concord writes back (order
 * accepted, on credit hold, invoiced; customer linked to its ERP account) is recorded here for tests and ops to read.
 */
import type Database from 'better-sqlite3';
import { RefusalError } from './erp-errors';

const statuses = ['accepted', 'credit-held', 'invoiced', 'customer-linked'];
const entities = ['order', 'customer'];
const textFields = [
  'platform',
  'origin',
  'externalRef',
  'erpReference',
  'correlationId',
  'sourceEventId',
  'occurredAt',
];

/** A recorded update, as GET /platform-outbox lists it. */
export interface RecordedPlatformUpdate {
  seq: number;
  recordedAt: string;
  platform: string;
  origin: string;
  entity: string;
  externalRef: string;
  status: string;
  erpReference: string;
  fields: Record<string, string>;
  correlationId: string;
  sourceEventId: string;
  occurredAt: string;
}

interface Row {
  seq: number;
  recorded_at: string;
  update_json: string;
}

function validUpdate(body: Record<string, unknown>): Omit<RecordedPlatformUpdate, 'seq' | 'recordedAt'> {
  for (const name of textFields)
    if (typeof body[name] !== 'string' || body[name] === '')
      throw new RefusalError('invalid_update', `${name} must be a non-empty string`, 422);
  if (!statuses.includes(String(body.status)))
    throw new RefusalError('invalid_update', `status must be one of ${statuses.join(', ')}`, 422);
  if (!entities.includes(String(body.entity)))
    throw new RefusalError('invalid_update', `entity must be one of ${entities.join(', ')}`, 422);
  const fields = body.fields;
  if (
    fields === null ||
    typeof fields !== 'object' ||
    Object.values(fields).some((value) => typeof value !== 'string')
  )
    throw new RefusalError('invalid_update', 'fields must be an object of strings', 422);
  return body as unknown as Omit<RecordedPlatformUpdate, 'seq' | 'recordedAt'>;
}

/** The platform outbox over the sandbox's database. */
export class PlatformOutbox {
  constructor(private readonly db: Database.Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS platform_outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, recorded_at TEXT NOT NULL,
  platform TEXT NOT NULL, external_ref TEXT NOT NULL, status TEXT NOT NULL, update_json TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS platform_outbox_ref ON platform_outbox (platform, external_ref);`);
  }

  record(body: Record<string, unknown>): RecordedPlatformUpdate {
    const update = validUpdate(body);
    const recordedAt = new Date().toISOString();
    const { lastInsertRowid } = this.db
      .prepare(
        'INSERT INTO platform_outbox (recorded_at, platform, external_ref, status, update_json) VALUES (?, ?, ?, ?, ?)',
      )
      .run(recordedAt, update.platform, update.externalRef, update.status, JSON.stringify(update));
    return { seq: Number(lastInsertRowid), recordedAt, ...update };
  }

  /** Updates in the order they were recorded, optionally for one platform and record. */
  list(filter: { platform?: string; externalRef?: string; after?: number }): RecordedPlatformUpdate[] {
    const rows = this.db
      .prepare(
        `SELECT seq, recorded_at, update_json FROM platform_outbox
         WHERE seq > ? AND (? IS NULL OR platform = ?) AND (? IS NULL OR external_ref = ?) ORDER BY seq`,
      )
      .all(
        filter.after ?? 0,
        filter.platform ?? null,
        filter.platform ?? null,
        filter.externalRef ?? null,
        filter.externalRef ?? null,
      ) as Row[];
    return rows.map((row) => ({
      seq: row.seq,
      recordedAt: row.recorded_at,
      ...(JSON.parse(row.update_json) as Omit<RecordedPlatformUpdate, 'seq' | 'recordedAt'>),
    }));
  }
}
