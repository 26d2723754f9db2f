import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { EventBridgePublisher } from '../../../functions/shared/bus/eventbridge-publisher';
import { DownstreamUnavailableError } from '../../../functions/shared/errors';
import type { CanonicalEvent } from '../../../functions/shared/events/envelope';

const ebMock = mockClient(EventBridgeClient);

function events(count: number): CanonicalEvent[] {
  return Array.from({ length: count }, (_, i) => ({
    specversion: '1.0',
    id: `01JD3K8Q9ZB7V2M4N6P8R0T${String(i).padStart(3, '0')}`,
    source: 'shopify://acme.myshopify.com',
    type: 'commerce.order.cancelled.v1',
    subject: `order/${i}`,
    time: '2026-11-20T10:00:00Z',
    dataschema: 'https://schemas.concord.dev/events/commerce.order.cancelled.v1.json',
    datacontenttype: 'application/json',
    correlationid: `corr-${i}`,
    entityversion: 1,
    data: {
      sourceOrderId: String(i),
      orderNumber: `#${i}`,
      cancelledAt: '2026-11-20T10:00:00Z',
      reason: 'customer',
      currency: 'USD',
      total: '1.00',
    },
  }));
}

function publisher(maxAttempts = 3) {
  return new EventBridgePublisher(new EventBridgeClient({ region: 'us-east-1' }), {
    eventBusName: 'concord-test',
    busSource: 'concord.ingest',
    maxAttempts,
    sleep: async () => {},
  });
}

describe('EventBridgePublisher', () => {
  beforeEach(() => ebMock.reset());

  it('sends at most ten entries per PutEvents call, each with the versioned type as DetailType', async () => {
    // Prepare
    ebMock
      .on(PutEventsCommand)
      .callsFake((input) => ({ FailedEntryCount: 0, Entries: input.Entries.map(() => ({ EventId: 'x' })) }));
    // Act
    await publisher().publish(events(23));
    // Assess
    const calls = ebMock.commandCalls(PutEventsCommand);
    expect(calls.map((call) => call.args[0].input.Entries?.length)).toEqual([10, 10, 3]);
    expect(calls[0]?.args[0].input.Entries?.[0]).toMatchObject({
      EventBusName: 'concord-test',
      Source: 'concord.ingest',
      DetailType: 'commerce.order.cancelled.v1',
    });
    expect(JSON.parse(calls[0]?.args[0].input.Entries?.[0]?.Detail ?? '{}')).toMatchObject({
      id: events(1)[0]?.id,
    });
  });

  it('retries only the entries PutEvents reports as failed', async () => {
    // Prepare
    ebMock
      .on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 1,
        Entries: [
          { EventId: 'a' },
          { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' },
          { EventId: 'c' },
        ],
      })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'b' }] });
    // Act
    await publisher().publish(events(3));
    // Assess
    const calls = ebMock.commandCalls(PutEventsCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.args[0].input.Entries?.map((entry) => JSON.parse(entry.Detail ?? '{}').subject)).toEqual(
      ['order/1'],
    );
  });

  it('rejects with DownstreamUnavailableError when entries still fail after the last attempt', async () => {
    ebMock
      .on(PutEventsCommand)
      .resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'boom' }] });
    await expect(publisher(3).publish(events(1))).rejects.toThrow(DownstreamUnavailableError);
    expect(ebMock.commandCalls(PutEventsCommand)).toHaveLength(3);
  });

  it('rejects with DownstreamUnavailableError when the call itself fails', async () => {
    ebMock.on(PutEventsCommand).rejects(new Error('socket hang up'));
    await expect(publisher().publish(events(1))).rejects.toMatchObject({
      name: 'DownstreamUnavailableError',
      dependency: 'EventBridge',
    });
  });
});
