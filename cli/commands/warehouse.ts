/** `concord warehouse tables|sql`: the events the warehouse stream delivered, queried with DuckDB (local stage). */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { printJson, printTable } from '../table-output';

export const warehouseHelp = `The warehouse of the local stage: the events its Firehose stream delivered, queried with DuckDB.

usage: concord warehouse tables [--data-dir DIR] [--json]
       concord warehouse sql "<query>" [--data-dir DIR] [--json]

  tables          the tables and their row counts
  sql <query>     any DuckDB SQL over them, e.g. "select event_type, count(*) from raw_events group by 1"
  --data-dir DIR  the embedded runtime's data (env CONCORD_DATA_DIR, default .concord)

raw_events: every canonical and ERP event (CloudEvents attributes, data as a JSON struct), with event_type and
event_date from the file layout events/event_type=<type>/event_date=<yyyy-MM-dd>/. The stream delivers a batch
every 60 s on the local stage.`;

function warehouseDir(dataDir: string): string {
  const s3 = path.join(dataDir, 's3');
  const bucket = existsSync(s3)
    ? readdirSync(s3).find((name) => name.startsWith('concord-local-stateful-warehousebucket'))
    : undefined;
  if (!bucket) throw new Error(`no warehouse bucket under ${s3}: is the local stage running (npm start)?`);
  return path.join(s3, bucket);
}

async function openWarehouse(dataDir: string): Promise<DuckDBConnection> {
  const connection = await (await DuckDBInstance.create(':memory:')).connect();
  const events = path.join(warehouseDir(dataDir), 'events');
  const source = existsSync(events)
    ? `read_json('${events.replaceAll("'", "''")}/*/*/*.gz', format = 'newline_delimited', compression = 'gzip',
        hive_partitioning = true, union_by_name = true)`
    : `(select null::varchar as id, null::varchar as type, null::varchar as subject, null::varchar as event_type,
        null::varchar as event_date where false)`;
  await connection.run(`create view raw_events as select * from ${source}`);
  return connection;
}

async function rowsOf(connection: DuckDBConnection, query: string) {
  const reader = await connection.runAndReadAll(query);
  return { columns: reader.columnNames(), rows: reader.getRowsJson() as unknown[][] };
}

export async function runWarehouse(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { 'data-dir': { type: 'string' }, json: { type: 'boolean' } },
    allowPositionals: true,
    strict: true,
  });
  const [verb, query] = positionals;
  const dataDir = path.resolve(values['data-dir'] ?? process.env.CONCORD_DATA_DIR ?? '.concord');
  if (verb !== 'tables' && verb !== 'sql')
    throw new Error('usage: concord warehouse tables | concord warehouse sql "<query>" (see --help)');
  if (verb === 'sql' && !query) throw new Error('usage: concord warehouse sql "<query>"');
  const connection = await openWarehouse(dataDir);
  try {
    const result =
      verb === 'tables'
        ? await rowsOf(connection, "select 'raw_events' as table_name, count(*) as rows from raw_events")
        : await rowsOf(connection, query as string).catch((error: Error) => {
            throw new Error(`the query failed: ${error.message.split('\n')[0]}`);
          });
    if (values.json)
      printJson(
        result.rows.map((row) => Object.fromEntries(result.columns.map((column, i) => [column, row[i]]))),
      );
    else
      printTable(
        result.columns.map((column) => column.toUpperCase()),
        result.rows.map((row) =>
          row.map((cell) => (typeof cell === 'object' ? JSON.stringify(cell) : (cell as string))),
        ),
      );
    return 0;
  } finally {
    connection.closeSync();
  }
}
