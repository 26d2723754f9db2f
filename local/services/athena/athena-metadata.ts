/** Athena's metadata calls over the local Glue catalog (the one data catalog, AwsDataCatalog), so BI tools and Athena clients can browse the warehouse. */
import { AwsError } from '../../edge/aws-error';
import { type GlueCatalog, type GlueTableDefinition, tableNameFilter } from '../glue/glue-catalog';
import { pageAfter, pageSizeOf } from '../glue/glue-service';

/** The metadata operations the local Athena answers. */
export const athenaMetadataOperations = [
  'ListDataCatalogs',
  'ListDatabases',
  'GetDatabase',
  'ListTableMetadata',
  'GetTableMetadata',
] as const;

/** The name Athena gives the account's Glue Data Catalog. */
export const glueDataCatalogName = 'AwsDataCatalog';

function invalidRequest(message: string): AwsError {
  return new AwsError('InvalidRequestException', message);
}

function metadataError(message: string): AwsError {
  return new AwsError('MetadataException', message);
}

function required(input: Record<string, unknown>, field: string): string {
  const value = input[field];
  if (typeof value !== 'string' || value === '') throw invalidRequest(`${field} must be specified.`);
  return value;
}

/** A table as Athena describes it: columns, partition keys, and the storage facts folded into Parameters. */
export function tableMetadata(table: GlueTableDefinition) {
  const input = table.input;
  const storage = input?.StorageDescriptor as
    | {
        Location?: string;
        InputFormat?: string;
        OutputFormat?: string;
        Columns?: { Name: string; Type?: string; Comment?: string }[];
        SerdeInfo?: { SerializationLibrary?: string; Parameters?: Record<string, string> };
      }
    | undefined;
  const parameters: Record<string, string> = { ...(input?.Parameters ?? {}) };
  if (storage?.Location ?? table.location)
    parameters.location = (storage?.Location ?? table.location) as string;
  if (storage?.InputFormat) parameters.inputformat = storage.InputFormat;
  if (storage?.OutputFormat) parameters.outputformat = storage.OutputFormat;
  if (storage?.SerdeInfo?.SerializationLibrary)
    parameters['serde.serialization.lib'] = storage.SerdeInfo.SerializationLibrary;
  for (const [name, value] of Object.entries(storage?.SerdeInfo?.Parameters ?? {}))
    parameters[`serde.param.${name}`] = value;
  if ((input?.TableType ?? table.tableType) === 'EXTERNAL_TABLE') parameters.EXTERNAL = 'TRUE';
  const columns = (list: { Name: string; Type?: string; Comment?: string }[] | undefined) =>
    (list ?? []).map((column) => ({
      Name: column.Name,
      Type: column.Type,
      ...(column.Comment ? { Comment: column.Comment } : {}),
    }));
  return {
    Name: table.name,
    CreateTime: table.createdAtMs === undefined ? undefined : table.createdAtMs / 1000,
    TableType: input?.TableType ?? table.tableType,
    Columns: columns(storage?.Columns),
    PartitionKeys: columns(input?.PartitionKeys),
    Parameters: parameters,
  };
}

/** Answers Athena's metadata operations from the Glue catalog. */
export class AthenaMetadata {
  constructor(private readonly catalog: GlueCatalog) {}

  /** Whether an operation is one of these. */
  serves(operation: string): boolean {
    return (athenaMetadataOperations as readonly string[]).includes(operation);
  }

  handle(operation: string, input: Record<string, unknown>): unknown {
    if (operation === 'ListDataCatalogs') {
      pageSizeOf(input.MaxResults, 50, invalidRequest);
      return { DataCatalogsSummary: [{ CatalogName: glueDataCatalogName, Type: 'GLUE' }] };
    }
    this.requireCatalog(required(input, 'CatalogName'));
    if (operation === 'ListDatabases') {
      const { page, nextToken } = pageAfter(
        this.catalog.databases(),
        (database) => database.input.Name,
        input.NextToken,
        pageSizeOf(input.MaxResults, 50, invalidRequest),
        invalidRequest,
      );
      return { DatabaseList: page.map((database) => this.databaseOf(database.input)), NextToken: nextToken };
    }
    const databaseName = this.requireDatabase(required(input, 'DatabaseName'));
    if (operation === 'GetDatabase') {
      const database = this.catalog.database(databaseName);
      return { Database: this.databaseOf(database?.input ?? { Name: databaseName }) };
    }
    if (operation === 'ListTableMetadata') {
      const matches = tableNameFilter(input.Expression as string | undefined);
      if (!matches) throw invalidRequest(`Expression ${String(input.Expression)} is not a valid pattern.`);
      const { page, nextToken } = pageAfter(
        this.catalog.tables(databaseName).filter((table) => matches(table.name)),
        (table) => table.name,
        input.NextToken,
        pageSizeOf(input.MaxResults, 50, invalidRequest),
        invalidRequest,
      );
      return { TableMetadataList: page.map(tableMetadata), NextToken: nextToken };
    }
    const tableName = required(input, 'TableName');
    const table = this.catalog.table(databaseName, tableName);
    if (!table) throw metadataError(`Table ${tableName} not found in database ${databaseName}.`);
    return { TableMetadata: tableMetadata(table) };
  }

  private requireCatalog(name: string): void {
    if (name.toLowerCase() !== glueDataCatalogName.toLowerCase())
      throw metadataError(
        `Catalog ${name} not found (the local runtime has one catalog, ${glueDataCatalogName}).`,
      );
  }

  private requireDatabase(name: string): string {
    const database = this.catalog.database(name);
    if (!database) throw metadataError(`Database ${name} not found.`);
    return database.input.Name;
  }

  private databaseOf(input: { Name: string; Description?: string; Parameters?: Record<string, string> }) {
    return {
      Name: input.Name,
      ...(input.Description ? { Description: input.Description } : {}),
      Parameters: input.Parameters ?? {},
    };
  }
}
