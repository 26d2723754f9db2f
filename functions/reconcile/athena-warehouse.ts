/** The warehouse through Athena: a query runs in the stage's workgroup (which enforces where results go and how much a query may scan). */
import {
  type AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import type { WarehouseQuery } from './reconcile-sources';

export interface AthenaWarehouseOptions {
  workGroup: string;
  database: string;
  /** Give up on a query after this long (it is cancelled by the workgroup's limits otherwise). */
  timeoutMs?: number;
  sleep?(ms: number): Promise<void>;
}

/** Thrown when Athena fails or cancels a query; names the state and Athena's reason. */
export class WarehouseQueryError extends Error {
  override readonly name = 'WarehouseQueryError';
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function athenaWarehouseQuery(athena: AthenaClient, options: AthenaWarehouseOptions): WarehouseQuery {
  const sleep = options.sleep ?? defaultSleep;
  return async (sql) => {
    const { QueryExecutionId } = await athena.send(
      new StartQueryExecutionCommand({
        QueryString: sql,
        WorkGroup: options.workGroup,
        QueryExecutionContext: { Database: options.database },
      }),
    );
    const deadline = Date.now() + (options.timeoutMs ?? 5 * 60_000);
    // Short queries finish in about a second; back off up to two seconds between polls.
    for (let wait = 200; ; wait = Math.min(wait * 2, 2000)) {
      const { QueryExecution } = await athena.send(new GetQueryExecutionCommand({ QueryExecutionId }));
      const state = QueryExecution?.Status?.State;
      if (state === 'SUCCEEDED') break;
      if (state === 'FAILED' || state === 'CANCELLED')
        throw new WarehouseQueryError(
          `Athena query ${QueryExecutionId} ${state}: ${QueryExecution?.Status?.StateChangeReason ?? 'no reason given'}`,
        );
      if (Date.now() > deadline)
        throw new WarehouseQueryError(`Athena query ${QueryExecutionId} still ${state} after its timeout`);
      await sleep(wait);
    }
    const rows: Record<string, string | null>[] = [];
    let columns: string[] = [];
    let NextToken: string | undefined;
    let first = true;
    do {
      const page = await athena.send(
        new GetQueryResultsCommand({ QueryExecutionId, NextToken, MaxResults: 1000 }),
      );
      columns = page.ResultSet?.ResultSetMetadata?.ColumnInfo?.map((column) => column.Name ?? '') ?? columns;
      const data = page.ResultSet?.Rows ?? [];
      // The first row of a SELECT's first page repeats the column names.
      for (const row of first ? data.slice(1) : data)
        rows.push(
          Object.fromEntries(
            columns.map((column, index) => [column, row.Data?.[index]?.VarCharValue ?? null]),
          ),
        );
      first = false;
      NextToken = page.NextToken;
    } while (NextToken);
    return rows;
  };
}
