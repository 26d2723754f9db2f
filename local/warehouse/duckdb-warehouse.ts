/** The local warehouse: DuckDB over the files the local Firehose delivered, with the same models Athena runs. */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { duckdbDialect } from '../../functions/shared/warehouse/dialect';
import { warehouseModels } from '../../functions/shared/warehouse/models';
import {
  rawEventColumns,
  rawEventsPrefix,
  rawEventsViewSql,
} from '../../functions/shared/warehouse/raw-events';

const duckdbTypes = { string: 'VARCHAR', bigint: 'BIGINT' } as const;

/** The directory the local S3 keeps the warehouse bucket in, under the embedded runtime's data directory. */
export function localWarehouseBucketDir(dataDir: string): string {
  const s3 = path.join(dataDir, 's3');
  const bucket = existsSync(s3)
    ? readdirSync(s3).find((name) => name.startsWith('concord-local-stateful-warehousebucket'))
    : undefined;
  if (!bucket) throw new Error(`no warehouse bucket under ${s3}: is the local stage running (npm start)?`);
  return path.join(s3, bucket);
}

function quoted(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** The Glue `events` table over the delivered objects under `bucketDir`; typed and empty before the first delivery. */
function eventsTable(bucketDir: string): string {
  const events = path.join(bucketDir, rawEventsPrefix);
  const hasFiles = existsSync(events) && readdirSync(events).length > 0;
  if (!hasFiles) {
    const columns = rawEventColumns.map(({ name, type }) => `NULL::${duckdbTypes[type]} AS "${name}"`);
    return `SELECT ${columns.join(', ')}, NULL::VARCHAR AS event_type, NULL::VARCHAR AS event_date,
      NULL::VARCHAR AS "$path" WHERE false`;
  }
  // data stays JSON text, as Athena's Glue table declares it; every other column has its Glue type.
  const columns = rawEventColumns
    .map(({ name, type }) => `"${name}": '${name === 'data' ? 'JSON' : duckdbTypes[type]}'`)
    .join(', ');
  return `SELECT * EXCLUDE (filename, data), CAST(data AS VARCHAR) AS data, filename AS "$path"
    FROM read_json(${quoted(`${events}*/*/*.gz`)}, format = 'newline_delimited', compression = 'gzip',
      hive_partitioning = true, filename = true, columns = {${columns}})`;
}

/** A DuckDB connection with the tables and views Glue declares: events, raw_events and every model. */
export async function openLocalWarehouse(bucketDir: string): Promise<DuckDBConnection> {
  const connection = await (await DuckDBInstance.create(':memory:')).connect();
  for (const statement of duckdbDialect) await connection.run(statement);
  // A snapshot of the delivered files, read once: every model reads it several times, and a reconciliation
  // compares the three sides as of one moment.
  await connection.run(`CREATE TEMP TABLE events AS ${eventsTable(bucketDir)}`);
  await connection.run(`CREATE VIEW raw_events AS ${rawEventsViewSql}`);
  for (const model of warehouseModels) await connection.run(`CREATE VIEW ${model.name} AS ${model.sql}`);
  // The snapshot is in memory: from here on a query (anyone's, through the local Athena) reads no other file and
  // writes none, and cannot turn that back on.
  await connection.run('SET enable_external_access = false');
  await connection.run('SET lock_configuration = true');
  return connection;
}

/** The rows of a query as objects; decimals, timestamps and big integers as DuckDB's JSON forms (strings). */
export async function queryObjects(
  connection: DuckDBConnection,
  sql: string,
): Promise<Record<string, unknown>[]> {
  const reader = await connection.runAndReadAll(sql);
  return reader.getRowObjectsJson() as Record<string, unknown>[];
}

/** A DuckDB JSON value as Athena answers it: text, or null (nested values as JSON text). */
export function valueAsText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** The local warehouse as the reconciliation reads it: every value as text, as Athena answers. */
export function duckdbWarehouseQuery(
  connection: DuckDBConnection,
): (sql: string) => Promise<Record<string, string | null>[]> {
  return async (sql) =>
    (await queryObjects(connection, sql)).map((row) =>
      Object.fromEntries(Object.entries(row).map(([column, value]) => [column, valueAsText(value)])),
    );
}
