/** The system-of-record registry: which system owns each field of each entity, loaded and checked for consistency. */
import type { ErrorObject } from 'ajv';
import registryJson from '../../../schemas/governance/system-of-record.json';
import { RegistryInconsistentError } from '../errors';
import { canonicalCatalog } from '../generated/catalog';
import { validateSystemOfRecordRegistry } from '../generated/validators';

/** The registry as written in schemas/governance/system-of-record.json. */
export interface SystemOfRecordDocument {
  version: number;
  systems: Record<string, { description: string; platforms: string[] }>;
  entities: Record<string, { description: string; key: string; fields: Record<string, string> }>;
}

/** Entities every Concord deployment governs. */
export const requiredEntities = [
  'customer',
  'product',
  'order',
  'invoice',
  'payment',
  'supplier',
  'employee',
] as const;

/** Describes Ajv errors as "path: message" lines. */
export function describeSchemaErrors(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((error) => `${error.instancePath || '/'}: ${error.message ?? error.keyword}`);
}

/** Ownership questions answered from a consistent registry. */
export class SystemOfRecord {
  constructor(readonly document: SystemOfRecordDocument) {}

  /** The system that owns a field of an entity; throws for a field the registry does not know. */
  ownerOf(entity: string, field: string): string {
    const owner = this.document.entities[entity]?.fields[field];
    if (!owner) throw new RangeError(`The system-of-record registry has no field ${entity}.${field}`);
    return owner;
  }

  /** The fields of an entity a system may write. */
  fieldsOwnedBy(entity: string, system: string): string[] {
    return Object.entries(this.document.entities[entity]?.fields ?? {})
      .filter(([, owner]) => owner === system)
      .map(([field]) => field);
  }

  /** Whether a system exists in the registry. */
  hasSystem(system: string): boolean {
    return Object.hasOwn(this.document.systems, system);
  }

  /** The system a platform (webhook source or connector) speaks for, if any. */
  systemOfPlatform(platform: string): string | undefined {
    return Object.entries(this.document.systems).find(([, system]) =>
      system.platforms.includes(platform),
    )?.[0];
  }
}

/** Validates a registry document against its schema and for internal consistency; throws RegistryInconsistentError listing every problem. */
export function loadSystemOfRecord(raw: unknown = registryJson): SystemOfRecord {
  if (!validateSystemOfRecordRegistry(raw)) {
    throw new RegistryInconsistentError(
      'system-of-record.json',
      describeSchemaErrors(validateSystemOfRecordRegistry.errors),
    );
  }
  const document = raw as SystemOfRecordDocument;
  const problems: string[] = [];
  const platformOwners = new Map<string, string>();
  for (const [system, { platforms }] of Object.entries(document.systems)) {
    for (const platform of platforms) {
      const other = platformOwners.get(platform);
      if (other) problems.push(`platform ${platform} is listed under both ${other} and ${system}`);
      platformOwners.set(platform, system);
    }
  }
  for (const entity of requiredEntities) {
    if (!document.entities[entity]) problems.push(`entity ${entity} is missing`);
  }
  for (const [entity, { key, fields }] of Object.entries(document.entities)) {
    if (!Object.hasOwn(fields, key)) problems.push(`entity ${entity}: key ${key} is not one of its fields`);
    for (const [field, owner] of Object.entries(fields)) {
      if (!Object.hasOwn(document.systems, owner))
        problems.push(`entity ${entity}: field ${field} is owned by unknown system ${owner}`);
    }
  }
  for (const info of Object.values(canonicalCatalog)) {
    if (!document.entities[info.entity])
      problems.push(
        `canonical type ${info.type} is about entity ${info.entity}, which has no ownership entry`,
      );
  }
  if (problems.length > 0) throw new RegistryInconsistentError('system-of-record.json', problems);
  return new SystemOfRecord(document);
}
