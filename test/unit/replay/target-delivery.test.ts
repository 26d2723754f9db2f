import { EventBridgeClient, ListTargetsByRuleCommand, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { FirehoseClient, PutRecordCommand } from '@aws-sdk/client-firehose';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import {
  AwsTargetDeliverer,
  deliverToTarget,
  shapeInput,
} from '../../../functions/replay/adapters/aws-target-deliverer';
import { EventBridgeReplayBus } from '../../../functions/replay/adapters/eventbridge-replay-bus';
import { SqsDeadLetterQueues } from '../../../functions/replay/adapters/sqs-dead-letter-queues';
import { readDeadLetter } from '../../../functions/replay/dead-letters';
import type { AuditRecord, ReplayDependencies } from '../../../functions/replay/ports';
import { planReplay, runReplay } from '../../../functions/replay/replay';

const account = 'arn:aws:events:us-east-1:123456789012';
const warehouseRule = `${account}:rule/concord-dev/Concord-dev-Stateless-WarehouseRule-1`;
const orderToCashRule = `${account}:rule/concord-dev/Concord-dev-Stateless-OrderToCashRule-1`;
const stream = 'arn:aws:firehose:us-east-1:123456789012:deliverystream/Concord-dev-Warehouse';
const stateMachine = 'arn:aws:states:us-east-1:123456789012:stateMachine:OrderToCash-1';
const writeBack = 'arn:aws:lambda:us-east-1:123456789012:function:Concord-dev-Stateless-WriteBack';
const metadata = { replayid: 'r-1', replayof: 'm-1', replayby: 'jane', replayreason: 'INC-7' };
const canonical = {
  specversion: '1.0',
  id: '01JD0000000000000000000000',
  source: 'shopify://acme.myshopify.com',
  type: 'commerce.order.placed.v1',
  subject: 'order/1001',
  entityversion: 5,
  data: { total: '10.00' },
};
const busEvent = {
  version: '0',
  id: 'bus-1',
  'detail-type': 'commerce.order.placed.v1',
  source: 'concord.ingest',
  time: '2026-05-04T10:00:00Z',
  detail: canonical,
};

function ruleTargetMessage(id: string, ruleArn: string, targetArn: string): Message {
  return {
    MessageId: id,
    ReceiptHandle: `rh-${id}`,
    Body: JSON.stringify(busEvent),
    Attributes: { SentTimestamp: '1795000000000', ApproximateReceiveCount: '1' },
    MessageAttributes: {
      RULE_ARN: { DataType: 'String', StringValue: ruleArn },
      TARGET_ARN: { DataType: 'String', StringValue: targetArn },
      ERROR_CODE: { DataType: 'String', StringValue: 'ServiceUnavailable' },
    },
  };
}

function mocks() {
  const events = mockClient(EventBridgeClient);
  const sfn = mockClient(SFNClient);
  const lambda = mockClient(LambdaClient);
  const firehose = mockClient(FirehoseClient);
  const sqs = mockClient(SQSClient);
  events.on(ListTargetsByRuleCommand, { Rule: 'Concord-dev-Stateless-WarehouseRule-1' }).resolves({
    Targets: [{ Id: 'Target0', Arn: stream, InputPath: '$.detail' }],
  });
  events.on(ListTargetsByRuleCommand, { Rule: 'Concord-dev-Stateless-OrderToCashRule-1' }).resolves({
    Targets: [{ Id: 'Target0', Arn: stateMachine }],
  });
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
  sfn.on(StartExecutionCommand).resolves({ executionArn: `${stateMachine}:exec-1`, startDate: new Date() });
  lambda.on(InvokeCommand).resolves({ StatusCode: 202 });
  firehose.on(PutRecordCommand).resolves({ RecordId: 'rec-1' });
  const restore = () => {
    for (const mock of [events, sfn, lambda, firehose, sqs]) mock.restore();
  };
  const clients = {
    events: new EventBridgeClient({}),
    sfn: new SFNClient({}),
    lambda: new LambdaClient({}),
    firehose: new FirehoseClient({}),
    sqs: new SQSClient({}),
  };
  return { events, sfn, lambda, firehose, sqs, clients, restore };
}

/** The use cases' dependencies on the AWS adapters, over the mocked clients. */
function awsDeps(
  clients: ReturnType<typeof mocks>['clients'],
  journal = memoryJournal(),
): ReplayDependencies {
  return {
    queues: new SqsDeadLetterQueues(clients.sqs),
    bus: new EventBridgeReplayBus(clients.events, 'concord-dev'),
    busName: 'concord-dev',
    journal,
    targets: new AwsTargetDeliverer(clients),
  };
}

/** An audit journal in memory. */
function memoryJournal() {
  const records: AuditRecord[] = [];
  const published = new Map<string, string>();
  const journal = {
    records,
    published,
    async record(entry: AuditRecord) {
      records.push(structuredClone(entry));
    },
    async update(entry: AuditRecord) {
      records.push(structuredClone(entry));
    },
    async find() {
      return undefined;
    },
    async wasPublished(replayId: string, messageId: string) {
      return published.has(`${replayId}/${messageId}`);
    },
    async markPublished(replayId: string, messageId: string, eventId: string, target?: string) {
      published.set(`${replayId}/${messageId}`, `${eventId} ${target}`);
    },
  };
  return journal;
}

describe('deliverToTarget', () => {
  it('puts a warehouse dead letter to the delivery stream only, shaped by the rule (InputPath $.detail)', async () => {
    // Prepare
    const { sfn, events, firehose, clients, restore } = mocks();
    const letter = readDeadLetter(ruleTargetMessage('m-1', warehouseRule, stream));
    // Act
    const id = await deliverToTarget(clients, letter.recordedTarget as never, metadata);
    // Assess
    const data = firehose.commandCalls(PutRecordCommand)[0]?.args[0].input;
    expect(id).toBe('rec-1');
    expect(data?.DeliveryStreamName).toBe('Concord-dev-Warehouse');
    expect(JSON.parse(Buffer.from(data?.Record?.Data as Uint8Array).toString())).toEqual({
      ...canonical,
      ...metadata,
    });
    expect(events.commandCalls(ListTargetsByRuleCommand)[0]?.args[0].input).toMatchObject({
      Rule: 'Concord-dev-Stateless-WarehouseRule-1',
      EventBusName: 'concord-dev',
    });
    expect(events.commandCalls(PutEventsCommand)).toHaveLength(0);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    restore();
  });

  it('starts the state machine that failed with the original bus event carrying the replay metadata', async () => {
    // Prepare
    const { sfn, events, clients, restore } = mocks();
    const letter = readDeadLetter(ruleTargetMessage('m-1', orderToCashRule, stateMachine));
    // Act
    const id = await deliverToTarget(clients, letter.recordedTarget as never, metadata);
    // Assess
    const input = sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input;
    expect(id).toBe(`${stateMachine}:exec-1`);
    expect(input?.stateMachineArn).toBe(stateMachine);
    expect(JSON.parse(input?.input ?? '{}')).toEqual({ ...busEvent, detail: { ...canonical, ...metadata } });
    expect(events.commandCalls(PutEventsCommand)).toHaveLength(0);
    restore();
  });

  it('invokes the function of a Lambda on-failure record asynchronously with the payload it received', async () => {
    // Prepare
    const { lambda, clients, restore } = mocks();
    const letter = readDeadLetter({
      MessageId: 'm-2',
      Body: JSON.stringify({
        requestContext: { condition: 'RetriesExhausted', functionArn: `${writeBack}:$LATEST` },
        requestPayload: busEvent,
        responsePayload: { errorType: 'PlatformUnavailableError' },
      }),
    });
    // Act
    await deliverToTarget(clients, letter.recordedTarget as never, metadata);
    // Assess
    const input = lambda.commandCalls(InvokeCommand)[0]?.args[0].input;
    expect(letter.target).toBe('Concord-dev-Stateless-WriteBack');
    expect(input?.FunctionName).toBe(writeBack);
    expect(input?.InvocationType).toBe('Event');
    expect(JSON.parse(Buffer.from(input?.Payload as Uint8Array).toString()).detail).toEqual({
      ...canonical,
      ...metadata,
    });
    restore();
  });

  it('puts the event on a target bus with its source, detail type and time', async () => {
    // Prepare
    const { events, clients, restore } = mocks();
    const otherBus = 'arn:aws:events:us-east-1:123456789012:event-bus/partner';
    // Act
    await deliverToTarget(clients, { arn: otherBus, input: busEvent }, metadata);
    // Assess
    expect(events.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0]).toMatchObject({
      EventBusName: otherBus,
      Source: 'concord.ingest',
      DetailType: 'commerce.order.placed.v1',
      Detail: JSON.stringify({ ...canonical, ...metadata }),
    });
    restore();
  });

  it('rejects with TargetNotFoundError when the rule no longer routes to the target', async () => {
    // Prepare
    const { clients, restore } = mocks();
    const gone = 'arn:aws:states:us-east-1:123456789012:stateMachine:Removed';
    // Act
    const outcome = await deliverToTarget(
      clients,
      { arn: gone, ruleArn: orderToCashRule, input: busEvent },
      metadata,
    ).catch((error: Error) => error);
    // Assess
    expect(outcome).toMatchObject({ name: 'TargetNotFoundError' });
    restore();
  });

  it('rejects with UnsupportedTargetError for a service it cannot deliver to', async () => {
    // Prepare
    const { clients, restore } = mocks();
    // Act
    const outcome = await deliverToTarget(
      clients,
      { arn: 'arn:aws:kinesis:us-east-1:1:stream/x', input: busEvent },
      metadata,
    ).catch((error: Error) => error);
    // Assess
    expect(outcome).toMatchObject({ name: 'UnsupportedTargetError' });
    restore();
  });
});

describe('shapeInput', () => {
  it('applies an InputTransformer as EventBridge does, inside and outside JSON strings', () => {
    // Act
    const shaped = shapeInput(
      {
        Id: 't',
        Arn: stream,
        InputTransformer: {
          InputPathsMap: { subject: '$.detail.subject', version: '$.detail.entityversion' },
          InputTemplate:
            '{"text": "<subject> v<version>", "version": <version>, "rule": "<aws.events.rule-name>"}',
        },
      },
      busEvent,
      'WarehouseRule',
    );
    // Assess
    expect(JSON.parse(shaped)).toEqual({ text: 'order/1001 v5', version: 5, rule: 'WarehouseRule' });
  });

  it('gives the constant Input when the target has one, and the whole event when it has no input settings', () => {
    // Act
    const constant = shapeInput({ Id: 't', Arn: stream, Input: '{"ping":true}' }, busEvent, 'r');
    const whole = shapeInput({ Id: 't', Arn: stream }, busEvent, 'r');
    // Assess
    expect([constant, JSON.parse(whole)]).toEqual(['{"ping":true}', busEvent]);
  });
});

describe('runReplay to recorded targets (on the AWS adapters)', () => {
  function queueOf(sqs: ReturnType<typeof mocks>['sqs'], messages: Message[]) {
    let taken = false;
    sqs.on(ReceiveMessageCommand).callsFake(async () => {
      if (taken) return { Messages: [] };
      taken = true;
      return { Messages: messages };
    });
    sqs.on(DeleteMessageCommand).resolves({});
    sqs.on(ChangeMessageVisibilityCommand).resolves({});
  }

  it('replays the warehouse queue to the delivery stream alone and deletes each message after its delivery', async () => {
    // Prepare
    const { sqs, sfn, events, firehose, clients, restore } = mocks();
    queueOf(sqs, [
      ruleTargetMessage('m-1', warehouseRule, stream),
      ruleTargetMessage('m-2', warehouseRule, stream),
    ]);
    const journal = memoryJournal();
    const deps = awsDeps(clients, journal);
    // Act
    const result = await runReplay(deps, {
      queueUrl: 'https://sqs/123/WarehouseDlq',
      filter: {},
      operator: 'jane',
      reason: 'INC-7 warehouse stream throttled',
    });
    // Assess: the stream got both records; no workflow started, nothing re-published to the stage bus.
    expect(result).toMatchObject({
      published: 2,
      failed: [],
      byTarget: { 'delivery stream Concord-dev-Warehouse': 2 },
    });
    expect(firehose.commandCalls(PutRecordCommand)).toHaveLength(2);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(events.commandCalls(PutEventsCommand)).toHaveLength(0);
    expect(sqs.commandCalls(DeleteMessageCommand).map((call) => call.args[0].input.ReceiptHandle)).toEqual([
      'rh-m-1',
      'rh-m-2',
    ]);
    expect(journal.records.at(-1)?.detail).toMatchObject({
      byTarget: { 'delivery stream Concord-dev-Warehouse': 2 },
    });
    expect([...journal.published.values()]).toEqual([
      'rec-1 delivery stream Concord-dev-Warehouse',
      'rec-1 delivery stream Concord-dev-Warehouse',
    ]);
    restore();
  });

  it('keeps a message in its queue when its target refuses the delivery', async () => {
    // Prepare
    const { sqs, firehose, clients, restore } = mocks();
    firehose.on(PutRecordCommand).rejects(new Error('ServiceUnavailableException'));
    queueOf(sqs, [ruleTargetMessage('m-1', warehouseRule, stream)]);
    const deps = awsDeps(clients);
    // Act
    const result = await runReplay(deps, {
      queueUrl: 'https://sqs/123/WarehouseDlq',
      filter: {},
      operator: 'jane',
      reason: 'r',
    });
    // Assess
    expect(result).toMatchObject({
      published: 0,
      failed: [{ messageId: 'm-1', error: 'ServiceUnavailableException' }],
    });
    expect(sqs.commandCalls(DeleteMessageCommand)).toHaveLength(0);
    restore();
  });

  it('re-publishes to the bus as before a message that records no target', async () => {
    // Prepare
    const { sqs, events, firehose, clients, restore } = mocks();
    queueOf(sqs, [{ ...ruleTargetMessage('m-1', warehouseRule, stream), MessageAttributes: {} }]);
    const deps = awsDeps(clients);
    // Act
    const result = await runReplay(deps, {
      queueUrl: 'https://sqs/123/WarehouseDlq',
      filter: {},
      operator: 'jane',
      reason: 'r',
    });
    // Assess
    expect(result).toMatchObject({ published: 1, byTarget: { 'bus concord-dev (re-publish)': 1 } });
    expect(events.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0]?.EventBusName).toBe(
      'concord-dev',
    );
    expect(firehose.commandCalls(PutRecordCommand)).toHaveLength(0);
    restore();
  });

  it('shows in a dry run where each message would go', async () => {
    // Prepare
    const { sqs, clients, restore } = mocks();
    queueOf(sqs, [
      ruleTargetMessage('m-1', warehouseRule, stream),
      ruleTargetMessage('m-2', orderToCashRule, stateMachine),
    ]);
    const deps = awsDeps(clients);
    // Act
    const plan = await planReplay(deps, 'https://sqs/123/SomeDlq', {});
    // Assess
    expect(plan.byTarget).toEqual({
      'delivery stream Concord-dev-Warehouse': 1,
      'state machine OrderToCash-1': 1,
    });
    expect(plan.notReplayable).toBe(0);
    restore();
  });
});
