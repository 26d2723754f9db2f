import { OperatorRequiredError, ReasonRequiredError } from '../../../functions/replay/accountability';
import { TargetClientsMissingError } from '../../../functions/replay/delivery';
import {
  listDeadLetterQueues,
  peekQueue,
  pickQueue,
  planReplay,
  QueueNotFoundError,
  ReplayNotFoundError,
  runReplay,
} from '../../../functions/replay/replay';
import { busEventLetter, eventlessLetter, orderEvent } from './support/dead-letter-messages';
import { fakeReplayDependencies } from './support/replay-fakes';

const queueUrl = 'https://sqs.eu-west-1.amazonaws.com/123456789012/Concord-test-Stateful-ExceptionsQueue-1';
const stateMachine = 'arn:aws:states:eu-west-1:123456789012:stateMachine:OrderToCash-1';
const rule = 'arn:aws:events:eu-west-1:123456789012:rule/concord-test/OrderToCashRule-1';
const accountable = { operator: 'jane', reason: 'INC-7 ERP outage' };

describe('runReplay', () => {
  it('re-publishes each selected letter with its replay metadata, deletes it after, and audits the run', async () => {
    // Prepare
    const { deps, queues, bus, journal } = fakeReplayDependencies();
    queues.seed(queueUrl, [
      busEventLetter('m-1', orderEvent(1)),
      busEventLetter('m-2', orderEvent(2), { errorCode: 'ErpRefusedError' }),
    ]);

    // Act
    const result = await runReplay(deps, {
      queueUrl,
      filter: { error: 'ErpUnavailableError' },
      ...accountable,
    });

    // Assess
    expect(result).toMatchObject({
      queue: 'Concord-test-Stateful-ExceptionsQueue-1',
      published: 1,
      failed: [],
      interrupted: false,
      entities: ['order/1'],
      byTarget: { 'bus concord-test (re-publish)': 1 },
    });
    expect(bus.published).toEqual([
      {
        entry: { source: 'concord.ingest', detailType: 'commerce.order.placed.v1', detail: orderEvent(1) },
        metadata: {
          replayid: result.replayId,
          replayof: 'm-1',
          replayby: 'jane',
          replayreason: 'INC-7 ERP outage',
        },
      },
    ]);
    expect(queues.messageIds(queueUrl)).toEqual(['m-2']);
    expect(await queues.depth(queueUrl)).toEqual({ visible: 1, inFlight: 0 });
    expect(journal.all()).toEqual([
      expect.objectContaining({ id: result.replayId, action: 'replay', status: 'done', operator: 'jane' }),
    ]);
    expect(await journal.wasPublished(result.replayId, 'm-1')).toBe(true);
  });

  it('delivers a letter that records its target to that target alone', async () => {
    // Prepare
    const { deps, queues, bus, targets } = fakeReplayDependencies();
    queues.seed(queueUrl, [busEventLetter('m-1', orderEvent(1), { ruleArn: rule, targetArn: stateMachine })]);

    // Act
    const result = await runReplay(deps, { queueUrl, filter: {}, ...accountable });

    // Assess
    expect(result.byTarget).toEqual({ 'state machine OrderToCash-1': 1 });
    expect(targets.delivered.map((delivery) => delivery.recorded.arn)).toEqual([stateMachine]);
    expect(bus.published).toHaveLength(0);
    expect(queues.messageIds(queueUrl)).toEqual([]);
  });

  it('keeps a letter whose delivery fails in its queue, visible again, and reports it', async () => {
    // Prepare
    const { deps, queues, targets } = fakeReplayDependencies();
    targets.refuse = stateMachine;
    queues.seed(queueUrl, [busEventLetter('m-1', orderEvent(1), { ruleArn: rule, targetArn: stateMachine })]);

    // Act
    const result = await runReplay(deps, { queueUrl, filter: {}, ...accountable });

    // Assess
    expect(result).toMatchObject({
      published: 0,
      failed: [{ messageId: 'm-1', error: `${stateMachine} refused the delivery` }],
    });
    expect(await queues.depth(queueUrl)).toEqual({ visible: 1, inFlight: 0 });
  });

  it('keeps a letter that records a target when it was given no way to reach targets', async () => {
    // Prepare
    const { deps, queues } = fakeReplayDependencies({ withTargets: false });
    queues.seed(queueUrl, [busEventLetter('m-1', orderEvent(1), { ruleArn: rule, targetArn: stateMachine })]);

    // Act
    const result = await runReplay(deps, { queueUrl, filter: {}, ...accountable });

    // Assess
    expect(result.failed).toEqual([
      { messageId: 'm-1', error: new TargetClientsMissingError(stateMachine).message },
    ]);
    expect(queues.messageIds(queueUrl)).toEqual(['m-1']);
  });

  it('counts a selected letter that holds no event as not replayable and leaves it', async () => {
    // Prepare
    const { deps, queues, bus } = fakeReplayDependencies();
    queues.seed(queueUrl, [eventlessLetter('m-1')]);

    // Act
    const result = await runReplay(deps, { queueUrl, filter: {}, ...accountable });

    // Assess
    expect(result).toMatchObject({ published: 0, notReplayable: 1 });
    expect(bus.published).toHaveLength(0);
    expect(await queues.depth(queueUrl)).toEqual({ visible: 1, inFlight: 0 });
  });

  it('replays at most max letters and leaves the rest visible', async () => {
    // Prepare
    const { deps, queues } = fakeReplayDependencies();
    queues.seed(
      queueUrl,
      [1, 2, 3].map((order) => busEventLetter(`m-${order}`, orderEvent(order))),
    );

    // Act
    const result = await runReplay(deps, { queueUrl, filter: {}, max: 2, ...accountable });

    // Assess
    expect(result.published).toBe(2);
    expect(await queues.depth(queueUrl)).toEqual({ visible: 1, inFlight: 0 });
  });

  it('resumes an interrupted replay: deletes what it had delivered without delivering it again', async () => {
    // Prepare: a run that delivered m-1 and died before deleting it.
    const { deps, queues, bus, journal } = fakeReplayDependencies();
    queues.seed(queueUrl, [busEventLetter('m-1', orderEvent(1)), busEventLetter('m-2', orderEvent(2))]);
    await journal.record({
      id: 'replay-1',
      action: 'replay',
      ...accountable,
      queue: 'Concord-test-Stateful-ExceptionsQueue-1',
      at: '2026-05-04T10:00:00.000Z',
      status: 'interrupted',
      detail: { filter: { entity: 'order/1' } },
    });
    await journal.markPublished('replay-1', 'm-1', 'bus-event-0');

    // Act: resumed with no filter of its own, it keeps the selection it started with.
    const result = await runReplay(deps, { queueUrl, filter: {}, replayId: 'replay-1', ...accountable });

    // Assess
    expect(result).toMatchObject({
      replayId: 'replay-1',
      published: 0,
      resumedDeletes: 1,
      entities: ['order/1'],
    });
    expect(bus.published).toHaveLength(0);
    expect(queues.messageIds(queueUrl)).toEqual(['m-2']);
    expect((await journal.find('replay-1'))?.status).toBe('done');
  });

  it('stops at its signal, gives back what it held and audits the run as interrupted', async () => {
    // Prepare
    const { deps, queues, journal } = fakeReplayDependencies();
    queues.seed(queueUrl, [busEventLetter('m-1', orderEvent(1)), busEventLetter('m-2', orderEvent(2))]);
    const controller = new AbortController();

    // Act
    const result = await runReplay(deps, {
      queueUrl,
      filter: {},
      ...accountable,
      signal: controller.signal,
      onProgress: () => controller.abort(),
    });

    // Assess
    expect(result).toMatchObject({ published: 1, interrupted: true });
    expect(await queues.depth(queueUrl)).toEqual({ visible: 1, inFlight: 0 });
    expect((await journal.find(result.replayId))?.status).toBe('interrupted');
  });

  it('rejects a replay without a reason, touching no queue and auditing nothing', async () => {
    // Prepare
    const { deps, queues, journal } = fakeReplayDependencies();
    queues.seed(queueUrl, [busEventLetter('m-1', orderEvent(1))]);

    // Act
    const failure = runReplay(deps, { queueUrl, filter: {}, operator: 'jane', reason: '  ' });

    // Assess
    await expect(failure).rejects.toThrow(ReasonRequiredError);
    await expect(failure).rejects.toThrow(
      'a replay needs "reason" (an incident or ticket): it goes into the audit',
    );
    expect(queues.calls).toEqual([]);
    expect(journal.all()).toEqual([]);
  });

  it('rejects a replay that names no operator, touching no queue', async () => {
    // Prepare
    const { deps, queues } = fakeReplayDependencies();

    // Act
    const failure = runReplay(deps, { queueUrl, filter: {}, operator: '', reason: 'INC-7' });

    // Assess
    await expect(failure).rejects.toThrow(OperatorRequiredError);
    expect(queues.calls).toEqual([]);
  });

  it('rejects resuming a replay the audit does not hold, touching no queue', async () => {
    // Prepare
    const { deps, queues } = fakeReplayDependencies();

    // Act
    const failure = runReplay(deps, { queueUrl, filter: {}, replayId: 'nope', ...accountable });

    // Assess
    await expect(failure).rejects.toThrow(ReplayNotFoundError);
    expect(queues.calls).toEqual([]);
  });
});

describe('planReplay', () => {
  it('counts what a replay would take, where it would go and which versions the flows saw, changing nothing', async () => {
    // Prepare
    const { deps, queues, versions, bus } = fakeReplayDependencies();
    queues.seed(queueUrl, [
      busEventLetter('m-1', orderEvent(1, 3)),
      busEventLetter('m-2', orderEvent(2, 1), { ruleArn: rule, targetArn: stateMachine }),
      eventlessLetter('m-3'),
    ]);
    versions.set('order/1', 3);
    versions.set('order/2', 0);

    // Act
    const plan = await planReplay(deps, queueUrl, {});

    // Assess
    expect(plan).toEqual({
      queue: 'Concord-test-Stateful-ExceptionsQueue-1',
      matching: 3,
      byType: { 'commerce.order.placed.v1': 2, unknown: 1 },
      // A message that is no event is of no known kind: its error attributes are not read.
      byError: { ErpUnavailableError: 2, unknown: 1 },
      entities: ['order/1', 'order/2', 'unknown'],
      seenBefore: 1,
      notReplayable: 1,
      byTarget: { 'bus concord-test (re-publish)': 1, 'state machine OrderToCash-1': 1 },
    });
    expect(bus.published).toHaveLength(0);
    expect(await queues.depth(queueUrl)).toEqual({ visible: 3, inFlight: 0 });
  });
});

describe('listDeadLetterQueues', () => {
  it('summarizes each queue: depth, oldest age and most frequent errors, leaving the messages', async () => {
    // Prepare
    const { queues } = fakeReplayDependencies();
    const empty = 'https://sqs/123/Concord-test-Stateless-WarehouseDlq-1';
    queues.seed(queueUrl, [
      busEventLetter('m-1', orderEvent(1), { sentAt: new Date('2026-05-04T10:00:00Z') }),
      busEventLetter('m-2', orderEvent(2), { sentAt: new Date('2026-05-04T11:00:00Z'), errorCode: 'X' }),
      busEventLetter('m-3', orderEvent(3), { sentAt: new Date('2026-05-04T11:30:00Z') }),
    ]);

    // Act
    const summaries = await listDeadLetterQueues(queues, [queueUrl, empty], new Date('2026-05-04T12:00:00Z'));

    // Assess
    expect(summaries).toEqual([
      {
        name: 'Concord-test-Stateful-ExceptionsQueue-1',
        url: queueUrl,
        depth: 3,
        inFlight: 0,
        oldestAgeSec: 7200,
        topErrors: [
          { code: 'ErpUnavailableError', count: 2 },
          { code: 'X', count: 1 },
        ],
      },
      { name: 'Concord-test-Stateless-WarehouseDlq-1', url: empty, depth: 0, inFlight: 0, topErrors: [] },
    ]);
    expect(await queues.depth(queueUrl)).toEqual({ visible: 3, inFlight: 0 });
  });
});

describe('peekQueue', () => {
  it('reads more than one batch of letters without taking any', async () => {
    // Prepare
    const { queues } = fakeReplayDependencies();
    const ids = Array.from({ length: 25 }, (_, index) => `m-${index + 1}`);
    queues.seed(
      queueUrl,
      ids.map((id, index) => busEventLetter(id, orderEvent(index + 1))),
    );

    // Act
    const letters = await peekQueue(queues, queueUrl, 1000);

    // Assess
    expect(letters.map((letter) => letter.messageId).sort()).toEqual([...ids].sort());
    expect(await queues.depth(queueUrl)).toEqual({ visible: 25, inFlight: 0 });
  });
});

describe('pickQueue', () => {
  const urls = [queueUrl, 'https://sqs/123/Concord-test-Stateless-OrderToCashDlq-1'];

  it('picks the queue a unique part of its name designates, in any case', () => {
    // Act
    const picked = pickQueue(urls, 'ordertocash');

    // Assess
    expect(picked).toBe(urls[1]);
  });

  it('rejects a designation that matches no queue, or several, naming them', () => {
    // Act
    const none = () => pickQueue(urls, 'Parking');
    const several = () => pickQueue(urls, 'Concord');

    // Assess
    expect(none).toThrow(QueueNotFoundError);
    expect(none).toThrow('no dead-letter queue matches "Parking"');
    expect(several).toThrow(
      '"Concord" matches Concord-test-Stateful-ExceptionsQueue-1, Concord-test-Stateless-OrderToCashDlq-1',
    );
  });
});
