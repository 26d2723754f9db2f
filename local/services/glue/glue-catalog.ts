/**
 * The local Glue Data Catalog: the databases and tables (external tables and views) the deployment declared through
 * AWS::Glue::Database and AWS::Glue::Table, kept in the store and read by Glue and by Athena's metadata calls.
 */
import { AwsError } from '../../edge/aws-error';
import type { DurableStore } from '../../store/durable-store';

/** A column as Glue holds it. */
export interface GlueColumn {
  Name: string;
  Type?: string;
  Comment?: string;
}

/** A TableInput as CloudFormation's AWS::Glue::Table declares it (the same names as the Glue API's). */
export interface GlueTableInput {
  Name: string;
  Description?: string;
  Owner?: string;
  TableType?: string;
  Parameters?: Record<string, string>;
  PartitionKeys?: GlueColumn[];
  StorageDescriptor?: { Location?: string; Columns?: GlueColumn[] } & Record<string, unknown>;
  ViewOriginalText?: string;
  ViewExpandedText?: string;
}

/** A DatabaseInput as CloudFormation's AWS::Glue::Database declares it. */
export interface GlueDatabaseInput {
  Name: string;
  Description?: string;
  LocationUri?: string;
  Parameters?: Record<string, string>;
}

/** A Glue table or view as the deployment declared it (the local Athena reads `location`; Glue answers `input`). */
export interface GlueTableDefinition {
  database: string;
  name: string;
  tableType: string;
  location?: string;
  /** The whole TableInput; absent for tables deployed before the runtime kept it. */
  input?: GlueTableInput;
  createdAtMs?: number;
  updatedAtMs?: number;
}

interface GlueDatabaseRecord {
  input: GlueDatabaseInput;
  createdAtMs: number;
}

const tableType = 'glue-table';
const databaseType = 'glue-database';

/** EntityNotFoundException, Glue's answer for a database or table it does not hold. */
export function entityNotFound(message: string): AwsError {
  return new AwsError('EntityNotFoundException', message);
}

/**
 * A table-name filter as Glue and Athena take it: a regular expression matched against the whole name, where a
 * `*` not after `.` means any characters, as Hive patterns (`sales*`) are written; undefined when the expression is
 * not a valid pattern.
 */
export function tableNameFilter(expression: string | undefined): ((name: string) => boolean) | undefined {
  if (expression === undefined || expression === '') return () => true;
  try {
    const pattern = new RegExp(`^(?:${expression.replace(/(^|[^.\\])\*/g, '$1.*')})$`, 'i');
    return (name) => pattern.test(name);
  } catch {
    return undefined;
  }
}

/** The catalog over the store (the account's one catalog); stateless, so Glue and Athena each hold one. */
export class GlueCatalog {
  constructor(private readonly store: DurableStore) {}

  /** Records a database (create or update), keeping its creation time across redeploys. */
  putDatabase(input: GlueDatabaseInput, nowMs: number): void {
    const name = input.Name.toLowerCase();
    const existing = this.store.getResource<GlueDatabaseRecord>(databaseType, name);
    this.store.putResource(databaseType, name, {
      input: { ...input, Name: name },
      createdAtMs: existing?.createdAtMs ?? nowMs,
    } satisfies GlueDatabaseRecord);
  }

  removeDatabase(name: string): void {
    this.store.deleteResource(databaseType, name.toLowerCase());
  }

  /** Every database, in name order; a database only its tables name (an older data directory) counts too. */
  databases(): { input: GlueDatabaseInput; createdAtMs?: number }[] {
    const declared = new Map(
      this.store.listResources<GlueDatabaseRecord>(databaseType).map(({ name, value }) => [name, value]),
    );
    const named: Map<string, { input: GlueDatabaseInput; createdAtMs?: number }> = new Map(declared);
    for (const { value } of this.store.listResources<GlueTableDefinition>(tableType))
      if (!named.has(value.database)) named.set(value.database, { input: { Name: value.database } });
    return [...named.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, value]) => value);
  }

  /** A database by name (case-insensitive, as Glue lowercases names); undefined when absent. */
  database(name: string): { input: GlueDatabaseInput; createdAtMs?: number } | undefined {
    return this.databases().find((database) => database.input.Name === name.toLowerCase());
  }

  /** The tables and views of a database, in name order. */
  tables(database: string): GlueTableDefinition[] {
    const lower = database.toLowerCase();
    return this.store
      .listResources<GlueTableDefinition>(tableType)
      .map(({ value }) => value)
      .filter((table) => table.database === lower)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** A table by database and name (case-insensitive); undefined when absent. */
  table(database: string, name: string): GlueTableDefinition | undefined {
    return this.store.getResource<GlueTableDefinition>(
      tableType,
      `${database.toLowerCase()}/${name.toLowerCase()}`,
    );
  }
}
