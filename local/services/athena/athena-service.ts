/**
 * Athena over DuckDB: the slice a query client needs (start, poll, page through results, stop). A query runs in a
 * workgroup against a Glue database the deployment declared; the database's `events` table points at the local
 * S3 bucket the warehouse stream writes, and its views are the same models Glue holds (local/warehouse). The
 * catalog metadata calls (ListDataCatalogs, ListDatabases, ListTableMetadata, …) answer from the Glue catalog.
 */

import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { LocalClock } from '../../clock';
import { AwsError, validationError } from '../../edge/aws-error';
import type { JsonService } from '../../edge/edge-server';
import type { DurableStore } from '../../store/durable-store';
import { openLocalWarehouse, valueAsText } from '../../warehouse/duckdb-warehouse';
import { GlueCatalog, type GlueTableDefinition } from '../glue/glue-catalog';
import { AthenaMetadata, athenaMetadataOperations } from './athena-metadata';

export type { GlueTableDefinition } from '../glue/glue-catalog';

interface QueryExecution {
  id: string;
  sql: string;
  workGroup: string;
  database: string;
  state: 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
  reason?: string;
  submittedMs: number;
  completedMs?: number;
  columns: { name: string; type: string }[];
  rows: (string | null)[][];
}

/** What a query needs to reach on the caller's behalf: the Glue tables it names and the results location. */
export interface AthenaQueryAccess {
  database: string;
  tables: GlueTableDefinition[];
  outputLocation?: string;
}

/** The query operations the local Athena answers (the metadata ones are in athena-metadata.ts). */
export const athenaQueryOperations = [
  'StartQueryExecution',
  'GetQueryExecution',
  'GetQueryResults',
  'StopQueryExecution',
] as const;

/** Every operation the local Athena answers. */
export const athenaOperations: readonly string[] = [...athenaQueryOperations, ...athenaMetadataOperations];

/** Results are kept this long, as far as a client that polls and pages needs them. */
const keepResultsMs = 60 * 60_000;
const maxResultsPerPage = 1000;

function athenaType(duckdbType: string): string {
  const type = duckdbType.toLowerCase();
  if (type.startsWith('decimal')) return 'decimal';
  if (type === 'timestamp' || type.startsWith('timestamp')) return 'timestamp';
  if (type === 'bigint' || type === 'integer' || type === 'double' || type === 'boolean') return type;
  return 'varchar';
}

/** The local Athena: queries over DuckDB, and the catalog metadata calls over the Glue catalog. */
export class AthenaService implements JsonService {
  readonly targetPrefix = 'AmazonAthena';
  private readonly executions = new Map<string, QueryExecution>();
  private readonly metadata: AthenaMetadata;
  /**
   * Athena reads the tables' data and the catalog, and writes results, with the caller's rights (IAM enforced,
   * wired by the runtime): answers why the caller may not, as the failed query's StateChangeReason, or undefined.
   */
  authorizeQuery: (query: AthenaQueryAccess) => string | undefined = () => undefined;

  constructor(
    private readonly store: DurableStore,
    private readonly clock: LocalClock,
  ) {
    this.metadata = new AthenaMetadata(new GlueCatalog(store));
  }

  /** Records a workgroup (AWS::Athena::WorkGroup). */
  putWorkGroup(name: string, outputLocation: string | undefined): void {
    this.store.putResource('athena-workgroup', name, { name, outputLocation });
  }

  /** Records a Glue table or view (AWS::Glue::Table), keeping its creation time across redeploys. */
  putGlueTable(table: GlueTableDefinition): void {
    const key = `${table.database}/${table.name}`;
    const existing = this.store.getResource<GlueTableDefinition>('glue-table', key);
    const nowMs = this.clock.now();
    this.store.putResource('glue-table', key, {
      ...table,
      createdAtMs: existing?.createdAtMs ?? nowMs,
      updatedAtMs: nowMs,
    } satisfies GlueTableDefinition);
  }

  removeGlueTable(database: string, name: string): void {
    this.store.deleteResource('glue-table', `${database}/${name}`);
  }

  async handle(operation: string, input: Record<string, unknown>): Promise<unknown> {
    if (this.metadata.serves(operation)) return this.metadata.handle(operation, input);
    switch (operation) {
      case 'StartQueryExecution':
        return this.start(input);
      case 'GetQueryExecution':
        return { QueryExecution: this.describe(this.execution(input.QueryExecutionId)) };
      case 'GetQueryResults':
        return this.results(this.execution(input.QueryExecutionId), input);
      case 'StopQueryExecution': {
        const execution = this.execution(input.QueryExecutionId);
        if (execution.state === 'QUEUED' || execution.state === 'RUNNING') execution.state = 'CANCELLED';
        return {};
      }
      default:
        throw new AwsError(
          'UnknownOperationException',
          `Athena operation ${operation} is not supported by the local runtime (it serves ${athenaOperations.join(', ')})`,
        );
    }
  }

  /** The workgroup a query execution ran in, if the runtime still knows the execution. */
  workGroupOf(queryExecutionId: string): string | undefined {
    return this.executions.get(queryExecutionId)?.workGroup;
  }

  private execution(id: unknown): QueryExecution {
    const execution = typeof id === 'string' ? this.executions.get(id) : undefined;
    if (!execution)
      throw new AwsError('InvalidRequestException', `QueryExecution ${String(id)} was not found`);
    return execution;
  }

  private start(input: Record<string, unknown>) {
    const sql = input.QueryString;
    if (typeof sql !== 'string' || sql.trim() === '') throw validationError('QueryString must be specified.');
    const workGroup = typeof input.WorkGroup === 'string' ? input.WorkGroup : 'primary';
    if (!this.store.getResource('athena-workgroup', workGroup))
      throw new AwsError('InvalidRequestException', `WorkGroup ${workGroup} is not found.`);
    const database = (input.QueryExecutionContext as { Database?: string } | undefined)?.Database;
    if (!database)
      throw new AwsError('InvalidRequestException', 'QueryExecutionContext.Database must be specified.');
    const events = this.store.getResource<GlueTableDefinition>('glue-table', `${database}/events`);
    if (!events?.location)
      throw new AwsError('InvalidRequestException', `Database ${database} has no events table.`);
    this.forgetOld();
    const execution: QueryExecution = {
      id: randomUUID(),
      sql,
      workGroup,
      database,
      state: 'RUNNING',
      submittedMs: this.clock.now(),
      columns: [],
      rows: [],
    };
    this.executions.set(execution.id, execution);
    const refusal = this.authorizeQuery({
      database,
      // The local engine reads the events table's data for every query (the model views are over it).
      tables: [events, ...this.tablesNamed(database, sql).filter((table) => table.name !== events.name)],
      outputLocation: this.store.getResource<{ outputLocation?: string }>('athena-workgroup', workGroup)
        ?.outputLocation,
    });
    if (refusal !== undefined) {
      // As on AWS, the query is accepted and then fails: the reason is in GetQueryExecution's StateChangeReason.
      execution.state = 'FAILED';
      execution.reason = refusal;
      execution.completedMs = this.clock.now();
      return { QueryExecutionId: execution.id };
    }
    void this.run(execution, events.location);
    return { QueryExecutionId: execution.id };
  }

  /** The Glue tables and views of the database a query names (as a whole word, case-insensitively). */
  private tablesNamed(database: string, sql: string): GlueTableDefinition[] {
    return this.store
      .listResources<GlueTableDefinition>('glue-table')
      .map(({ value }) => value)
      .filter(
        (table) =>
          table.database === database &&
          new RegExp(`(^|[^a-z0-9_])${table.name.replace(/[^a-z0-9_]/gi, '')}($|[^a-z0-9_])`, 'i').test(sql),
      );
  }

  private async run(execution: QueryExecution, location: string): Promise<void> {
    const [bucket = ''] = location.replace(/^s3:\/\//, '').split('/');
    try {
      const connection = await openLocalWarehouse(path.join(this.store.dataDir, 's3', bucket));
      try {
        const reader = await connection.runAndReadAll(execution.sql);
        const types = reader.columnTypes().map((type) => type.toString());
        execution.columns = reader.columnNames().map((name, index) => ({
          name,
          type: athenaType(types[index] ?? 'VARCHAR'),
        }));
        execution.rows = (reader.getRowsJson() as unknown[][]).map((row) => row.map(valueAsText));
        if (execution.state === 'RUNNING') execution.state = 'SUCCEEDED';
      } finally {
        connection.closeSync();
      }
    } catch (error) {
      execution.state = 'FAILED';
      execution.reason = (error as Error).message.split('\n')[0];
    }
    execution.completedMs = this.clock.now();
  }

  private describe(execution: QueryExecution) {
    return {
      QueryExecutionId: execution.id,
      Query: execution.sql,
      StatementType: 'DML',
      WorkGroup: execution.workGroup,
      QueryExecutionContext: { Database: execution.database, Catalog: 'awsdatacatalog' },
      Status: {
        State: execution.state,
        StateChangeReason: execution.reason,
        SubmissionDateTime: execution.submittedMs / 1000,
        CompletionDateTime: execution.completedMs === undefined ? undefined : execution.completedMs / 1000,
      },
    };
  }

  /** A page of rows; the first page starts with a row of column names, as Athena's does for a SELECT. */
  private results(execution: QueryExecution, input: Record<string, unknown>) {
    if (execution.state !== 'SUCCEEDED')
      throw new AwsError(
        'InvalidRequestException',
        `Query has not yet finished. Current state: ${execution.state}`,
      );
    const max = Math.min(Number(input.MaxResults ?? maxResultsPerPage), maxResultsPerPage);
    const offset = typeof input.NextToken === 'string' ? Number(input.NextToken) : 0;
    const header = offset === 0 ? [execution.columns.map((column) => column.name)] : [];
    const page = execution.rows.slice(offset, offset + max - header.length);
    const next = offset + page.length;
    return {
      ResultSet: {
        Rows: [...header, ...page].map((row) => ({
          Data: row.map((value) => (value === null ? {} : { VarCharValue: value })),
        })),
        ResultSetMetadata: {
          ColumnInfo: execution.columns.map((column) => ({
            CatalogName: 'hive',
            Name: column.name,
            Label: column.name,
            Type: column.type,
          })),
        },
      },
      ...(next < execution.rows.length ? { NextToken: String(next) } : {}),
    };
  }

  private forgetOld(): void {
    const cutoff = this.clock.now() - keepResultsMs;
    for (const [id, execution] of this.executions)
      if ((execution.completedMs ?? Number.POSITIVE_INFINITY) < cutoff) this.executions.delete(id);
  }
}
