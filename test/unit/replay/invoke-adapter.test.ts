import { CallerNotVerifiedError } from '../../../functions/replay/caller-identity';
import {
  type CallerVerifier,
  createReplayInvokeHandler,
  ReplayRequestInvalidError,
} from '../../../functions/replay/invoke-adapter';
import type { MetricPoint } from '../../../functions/shared/observability/business-metrics';
import { loadSourceRegistry } from '../../../functions/shared/sources/source-registry';
import { busEventLetter, orderEvent } from './support/dead-letter-messages';
import { fakeReplayDependencies } from './support/replay-fakes';

const dlq = 'https://sqs.eu-west-1.amazonaws.com/123456789012/Concord-prod-Stateless-OrderToCashDlq-1';
const parking = 'https://sqs.eu-west-1.amazonaws.com/123456789012/Concord-prod-Stateful-ParkingQueue-1';
const clock = { getRemainingTimeInMillis: () => 900_000 };

/** A verifier that vouches for jane when the request carries a proof, as STS would for a valid one. */
const callers: CallerVerifier = {
  async callerArn(request) {
    if (!request.callerProof)
      throw new CallerNotVerifiedError('"callerProof" is required to change anything');
    return 'arn:aws:sts::123456789012:assumed-role/Operators/jane';
  },
};

function adapter() {
  const fakes = fakeReplayDependencies();
  const points: MetricPoint[] = [];
  const answer = createReplayInvokeHandler({
    replay: fakes.deps,
    queueUrls: [dlq, parking],
    callers,
    archive: { read: async () => [] },
    sources: loadSourceRegistry(),
    metrics: { record: (...recorded) => points.push(...recorded) },
  });
  return { ...fakes, answer, points };
}

describe('replay invoke adapter', () => {
  it('lists the queues it was given, without their URLs', async () => {
    // Prepare
    const { answer, queues } = adapter();
    queues.seed(dlq, [busEventLetter('m-1', orderEvent(1))]);

    // Act
    const listed = await answer({ action: 'list' }, clock);

    // Assess
    expect(listed).toEqual([
      expect.objectContaining({ name: 'Concord-prod-Stateless-OrderToCashDlq-1', depth: 1 }),
      expect.objectContaining({ name: 'Concord-prod-Stateful-ParkingQueue-1', depth: 0 }),
    ]);
    expect(JSON.stringify(listed)).not.toContain('https://');
  });

  it('replays with the operator the caller proof names and records the run in the metrics', async () => {
    // Prepare
    const { answer, queues, journal, points } = adapter();
    queues.seed(dlq, [busEventLetter('m-1', orderEvent(1))]);

    // Act
    const result = await answer(
      { action: 'replay', queue: 'OrderToCash', reason: 'INC-7', callerProof: {} as never },
      clock,
    );

    // Assess
    expect(result).toMatchObject({ published: 1 });
    expect(journal.all()).toEqual([expect.objectContaining({ operator: 'jane', reason: 'INC-7' })]);
    expect(points.map((point) => point.name)).toEqual(['MessagesReplayed', 'MessagesRefused']);
  });

  it('dry-runs a replay without a reason or a proof, changing nothing', async () => {
    // Prepare
    const { answer, queues, journal } = adapter();
    queues.seed(dlq, [busEventLetter('m-1', orderEvent(1))]);

    // Act
    const plan = await answer({ action: 'replay', queue: 'OrderToCash', dryRun: true }, clock);

    // Assess
    expect(plan).toMatchObject({ matching: 1 });
    expect(queues.messageIds(dlq)).toEqual(['m-1']);
    expect(journal.all()).toEqual([]);
  });

  it('rejects a replay without a reason before it asks who signed, touching no queue', async () => {
    // Prepare
    const { answer, queues } = adapter();

    // Act
    const failure = answer({ action: 'replay', queue: 'OrderToCash' }, clock);

    // Assess
    await expect(failure).rejects.toMatchObject({ name: 'ReasonRequiredError' });
    expect(queues.calls).toEqual([]);
  });

  it('rejects a request without a queue, or with an unknown action, naming what is expected', async () => {
    // Prepare
    const { answer } = adapter();

    // Act
    const noQueue = answer({ action: 'show' }, clock);
    const unknown = answer({ action: 'purge' } as never, clock);

    // Assess
    await expect(noQueue).rejects.toThrow(ReplayRequestInvalidError);
    await expect(noQueue).rejects.toThrow('"queue" is required');
    await expect(unknown).rejects.toThrow('"action" must be list, show, replay, replayArchive, park or edit');
  });
});
