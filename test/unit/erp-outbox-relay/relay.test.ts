import { redriveEntries, relayOutbox, toCanonicalEvent } from '../../../functions/erp-outbox-relay/relay';
import { creditReleased, inMemoryRelay } from './in-memory-relay-ports';

describe('relayOutbox', () => {
  it('publishes the entries after the cursor in order and moves the cursor past the last', async () => {
    // Prepare
    const { erp, bus, cursor, deps } = inMemoryRelay();
    erp.add('order.credit-released', creditReleased('1001'));
    erp.add('order.credit-released', creditReleased('1002'));
    // Act
    const result = await relayOutbox(deps);
    // Assess
    expect(result).toEqual({ relayed: 2, deadLettered: 0, cursor: 2, pages: 1, caughtUp: true });
    expect(bus.published.map((event) => [event.type, event.subject, event.causationid])).toEqual([
      ['erp.order.credit-released.v1', 'order/1001', 'erp-outbox:1'],
      ['erp.order.credit-released.v1', 'order/1002', 'erp-outbox:2'],
    ]);
    expect(bus.published[0]).toMatchObject({ origin: 'shopify://acme.myshopify.com', entityversion: 3 });
    expect(cursor.seq).toBe(2);
  });

  it('dead-letters an entry of an unknown type with its reason and cursor position, and relays the ones behind it', async () => {
    // Prepare
    const { erp, bus, cursor, deadLetters, deps } = inMemoryRelay();
    erp.add('order.credit-released', creditReleased('1001'));
    const unknown = erp.add('order.teleported', { externalRef: '1002' });
    erp.add('order.credit-released', creditReleased('1003'));
    // Act
    const result = await relayOutbox(deps);
    // Assess
    expect(result).toEqual({ relayed: 2, deadLettered: 1, cursor: 3, pages: 1, caughtUp: true });
    expect(bus.published.map((event) => event.subject)).toEqual(['order/1001', 'order/1003']);
    expect(deadLetters.letters).toEqual([
      {
        entry: unknown,
        errorCode: 'UnknownOutboxEntryTypeError',
        reason: 'The relay maps no canonical event from outbox entries of type "order.teleported"',
        cursor: 2,
      },
    ]);
    expect(cursor.seq).toBe(3);
  });

  it.each([
    ['a missing field', { ...creditReleased('1002'), customerNumber: undefined }, /payload.customerNumber/],
    ['a mistyped version', { ...creditReleased('1002'), version: 'three' }, /payload.version/],
    ['a schema violation', { ...creditReleased('1002'), releasedBy: 'x'.repeat(300) }, /\/data\/releasedBy/],
  ])(
    'dead-letters an entry with %s as an InvalidOutboxEntryError and passes it',
    async (_case, payload, reason) => {
      // Prepare
      const { erp, bus, cursor, deadLetters, deps } = inMemoryRelay();
      erp.add('order.credit-released', payload);
      erp.add('order.credit-released', creditReleased('1003'));
      // Act
      await relayOutbox(deps);
      // Assess
      expect(deadLetters.letters).toHaveLength(1);
      expect(deadLetters.letters[0]).toMatchObject({ errorCode: 'InvalidOutboxEntryError', cursor: 1 });
      expect(deadLetters.letters[0]?.reason).toMatch(reason);
      expect(bus.published.map((event) => event.subject)).toEqual(['order/1003']);
      expect(cursor.seq).toBe(2);
    },
  );

  it('dead-letters an entry whose payload is not an object or whose time is not a timestamp', async () => {
    // Prepare
    const { erp, deadLetters, cursor, deps } = inMemoryRelay();
    erp.entries.push({
      seq: 1,
      at: '2026-05-04T10:00:00Z',
      type: 'order.credit-released',
      payload: null as never,
    });
    erp.entries.push({
      seq: 2,
      at: 'yesterday',
      type: 'order.credit-released',
      payload: creditReleased('1002'),
    });
    // Act
    const result = await relayOutbox(deps);
    // Assess
    expect(result).toEqual({ relayed: 0, deadLettered: 2, cursor: 2, pages: 1, caughtUp: true });
    expect(deadLetters.letters.map((letter) => [letter.errorCode, letter.cursor])).toEqual([
      ['InvalidOutboxEntryError', 1],
      ['InvalidOutboxEntryError', 2],
    ]);
    expect(cursor.seq).toBe(2);
  });

  it('fails without moving the cursor when the bus is unavailable, then relays the same entries in order', async () => {
    // Prepare
    const { erp, bus, cursor, deadLetters, deps } = inMemoryRelay();
    erp.add('order.credit-released', creditReleased('1001'));
    erp.add('order.teleported', {});
    erp.add('order.credit-released', creditReleased('1003'));
    bus.failing = true;
    // Act
    const outage = await relayOutbox(deps).catch((error: Error) => error);
    bus.failing = false;
    const recovery = await relayOutbox(deps);
    // Assess: nothing skipped or dead-lettered during the outage, everything once the bus is back.
    expect(outage).toMatchObject({ name: 'DownstreamUnavailableError' });
    expect(recovery).toEqual({ relayed: 2, deadLettered: 1, cursor: 3, pages: 1, caughtUp: true });
    expect(bus.published.map((event) => event.subject)).toEqual(['order/1001', 'order/1003']);
    expect(deadLetters.letters.map((letter) => letter.cursor)).toEqual([2]);
    expect(cursor.seq).toBe(3);
  });

  it('announces an entry relayed twice (a re-run after a crash before the cursor moved) with the same event id', async () => {
    // Prepare
    const { erp, bus, cursor, deps } = inMemoryRelay();
    erp.add('order.credit-released', creditReleased('1001'));
    // Act
    await relayOutbox(deps);
    cursor.seq = 0;
    await relayOutbox(deps);
    // Assess
    const [first, second] = bus.published;
    expect(first?.id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect([second?.id, second?.correlationid]).toEqual([first?.id, first?.id]);
  });

  it('fails without moving the cursor when the dead-letter queue is unavailable, losing no entry', async () => {
    // Prepare
    const { erp, cursor, deadLetters, deps } = inMemoryRelay();
    erp.add('order.teleported', {});
    erp.add('order.credit-released', creditReleased('1002'));
    deadLetters.failing = true;
    // Act
    const outage = await relayOutbox(deps).catch((error: Error) => error);
    const cursorDuringOutage = cursor.seq;
    deadLetters.failing = false;
    await relayOutbox(deps);
    // Assess
    expect(outage).toMatchObject({ name: 'DownstreamUnavailableError' });
    expect(cursorDuringOutage).toBe(0);
    expect(deadLetters.letters.map((letter) => letter.entry.seq)).toEqual([1]);
    expect(cursor.seq).toBe(2);
  });

  it('fails without moving the cursor when the ERP cannot be read', async () => {
    // Prepare
    const { erp, cursor, deps } = inMemoryRelay();
    erp.add('order.credit-released', creditReleased('1001'));
    erp.readOutbox = async () => {
      throw new Error('ERP unavailable');
    };
    // Act
    const outcome = await relayOutbox(deps).catch((error: Error) => error);
    // Assess
    expect(outcome).toMatchObject({ message: 'ERP unavailable' });
    expect(cursor.seq).toBe(0);
  });

  it('keeps the cursor where it is when the outbox holds nothing new', async () => {
    // Prepare
    const { cursor, deps } = inMemoryRelay();
    cursor.seq = 7;
    // Act
    const result = await relayOutbox(deps);
    // Assess
    expect(result).toEqual({ relayed: 0, deadLettered: 0, cursor: 7, pages: 0, caughtUp: true });
  });
});

describe('relayOutbox (catching up)', () => {
  /** A goods receipt's stock lines as the ERP writes them to its outbox. */
  function receiveGoods(erp: ReturnType<typeof inMemoryRelay>['erp'], lines: number): void {
    for (let line = 1; line <= lines; line += 1)
      erp.add('stock.changed', {
        sku: `SKU-${String(line).padStart(5, '0')}`,
        locationId: 'BER-1',
        available: line,
        version: line,
        reference: 'GR-4711',
      });
  }

  it('reads page after page until the outbox is empty, so a 5,000-line receipt reaches the bus in one run', async () => {
    // Prepare
    const { erp, bus, cursor, deps } = inMemoryRelay();
    erp.pageSize = 500;
    receiveGoods(erp, 5_000);
    // Act
    const result = await relayOutbox(deps, { remainingMs: () => 50_000, safetyMarginMs: 8_000 });
    // Assess: ten full pages, then the empty read that shows the relay has caught up.
    expect(result).toEqual({ relayed: 5_000, deadLettered: 0, cursor: 5_000, pages: 10, caughtUp: true });
    expect(erp.reads).toBe(11);
    expect(bus.published).toHaveLength(5_000);
    expect(bus.published.at(-1)).toMatchObject({
      type: 'erp.stock.changed.v1',
      subject: 'item/SKU-05000/stock/BER-1',
    });
    expect(cursor.seq).toBe(5_000);
  });

  it('stops before a page it has no time for, with the cursor after the last page relayed, and the next run continues', async () => {
    // Prepare: each read costs 1 s of the invocation's time; 3.5 s are left above the margin.
    const { erp, bus, cursor, deps } = inMemoryRelay();
    erp.pageSize = 500;
    receiveGoods(erp, 5_000);
    let remainingMs = 11_500;
    const read = erp.readOutbox.bind(erp);
    erp.readOutbox = async (afterSeq) => {
      remainingMs -= 1_000;
      const started = Date.now();
      // The relay measures pages by the clock: the page must take measurable time to count as the longest.
      while (Date.now() - started < 5);
      return read(afterSeq);
    };
    // Act
    const first = await relayOutbox(deps, { remainingMs: () => remainingMs, safetyMarginMs: 8_000 });
    const second = await relayOutbox(deps);
    // Assess: no entry lost or sent twice across the two runs.
    expect(first).toMatchObject({ caughtUp: false, cursor: first.pages * 500, relayed: first.pages * 500 });
    expect(first.pages).toBeGreaterThanOrEqual(1);
    expect(first.pages).toBeLessThan(10);
    expect(second).toMatchObject({ caughtUp: true, cursor: 5_000, relayed: 5_000 - first.relayed });
    expect(new Set(bus.published.map((event) => event.id)).size).toBe(5_000);
    expect(cursor.seq).toBe(5_000);
  });

  it('reads at least one page even when the invocation starts with less time than the margin', async () => {
    // Prepare
    const { erp, deps } = inMemoryRelay();
    erp.pageSize = 500;
    receiveGoods(erp, 1_000);
    // Act
    const result = await relayOutbox(deps, { remainingMs: () => 1_000, safetyMarginMs: 8_000 });
    // Assess
    expect(result).toEqual({ relayed: 500, deadLettered: 0, cursor: 500, pages: 1, caughtUp: false });
  });

  it('keeps the pages relayed before a bus outage and resumes after them', async () => {
    // Prepare
    const { erp, bus, cursor, deps } = inMemoryRelay();
    erp.pageSize = 500;
    receiveGoods(erp, 1_500);
    const publish = deps.publish;
    let calls = 0;
    deps.publish = async (events) => {
      calls += 1;
      if (calls === 2) throw new Error('EventBridge unavailable');
      return publish(events);
    };
    // Act
    const outage = await relayOutbox(deps).catch((error: Error) => error);
    const cursorAfterOutage = cursor.seq;
    const recovery = await relayOutbox(deps);
    // Assess
    expect(outage).toMatchObject({ message: 'EventBridge unavailable' });
    expect(cursorAfterOutage).toBe(500);
    expect(recovery).toMatchObject({ relayed: 1_000, cursor: 1_500, pages: 2, caughtUp: true });
    expect(bus.published).toHaveLength(1_500);
  });

  it('fails with OutboxNotAdvancingError when the ERP answers entries that are not after the cursor', async () => {
    // Prepare
    const { erp, cursor, deps } = inMemoryRelay();
    receiveGoods(erp, 3);
    cursor.seq = 3;
    erp.readOutbox = async () => erp.entries;
    // Act
    const outcome = await relayOutbox(deps).catch((error: Error) => error);
    // Assess
    expect(outcome).toMatchObject({ name: 'OutboxNotAdvancingError' });
    expect(cursor.seq).toBe(3);
  });
});

describe('redriveEntries', () => {
  it('relays entries handed back by a replay without touching the cursor, and dead-letters again what is still invalid', async () => {
    // Prepare
    const { bus, cursor, deadLetters, deps } = inMemoryRelay();
    cursor.seq = 40;
    const fixed = {
      seq: 12,
      at: '2026-05-04T10:00:00Z',
      type: 'order.credit-released',
      payload: creditReleased('1001'),
    };
    const stillBroken = { seq: 13, at: '2026-05-04T10:00:00Z', type: 'order.teleported', payload: {} };
    // Act
    const result = await redriveEntries(deps, [fixed, stillBroken]);
    // Assess
    expect(result).toEqual({ relayed: 1, deadLettered: 1 });
    expect(bus.published.map((event) => event.causationid)).toEqual(['erp-outbox:12']);
    expect(deadLetters.letters.map((letter) => [letter.entry.seq, letter.cursor])).toEqual([[13, 13]]);
    expect(cursor.seq).toBe(40);
  });
});

describe('toCanonicalEvent', () => {
  it('maps a credit release to a valid erp.order.credit-released.v1 event', () => {
    // Act
    const event = toCanonicalEvent(
      {
        seq: 5,
        at: '2026-05-04T10:00:00Z',
        type: 'order.credit-released',
        payload: creditReleased('1001', 9),
      },
      'erp://sandbox',
    );
    // Assess
    expect(event).toMatchObject({
      type: 'erp.order.credit-released.v1',
      source: 'erp://sandbox',
      subject: 'order/1001',
      entityversion: 9,
      data: {
        erpOrderNumber: 'SO-1001',
        sourceOrderId: '1001',
        customerNumber: 'C-000042',
        releasedBy: 'finance@example.com',
        releasedAt: '2026-05-04T10:00:00.000Z',
      },
    });
  });
});
