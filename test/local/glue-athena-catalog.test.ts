import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  AthenaClient,
  AthenaServiceException,
  GetTableMetadataCommand,
  ListDatabasesCommand,
  ListDataCatalogsCommand,
  ListTableMetadataCommand,
} from '@aws-sdk/client-athena';
import {
  GetDatabaseCommand,
  GetDatabasesCommand,
  GetTableCommand,
  GetTablesCommand,
  GlueClient,
  GlueServiceException,
} from '@aws-sdk/client-glue';
import { App, Stack } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { warehouseModels } from '../../functions/shared/warehouse/models';
import { rawEventColumns, rawEventPartitions } from '../../functions/shared/warehouse/raw-events';
import { WarehouseCatalog } from '../../infra/constructs/warehouse-catalog';
import { LocalPlatform } from '../../local/platform';

/** Synthesizes the real warehouse catalog construct (database, events table, views, workgroup) as a cloud assembly. */
function synthesizeWarehouse(outdir: string): void {
  const app = new App({ outdir });
  const stack = new Stack(app, 'Warehouse', { env: { account: '000000000000', region: 'us-east-1' } });
  new WarehouseCatalog(stack, 'Catalog', {
    bucket: new Bucket(stack, 'Bucket'),
    stage: 'test',
    firstEventDate: '2026-01-01',
    bytesScannedCutoffPerQuery: 10 * 1024 * 1024 * 1024,
  });
  app.synth();
}

describe('Glue and Athena metadata over the deployed warehouse catalog (through the AWS SDK)', () => {
  let platform: LocalPlatform;
  let glue: GlueClient;
  let athena: AthenaClient;
  let dataDir: string;
  let assemblyDir: string;
  const database = 'concord_test';
  const viewNames = ['raw_events', ...warehouseModels.map((model) => model.name)];
  const allTables = ['events', ...viewNames].sort();

  async function glueFailure(promise: Promise<unknown>): Promise<GlueServiceException> {
    const error = await promise.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(GlueServiceException);
    return error as GlueServiceException;
  }

  async function athenaFailure(promise: Promise<unknown>): Promise<AthenaServiceException> {
    const error = await promise.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(AthenaServiceException);
    return error as AthenaServiceException;
  }

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'concord-glue-'));
    assemblyDir = mkdtempSync(path.join(tmpdir(), 'concord-glue-cdk-'));
    synthesizeWarehouse(assemblyDir);
    platform = await LocalPlatform.start({ dataDir, edgePort: 0, apiPort: 0 });
    await platform.deploy(assemblyDir);
    const config = {
      endpoint: platform.runtime.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    };
    glue = new GlueClient(config);
    athena = new AthenaClient(config);
  }, 120_000);

  afterAll(async () => {
    glue?.destroy();
    athena?.destroy();
    await platform?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(assemblyDir, { recursive: true, force: true });
  });

  describe('Glue', () => {
    it('lists and describes the database the deployment declared', async () => {
      // Act
      const { DatabaseList = [] } = await glue.send(new GetDatabasesCommand({}));
      const { Database } = await glue.send(new GetDatabaseCommand({ Name: database }));

      // Assess
      expect(DatabaseList.map((entry) => entry.Name)).toEqual([database]);
      expect(Database?.Description).toBe(
        'Concord test: canonical and ERP events and the models built on them',
      );
      expect(Database?.CatalogId).toBe('000000000000');
      expect(Database?.CreateTime).toBeInstanceOf(Date);
    });

    it('describes the events table as declared: columns, partition keys, projection parameters, SerDe', async () => {
      // Act
      const { Table } = await glue.send(new GetTableCommand({ DatabaseName: database, Name: 'events' }));

      // Assess
      expect(Table?.TableType).toBe('EXTERNAL_TABLE');
      expect(Table?.DatabaseName).toBe(database);
      expect(Table?.StorageDescriptor?.Columns?.map((column) => [column.Name, column.Type])).toEqual(
        rawEventColumns.map((column) => [column.name, column.type]),
      );
      expect(Table?.PartitionKeys?.map((column) => column.Name)).toEqual(
        rawEventPartitions.map((column) => column.name),
      );
      expect(Table?.StorageDescriptor?.Location).toMatch(/^s3:\/\/[a-z0-9.-]+\/events\/$/);
      expect(Table?.StorageDescriptor?.SerdeInfo?.SerializationLibrary).toBe(
        'org.openx.data.jsonserde.JsonSerDe',
      );
      expect(Table?.Parameters?.['projection.enabled']).toBe('true');
    });

    it('describes a model as a Presto view with its columns', async () => {
      // Prepare
      const model = warehouseModels[0] as (typeof warehouseModels)[number];

      // Act
      const { Table } = await glue.send(new GetTableCommand({ DatabaseName: database, Name: model.name }));

      // Assess
      expect(Table?.TableType).toBe('VIRTUAL_VIEW');
      expect(Table?.ViewOriginalText).toMatch(/^\/\* Presto View: [A-Za-z0-9+/=]+ \*\/$/);
      expect(Table?.StorageDescriptor?.Columns?.map((column) => column.Name)).toEqual(
        model.columns.map((column) => column.name),
      );
    });

    it('pages through the tables with MaxResults and NextToken, each once, and filters them by Expression', async () => {
      // Act
      const names: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const page = await glue.send(
          new GetTablesCommand({ DatabaseName: database, MaxResults: 2, NextToken: token }),
        );
        names.push(...(page.TableList ?? []).map((table) => table.Name as string));
        token = page.NextToken;
        pages += 1;
      } while (token);
      const filtered = await glue.send(
        new GetTablesCommand({ DatabaseName: database, Expression: 'raw*|events' }),
      );

      // Assess
      expect(names).toEqual(allTables);
      expect(pages).toBe(Math.ceil(allTables.length / 2));
      expect(filtered.TableList?.map((table) => table.Name)).toEqual(['events', 'raw_events']);
    });

    it('fails with EntityNotFoundException for a database or table it does not hold, and InvalidInputException for a bad token', async () => {
      // Act
      const noDatabase = await glueFailure(glue.send(new GetDatabaseCommand({ Name: 'concord_other' })));
      const noTable = await glueFailure(
        glue.send(new GetTableCommand({ DatabaseName: database, Name: 'no_such_table' })),
      );
      const tablesOfNone = await glueFailure(
        glue.send(new GetTablesCommand({ DatabaseName: 'concord_other' })),
      );
      const badToken = await glueFailure(
        glue.send(new GetTablesCommand({ DatabaseName: database, NextToken: 'nope' })),
      );
      const unsupported = await glueFailure(
        glue.send(new GetTablesCommand({ DatabaseName: database, CatalogId: '111111111111' })),
      );

      // Assess
      expect([noDatabase.name, noDatabase.message]).toEqual([
        'EntityNotFoundException',
        'Database concord_other not found.',
      ]);
      expect([noTable.name, noTable.message]).toEqual([
        'EntityNotFoundException',
        'Table no_such_table not found.',
      ]);
      expect(tablesOfNone.name).toBe('EntityNotFoundException');
      expect(badToken.name).toBe('InvalidInputException');
      expect(unsupported.name).toBe('EntityNotFoundException');
    });
  });

  describe('Athena metadata', () => {
    it('lists the one Glue data catalog and its databases', async () => {
      // Act
      const catalogs = await athena.send(new ListDataCatalogsCommand({}));
      const databases = await athena.send(new ListDatabasesCommand({ CatalogName: 'AwsDataCatalog' }));

      // Assess
      expect(catalogs.DataCatalogsSummary).toEqual([{ CatalogName: 'AwsDataCatalog', Type: 'GLUE' }]);
      expect(databases.DatabaseList?.map((entry) => [entry.Name, entry.Description])).toEqual([
        [database, 'Concord test: canonical and ERP events and the models built on them'],
      ]);
    });

    it('lists table metadata page by page and filtered by a regex', async () => {
      // Act
      const first = await athena.send(
        new ListTableMetadataCommand({
          CatalogName: 'AwsDataCatalog',
          DatabaseName: database,
          MaxResults: 3,
        }),
      );
      const rest = await athena.send(
        new ListTableMetadataCommand({
          CatalogName: 'AwsDataCatalog',
          DatabaseName: database,
          NextToken: first.NextToken,
        }),
      );
      const filtered = await athena.send(
        new ListTableMetadataCommand({
          CatalogName: 'AwsDataCatalog',
          DatabaseName: database,
          Expression: 'raw_.*',
        }),
      );

      // Assess
      expect(
        [...(first.TableMetadataList ?? []), ...(rest.TableMetadataList ?? [])].map((table) => table.Name),
      ).toEqual(allTables);
      expect(first.TableMetadataList).toHaveLength(3);
      expect(rest.NextToken).toBeUndefined();
      expect(filtered.TableMetadataList?.map((table) => [table.Name, table.TableType])).toEqual([
        ['raw_events', 'VIRTUAL_VIEW'],
      ]);
    });

    it('describes the events table with its columns, partition keys and storage parameters', async () => {
      // Act
      const { TableMetadata } = await athena.send(
        new GetTableMetadataCommand({
          CatalogName: 'AwsDataCatalog',
          DatabaseName: database,
          TableName: 'events',
        }),
      );

      // Assess
      expect(TableMetadata?.TableType).toBe('EXTERNAL_TABLE');
      expect(TableMetadata?.Columns?.map((column) => [column.Name, column.Type])).toEqual(
        rawEventColumns.map((column) => [column.name, column.type]),
      );
      expect(TableMetadata?.PartitionKeys?.map((column) => column.Name)).toEqual([
        'event_type',
        'event_date',
      ]);
      expect(TableMetadata?.Parameters).toMatchObject({
        EXTERNAL: 'TRUE',
        inputformat: 'org.apache.hadoop.mapred.TextInputFormat',
        'serde.serialization.lib': 'org.openx.data.jsonserde.JsonSerDe',
        'projection.enabled': 'true',
      });
      expect(TableMetadata?.Parameters?.location).toMatch(/\/events\/$/);
      expect(TableMetadata?.CreateTime).toBeInstanceOf(Date);
    });

    it('fails with MetadataException for a catalog, database or table it does not hold', async () => {
      // Act
      const catalog = await athenaFailure(
        athena.send(new ListDatabasesCommand({ CatalogName: 'hive_metastore' })),
      );
      const db = await athenaFailure(
        athena.send(
          new ListTableMetadataCommand({ CatalogName: 'AwsDataCatalog', DatabaseName: 'concord_other' }),
        ),
      );
      const table = await athenaFailure(
        athena.send(
          new GetTableMetadataCommand({
            CatalogName: 'AwsDataCatalog',
            DatabaseName: database,
            TableName: 'nope',
          }),
        ),
      );
      const tooMany = await athenaFailure(
        athena.send(
          new ListTableMetadataCommand({
            CatalogName: 'AwsDataCatalog',
            DatabaseName: database,
            MaxResults: 51,
          }),
        ),
      );

      // Assess
      expect([catalog.name, db.name, table.name]).toEqual([
        'MetadataException',
        'MetadataException',
        'MetadataException',
      ]);
      expect(table.message).toBe(`Table nope not found in database ${database}.`);
      expect(tooMany.name).toBe('InvalidRequestException');
    });
  });
});
