import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ReasonRequiredError } from '../../../functions/replay/accountability';
import { readDeadLetter } from '../../../functions/replay/dead-letters';
import {
  EditRefusedError,
  editAndReplay,
  mergePatch,
  parkMessages,
} from '../../../functions/replay/park-and-edit';
import { buildEvents } from '../../../functions/shared/events/canonical-events';
import { loadSourceRegistry } from '../../../functions/shared/sources/source-registry';
import { busEventLetter, eventlessLetter, orderEvent } from './support/dead-letter-messages';
import { fakeReplayDependencies } from './support/replay-fakes';

const queueUrl = 'https://sqs/123/Concord-test-Stateless-OrderToCashDlq-1';
const parkingQueueUrl = 'https://sqs/123/Concord-test-Stateful-ParkingQueue-1';
const stateMachine = 'arn:aws:states:eu-west-1:123456789012:stateMachine:OrderToCash-1';
const rule = 'arn:aws:events:eu-west-1:123456789012:rule/concord-test/OrderToCashRule-1';

/** A valid canonical event: a Stripe payment mapped by the current mapping. */
async function paymentEvent(): Promise<Record<string, unknown>> {
  const body = readFileSync(path.join(__dirname, '../../fixtures/stripe/payment-intent-succeeded.json'));
  const webhook = {
    sourceName: 'stripe',
    method: 'POST',
    url: '/webhooks/stripe',
    headers: {},
    body,
    receivedAt: new Date(),
  };
  const source = loadSourceRegistry().get('stripe');
  const deliveries = await source?.map(webhook, JSON.parse(body.toString('utf8')));
  const [made] = buildEvents(webhook, deliveries ?? []);
  return made?.event as unknown as Record<string, unknown>;
}

describe('parkMessages', () => {
  it('moves the named letters to the parking queue with who, why and where from, and audits it', async () => {
    // Prepare
    const { deps, queues, journal } = fakeReplayDependencies();
    queues.seed(queueUrl, [busEventLetter('m-1', orderEvent(1)), busEventLetter('m-2', orderEvent(2))]);

    // Act
    const result = await parkMessages(deps, {
      queueUrl,
      parkingQueueUrl,
      messageIds: ['m-1', 'm-9'],
      operator: 'jane',
      reason: 'customer on hold',
    });

    // Assess
    expect(result).toEqual({ parked: ['m-1'], notFound: ['m-9'] });
    expect(queues.messageIds(queueUrl)).toEqual(['m-2']);
    expect(await queues.depth(queueUrl)).toEqual({ visible: 1, inFlight: 0 });
    const [parked] = queues.messages(parkingQueueUrl);
    expect(readDeadLetter(parked as never)).toMatchObject({
      parkedReason: 'customer on hold',
      entity: 'order/1',
    });
    expect(parked?.MessageAttributes).toMatchObject({
      PARKED_BY: { StringValue: 'jane' },
      PARKED_FROM: { StringValue: 'Concord-test-Stateless-OrderToCashDlq-1' },
      PARKED_MESSAGE_ID: { StringValue: 'm-1' },
      ERROR_CODE: { StringValue: 'ErpUnavailableError' },
    });
    expect(journal.all()).toEqual([
      expect.objectContaining({
        action: 'park',
        operator: 'jane',
        detail: { parked: ['m-1'], notFound: ['m-9'] },
      }),
    ]);
  });

  it('rejects parking without a reason, moving nothing', async () => {
    // Prepare
    const { deps, queues, journal } = fakeReplayDependencies();
    queues.seed(queueUrl, [busEventLetter('m-1', orderEvent(1))]);

    // Act
    const failure = parkMessages(deps, {
      queueUrl,
      parkingQueueUrl,
      messageIds: ['m-1'],
      operator: 'jane',
      reason: '',
    });

    // Assess
    await expect(failure).rejects.toThrow(ReasonRequiredError);
    expect(queues.calls).toEqual([]);
    expect(journal.all()).toEqual([]);
  });
});

describe('editAndReplay', () => {
  it('publishes the edited event as a new event linked to the original, deletes the letter and audits both versions', async () => {
    // Prepare
    const { deps, queues, bus, journal } = fakeReplayDependencies();
    const original = await paymentEvent();
    queues.seed(queueUrl, [busEventLetter('m-1', original)]);

    // Act
    const result = await editAndReplay(deps, {
      queueUrl,
      messageId: 'm-1',
      operator: 'jane',
      reason: 'wrong description',
      edit: async (event) => mergePatch(event, { data: { description: 'Order #1042 (corrected)' } }),
    });

    // Assess
    const [published] = bus.published;
    expect(published?.entry.detail).toMatchObject({
      id: result.eventId,
      editof: original.id,
      data: { description: 'Order #1042 (corrected)' },
    });
    expect(result.eventId).not.toBe(original.id);
    expect(published?.metadata).toMatchObject({
      replayof: 'm-1',
      replayby: 'jane',
      replayreason: 'wrong description',
    });
    expect(queues.messageIds(queueUrl)).toEqual([]);
    expect(journal.all()).toEqual([
      expect.objectContaining({
        action: 'edit',
        detail: expect.objectContaining({
          messageId: 'm-1',
          originalEventId: original.id,
          eventId: result.eventId,
        }),
      }),
    ]);
  });

  it('delivers the edited event to the target the letter records, not to the bus', async () => {
    // Prepare
    const { deps, queues, bus, targets } = fakeReplayDependencies();
    const original = await paymentEvent();
    queues.seed(queueUrl, [busEventLetter('m-1', original, { ruleArn: rule, targetArn: stateMachine })]);

    // Act
    await editAndReplay(deps, {
      queueUrl,
      messageId: 'm-1',
      operator: 'jane',
      reason: 'INC-7',
      edit: async (event) => event,
    });

    // Assess
    expect(bus.published).toHaveLength(0);
    expect(targets.delivered).toEqual([
      {
        recorded: expect.objectContaining({
          arn: stateMachine,
          input: expect.objectContaining({ detail: expect.objectContaining({ editof: original.id }) }),
        }),
        metadata: expect.objectContaining({ replayof: 'm-1' }),
      },
    ]);
  });

  it('rejects an edit that breaks the schema, publishes nothing and gives the letter back', async () => {
    // Prepare
    const { deps, queues, bus, journal } = fakeReplayDependencies();
    queues.seed(queueUrl, [busEventLetter('m-1', await paymentEvent())]);

    // Act
    const failure = editAndReplay(deps, {
      queueUrl,
      messageId: 'm-1',
      operator: 'jane',
      reason: 'INC-7',
      edit: async (event) => mergePatch(event, { data: null }),
    });

    // Assess
    await expect(failure).rejects.toThrow(EditRefusedError);
    await expect(failure).rejects.toMatchObject({ violations: expect.arrayContaining([expect.anything()]) });
    expect(bus.published).toHaveLength(0);
    expect(journal.all()).toEqual([]);
    expect(await queues.depth(queueUrl)).toEqual({ visible: 1, inFlight: 0 });
  });

  it('rejects editing a letter that holds no event, and gives it back', async () => {
    // Prepare
    const { deps, queues } = fakeReplayDependencies();
    queues.seed(queueUrl, [eventlessLetter('m-1')]);

    // Act
    const failure = editAndReplay(deps, {
      queueUrl,
      messageId: 'm-1',
      operator: 'jane',
      reason: 'INC-7',
      edit: async (event) => event,
    });

    // Assess
    await expect(failure).rejects.toThrow('message m-1 holds no event to edit');
    expect(await queues.depth(queueUrl)).toEqual({ visible: 1, inFlight: 0 });
  });

  it('rejects an edit without a reason before it takes the letter', async () => {
    // Prepare
    const { deps, queues } = fakeReplayDependencies();
    queues.seed(queueUrl, [busEventLetter('m-1', orderEvent(1))]);

    // Act
    const failure = editAndReplay(deps, {
      queueUrl,
      messageId: 'm-1',
      operator: 'jane',
      reason: '',
      edit: async (event) => event,
    });

    // Assess
    await expect(failure).rejects.toThrow(
      'an edit needs "reason" (an incident or ticket): it goes into the audit',
    );
    expect(queues.calls).toEqual([]);
  });
});
