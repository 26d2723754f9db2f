/** The ledger's Idempotency-Key register: the answer each committed change gave, kept in the change's transaction. */
import type { LedgerDatabase } from './ledger-database';

/** The answer a change committed under an Idempotency-Key, as first given. */
export interface CommittedAnswer {
  /** Hash of method, path and body: a repeat with another request under the key is refused. */
  requestHash: string;
  status: number;
  /** The answer's JSON body, byte for byte. */
  body: string;
  committedAt: string;
}

const schema = `
CREATE TABLE IF NOT EXISTS idempotency (key TEXT PRIMARY KEY, request_hash TEXT NOT NULL, status INTEGER NOT NULL, body TEXT NOT NULL, created_at TEXT NOT NULL);`;

/**
 * Idempotency keys over the ledger database. The answer is recorded in the same transaction as the change, so a
 * change is never committed without it: a lost answer can always be read back under its key.
 */
export class IdempotencyKeys {
  constructor(private readonly books: LedgerDatabase) {
    books.db.exec(schema);
  }

  /** The answer committed under `key`, if a change was. */
  find(key: string): CommittedAnswer | undefined {
    const row = this.books.db
      .prepare('SELECT request_hash, status, body, created_at FROM idempotency WHERE key = ?')
      .get(key) as { request_hash: string; status: number; body: string; created_at: string } | undefined;
    return row
      ? { requestHash: row.request_hash, status: row.status, body: row.body, committedAt: row.created_at }
      : undefined;
  }

  /** Keeps a change's answer under its key, in the change's transaction. */
  record(key: string, requestHash: string, status: number, body: string): void {
    this.books.db
      .prepare('INSERT INTO idempotency (key, request_hash, status, body, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(key, requestHash, status, body, this.books.now());
  }
}
