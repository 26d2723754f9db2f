/** The ERP sandbox's database handle: one SQLite file, its transactions, document counters, audit and outbox. */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

/** What every aggregate of the sandbox writes through: the database, one transaction per call, audit and outbox. */
export interface LedgerHandle {
  /** The sandbox's one database (every aggregate's tables live in it, so one transaction spans them). */
  readonly db: Database.Database;
  /** Runs `fn` in one transaction (nested calls join the outer one): all of it commits, or none. */
  transaction<T>(fn: () => T): T;
  /** Records who changed what, in the caller's transaction. */
  audit(actor: string, action: string, entity: string, entityId: string, detail: unknown): void;
  /** Appends a business event to the outbox, in the caller's transaction. */
  emit(type: string, payload: unknown): void;
  /** The next number of a document counter, formatted `<prefix>-000001`, in the caller's transaction. */
  next(counter: string, prefix: string): string;
}

/** One audit record as read back: `detail` parsed. */
export interface AuditEntry {
  seq: number;
  at: string;
  actor: string;
  action: string;
  entity: string;
  entity_id: string;
  detail: unknown;
}

/** One outbox event as read back: `payload` parsed. */
export interface OutboxEntry {
  seq: number;
  at: string;
  type: string;
  payload: unknown;
}

/** A business document as the reconciliation listing shows it, whatever its kind. */
export interface LedgerDocument {
  type: 'sales-order' | 'invoice' | 'payment';
  number: string;
  externalRef: string;
  status: string;
  currency: string;
  amount: string;
  createdAt: string;
  updatedAt: string;
}

/** Which documents a listing takes: created in [from, to), and of one external reference when given. */
export interface DocumentRange {
  from: string;
  to: string;
  externalRef?: string;
}

// The tables no single aggregate owns: counters number every document; audit and outbox record changes of all.
const schema = `
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS audit (seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, entity TEXT NOT NULL,
  entity_id TEXT NOT NULL, detail TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, type TEXT NOT NULL, payload TEXT NOT NULL);`;

/** The sandbox's database under a data directory (`erp-sandbox.db`), opened durable (WAL, synchronous FULL). */
export class LedgerDatabase implements LedgerHandle {
  readonly db: Database.Database;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.db = new Database(path.join(dataDir, 'erp-sandbox.db'));
    this.db.pragma('journal_mode = WAL');
    // A change the sandbox answered must survive a crash: the platform reads "committed" from its answer.
    this.db.pragma('synchronous = FULL');
    this.db.exec(schema);
  }

  /** Closes the database; the handle is unusable afterwards. */
  close(): void {
    this.db.close();
  }

  /** Runs `fn` in one transaction (nested calls join the outer one): all of it commits, or none. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  /** The current time as the ledger stamps it (ISO 8601, UTC). */
  now(): string {
    return new Date().toISOString();
  }

  /** The next number of a document counter, formatted `<prefix>-000001`, in the caller's transaction. */
  next(counter: string, prefix: string): string {
    this.db
      .prepare(
        'INSERT INTO counters (name, value) VALUES (?, 1) ON CONFLICT(name) DO UPDATE SET value = value + 1',
      )
      .run(counter);
    const { value } = this.db.prepare('SELECT value FROM counters WHERE name = ?').get(counter) as {
      value: number;
    };
    return `${prefix}-${String(value).padStart(6, '0')}`;
  }

  /** Starts a counter at `value`, so that the next document is numbered after documents booked without it (seed). */
  startCounter(counter: string, value: number): void {
    this.db.prepare('INSERT INTO counters (name, value) VALUES (?, ?)').run(counter, value);
  }

  /** Records who changed what, in the caller's transaction. */
  audit(actor: string, action: string, entity: string, entityId: string, detail: unknown): void {
    this.db
      .prepare('INSERT INTO audit (at, actor, action, entity, entity_id, detail) VALUES (?, ?, ?, ?, ?, ?)')
      .run(this.now(), actor, action, entity, entityId, JSON.stringify(detail));
  }

  /** Appends a business event to the outbox, in the caller's transaction (the outbox relay publishes it). */
  emit(type: string, payload: unknown): void {
    this.db
      .prepare('INSERT INTO outbox (at, type, payload) VALUES (?, ?, ?)')
      .run(this.now(), type, JSON.stringify(payload));
  }

  /** The latest `limit` audit records, newest first. */
  auditTrail(limit = 100): AuditEntry[] {
    return (
      this.db.prepare('SELECT * FROM audit ORDER BY seq DESC LIMIT ?').all(limit) as { detail: string }[]
    ).map((row) => ({ ...row, detail: JSON.parse(row.detail) }) as AuditEntry);
  }

  /** Up to 500 outbox events after `afterSeq`, oldest first: the relay pages through them. */
  outbox(afterSeq = 0): OutboxEntry[] {
    return (
      this.db.prepare('SELECT * FROM outbox WHERE seq > ? ORDER BY seq LIMIT 500').all(afterSeq) as {
        payload: string;
      }[]
    ).map((row) => ({ ...row, payload: JSON.parse(row.payload) }) as OutboxEntry);
  }
}
