/** Glue (AWS JSON 1.1) over the local catalog: GetDatabases, GetDatabase, GetTables, GetTable — what Athena clients and BI tools browse with. */
import { AwsError } from '../../edge/aws-error';
import type { JsonService } from '../../edge/edge-server';
import type { DurableStore } from '../../store/durable-store';
import type { LocalEnvironment } from '../local-environment';
import {
  entityNotFound,
  GlueCatalog,
  type GlueDatabaseInput,
  type GlueTableDefinition,
  tableNameFilter,
} from './glue-catalog';

/** The operations the local Glue answers. */
export const glueOperations = ['GetDatabase', 'GetDatabases', 'GetTable', 'GetTables'] as const;

function invalidInput(message: string): AwsError {
  return new AwsError('InvalidInputException', message);
}

function requiredName(input: Record<string, unknown>, field: string): string {
  const value = input[field];
  if (typeof value !== 'string' || value === '') throw invalidInput(`${field} is required.`);
  return value;
}

/** A page size: 1 to `max`, `max` when absent. */
export function pageSizeOf(value: unknown, max: number, invalid: (message: string) => AwsError): number {
  if (value === undefined) return max;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max)
    throw invalid(`MaxResults must be between 1 and ${max}.`);
  return value;
}

/** One page of names after a token; the token names the last item of the previous page. */
export function pageAfter<T>(
  items: readonly T[],
  nameOf: (item: T) => string,
  token: unknown,
  size: number,
  invalid: (message: string) => AwsError,
): { page: T[]; nextToken?: string } {
  let after: string | undefined;
  if (token !== undefined && token !== null && token !== '') {
    try {
      const decoded = JSON.parse(Buffer.from(String(token), 'base64').toString('utf8')) as {
        after?: unknown;
      };
      if (typeof decoded.after !== 'string') throw new Error('no name in the token');
      after = decoded.after;
    } catch (error) {
      throw Object.assign(invalid('The pagination token is not valid.'), { cause: error });
    }
  }
  const rest = after === undefined ? [...items] : items.filter((item) => nameOf(item) > (after as string));
  const page = rest.slice(0, size);
  const last = page.at(-1);
  return rest.length > size && last !== undefined
    ? { page, nextToken: Buffer.from(JSON.stringify({ after: nameOf(last) })).toString('base64') }
    : { page };
}

function seconds(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : ms / 1000;
}

/** The local Glue service. */
export class GlueService implements JsonService {
  readonly targetPrefix = 'AWSGlue';
  readonly catalog: GlueCatalog;

  constructor(
    store: DurableStore,
    private readonly env: LocalEnvironment,
  ) {
    this.catalog = new GlueCatalog(store);
  }

  async handle(operation: string, input: Record<string, unknown>): Promise<unknown> {
    this.checkCatalog(input.CatalogId);
    switch (operation) {
      case 'GetDatabases': {
        const { page, nextToken } = pageAfter(
          this.catalog.databases(),
          (database) => database.input.Name,
          input.NextToken,
          pageSizeOf(input.MaxResults, 100, invalidInput),
          invalidInput,
        );
        return { DatabaseList: page.map((database) => this.database(database)), NextToken: nextToken };
      }
      case 'GetDatabase':
        return { Database: this.database(this.requireDatabase(requiredName(input, 'Name'))) };
      case 'GetTables': {
        const database = this.requireDatabase(requiredName(input, 'DatabaseName')).input.Name;
        const matches = tableNameFilter(input.Expression as string | undefined);
        if (!matches) throw invalidInput(`Expression ${String(input.Expression)} is not a valid pattern.`);
        const { page, nextToken } = pageAfter(
          this.catalog.tables(database).filter((table) => matches(table.name)),
          (table) => table.name,
          input.NextToken,
          pageSizeOf(input.MaxResults, 100, invalidInput),
          invalidInput,
        );
        return { TableList: page.map((table) => this.table(table)), NextToken: nextToken };
      }
      case 'GetTable': {
        const database = this.requireDatabase(requiredName(input, 'DatabaseName')).input.Name;
        const name = requiredName(input, 'Name');
        const table = this.catalog.table(database, name);
        if (!table) throw entityNotFound(`Table ${name} not found.`);
        return { Table: this.table(table) };
      }
      default:
        throw new AwsError(
          'UnknownOperationException',
          `Glue operation ${operation} is not supported by the local runtime (it serves ${glueOperations.join(', ')})`,
        );
    }
  }

  /** Only this account's catalog exists locally. */
  private checkCatalog(catalogId: unknown): void {
    if (catalogId !== undefined && catalogId !== this.env.accountId)
      throw entityNotFound(`Catalog ${String(catalogId)} not found.`);
  }

  private requireDatabase(name: string): { input: GlueDatabaseInput; createdAtMs?: number } {
    const database = this.catalog.database(name);
    if (!database) throw entityNotFound(`Database ${name} not found.`);
    return database;
  }

  private database(database: { input: GlueDatabaseInput; createdAtMs?: number }) {
    return {
      ...database.input,
      Parameters: database.input.Parameters ?? {},
      CreateTime: seconds(database.createdAtMs),
      CreateTableDefaultPermissions: [
        { Principal: { DataLakePrincipalIdentifier: 'IAM_ALLOWED_PRINCIPALS' }, Permissions: ['ALL'] },
      ],
      CatalogId: this.env.accountId,
    };
  }

  private table(table: GlueTableDefinition) {
    const input = table.input ?? {
      Name: table.name,
      TableType: table.tableType,
      StorageDescriptor: table.location ? { Location: table.location, Columns: [] } : undefined,
    };
    return {
      ...input,
      Name: table.name,
      DatabaseName: table.database,
      TableType: input.TableType ?? table.tableType,
      Parameters: input.Parameters ?? {},
      PartitionKeys: input.PartitionKeys ?? [],
      CreateTime: seconds(table.createdAtMs),
      UpdateTime: seconds(table.updatedAtMs),
      Retention: 0,
      IsRegisteredWithLakeFormation: false,
      CatalogId: this.env.accountId,
    };
  }
}
