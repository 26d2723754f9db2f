import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  AsyncApiSourceError,
  asyncApiText,
  buildAsyncApiDocument,
  type SynthesizedStack,
  synthesizeStacks,
} from '../../../cli/asyncapi-document';
import { eventTypeEntries } from '../../../cli/commands/schemas';

const root = path.join(__dirname, '../../..');
type Json = Record<string, unknown>;

/** The node a local JSON pointer (`#/a/b`) names, or undefined. */
function pointed(document: Json, ref: string): unknown {
  return ref
    .slice(2)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((node, part) => (node as Json | undefined)?.[part], document);
}

function refsOf(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(refsOf);
  if (node === null || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([key, value]) =>
    key === '$ref' && typeof value === 'string' ? [value] : refsOf(value),
  );
}

describe('AsyncAPI document of the bus', () => {
  let stacks: SynthesizedStack[];
  let generated: string;
  let document: Json;

  beforeAll(() => {
    stacks = synthesizeStacks();
    generated = asyncApiText(stacks);
    document = JSON.parse(generated);
  });

  it('keeps docs/asyncapi.json generated from the schemas and the stacks', () => {
    // Prepare
    const committed = readFileSync(path.join(root, 'docs/asyncapi.json'), 'utf8');

    // Act
    const stale = committed !== generated;

    // Assess: regenerate with `npx concord schemas asyncapi --out docs/asyncapi.json`
    expect(stale).toBe(false);
  });

  it('has the AsyncAPI 3.0 shape: info, channels, send and receive operations, messages with payloads', () => {
    // Prepare
    const channels = document.channels as Record<string, Json>;
    const operations = document.operations as Record<string, Json>;
    const messages = (document.components as { messages: Record<string, Json> }).messages;

    // Act
    const actions = new Set(Object.values(operations).map((operation) => operation.action));

    // Assess
    expect(document.asyncapi).toBe('3.0.0');
    expect(document.info).toEqual(
      expect.objectContaining({ title: expect.any(String), version: expect.any(String) }),
    );
    expect([...actions].sort()).toEqual(['receive', 'send']);
    for (const channel of Object.values(channels)) {
      expect(channel.address).toBe('concord-{stage}');
      expect(Object.keys(channel.messages as Json)).toHaveLength(1);
    }
    for (const operation of Object.values(operations)) {
      expect(pointed(document, (operation.channel as { $ref: string }).$ref)).toBeDefined();
      expect(operation.messages).toHaveLength(1);
    }
    for (const message of Object.values(messages)) {
      expect(message.payload).toEqual(expect.objectContaining({ allOf: expect.any(Array) }));
    }
  });

  it('resolves every $ref of the document inside it', () => {
    // Act
    const dangling = [...new Set(refsOf(document))].filter((ref) => pointed(document, ref) === undefined);

    // Assess
    expect(dangling).toEqual([]);
  });

  it('describes every event type with a channel, a message and at least one publisher', () => {
    // Prepare
    const types = eventTypeEntries().map((entry) => entry.meta.type);
    const operations = Object.values(document.operations as Record<string, Json>);

    // Act
    const unpublished = types.filter(
      (type) =>
        !operations.some(
          (operation) =>
            operation.action === 'send' &&
            (operation.channel as { $ref: string }).$ref === `#/channels/${type}` &&
            (operation['x-concord'] as Json).function !== 'ReplayFunction',
        ),
    );

    // Assess
    expect(Object.keys(document.channels as Json).sort()).toEqual([...types].sort());
    expect(unpublished).toEqual([]);
  });

  it('lists the rules of the stacks that route a type, with their targets and dead-letter queues', () => {
    // Prepare
    const operations = document.operations as Record<string, Json>;

    // Act
    const consumers = Object.entries(operations)
      .filter(([, operation]) => operation.action === 'receive')
      .filter(
        ([, operation]) =>
          (operation.channel as { $ref: string }).$ref === '#/channels/commerce.order.placed.v1',
      )
      .map(([, operation]) => operation['x-eventbridge-rule'] as Json);

    // Assess
    expect(consumers.map((rule) => rule.rule).sort()).toEqual(['OrderToCashRule', 'WarehouseRule']);
    const orderToCash = consumers.find((rule) => rule.rule === 'OrderToCashRule') as Json;
    expect(orderToCash.targets).toEqual([
      expect.objectContaining({
        resourceType: 'AWS::StepFunctions::StateMachine',
        resource: 'OrderToCashStateMachine',
        stack: 'Stateless',
        deadLetterQueue: expect.any(String),
      }),
    ]);
  });

  it('records the Detail filter of a rule that only takes some events of a type', () => {
    // Act
    const writeBack = (document.operations as Record<string, Json>)[
      'WriteBackRule.receive.erp.order.accepted.v1'
    ];

    // Assess
    expect(writeBack?.['x-eventbridge-rule']).toEqual(
      expect.objectContaining({ onlyWhen: { detail: { origin: [{ exists: true }] } } }),
    );
  });

  it('gives payloads only keywords AsyncAPI schemas (draft-07) know, closed objects still closed', () => {
    // Prepare
    const schemas = (document.components as { schemas: Record<string, Json> }).schemas;

    // Act
    const text = JSON.stringify(schemas);

    // Assess
    expect(text).not.toContain('unevaluatedProperties');
    expect(text).not.toContain('$defs');
    expect(schemas.CommerceOrderPlacedV1).toEqual(
      expect.objectContaining({
        additionalProperties: false,
        required: expect.arrayContaining(['sourceOrderId']),
      }),
    );
  });

  it('fails naming a function that is given the bus but not said what it publishes', () => {
    // Prepare
    const entries = eventTypeEntries().slice(0, 1);
    const template = {
      Resources: {
        Bus0A1B2C3D: { Type: 'AWS::Events::EventBus', Properties: { Name: 'concord-dev' } },
        NewPublisherFunctionABCD1234: {
          Type: 'AWS::Lambda::Function',
          Properties: { Environment: { Variables: { EVENT_BUS_NAME: { Ref: 'Bus0A1B2C3D' } } } },
        },
      },
    };

    // Act
    const build = () =>
      buildAsyncApiDocument(entries, [{ name: 'Concord-dev-Stateful', template }], { $defs: {} }, {});

    // Assess
    expect(build).toThrow(AsyncApiSourceError);
    expect(build).toThrow(/NewPublisherFunctionABCD1234/);
  });
});
