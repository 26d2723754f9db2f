/** `concord warehouse tables|sql`: the events the warehouse stream delivered, queried with DuckDB (local stage). */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConcordError } from '../../functions/shared/errors';
import { warehouseModels } from '../../functions/shared/warehouse/models';
import { localWarehouseBucketDir, openLocalWarehouse } from '../../local/warehouse/duckdb-warehouse';
import { OperatorInputError } from '../error-output';
import { printJson, printTable } from '../table-output';

/** The local warehouse refused or failed a query: the first line of its message says why. */
export class WarehouseQueryFailedError extends ConcordError {
  override readonly name = 'WarehouseQueryFailedError';
}

export const warehouseHelp = `Query the local stage's warehouse (the events its Firehose stream delivered) with DuckDB.

usage: concord warehouse tables [--data-dir DIR] [--json]
       concord warehouse sql "<query>" [--data-dir DIR] [--json]

  tables          the tables and their row counts
  sql <query>     any DuckDB SQL over them, e.g. "select event_type, count(*) from raw_events group by 1"
  --data-dir DIR  the embedded runtime's data (env CONCORD_DATA_DIR, default .concord)

raw_events: every canonical and ERP event (CloudEvents attributes, data as JSON text), with event_type and
event_date (the delivery date) from the layout events/event_type=<type>/event_date=<yyyy-MM-dd>/, and source_file.
The models (docs/warehouse.md): erp_events, order_status_history, orders, payments, invoices, customers — the
same SQL Athena runs. The stream delivers a batch every 60 s on the local stage.`;

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
    throw new OperatorInputError(
      'usage: concord warehouse tables | concord warehouse sql "<query>" (see --help)',
    );
  if (verb === 'sql' && !query) throw new OperatorInputError('usage: concord warehouse sql "<query>"');
  const connection = await openLocalWarehouse(localWarehouseBucketDir(dataDir));
  try {
    const tables = ['raw_events', ...warehouseModels.map((model) => model.name)];
    const run = async (sql: string) => {
      const reader = await connection.runAndReadAll(sql);
      return { columns: reader.columnNames(), rows: reader.getRowsJson() as unknown[][] };
    };
    const result =
      verb === 'tables'
        ? await run(
            tables
              .map((table) => `select '${table}' as table_name, count(*) as rows from ${table}`)
              .join(' union all '),
          )
        : await run(query as string).catch((error: Error) => {
            throw new WarehouseQueryFailedError(`the query failed: ${error.message.split('\n')[0]}`, {
              cause: error,
            });
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
