/**
 * The local EventBridge Schema Registry: the registries and schemas the deployment declared through
 * AWS::EventSchemas::Registry and AWS::EventSchemas::Schema, kept in the store with the Schemas API's rules.
 */
import { AwsError } from '../../edge/aws-error';
import type { DurableStore } from '../../store/durable-store';

/** The schema types the Schemas API accepts. */
export const schemaTypes = ['OpenApi3', 'JSONSchemaDraft4'] as const;

/** CreateSchema and UpdateSchema take `Content` of 1 to 100,000 characters. */
export const schemaContentMaxChars = 100_000;

/** A registry as the Schemas API describes it. */
export interface SchemaRegistryRecord {
  registryName: string;
  registryArn: string;
  description?: string;
  createdAtMs: number;
}

/** A schema with its current version, as DescribeSchema answers it. */
export interface SchemaRecord {
  registryName: string;
  schemaName: string;
  schemaArn: string;
  type: (typeof schemaTypes)[number];
  content: string;
  description?: string;
  /** Starts at "1"; a new content makes a new version, as UpdateSchema does. */
  schemaVersion: string;
  versionCreatedAtMs: number;
  lastModifiedMs: number;
}

const registryType = 'schemas-registry';
const schemaType = 'schemas-schema';

/** BadRequestException, the Schemas API's answer to an invalid request. */
function badRequest(message: string): AwsError {
  return new AwsError('BadRequestException', message);
}

/** NotFoundException, the Schemas API's answer for a registry or schema it does not hold. */
function notFound(message: string): AwsError {
  return new AwsError('NotFoundException', message, 404);
}

/** The registries and schemas over the store; stateless, so the deployer and the API can each hold one. */
export class SchemaRegistry {
  constructor(
    private readonly store: DurableStore,
    private readonly location: { region: string; accountId: string },
  ) {}

  private arn(resource: string): string {
    return `arn:aws:schemas:${this.location.region}:${this.location.accountId}:${resource}`;
  }

  /** Creates or updates a registry, keeping its creation time. */
  putRegistry(input: { registryName: string; description?: string }, nowMs: number): SchemaRegistryRecord {
    if (!/^[.\-_A-Za-z0-9]{1,64}$/.test(input.registryName))
      throw badRequest(`RegistryName ${JSON.stringify(input.registryName)} is not 1 to 64 of [A-Za-z0-9._-]`);
    const existing = this.store.getResource<SchemaRegistryRecord>(registryType, input.registryName);
    const record: SchemaRegistryRecord = {
      registryName: input.registryName,
      registryArn: this.arn(`registry/${input.registryName}`),
      ...(input.description === undefined ? {} : { description: input.description }),
      createdAtMs: existing?.createdAtMs ?? nowMs,
    };
    this.store.putResource(registryType, input.registryName, record);
    return record;
  }

  /** Deletes a registry; like DeleteRegistry, refused while it still holds schemas. */
  removeRegistry(registryName: string): void {
    if (this.schemas(registryName).length > 0)
      throw badRequest(`Registry ${registryName} still holds schemas; delete them first`);
    this.store.deleteResource(registryType, registryName);
  }

  /** A registry by name; undefined when absent. */
  registry(registryName: string): SchemaRegistryRecord | undefined {
    return this.store.getResource<SchemaRegistryRecord>(registryType, registryName);
  }

  /** Creates a schema or, when its content or type changed, publishes its next version. */
  putSchema(
    input: { registryName: string; schemaName: string; type: string; content: string; description?: string },
    nowMs: number,
  ): SchemaRecord {
    if (!this.registry(input.registryName)) throw notFound(`Registry ${input.registryName} does not exist`);
    if (!/^[.\-_@A-Za-z0-9]{1,385}$/.test(input.schemaName))
      throw badRequest(`SchemaName ${JSON.stringify(input.schemaName)} is not 1 to 385 of [A-Za-z0-9._@-]`);
    if (!(schemaTypes as readonly string[]).includes(input.type))
      throw badRequest(`Type ${JSON.stringify(input.type)} is not one of ${schemaTypes.join(', ')}`);
    if (input.content.length < 1 || input.content.length > schemaContentMaxChars)
      throw badRequest(
        `Content has ${input.content.length} characters; 1 to ${schemaContentMaxChars} are allowed`,
      );
    try {
      JSON.parse(input.content);
    } catch (cause) {
      throw badRequest(`Content of ${input.schemaName} is not valid JSON: ${(cause as Error).message}`);
    }
    const key = `${input.registryName}/${input.schemaName}`;
    const existing = this.store.getResource<SchemaRecord>(schemaType, key);
    const changed = !existing || existing.content !== input.content || existing.type !== input.type;
    const record: SchemaRecord = {
      registryName: input.registryName,
      schemaName: input.schemaName,
      schemaArn: this.arn(`schema/${key}`),
      type: input.type as SchemaRecord['type'],
      content: input.content,
      ...(input.description === undefined ? {} : { description: input.description }),
      schemaVersion: existing ? String(Number(existing.schemaVersion) + (changed ? 1 : 0)) : '1',
      versionCreatedAtMs: changed ? nowMs : (existing?.versionCreatedAtMs ?? nowMs),
      lastModifiedMs: nowMs,
    };
    this.store.putResource(schemaType, key, record);
    return record;
  }

  /** Deletes a schema and its versions. */
  removeSchema(registryName: string, schemaName: string): void {
    this.store.deleteResource(schemaType, `${registryName}/${schemaName}`);
  }

  /** A schema's current version; NotFoundException when the registry or the schema is absent. */
  describeSchema(registryName: string, schemaName: string): SchemaRecord {
    if (!this.registry(registryName)) throw notFound(`Registry ${registryName} does not exist`);
    const record = this.store.getResource<SchemaRecord>(schemaType, `${registryName}/${schemaName}`);
    if (!record) throw notFound(`Schema ${schemaName} does not exist in ${registryName}`);
    return record;
  }

  /** The schemas of a registry, in name order. */
  schemas(registryName: string): SchemaRecord[] {
    return this.store
      .listResources<SchemaRecord>(schemaType)
      .map(({ value }) => value)
      .filter((schema) => schema.registryName === registryName)
      .sort((a, b) => (a.schemaName < b.schemaName ? -1 : a.schemaName > b.schemaName ? 1 : 0));
  }
}
