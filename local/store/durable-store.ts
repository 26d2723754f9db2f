/** Durable local state: one SQLite database (WAL, group commit) under the data directory, so kill -9 loses nothing acknowledged. */
import { mkdirSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';

/** Thrown when durability is asked of a store already closed: its commits can no longer be confirmed on disk. */
export class StoreClosedError extends Error {
  override readonly name = 'StoreClosedError';
}

/** The database every local service keeps its state in; each service creates its own tables. */
export class DurableStore {
  readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  /**
   * Resource texts by type and name as last written or read (null: absent). Definitions are read on every call
   * (IAM sessions and policies, functions, state machines) and written rarely; only this class writes the table.
   */
  private readonly resourceTexts = new Map<string, string | null>();
  private readonly totalChanges: Database.Statement;
  private readonly walPath: string;
  private wal: Promise<FileHandle> | undefined;
  /** Rows changed by commits known to be on disk (SQLite's total_changes() when the last fsync started). */
  private durableChanges = 0;
  private syncInFlight: Promise<void> | undefined;
  private syncQueued: Promise<void> | undefined;
  private closed = false;

  constructor(readonly dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    const file = path.join(dataDir, 'concord.db');
    this.walPath = `${file}-wal`;
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    // NORMAL: a commit reaches the WAL (the OS's page cache, which survives kill -9) without its own fsync; what is
    // acknowledged waits for durable(), which fsyncs the WAL once for every commit made meanwhile (group commit).
    // With FULL every commit paid its own fsync on the event loop: 16 % of the main thread under load.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`CREATE TABLE IF NOT EXISTS resources (
      type TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (type, name))`);
    this.totalChanges = this.db.prepare('SELECT total_changes()').pluck();
  }

  /** A prepared statement for `sql`, compiled once per store (preparing costs more than running a small query). */
  statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** A resource definition (bus, rule, queue, state machine, …) by type and name. */
  getResource<T>(type: string, name: string): T | undefined {
    const key = `${type}\u0000${name}`;
    let text = this.resourceTexts.get(key);
    if (text === undefined) {
      const row = this.statement('SELECT value FROM resources WHERE type = ? AND name = ?').get(type, name) as
        | { value: string }
        | undefined;
      text = row?.value ?? null;
      this.resourceTexts.set(key, text);
    }
    // Parsed per call: callers own (and may change) what they get.
    return text === null ? undefined : (JSON.parse(text) as T);
  }

  /** Creates or replaces a resource definition. */
  putResource(type: string, name: string, value: unknown): void {
    const text = JSON.stringify(value);
    this.statement('INSERT OR REPLACE INTO resources (type, name, value) VALUES (?, ?, ?)').run(
      type,
      name,
      text,
    );
    this.resourceTexts.set(`${type}\u0000${name}`, text);
  }

  /** Deletes a resource definition; returns whether it existed. */
  deleteResource(type: string, name: string): boolean {
    const deleted =
      this.statement('DELETE FROM resources WHERE type = ? AND name = ?').run(type, name).changes > 0;
    this.resourceTexts.set(`${type}\u0000${name}`, null);
    return deleted;
  }

  /** Every resource of a type, in name order. */
  listResources<T>(type: string): { name: string; value: T }[] {
    const rows = this.statement('SELECT name, value FROM resources WHERE type = ? ORDER BY name').all(
      type,
    ) as {
      name: string;
      value: string;
    }[];
    return rows.map((row) => ({ name: row.name, value: JSON.parse(row.value) as T }));
  }

  /** Runs fn in one transaction. */
  transaction<T>(fn: () => T): T {
    try {
      return this.db.transaction(fn)();
    } catch (error) {
      // The rollback undid writes the cache already holds: forget it rather than serve them.
      this.resourceTexts.clear();
      throw error;
    }
  }

  /**
   * Resolves once every commit made before the call is on disk: the edge awaits it before it acknowledges a
   * request. Commits made while one fsync runs share the next one, so under load one fsync covers many requests;
   * when nothing was committed since the last fsync it resolves at once.
   */
  async durable(): Promise<void> {
    const committed = this.totalChanges.get() as number;
    while (this.durableChanges < committed) await this.requestSync();
  }

  /** Joins the fsync that starts next: the one in flight may have started before the caller's commit. */
  private requestSync(): Promise<void> {
    if (!this.syncInFlight) {
      this.syncInFlight = this.syncWal().finally(() => {
        this.syncInFlight = undefined;
      });
      return this.syncInFlight;
    }
    this.syncQueued ??= this.syncInFlight.then(() => {
      this.syncQueued = undefined;
      return this.requestSync();
    });
    return this.syncQueued;
  }

  private async syncWal(): Promise<void> {
    if (this.closed)
      throw new StoreClosedError('The durable store is closed; the commit was not confirmed on disk');
    // Read before the fsync: every commit counted here is already in the WAL file the fsync flushes.
    const committed = this.totalChanges.get() as number;
    if (!this.wal) {
      this.wal = open(this.walPath, 'r');
      // A failed open is retried by the next sync rather than remembered.
      this.wal.catch(() => {
        this.wal = undefined;
      });
    }
    await (await this.wal).sync();
    this.durableChanges = Math.max(this.durableChanges, committed);
  }

  close(): void {
    this.closed = true;
    // The handle closes after a pending fsync; closing the database checkpoints the WAL with its own fsyncs.
    void this.wal?.then((handle) => handle.close()).catch(() => undefined);
    this.db.close();
  }
}
