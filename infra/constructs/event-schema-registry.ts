/** The stage's EventBridge Schema Registry: one registry, one JSON Schema (draft 4) per canonical event type. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CfnRegistry, CfnSchema } from 'aws-cdk-lib/aws-eventschemas';
import { Construct } from 'constructs';

const schemasDir = path.join(__dirname, '../../schemas');

/** CreateSchema's limit on `Content`, in characters (Schemas API: Content is a string of 1 to 100,000). */
export const schemaContentMaxChars = 100_000;

/** Raised when an event schema cannot be published as draft 4 (a keyword draft 4 has no equivalent for, an outside $ref). */
export class SchemaTranslationError extends Error {
  override readonly name = 'SchemaTranslationError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

type JsonObject = Record<string, unknown>;

/** The definition name a `$ref` to the common definitions (`../common.v1.json#/$defs/x` or `#/$defs/x`) names. */
function commonDefinition(ref: string, where: string): string {
  const name = /^(?:\.\.\/common\.v1\.json)?#\/\$defs\/([\w-]+)$/.exec(ref)?.[1];
  if (!name)
    throw new SchemaTranslationError(`${where}: $ref ${ref} is neither local nor to schemas/common.v1.json`);
  return name;
}

/**
 * Draft 4 has no `unevaluatedProperties`: a closed object made of a `$ref` and `allOf` branches is published
 * flattened, its branches' properties and required fields merged, with `additionalProperties: false`, which is
 * what the draft 2020-12 schema accepts for these shapes.
 */
function flattenClosedObject(
  node: JsonObject,
  common: Record<string, JsonObject>,
  where: string,
): JsonObject {
  const merged: JsonObject = { type: 'object', properties: {}, required: [] };
  const visit = (part: JsonObject) => {
    for (const keyword of ['anyOf', 'oneOf', 'not', 'if', 'patternProperties', 'dependentSchemas'])
      if (keyword in part)
        throw new SchemaTranslationError(
          `${where}: a closed object with ${keyword} has no draft 4 equivalent`,
        );
    if (typeof part.$ref === 'string') {
      const target = common[commonDefinition(part.$ref, where)];
      if (!target) throw new SchemaTranslationError(`${where}: $ref ${part.$ref} names no common definition`);
      visit(target);
    }
    for (const branch of (part.allOf as JsonObject[] | undefined) ?? []) visit(branch);
    Object.assign(merged.properties as JsonObject, part.properties ?? {});
    merged.required = [
      ...new Set([...(merged.required as string[]), ...((part.required as string[]) ?? [])]),
    ];
  };
  visit(node);
  const {
    $ref: _ref,
    allOf: _allOf,
    unevaluatedProperties: _closed,
    properties: _p,
    required: _r,
    ...rest
  } = node;
  return { ...rest, ...merged, additionalProperties: false };
}

/** Rewrites one node of a draft 2020-12 schema into draft 4, collecting the common definitions it uses. */
function toDraft4(
  node: unknown,
  common: Record<string, JsonObject>,
  used: Set<string>,
  where: string,
): unknown {
  if (Array.isArray(node)) return node.map((item) => toDraft4(item, common, used, where));
  if (node === null || typeof node !== 'object') return node;
  let object = node as JsonObject;
  if (object.unevaluatedProperties === false) object = flattenClosedObject(object, common, where);
  else if ('unevaluatedProperties' in object)
    throw new SchemaTranslationError(
      `${where}: unevaluatedProperties other than false has no draft 4 equivalent`,
    );
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(object)) {
    if (key === '$schema' || key === '$id' || key === '$defs') continue;
    if (key === '$ref' && typeof value === 'string') {
      const name = commonDefinition(value, where);
      if (!common[name])
        throw new SchemaTranslationError(`${where}: $ref ${value} names no common definition`);
      used.add(name);
      out.$ref = `#/definitions/${name}`;
    } else if (key === 'const') out.enum = [value];
    else if (key === 'properties' || key === 'definitions')
      out[key] = Object.fromEntries(
        Object.entries(value as JsonObject).map(([name, child]) => [
          name,
          toDraft4(child, common, used, where),
        ]),
      );
    else out[key] = toDraft4(value, common, used, where);
  }
  // Draft 4 ignores every sibling of a $ref: keep them by moving the $ref into an allOf.
  if (
    typeof out.$ref === 'string' &&
    Object.keys(out).some((key) => key !== '$ref' && key !== 'description')
  ) {
    const { $ref, ...siblings } = out;
    return { ...siblings, allOf: [{ $ref }, ...((siblings.allOf as unknown[]) ?? [])] };
  }
  return out;
}

/**
 * The self-contained draft 4 document the registry holds for an event schema: what the draft 2020-12 file says,
 * with the common definitions it uses (transitively) under `definitions`.
 */
export function registrySchemaDocument(
  schema: JsonObject,
  common: { $defs: Record<string, JsonObject> },
): JsonObject {
  const where = String((schema['x-concord'] as { type?: string } | undefined)?.type ?? schema.title);
  const used = new Set<string>();
  const body = toDraft4(schema, common.$defs, used, where) as JsonObject;
  const definitions: JsonObject = {};
  // A definition may use others: translate until no new one is reached.
  for (let pending = [...used]; pending.length > 0; ) {
    const next = new Set<string>();
    for (const name of pending) {
      const nested = new Set<string>();
      definitions[name] = toDraft4(common.$defs[name], common.$defs, nested, `${where} → ${name}`);
      for (const child of nested) if (!(child in definitions) && !used.has(child)) next.add(child);
      for (const child of nested) used.add(child);
    }
    pending = [...next];
  }
  const sorted = Object.fromEntries(
    Object.keys(definitions)
      .sort()
      .map((name) => [name, definitions[name]]),
  );
  return {
    $schema: 'http://json-schema.org/draft-04/schema#',
    ...body,
    ...(Object.keys(sorted).length > 0 ? { definitions: sorted } : {}),
  };
}

/** The canonical event schemas of the repository, by event type, as read from schemas/events/. */
export function eventSchemaFiles(): { type: string; schema: JsonObject }[] {
  return readdirSync(path.join(schemasDir, 'events'))
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => {
      const schema = JSON.parse(readFileSync(path.join(schemasDir, 'events', file), 'utf8')) as JsonObject;
      return { type: (schema['x-concord'] as { type: string }).type, schema };
    });
}

export interface EventSchemaRegistryProps {
  /** The stage name, part of the registry's name. */
  readonly stage: string;
  /** The bus the events travel on, named in each schema's description. */
  readonly busName: string;
}

/**
 * Publishes every canonical event schema to an EventBridge Schema Registry named after the stage, so that AWS
 * users browse them in the console and generate code bindings; the content is the data of the event's envelope.
 */
export class EventSchemaRegistry extends Construct {
  /** The registry's name: `concord-<stage>`. */
  readonly registryName: string;
  /** The schema of each event type, by type. */
  readonly schemas: Readonly<Record<string, CfnSchema>>;

  constructor(scope: Construct, id: string, props: EventSchemaRegistryProps) {
    super(scope, id);
    this.registryName = `concord-${props.stage}`;
    const registry = new CfnRegistry(this, 'Registry', {
      registryName: this.registryName,
      description: `Concord canonical events on the bus ${props.busName} (data of the CloudEvents envelope in Detail).`,
    });
    const common = JSON.parse(readFileSync(path.join(schemasDir, 'common.v1.json'), 'utf8'));
    const schemas: Record<string, CfnSchema> = {};
    for (const { type, schema } of eventSchemaFiles()) {
      const content = JSON.stringify(registrySchemaDocument(schema, common));
      if (content.length > schemaContentMaxChars)
        throw new SchemaTranslationError(
          `${type}: ${content.length} characters of schema, more than the registry's ${schemaContentMaxChars}`,
        );
      schemas[type] = new CfnSchema(this, `Schema-${type}`, {
        registryName: registry.attrRegistryName,
        schemaName: type,
        type: 'JSONSchemaDraft4',
        content,
        // The Schemas API allows 256 characters of description.
        description: `Data of ${type} events on ${props.busName}. ${String(schema.description ?? '')}`.slice(
          0,
          256,
        ),
      });
    }
    this.schemas = schemas;
  }
}
