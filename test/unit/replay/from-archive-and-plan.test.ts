import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ReasonRequiredError } from '../../../functions/replay/accountability';
import { replayFromArchive } from '../../../functions/replay/from-archive';
import { runReplayPlan } from '../../../functions/replay/from-plan';
import type { ArchivedWebhook } from '../../../functions/replay/ports';
import type { ReplayPlan } from '../../../functions/shared/reconciliation/replay-plan';
import { loadSourceRegistry } from '../../../functions/shared/sources/source-registry';
import { orderEvent } from './support/dead-letter-messages';
import { FakeBusArchive, fakeReplayDependencies } from './support/replay-fakes';

const sources = loadSourceRegistry();

/** A Stripe webhook as the ingest function archived it. */
function archivedPayment(key: string, receivedAt = '2026-05-04T10:00:00.000Z'): ArchivedWebhook {
  const body = readFileSync(path.join(__dirname, '../../fixtures/stripe/payment-intent-succeeded.json'));
  return {
    key,
    record: {
      source: 'stripe',
      deliveryIds: [JSON.parse(body.toString('utf8')).id],
      receivedAt,
      method: 'POST',
      url: '/webhooks/stripe',
      headers: {},
      bodyBase64: body.toString('base64'),
    },
  };
}

const unknownSource: ArchivedWebhook = {
  key: 's3://archive/raw/gone/1',
  record: { ...archivedPayment('x').record, source: 'gone', deliveryIds: ['d-1'] },
};

describe('replayFromArchive', () => {
  it('maps archived webhooks again, publishes their events with replay metadata and audits the replay', async () => {
    // Prepare
    const { deps, bus, journal } = fakeReplayDependencies();

    // Act
    const result = await replayFromArchive(deps, {
      webhooks: [archivedPayment('s3://archive/raw/stream/1.gz'), unknownSource],
      sources,
      filter: {},
      operator: 'jane',
      reason: 'mapping fix INC-9',
    });

    // Assess
    expect(result).toMatchObject({ webhooks: 2, published: 1, dryRun: false });
    expect(result.unmappable).toEqual([
      { key: unknownSource.key, source: 'gone', deliveryIds: ['d-1'], reason: 'unknown source' },
    ]);
    expect(bus.published).toHaveLength(1);
    expect(bus.published[0]?.metadata).toEqual({
      replayid: result.replayId,
      replayof: 's3://archive/raw/stream/1.gz',
      replayby: 'jane',
      replayreason: 'mapping fix INC-9',
    });
    expect(journal.all()).toEqual([
      expect.objectContaining({
        id: result.replayId,
        queue: 'raw archive',
        operator: 'jane',
        status: 'done',
      }),
    ]);
  });

  it('counts in a dry run what it would publish, publishing and auditing nothing, with no reason', async () => {
    // Prepare
    const { deps, bus, journal } = fakeReplayDependencies();

    // Act
    const result = await replayFromArchive(deps, {
      webhooks: [archivedPayment('k-1'), archivedPayment('k-2')],
      sources,
      filter: {},
      operator: 'dry run',
      reason: '',
      dryRun: true,
      max: 1,
    });

    // Assess
    expect(result).toMatchObject({ published: 1, dryRun: true });
    expect(Object.values(result.byType)).toEqual([1]);
    expect(bus.published).toHaveLength(0);
    expect(journal.all()).toEqual([]);
  });

  it('rejects a real replay without a reason, publishing nothing', async () => {
    // Prepare
    const { deps, bus } = fakeReplayDependencies();

    // Act
    const failure = replayFromArchive(deps, {
      webhooks: [archivedPayment('k-1')],
      sources,
      filter: {},
      operator: 'jane',
      reason: '',
    });

    // Assess
    await expect(failure).rejects.toThrow(ReasonRequiredError);
    expect(bus.published).toHaveLength(0);
  });
});

describe('runReplayPlan', () => {
  const plan = {
    reconciliationId: 'rec-1',
    createdAt: '2026-05-04T12:00:00.000Z',
    republish: [
      { class: 'missing-in-erp', entity: 'order', key: '1', events: [orderEvent(1), orderEvent(2)] },
    ],
    archiveReplays: [
      {
        target: 'warehouse',
        from: '2026-05-04T09:00:00.000Z',
        to: '2026-05-04T10:00:00.000Z',
        documents: ['order/3'],
      },
    ],
    review: [],
  } as unknown as ReplayPlan;

  it('re-publishes the plan events, replays its archive windows to the warehouse rule and audits the run', async () => {
    // Prepare
    const { deps, bus, journal } = fakeReplayDependencies();
    const busArchive = new FakeBusArchive();

    // Act
    const result = await runReplayPlan(
      { ...deps, busArchive },
      { plan, operator: 'jane', reason: 'reconciliation rec-1', pollMs: 1 },
    );

    // Assess
    expect(result).toMatchObject({
      republished: 2,
      failed: [],
      archiveReplays: [{ name: `concord-${result.replayId}-1`, state: 'COMPLETED' }],
    });
    expect(bus.published.map((published) => published.metadata.replayof)).toEqual([
      'reconciliation:rec-1',
      'reconciliation:rec-1',
    ]);
    expect(busArchive.started).toEqual([
      expect.objectContaining({
        from: new Date('2026-05-04T09:00:00.000Z'),
        to: new Date('2026-05-04T10:00:00.000Z'),
        description: 'reconciliation rec-1: order/3',
      }),
    ]);
    expect(journal.all()).toEqual([
      expect.objectContaining({ queue: 'reconciliation:rec-1', status: 'done', operator: 'jane' }),
    ]);
  });

  it('reports an event the bus refuses and an archive replay that fails, and still finishes', async () => {
    // Prepare
    const { deps, bus } = fakeReplayDependencies();
    bus.refuse = 'commerce.order.placed.v1';
    const busArchive = new FakeBusArchive();
    busArchive.failing = true;

    // Act
    const result = await runReplayPlan(
      { ...deps, busArchive },
      { plan, operator: 'jane', reason: 'reconciliation rec-1', pollMs: 1 },
    );

    // Assess
    expect(result.republished).toBe(0);
    expect(result.failed).toEqual([
      { eventId: String(orderEvent(1).id), error: 'the bus refused commerce.order.placed.v1' },
      { eventId: String(orderEvent(2).id), error: 'the bus refused commerce.order.placed.v1' },
      {
        eventId: `concord-${result.replayId}-1`,
        error: `concord-${result.replayId}-1: archive unreadable`,
      },
    ]);
  });

  it('rejects a plan run without a reason, publishing nothing', async () => {
    // Prepare
    const { deps, bus, journal } = fakeReplayDependencies();

    // Act
    const failure = runReplayPlan(
      { ...deps, busArchive: new FakeBusArchive() },
      { plan, operator: 'jane', reason: '' },
    );

    // Assess
    await expect(failure).rejects.toThrow(ReasonRequiredError);
    expect(bus.published).toHaveLength(0);
    expect(journal.all()).toEqual([]);
  });
});
