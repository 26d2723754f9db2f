/**
 * The warehouse as Athena sees it: a Glue database, the `events` table over the stream's layout (partition
 * projection, so no crawler and no MSCK REPAIR), `raw_events` and every model as views, and a workgroup that
 * keeps query results under the bucket's athena-results/ and stops a runaway query.
 */
import { Stack, Token, Validations } from 'aws-cdk-lib';
import { CfnWorkGroup } from 'aws-cdk-lib/aws-athena';
import { CfnDatabase, CfnTable } from 'aws-cdk-lib/aws-glue';
import { ManagedPolicy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Bucket, CfnBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { canonicalCatalog } from '../../functions/shared/generated/catalog';
import { type ModelColumn, warehouseModels } from '../../functions/shared/warehouse/models';
import {
  rawEventColumns,
  rawEventPartitions,
  rawEventsPrefix,
  rawEventsViewSql,
} from '../../functions/shared/warehouse/raw-events';

/** The Presto (Athena engine 3) type of a Glue column type, as a view definition declares it. */
const prestoTypes: Record<ModelColumn['type'], string> = {
  string: 'varchar',
  bigint: 'bigint',
  'decimal(19,4)': 'decimal(19,4)',
  timestamp: 'timestamp(3)',
};

export interface WarehouseCatalogProps {
  /** The warehouse bucket the tables read. */
  readonly bucket: Bucket;
  /** The stage name, part of the database and workgroup names. */
  readonly stage: string;
  /** The first day the projection offers (the stage's first delivery, give or take). */
  readonly firstEventDate: string;
  /** A query that would scan more is cancelled (cost control). */
  readonly bytesScannedCutoffPerQuery: number;
}

export class WarehouseCatalog extends Construct {
  readonly databaseName: string;
  readonly workGroupName: string;
  readonly workGroup: CfnWorkGroup;
  /** Where Athena writes query results (the workgroup enforces it). */
  readonly resultsPrefix = 'athena-results/';
  /** What a principal needs to query the warehouse in the workgroup, and nothing more. */
  readonly queryPolicy: ManagedPolicy;

  constructor(scope: Construct, id: string, props: WarehouseCatalogProps) {
    super(scope, id);
    const { account } = Stack.of(this);
    this.databaseName = `concord_${props.stage}`;
    this.workGroupName = `concord-${props.stage}`;
    const database = new CfnDatabase(this, 'Database', {
      catalogId: account,
      databaseInput: {
        name: this.databaseName,
        description: `Concord ${props.stage}: canonical and ERP events and the models built on them`,
      },
    });
    const location = `s3://${props.bucket.bucketName}/${rawEventsPrefix}`;
    const events = new CfnTable(this, 'EventsTable', {
      catalogId: account,
      databaseName: this.databaseName,
      tableInput: {
        name: 'events',
        description: 'Every delivered event, one CloudEvent per JSON line (data kept as JSON text)',
        tableType: 'EXTERNAL_TABLE',
        parameters: {
          classification: 'json',
          'projection.enabled': 'true',
          'projection.event_type.type': 'enum',
          'projection.event_type.values': Object.keys(canonicalCatalog).sort().join(','),
          'projection.event_date.type': 'date',
          'projection.event_date.format': 'yyyy-MM-dd',
          'projection.event_date.range': `${props.firstEventDate},NOW`,
          'projection.event_date.interval': '1',
          'projection.event_date.interval.unit': 'DAYS',
          'storage.location.template': `${location}event_type=\${event_type}/event_date=\${event_date}/`,
        },
        partitionKeys: rawEventPartitions.map(({ name, type }) => ({ name, type })),
        storageDescriptor: {
          location,
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          compressed: true,
          // OpenX keeps a nested object declared as string as its JSON text: data's shape depends on the type.
          serdeInfo: {
            serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
            parameters: { 'ignore.malformed.json': 'false', 'case.insensitive': 'false' },
          },
          columns: rawEventColumns.map(({ name, type }) => ({ name, type })),
        },
      },
    });
    events.node.addDependency(database);

    const rawEventsColumns: ModelColumn[] = [
      ...[...rawEventColumns, ...rawEventPartitions].map(({ name, type }) => ({ name, type, comment: '' })),
      { name: 'source_file', type: 'string', comment: 'the delivered object' },
    ];
    const views = [
      {
        name: 'raw_events',
        description: 'events with the object each row was read from',
        columns: rawEventsColumns,
        sql: rawEventsViewSql,
      },
      ...warehouseModels,
    ];
    let previous: CfnTable = events;
    for (const view of views) {
      const table = this.view(view.name, view.description, view.columns, view.sql);
      // Athena resolves a view's views when it is queried; the order only keeps deploys tidy.
      table.node.addDependency(previous);
      previous = table;
    }

    this.queryPolicy = this.warehouseQueryPolicy(props.bucket);
    this.workGroup = new CfnWorkGroup(this, 'WorkGroup', {
      name: this.workGroupName,
      description: 'Concord warehouse queries: the Reconcile function and operators',
      state: 'ENABLED',
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: props.bytesScannedCutoffPerQuery,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: `s3://${props.bucket.bucketName}/${this.resultsPrefix}`,
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });
  }

  /** Run queries in the workgroup over the stage database; Athena reads and writes with the caller's rights. */
  private warehouseQueryPolicy(bucket: Bucket): ManagedPolicy {
    const stack = Stack.of(this);
    const named = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<${pseudo}>` : value);
    const region = named(stack.region, 'AWS::Region');
    const account = named(stack.account, 'AWS::AccountId');
    const policy = new ManagedPolicy(this, 'QueryPolicy', {
      description: `Query the ${this.databaseName} warehouse in the ${this.workGroupName} Athena workgroup`,
      statements: [
        new PolicyStatement({
          actions: [
            'athena:StartQueryExecution',
            'athena:GetQueryExecution',
            'athena:GetQueryResults',
            'athena:StopQueryExecution',
          ],
          resources: [`arn:aws:athena:${stack.region}:${stack.account}:workgroup/${this.workGroupName}`],
        }),
        new PolicyStatement({
          actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetTables', 'glue:GetPartitions'],
          resources: [
            `arn:aws:glue:${stack.region}:${stack.account}:catalog`,
            `arn:aws:glue:${stack.region}:${stack.account}:database/${this.databaseName}`,
            `arn:aws:glue:${stack.region}:${stack.account}:table/${this.databaseName}/*`,
          ],
        }),
        new PolicyStatement({
          actions: ['s3:GetBucketLocation', 's3:ListBucket'],
          resources: [bucket.bucketArn],
        }),
        new PolicyStatement({
          actions: ['s3:GetObject'],
          resources: [bucket.arnForObjects(`${rawEventsPrefix}*`)],
        }),
        new PolicyStatement({
          actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'],
          resources: [bucket.arnForObjects(`${this.resultsPrefix}*`)],
        }),
      ],
    });
    const bucketLogicalId = stack.resolve((bucket.node.defaultChild as CfnBucket).logicalId);
    const wildcards: [string, string][] = [
      [
        `arn:aws:glue:${region}:${account}:table/${this.databaseName}/*`,
        'every table and model view of the stage database',
      ],
      [
        `<${bucketLogicalId}.Arn>/${rawEventsPrefix}*`,
        'every delivered event object: a query reads whole partitions',
      ],
      [`<${bucketLogicalId}.Arn>/${this.resultsPrefix}*`, 'the query results Athena writes for the caller'],
    ];
    for (const [resource, reason] of wildcards)
      Validations.of(policy).acknowledge({ id: `AwsSolutions-IAM5[Resource::${resource}]`, reason });
    return policy;
  }

  /** A Glue view Athena can query: the Presto view definition rides base64-encoded in ViewOriginalText. */
  private view(name: string, description: string, columns: readonly ModelColumn[], sql: string): CfnTable {
    const definition = {
      originalSql: sql,
      catalog: 'awsdatacatalog',
      schema: this.databaseName,
      columns: columns.map((column) => ({ name: column.name, type: prestoTypes[column.type] })),
      owner: 'concord',
      runAsInvoker: false,
    };
    return new CfnTable(this, `View-${name}`, {
      catalogId: Stack.of(this).account,
      databaseName: this.databaseName,
      tableInput: {
        name,
        description,
        tableType: 'VIRTUAL_VIEW',
        parameters: { presto_view: 'true', comment: 'Presto View' },
        viewOriginalText: `/* Presto View: ${Buffer.from(JSON.stringify(definition)).toString('base64')} */`,
        viewExpandedText: '/* Presto View */',
        storageDescriptor: {
          columns: columns.map((column) => ({
            name: column.name,
            type: column.type,
            comment: column.comment,
          })),
          serdeInfo: {},
        },
      },
    });
  }
}
