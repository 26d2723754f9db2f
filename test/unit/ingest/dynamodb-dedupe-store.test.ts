import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDbDedupeStore } from '../../../functions/ingest-webhook/adapters/dynamodb-dedupe-store';
import { DownstreamUnavailableError } from '../../../functions/shared/errors';
import { createPkTable, type DynaliteHandle, startDynalite } from '../../support/dynalite';

const key = { source: 'shopify', deliveryId: 'evt-1' };
const t0 = new Date('2026-11-20T10:00:00Z');
const at = (offsetSec: number) => new Date(t0.getTime() + offsetSec * 1000);
const options = (now: Date) => ({ windowSec: 86400, inProgressSec: 60, now });

describe('DynamoDbDedupeStore (on dynalite)', () => {
  let dynamo: DynaliteHandle;
  let store: DynamoDbDedupeStore;
  let tableCount = 0;

  beforeAll(async () => {
    dynamo = await startDynalite();
  });

  afterAll(async () => {
    await dynamo.stop();
  });

  beforeEach(async () => {
    const tableName = `dedupe-${++tableCount}`;
    await createPkTable(dynamo.client, tableName);
    store = new DynamoDbDedupeStore(dynamo.client, tableName);
  });

  it('claims a delivery it has never seen', async () => {
    const outcome = await store.claim(key, options(t0));
    expect(outcome.status).toBe('claimed');
  });

  it('reports a live claim as in progress', async () => {
    // Prepare
    await store.claim(key, options(t0));
    // Act
    const outcome = await store.claim(key, options(at(10)));
    // Assess
    expect(outcome).toEqual({ status: 'in-progress' });
  });

  it('answers a completed delivery with its original ids', async () => {
    // Prepare
    const claim = await store.claim(key, options(t0));
    if (claim.status !== 'claimed') throw new Error('not claimed');
    await store.complete(key, claim.token, {
      eventId: '01JD3K8Q9ZB7V2M4N6P8R0T2W4',
      correlationId: 'corr-1',
    });
    // Act
    const outcome = await store.claim(key, options(at(3600)));
    // Assess
    expect(outcome).toEqual({
      status: 'completed',
      eventId: '01JD3K8Q9ZB7V2M4N6P8R0T2W4',
      correlationId: 'corr-1',
    });
  });

  it('lets a delivery be claimed again after its window, even before TTL has deleted it', async () => {
    const claim = await store.claim(key, options(t0));
    if (claim.status !== 'claimed') throw new Error('not claimed');
    await store.complete(key, claim.token, { eventId: 'e', correlationId: 'c' });
    expect((await store.claim(key, options(at(86401)))).status).toBe('claimed');
  });

  it('lets an abandoned claim be taken over after inProgressSec', async () => {
    await store.claim(key, options(t0));
    expect((await store.claim(key, options(at(61)))).status).toBe('claimed');
  });

  it('releases a claim so the retry is processed afresh', async () => {
    // Prepare
    const claim = await store.claim(key, options(t0));
    if (claim.status !== 'claimed') throw new Error('not claimed');
    // Act
    await store.release(key, claim.token);
    // Assess
    expect((await store.claim(key, options(at(1)))).status).toBe('claimed');
  });

  it('does not release a claim taken over by another attempt', async () => {
    // Prepare
    const stale = await store.claim(key, options(t0));
    const fresh = await store.claim(key, options(at(61)));
    if (stale.status !== 'claimed' || fresh.status !== 'claimed') throw new Error('not claimed');
    // Act
    await store.release(key, stale.token);
    // Assess
    expect(await store.claim(key, options(at(62)))).toEqual({ status: 'in-progress' });
  });

  it('sets the TTL attribute to the end of the window', async () => {
    // Prepare
    const tableName = `dedupe-${tableCount}`;
    await store.claim(key, options(t0));
    // Act
    const { Item } = await dynamo.client.send(
      new GetItemCommand({ TableName: tableName, Key: { pk: { S: 'shopify#evt-1' } } }),
    );
    // Assess
    expect(Item?.expiresAt?.N).toBe(String(t0.getTime() / 1000 + 86400));
  });
});

describe('DynamoDbDedupeStore (SDK errors)', () => {
  it('fails with DownstreamUnavailableError when DynamoDB throttles', async () => {
    // Prepare
    const mock = mockClient(DynamoDBClient);
    mock
      .onAnyCommand()
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ProvisionedThroughputExceededException' }));
    const store = new DynamoDbDedupeStore(new DynamoDBClient({ region: 'us-east-1' }), 'dedupe');
    // Act & Assess
    await expect(store.claim(key, options(t0))).rejects.toThrow(DownstreamUnavailableError);
    mock.restore();
  });
});
