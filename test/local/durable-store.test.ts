/** DurableStore: group commit (one WAL fsync for every commit made meanwhile) and cached statements. */
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DurableStore } from '../../local/store/durable-store';

/** Counts fsyncs made through file handles (the store syncs its WAL through one). */
async function spyOnFsync(): Promise<jest.SpyInstance> {
  const handle = await open(__filename, 'r');
  const prototype = Object.getPrototypeOf(handle) as { sync: () => Promise<void> };
  await handle.close();
  return jest.spyOn(prototype, 'sync');
}

describe('DurableStore', () => {
  let dir: string;
  let store: DurableStore;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'concord-store-'));
    store = new DurableStore(dir);
  });

  afterEach(() => {
    jest.restoreAllMocks();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('confirms concurrent commits with one or two WAL fsyncs in all', async () => {
    // Prepare
    const syncs = await spyOnFsync();
    // Act
    await Promise.all(
      Array.from({ length: 20 }, (_, index) => {
        store.putResource('queue', `q-${index}`, { index });
        return store.durable();
      }),
    );
    // Assess
    expect(store.listResources('queue')).toHaveLength(20);
    expect(syncs.mock.calls.length).toBeGreaterThanOrEqual(1);
    expect(syncs.mock.calls.length).toBeLessThanOrEqual(2);
  });

  it('waits for a new fsync when the commit came after the fsync in flight started', async () => {
    // Prepare
    const syncs = await spyOnFsync();
    store.putResource('queue', 'first', {});
    const first = store.durable();
    // Act
    store.putResource('queue', 'second', {});
    await Promise.all([first, store.durable()]);
    // Assess
    expect(syncs).toHaveBeenCalledTimes(2);
  });

  it('confirms at once when nothing was committed since the last fsync', async () => {
    // Prepare
    store.putResource('queue', 'only', {});
    await store.durable();
    const syncs = await spyOnFsync();
    // Act
    await store.durable();
    // Assess
    expect(syncs).not.toHaveBeenCalled();
    expect(store.getResource('queue', 'only')).toEqual({});
  });

  it('reads a resource as last written, deleted or rolled back', () => {
    // Prepare
    store.putResource('queue', 'orders', { visibilityTimeoutSec: 30 });
    store.getResource('queue', 'orders');
    store.putResource('queue', 'orders', { visibilityTimeoutSec: 60 });
    // Act
    const updated = store.getResource('queue', 'orders');
    expect(() =>
      store.transaction(() => {
        store.putResource('queue', 'orders', { visibilityTimeoutSec: 90 });
        throw new Error('rolled back');
      }),
    ).toThrow('rolled back');
    const afterRollback = store.getResource('queue', 'orders');
    store.deleteResource('queue', 'orders');
    // Assess
    expect(updated).toEqual({ visibilityTimeoutSec: 60 });
    expect(afterRollback).toEqual({ visibilityTimeoutSec: 60 });
    expect(store.getResource('queue', 'orders')).toBeUndefined();
  });

  it('gives each reader its own copy of a resource', () => {
    // Prepare
    store.putResource('queue', 'orders', { tags: ['a'] });
    const first = store.getResource<{ tags: string[] }>('queue', 'orders');
    // Act
    first?.tags.push('changed by a caller');
    // Assess
    expect(store.getResource('queue', 'orders')).toEqual({ tags: ['a'] });
  });

  it('keeps what was confirmed across a reopen', async () => {
    // Prepare
    store.putResource('queue', 'kept', { visibilityTimeoutSec: 30 });
    await store.durable();
    store.close();
    // Act
    store = new DurableStore(dir);
    // Assess
    expect(store.getResource('queue', 'kept')).toEqual({ visibilityTimeoutSec: 30 });
  });
});
