import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDbVersionGate } from '../../../functions/version-gate/version-gate';
import { type DynaliteHandle, startDynalite } from '../../support/dynalite';

describe('DynamoDbVersionGate (on dynalite)', () => {
  let dynamo: DynaliteHandle;
  let gate: DynamoDbVersionGate;
  let tableCount = 0;

  beforeAll(async () => {
    dynamo = await startDynalite();
  });

  afterAll(async () => {
    await dynamo.stop();
  });

  beforeEach(async () => {
    const tableName = `versions-${++tableCount}`;
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

  it('lets newer versions through and drops older or equal ones', async () => {
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
});
