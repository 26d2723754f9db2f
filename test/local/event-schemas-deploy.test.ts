import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LocalPlatform } from '../../local/platform';
import { SchemaRegistry } from '../../local/services/schemas/schema-registry';

const orderSchema = { $schema: 'http://json-schema.org/draft-04/schema#', type: 'object', required: ['id'] };

/** Writes a one-stack cloud assembly declaring a registry and its schemas, as the stateful stack does. */
function writeAssembly(dir: string, schemas: Record<string, { type: string; content: unknown }>): void {
  writeFileSync(
    path.join(dir, 'manifest.json'),
    JSON.stringify({
      version: '55.0.0',
      artifacts: {
        'App-Schemas': {
          type: 'aws:cloudformation:stack',
          properties: { templateFile: 'App-Schemas.template.json' },
        },
      },
    }),
  );
  const resources: Record<string, unknown> = {
    Registry: {
      Type: 'AWS::EventSchemas::Registry',
      Properties: { RegistryName: 'app-test', Description: 'd' },
    },
  };
  for (const [name, schema] of Object.entries(schemas))
    resources[name.replace(/\W/g, '')] = {
      Type: 'AWS::EventSchemas::Schema',
      Properties: {
        RegistryName: { 'Fn::GetAtt': ['Registry', 'RegistryName'] },
        SchemaName: name,
        Type: schema.type,
        Content: JSON.stringify(schema.content),
      },
    };
  writeFileSync(path.join(dir, 'App-Schemas.template.json'), JSON.stringify({ Resources: resources }));
}

describe('Deployer (AWS::EventSchemas resources)', () => {
  let dir: string;
  let dataDir: string;
  let platform: LocalPlatform;
  let registry: SchemaRegistry;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'concord-schemas-assembly-'));
    dataDir = mkdtempSync(path.join(tmpdir(), 'concord-schemas-data-'));
    platform = await LocalPlatform.start({ dataDir, edgePort: 0, apiPort: 0 });
    registry = new SchemaRegistry(platform.runtime.store, { region: 'us-east-1', accountId: '000000000000' });
  });

  afterAll(async () => {
    await platform.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates the registry and its schemas instead of skipping them', async () => {
    // Prepare
    writeAssembly(dir, {
      'shop.order.placed.v1': { type: 'JSONSchemaDraft4', content: orderSchema },
      'shop.order.cancelled.v1': { type: 'JSONSchemaDraft4', content: orderSchema },
    });

    // Act
    const report = await platform.deploy(dir);

    // Assess
    expect(report.skipped).toEqual({});
    expect(registry.registry('app-test')).toEqual(expect.objectContaining({ description: 'd' }));
    expect(registry.schemas('app-test').map((schema) => [schema.schemaName, schema.schemaVersion])).toEqual([
      ['shop.order.cancelled.v1', '1'],
      ['shop.order.placed.v1', '1'],
    ]);
    expect(JSON.parse(registry.describeSchema('app-test', 'shop.order.placed.v1').content)).toEqual(
      orderSchema,
    );
    expect(platform.deployer.deployedResources('App-Schemas').Registry?.physicalId).toMatch(
      /^arn:aws:schemas:[\w-]+:\d{12}:registry\/app-test$/,
    );
  });

  it('publishes a new version when the content changes and deletes a schema that left the template', async () => {
    // Prepare
    writeAssembly(dir, {
      'shop.order.placed.v1': {
        type: 'JSONSchemaDraft4',
        content: { ...orderSchema, required: ['id', 'total'] },
      },
    });

    // Act
    await platform.deploy(dir);

    // Assess
    expect(registry.schemas('app-test').map((schema) => [schema.schemaName, schema.schemaVersion])).toEqual([
      ['shop.order.placed.v1', '2'],
    ]);
  });

  it('fails the deployment on a schema type the Schemas API does not accept, naming it', async () => {
    // Prepare
    writeAssembly(dir, { 'shop.order.placed.v1': { type: 'Avro', content: orderSchema } });

    // Act
    const deploy = platform.deploy(dir);

    // Assess
    await expect(deploy).rejects.toThrow(/Type "Avro" is not one of OpenApi3, JSONSchemaDraft4/);
    expect(registry.describeSchema('app-test', 'shop.order.placed.v1').schemaVersion).toBe('2');
  });
});
