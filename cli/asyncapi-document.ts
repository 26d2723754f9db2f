/** The AsyncAPI 3.0 document of the stage bus, generated from the event schemas and the synthesized CDK templates. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { ConcordError, type ConcordErrorOptions } from '../functions/shared/errors';
import { buildApp } from '../infra/app';
import { stageNames } from '../infra/config/stage-config';
import { registrySchemaDocument } from '../infra/constructs/event-schema-registry';
import { compileEventPattern, matchesEventPattern } from '../local/patterns/event-pattern';
import { type EventTypeEntry, eventTypeEntries } from './commands/schemas';

const rootDir = path.join(__dirname, '..');

/** The slice of a CloudFormation template the document reads. */
export interface CfnTemplate {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  Outputs?: Record<string, { Value: unknown; Export?: { Name: unknown } }>;
}

/** A synthesized stack: its name and template. */
export interface SynthesizedStack {
  name: string;
  template: CfnTemplate;
}

/** Raised when the templates do not read as the document expects: a publisher it cannot name, a target it cannot resolve. */
export class AsyncApiSourceError extends ConcordError {
  override readonly name = 'AsyncApiSourceError';
  constructor(message: string, options?: ConcordErrorOptions) {
    super(message, options);
  }
}

/**
 * The bus `Source` each publishing function puts its events under (the `busSource` of its handler).
 * A function the templates give the bus name to but this table does not know fails the generation,
 * so that a new publisher cannot go undocumented.
 */
export const publisherBusSources: Readonly<Record<string, { busSource: string; role: string }>> = {
  IngestWebhookFunction: {
    busSource: 'concord.ingest',
    role: 'publishes the canonical event of a verified webhook',
  },
  ErpAdapterFunction: {
    busSource: 'concord.erp',
    role: "publishes the ERP's authoritative answer to a flow step",
  },
  ErpOutboxRelayFunction: {
    busSource: 'concord.erp',
    role: "relays the ERP's own outbox (changes made in the ERP)",
  },
  ReconcileFunction: {
    busSource: 'concord.governance',
    role: 'publishes the outcome of a reconciliation run',
  },
  ReplayFunction: {
    busSource: '*',
    role: 're-publishes dead-lettered or archived events of any type, audited and rate-limited',
  },
};

/** The bus `Source` of an event type, from its domain (what the publishers above put it under). */
export function busSourceOfDomain(domain: string): string {
  if (domain === 'erp') return 'concord.erp';
  if (domain === 'governance') return 'concord.governance';
  return 'concord.ingest';
}

/** The construct id a CDK logical id was made from (the 8-hex hash CDK appends removed). */
function constructName(logicalId: string): string {
  return logicalId.replace(/[0-9A-F]{8}$/, '');
}

/** The stack's name without its stage (`Concord-dev-Stateless` → `Stateless`): the document holds for every stage. */
function stackRole(stackName: string): string {
  return stackName.replace(/^Concord-[a-z0-9]+-/, '');
}

type Reference = { stack: string; logicalId: string };

/** The resource an ARN expression of a template points at, following cross-stack exports. */
function referencedResource(
  value: unknown,
  stackName: string,
  stacks: readonly SynthesizedStack[],
): Reference {
  const node = value as Record<string, unknown>;
  if (typeof node?.Ref === 'string') return { stack: stackName, logicalId: node.Ref };
  const getAtt = node?.['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string')
    return { stack: stackName, logicalId: getAtt[0] };
  const imported = node?.['Fn::ImportValue'];
  if (typeof imported === 'string')
    for (const stack of stacks)
      for (const output of Object.values(stack.template.Outputs ?? {}))
        if (output.Export?.Name === imported) return referencedResource(output.Value, stack.name, stacks);
  throw new AsyncApiSourceError(`${stackName}: cannot resolve the resource of ${JSON.stringify(value)}`);
}

function resourceOf(reference: Reference, stacks: readonly SynthesizedStack[]) {
  const resource = stacks.find((stack) => stack.name === reference.stack)?.template.Resources[
    reference.logicalId
  ];
  if (!resource) throw new AsyncApiSourceError(`${reference.stack}: no resource ${reference.logicalId}`);
  return resource;
}

/** One rule on the bus that matches events by pattern, with its resolved targets. */
interface BusRule {
  stack: string;
  logicalId: string;
  pattern: Record<string, unknown>;
  targets: {
    id: string;
    resourceType: string;
    resource: string;
    stack: string;
    deadLetterQueue?: string;
    retryPolicy?: unknown;
  }[];
}

function busRules(stacks: readonly SynthesizedStack[], bus: Reference): BusRule[] {
  const rules: BusRule[] = [];
  for (const stack of stacks)
    for (const [logicalId, resource] of Object.entries(stack.template.Resources)) {
      const properties = resource.Properties ?? {};
      if (resource.Type !== 'AWS::Events::Rule' || properties.EventPattern === undefined) continue;
      if (properties.EventBusName === undefined) continue; // the default bus carries no canonical event
      const ruleBus = referencedResource(properties.EventBusName, stack.name, stacks);
      if (ruleBus.stack !== bus.stack || ruleBus.logicalId !== bus.logicalId) continue;
      const targets = ((properties.Targets as Record<string, unknown>[]) ?? []).map((target) => {
        const reference = referencedResource(target.Arn, stack.name, stacks);
        const deadLetterArn = (target.DeadLetterConfig as { Arn?: unknown } | undefined)?.Arn;
        return {
          id: String(target.Id),
          resourceType: resourceOf(reference, stacks).Type,
          resource: constructName(reference.logicalId),
          stack: stackRole(reference.stack),
          ...(deadLetterArn
            ? {
                deadLetterQueue: constructName(
                  referencedResource(deadLetterArn, stack.name, stacks).logicalId,
                ),
              }
            : {}),
          ...(target.RetryPolicy ? { retryPolicy: target.RetryPolicy } : {}),
        };
      });
      rules.push({
        stack: stackRole(stack.name),
        logicalId,
        pattern: properties.EventPattern as Record<string, unknown>,
        targets,
      });
    }
  return rules.sort((a, b) => a.logicalId.localeCompare(b.logicalId));
}

/** Rewrites `$ref`s to the common definitions and between them into the document's components. */
function componentRefs(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(componentRefs);
  if (schema === null || typeof schema !== 'object') return schema;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === '$schema' || key === '$id') continue;
    if (key === '$defs') continue; // lifted into components.schemas by the caller
    copy[key] =
      key === '$ref' && typeof value === 'string'
        ? `#/components/schemas/${/#\/(?:\$defs|definitions)\/([\w-]+)$/.exec(value)?.[1] ?? fail(value)}`
        : componentRefs(value);
  }
  return copy;
}

function fail(ref: string): never {
  throw new AsyncApiSourceError(`unsupported $ref ${ref}: only the common definitions are referenced`);
}

/** Identifier-safe form of an event type for operation and message names. */
function messageName(entry: EventTypeEntry): string {
  return String(entry.schema.title ?? entry.meta.type);
}

/** Builds the AsyncAPI 3.0 document from the event types and the synthesized stacks of one stage. */
export function buildAsyncApiDocument(
  entries: readonly EventTypeEntry[],
  stacks: readonly SynthesizedStack[],
  common: { $defs: Record<string, unknown> },
  envelope: Record<string, unknown>,
): Record<string, unknown> {
  const buses = stacks.flatMap((stack) =>
    Object.entries(stack.template.Resources)
      .filter(([, resource]) => resource.Type === 'AWS::Events::EventBus')
      .map(([logicalId]) => ({ stack: stack.name, logicalId })),
  );
  const [bus, ...others] = buses;
  if (!bus || others.length > 0)
    throw new AsyncApiSourceError(`expected one event bus in the stage, found ${buses.length}`);
  const rules = busRules(stacks, bus);

  const publishers = stacks.flatMap((stack) =>
    Object.entries(stack.template.Resources)
      .filter(([, resource]) => {
        const variables = (
          resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined
        )?.Variables;
        return resource.Type === 'AWS::Lambda::Function' && variables?.EVENT_BUS_NAME !== undefined;
      })
      .map(([logicalId]) => {
        const name = constructName(logicalId);
        const known = publisherBusSources[name];
        if (!known)
          throw new AsyncApiSourceError(
            `${stack.name}/${logicalId} is given the bus but publisherBusSources does not say what it publishes`,
          );
        return { name, ...known };
      }),
  );

  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {
    CanonicalEnvelope: componentRefs(envelope),
  };

  for (const entry of entries) {
    const { type } = entry.meta;
    const name = messageName(entry);
    const busSource = busSourceOfDomain(entry.meta.domain);
    // AsyncAPI schemas extend JSON Schema draft-07, which has no unevaluatedProperties: the payload is the draft 4
    // translation the Schema Registry publishes (closed objects flattened), whose keywords draft-07 reads alike.
    const {
      definitions,
      $schema: _draft4,
      ...body
    } = registrySchemaDocument(entry.schema, common as { $defs: Record<string, Record<string, unknown>> });
    for (const [definition, schema] of Object.entries((definitions as Record<string, unknown>) ?? {}))
      schemas[definition] = componentRefs(schema);
    schemas[name] = componentRefs(body);
    messages[name] = {
      name: type,
      title: name,
      summary: entry.schema.description,
      contentType: 'application/json',
      payload: {
        description: `The EventBridge Detail: the CloudEvents envelope of a ${type} event.`,
        allOf: [
          { $ref: '#/components/schemas/CanonicalEnvelope' },
          {
            type: 'object',
            properties: {
              type: { const: type },
              dataschema: { const: entry.schema.$id },
              data: { $ref: `#/components/schemas/${name}` },
            },
          },
        ],
      },
      'x-eventbridge': { source: busSource, detailType: type },
      'x-concord': {
        schemaFile: entry.file,
        revision: entry.meta.revision,
        domain: entry.meta.domain,
        entity: entry.meta.entity,
        producers: entry.producers,
        owners: entry.owners,
        criticality: entry.criticalities,
        piiFields: entry.pii,
      },
    };
    channels[type] = {
      address: 'concord-{stage}',
      title: type,
      description: `Events of DetailType ${type} and Source ${busSource} on the stage's EventBridge bus.`,
      parameters: { stage: { enum: [...stageNames], default: 'dev', description: 'The deployment stage.' } },
      messages: { [name]: { $ref: `#/components/messages/${name}` } },
    };
    const channelRef = { $ref: `#/channels/${type}` };
    const messageRef = [{ $ref: `#/channels/${type}/messages/${name}` }];

    for (const publisher of publishers.filter(
      (candidate) => candidate.busSource === busSource || candidate.busSource === '*',
    ))
      operations[`${publisher.name}.send.${type}`] = {
        action: 'send',
        channel: channelRef,
        messages: messageRef,
        summary: `${publisher.name} ${publisher.role}.`,
        'x-concord': { function: publisher.name, busSource },
      };

    // A rule consumes the type when its pattern matches on Source and DetailType; what else it
    // filters on (fields of the Detail) is a condition the consumer sees only some events under.
    const probe = { source: busSource, 'detail-type': type };
    for (const rule of rules) {
      const { source, 'detail-type': detailType, ...conditions } = rule.pattern;
      const envelopePattern = compileEventPattern({
        ...(source ? { source } : {}),
        ...(detailType ? { 'detail-type': detailType } : {}),
      });
      if (!matchesEventPattern(envelopePattern, probe)) continue;
      const ruleName = constructName(rule.logicalId);
      operations[`${ruleName}.receive.${type}`] = {
        action: 'receive',
        channel: channelRef,
        messages: messageRef,
        summary: `Rule ${ruleName} routes it to ${rule.targets.map((target) => `${target.resource} (${target.resourceType})`).join(', ')}.`,
        'x-eventbridge-rule': {
          rule: ruleName,
          stack: rule.stack,
          eventPattern: rule.pattern,
          ...(Object.keys(conditions).length > 0 ? { onlyWhen: conditions } : {}),
          targets: rule.targets,
        },
      };
    }
  }

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Concord events',
      version: JSON.parse(readFileSync(path.join(rootDir, 'package.json'), 'utf8')).version,
      description:
        'The canonical events on the Concord EventBridge bus of a stage. Generated by `npx concord schemas asyncapi --out docs/asyncapi.json` from schemas/ and the synthesized CDK stacks; do not edit by hand.',
    },
    defaultContentType: 'application/json',
    channels,
    operations,
    components: { messages, schemas },
  };
}

/** The stacks of a stage as CloudFormation templates, synthesized without bundling the functions. */
export function synthesizeStacks(stage = 'dev'): SynthesizedStack[] {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  buildApp(app, stage, '123456789012');
  return app
    .synth()
    .stacks.map((stack) => ({ name: stack.stackName, template: stack.template as CfnTemplate }));
}

/** The document as committed in docs/asyncapi.json. */
export function asyncApiText(stacks: readonly SynthesizedStack[] = synthesizeStacks()): string {
  const common = JSON.parse(readFileSync(path.join(rootDir, 'schemas/common.v1.json'), 'utf8'));
  const envelope = JSON.parse(readFileSync(path.join(rootDir, 'schemas/envelope.v1.json'), 'utf8'));
  return `${JSON.stringify(buildAsyncApiDocument(eventTypeEntries(), stacks, common, envelope), null, 2)}\n`;
}
