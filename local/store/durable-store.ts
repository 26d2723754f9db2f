/** Durable local state: one SQLite database (WAL, synchronous commits) under the data directory, so kill -9 loses nothing acknowledged. */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

/** The database every local service keeps its state in; each service creates its own tables. */
export class DurableStore {
  readonly db: Database.Database;

  constructor(readonly dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.db = new Database(path.join(dataDir, 'concord.db'));
    this.db.pragma('journal_mode = WAL');
    // FULL: a commit is on disk before the service acknowledges the request that made it.
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`CREATE TABLE IF NOT EXISTS resources (
      type TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (type, name))`);
  }

  /** A resource definition (bus, rule, queue, state machine, …) by type and name. */
  getResource<T>(type: string, name: string): T | undefined {
    const row = this.db.prepare('SELECT value FROM resources WHERE type = ? AND name = ?').get(type, name) as
      | { value: string }
      | undefined;
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  /** Creates or replaces a resource definition. */
  putResource(type: string, name: string, value: unknown): void {
    this.db
      .prepare('INSERT OR REPLACE INTO resources (type, name, value) VALUES (?, ?, ?)')
      .run(type, name, JSON.stringify(value));
  }

  /** Deletes a resource definition; returns whether it existed. */
  deleteResource(type: string, name: string): boolean {
    return this.db.prepare('DELETE FROM resources WHERE type = ? AND name = ?').run(type, name).changes > 0;
  }

  /** Every resource of a type, in name order. */
  listResources<T>(type: string): { name: string; value: T }[] {
    const rows = this.db
      .prepare('SELECT name, value FROM resources WHERE type = ? ORDER BY name')
      .all(type) as { name: string; value: string }[];
    return rows.map((row) => ({ name: row.name, value: JSON.parse(row.value) as T }));
  }

  /** Runs fn in one transaction. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  close(): void {
    this.db.close();
  }
}
