/** Deploys AWS::EventSchemas::Registry and AWS::EventSchemas::Schema onto the local Schema Registry. */
import { SchemaRegistry } from '../services/schemas/schema-registry';
import type { HandlerContext, ResourceHandler } from './resource-handlers';

function registryOf(context: HandlerContext): SchemaRegistry {
  return new SchemaRegistry(context.runtime.store, { region: context.region, accountId: context.accountId });
}

const registry: ResourceHandler = {
  async deploy(properties, context) {
    // RegistryName is optional in CloudFormation, which then generates one.
    const registryName = String(
      properties.RegistryName ?? context.previous?.physicalId ?? context.generatedName(64, { short: true }),
    );
    const record = registryOf(context).putRegistry(
      {
        registryName,
        ...(properties.Description === undefined ? {} : { description: String(properties.Description) }),
      },
      context.runtime.clock.now(),
    );
    // Ref is the ARN, as on AWS; Fn::GetAtt offers RegistryArn and RegistryName.
    return {
      physicalId: record.registryArn,
      attributes: { RegistryArn: record.registryArn, RegistryName: record.registryName },
    };
  },
  async remove(resource, context) {
    registryOf(context).removeRegistry(String(resource.attributes.RegistryName));
  },
};

const schema: ResourceHandler = {
  async deploy(properties, context) {
    const schemaName = String(
      properties.SchemaName ??
        context.previous?.attributes.SchemaName ??
        context.generatedName(385, { short: true }),
    );
    const record = registryOf(context).putSchema(
      {
        registryName: String(properties.RegistryName),
        schemaName,
        type: String(properties.Type),
        content: String(properties.Content ?? ''),
        ...(properties.Description === undefined ? {} : { description: String(properties.Description) }),
      },
      context.runtime.clock.now(),
    );
    return {
      physicalId: record.schemaArn,
      attributes: {
        SchemaArn: record.schemaArn,
        SchemaName: record.schemaName,
        SchemaVersion: record.schemaVersion,
      },
    };
  },
  async remove(resource, context) {
    const [, registryName = '', schemaName = ''] = /schema\/([^/]+)\/(.+)$/.exec(resource.physicalId) ?? [];
    registryOf(context).removeSchema(registryName, schemaName);
  },
};

/** The EventSchemas resource types, for the deployer's table of handlers. */
export const eventSchemasResourceHandlers: Record<string, ResourceHandler> = {
  'AWS::EventSchemas::Registry': registry,
  'AWS::EventSchemas::Schema': schema,
};
