import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { canonicalCatalog } from '../../functions/shared/generated/catalog';
import { loadSourceRegistry } from '../../functions/shared/sources/source-registry';
import { stageConfig } from '../../infra/config/stage-config';
import {
  EventSchemaRegistry,
  eventSchemaFiles,
  registrySchemaDocument,
  SchemaTranslationError,
} from '../../infra/constructs/event-schema-registry';
import { StatefulStack } from '../../infra/stacks/stateful-stack';
import { signedShopify } from '../support/signers';

const root = path.join(__dirname, '../..');
const common = JSON.parse(readFileSync(path.join(root, 'schemas/common.v1.json'), 'utf8'));

/** A draft 4 document as a draft-07 validator reads it: the keywords these schemas use mean the same in both. */
function draft4Validator(document: Record<string, unknown>) {
  const { $schema: _draft4, ...schema } = document;
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  return ajv.compile(schema);
}

async function placedOrderData(): Promise<Record<string, unknown>> {
  const shopify = loadSourceRegistry().get('shopify');
  if (!shopify) throw new Error('the registry has no shopify source');
  const body = readFileSync(path.join(root, 'test/fixtures/shopify/orders-create.json'), 'utf8');
  const request = signedShopify(body, 's', { eventId: 'evt-1' });
  const [delivery] = await shopify.map(request, JSON.parse(body));
  if (delivery?.kind !== 'event') throw new Error('the fixture maps to no event');
  return delivery.draft.data as unknown as Record<string, unknown>;
}

describe('EventSchemaRegistry', () => {
  it('creates one registry per stage in the stateful stack, named after the stage', () => {
    // Prepare
    const app = new App();

    // Act
    const stateful = Template.fromStack(
      new StatefulStack(app, 'Concord-staging-Stateful', { config: stageConfig('staging') }),
    );

    // Assess
    stateful.resourceCountIs('AWS::EventSchemas::Registry', 1);
    stateful.hasResourceProperties('AWS::EventSchemas::Registry', { RegistryName: 'concord-staging' });
    stateful.resourceCountIs('AWS::EventSchemas::Schema', eventSchemaFiles().length);
  });

  it('publishes one JSONSchemaDraft4 schema per event type, its content the JSON Schema of the type', () => {
    // Prepare
    const stack = new Stack(new App(), 'Registry');

    // Act
    new EventSchemaRegistry(stack, 'EventSchemas', { stage: 'dev', busName: 'concord-dev' });
    const schemas = Template.fromStack(stack).findResources('AWS::EventSchemas::Schema');

    // Assess
    const byName = new Map(
      Object.values(schemas).map((resource) => [resource.Properties.SchemaName, resource]),
    );
    expect([...byName.keys()].sort()).toEqual(Object.keys(canonicalCatalog).sort());
    for (const { type, schema } of eventSchemaFiles()) {
      const properties = byName.get(type)?.Properties;
      expect(properties.Type).toBe('JSONSchemaDraft4');
      expect(properties.RegistryName).toEqual({
        'Fn::GetAtt': [expect.stringMatching(/Registry/), 'RegistryName'],
      });
      expect(JSON.parse(properties.Content)).toEqual(registrySchemaDocument(schema, common));
      expect(properties.Content.length).toBeLessThanOrEqual(100_000);
    }
  });

  it('keeps every event schema self-contained: definitions for each $ref, none to another file', () => {
    for (const { type, schema } of eventSchemaFiles()) {
      // Act
      const document = registrySchemaDocument(schema, common);
      const refs = JSON.stringify(document).match(/"\$ref":"[^"]*"/g) ?? [];

      // Assess
      expect({ type, $schema: document.$schema }).toEqual({
        type,
        $schema: 'http://json-schema.org/draft-04/schema#',
      });
      for (const ref of refs) {
        const name = /"#\/definitions\/([\w-]+)"/.exec(ref.slice(7))?.[1];
        expect({
          type,
          ref,
          defined: name !== undefined && name in (document.definitions as object),
        }).toEqual({
          type,
          ref,
          defined: true,
        });
      }
    }
  });

  it('accepts and refuses what the draft 2020-12 schema accepts and refuses', async () => {
    // Prepare
    const [placed] = eventSchemaFiles().filter((file) => file.type === 'commerce.order.placed.v1');
    if (!placed) throw new Error('no commerce.order.placed.v1 schema');
    const original = canonicalCatalog['commerce.order.placed.v1'].validate;
    const published = draft4Validator(registrySchemaDocument(placed.schema, common));
    const valid = await placedOrderData();
    const cases = {
      valid,
      extraField: { ...valid, unexpected: 'x' },
      missingField: Object.fromEntries(Object.entries(valid).filter(([key]) => key !== 'sourceOrderId')),
      badCurrency: { ...valid, currency: 'dollars' },
    };

    // Act
    const verdicts = Object.fromEntries(
      Object.entries(cases).map(([name, data]) => [name, [original(data), published(data)]]),
    );

    // Assess
    expect(verdicts).toEqual({
      valid: [true, true],
      extraField: [false, false],
      missingField: [false, false],
      badCurrency: [false, false],
    });
  });

  it('rejects a schema with a keyword draft 4 cannot express', () => {
    // Prepare
    const schema = {
      title: 'Odd',
      type: 'object',
      unevaluatedProperties: false,
      anyOf: [{ required: ['a'] }],
    };

    // Act
    const translate = () => registrySchemaDocument(schema, common);

    // Assess
    expect(translate).toThrow(SchemaTranslationError);
    expect(translate).toThrow(/anyOf/);
  });
});
