import { CreateTableCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDbVersionGate } from '../../../functions/version-gate/version-gate';
import { type DynaliteHandle, startDynalite } from '../../support/dynalite';

describe('DynamoDbVersionGate (on dynalite)', () => {
  let dynamo: DynaliteHandle;
  let gate: DynamoDbVersionGate;
  let tableCount = 0;
  let tableName: string;
  const at = new Date('2026-11-20T14:14:33.000Z');
  const record = async (subject: string) =>
    (await dynamo.client.send(new GetItemCommand({ TableName: tableName, Key: { subject: { S: subject } } })))
      .Item;

  beforeAll(async () => {
    dynamo = await startDynalite();
  });

  afterAll(async () => {
    await dynamo.stop();
  });

  beforeEach(async () => {
    tableName = `versions-${++tableCount}`;
    await dynamo.client.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [{ AttributeName: 'subject', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'subject', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    gate = new DynamoDbVersionGate(dynamo.client, tableName);
  });

  it('lets newer versions through and drops older or equal ones when the caller names no event', async () => {
    expect(await gate.pass('order/1', 10)).toEqual({ outcome: 'apply' });
    expect(await gate.pass('order/1', 10)).toMatchObject({ outcome: 'stale' });
    expect(await gate.pass('order/1', 5)).toMatchObject({ outcome: 'stale' });
    expect(await gate.pass('order/1', 11)).toEqual({ outcome: 'apply' });
  });

  it('lets a replay re-run the version it carries, but never an older one', async () => {
    await gate.pass('order/4', 10);
    expect(await gate.pass('order/4', 10, new Date(), { replay: true })).toEqual({ outcome: 'apply' });
    expect(await gate.pass('order/4', 9, new Date(), { replay: true })).toMatchObject({ outcome: 'stale' });
  });

  it('hands the newest state an early update announced to the older version that creates the entity', async () => {
    // Prepare: two amendments arrive before their order, the newer one last.
    const lines = (quantity: number) => ({ lines: [{ sku: 'MUG', quantity }] });
    await gate.announce('order/2', 20, lines(2));
    await gate.announce('order/2', 30, lines(3));
    // Act
    const announcedAgain = await gate.announce('order/2', 25, lines(9));
    const creation = await gate.pass('order/2', 10);
    // Assess: the order books the newest lines; the amendments then pass the gate as usual.
    expect(announcedAgain).toEqual({ announced: false });
    expect(creation).toEqual({ outcome: 'apply', newer: { entityVersion: 30, state: lines(3) } });
    expect(await gate.pass('order/2', 30)).toEqual({ outcome: 'apply' });
    expect(await gate.pass('order/2', 20)).toMatchObject({ outcome: 'stale' });
  });

  it('announces without moving the version, so the announced update itself still passes', async () => {
    await gate.announce('order/3', 20, { lines: [] });
    expect(await gate.pass('order/3', 20)).toEqual({ outcome: 'apply' });
  });

  describe('with the event id', () => {
    it('lets a newer version through and records the event that applied it', async () => {
      // Prepare
      await gate.pass('order/10', 10, at, { eventId: 'EVENT-A' });
      // Act
      const outcome = await gate.pass('order/10', 11, at, { eventId: 'EVENT-B' });
      // Assess
      expect(outcome).toEqual({ outcome: 'apply' });
      expect(await record('order/10')).toMatchObject({
        entityVersion: { N: '11' },
        appliedEventId: { S: 'EVENT-B' },
      });
    });

    it('lets the event that applied a version through again, as a re-run or redelivery of an unfinished first run', async () => {
      // Prepare: the first run passed the gate, then its workflow crashed.
      await gate.pass('order/11', 10, at, { eventId: 'EVENT-A' });
      // Act
      const rerun = await gate.pass('order/11', 10, at, { eventId: 'EVENT-A' });
      const redelivery = await gate.pass('order/11', 10, at, { eventId: 'EVENT-A' });
      // Assess
      expect([rerun, redelivery]).toEqual([{ outcome: 'apply' }, { outcome: 'apply' }]);
      expect((await record('order/11'))?.staleDrops).toBeUndefined();
    });

    it('hands a re-run the newer announced state its first run was handed', async () => {
      // Prepare
      const lines = { lines: [{ sku: 'MUG', quantity: 3 }] };
      await gate.announce('order/12', 30, lines);
      const first = await gate.pass('order/12', 10, at, { eventId: 'EVENT-A' });
      // Act
      const rerun = await gate.pass('order/12', 10, at, { eventId: 'EVENT-A' });
      // Assess
      expect(rerun).toEqual(first);
      expect(rerun).toEqual({ outcome: 'apply', newer: { entityVersion: 30, state: lines } });
    });

    it('drops the same version from another event as the same change reported again, and records it', async () => {
      // Prepare
      await gate.pass('order/13', 10, at, { eventId: 'EVENT-A' });
      // Act
      const outcome = await gate.pass('order/13', 10, at, { eventId: 'EVENT-B' });
      // Assess
      expect(outcome).toEqual({
        outcome: 'stale',
        reason: 'version 10 was applied by event EVENT-A: the same change reported again',
      });
      expect(await record('order/13')).toMatchObject({
        entityVersion: { N: '10' },
        appliedEventId: { S: 'EVENT-A' },
        staleDrops: { N: '1' },
        lastStaleVersion: { N: '10' },
        lastStaleEventId: { S: 'EVENT-B' },
      });
    });

    it('drops an older version, even from the event that applied it before a newer one passed', async () => {
      // Prepare
      await gate.pass('order/14', 10, at, { eventId: 'EVENT-A' });
      await gate.pass('order/14', 20, at, { eventId: 'EVENT-B' });
      // Act
      const outcome = await gate.pass('order/14', 10, at, { eventId: 'EVENT-A' });
      // Assess
      expect(outcome).toEqual({ outcome: 'stale', reason: 'version 10 is older than version 20 applied' });
    });

    it('drops an equal version when the version was applied by a caller that named no event', async () => {
      // Prepare: a flow deployed before the gate took event ids.
      await gate.pass('order/15', 10, at);
      // Act
      const outcome = await gate.pass('order/15', 10, at, { eventId: 'EVENT-A' });
      // Assess
      expect(outcome).toMatchObject({ outcome: 'stale' });
    });

    it('forgets the event applied at a version once a caller that names none applies a newer one', async () => {
      // Prepare
      await gate.pass('order/16', 10, at, { eventId: 'EVENT-A' });
      // Act
      await gate.pass('order/16', 11, at);
      // Assess
      expect((await record('order/16'))?.appliedEventId).toBeUndefined();
    });

    it('lets a replay re-run its version after another event applied it, keeping the event recorded', async () => {
      // Prepare
      await gate.pass('order/17', 10, at, { eventId: 'EVENT-A' });
      // Act
      const sameVersion = await gate.pass('order/17', 10, at, { eventId: 'EVENT-B', replay: true });
      const older = await gate.pass('order/17', 9, at, { eventId: 'EVENT-C', replay: true });
      // Assess
      expect(sameVersion).toEqual({ outcome: 'apply' });
      expect(older).toMatchObject({ outcome: 'stale' });
      expect((await record('order/17'))?.appliedEventId).toEqual({ S: 'EVENT-A' });
    });
  });
});
