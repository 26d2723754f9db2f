import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { readSaasFacts, readWarehouseFacts } from '../../../functions/reconcile/reconcile-sources';
import { duckdbWarehouseQuery, openLocalWarehouse } from '../../../local/warehouse/duckdb-warehouse';
import { deliver, erpEvent } from '../../support/warehouse-files';

const t = (minutes: number) => Date.UTC(2026, 10, 27, 10, minutes);
const saas = (
  type: string,
  subject: string,
  version: number,
  data: Record<string, unknown>,
  id?: string,
) => ({
  ...erpEvent(type, subject, version, data, id),
  source: 'shopify://shop',
});
const range = { from: new Date('2026-11-26T00:00:00Z'), to: new Date('2026-11-29T00:00:00Z') };

let bucketDir: string;
let connection: DuckDBConnection;

beforeAll(async () => {
  bucketDir = mkdtempSync(path.join(tmpdir(), 'concord-sources-'));
  const placed = saas('commerce.order.placed.v1', 'order/1', t(0), { sourceOrderId: '1' }, 'ev-placed');
  // The cancellation arrives first; the placement is delivered twice.
  deliver(bucketDir, '2026-11-27T10:05:00Z', [
    saas('commerce.order.cancelled.v1', 'order/1', t(3), { sourceOrderId: '1' }, 'ev-cancelled'),
    placed,
    saas('billing.payment.succeeded.v1', 'payment/pi_1', t(1), {
      paymentId: 'pi_1',
      amount: '50.00',
      currency: 'EUR',
    }),
    saas('billing.payment.refunded.v1', 'payment/pi_1', t(2), {
      paymentId: 'pi_1',
      refundedAmount: '10.00',
      totalRefunded: '10.00',
      currency: 'EUR',
    }),
  ]);
  deliver(bucketDir, '2026-11-27T10:10:00Z', [
    placed,
    erpEvent('erp.order.accepted.v1', 'order/1', t(1), {
      erpOrderNumber: 'SO-1',
      sourceOrderId: '1',
      customerNumber: 'C-1',
      currency: 'USD',
      total: '20.00',
    }),
    erpEvent('erp.order.cancelled.v1', 'order/1', t(4), { erpOrderNumber: 'SO-1', sourceOrderId: '1' }),
  ]);
  connection = await openLocalWarehouse(bucketDir);
});

afterAll(() => {
  connection?.closeSync();
  rmSync(bucketDir, { recursive: true, force: true });
});

describe('the sides a reconciliation reads from the warehouse', () => {
  it('takes each SaaS transaction in its latest version, once per event, with every event a replay needs', async () => {
    const { facts, unreadable } = await readSaasFacts(duckdbWarehouseQuery(connection), range);
    expect(unreadable).toEqual([]);
    expect(facts.sort((a, b) => a.key.localeCompare(b.key))).toEqual([
      {
        entity: 'order',
        key: '1',
        status: 'CANCELLED',
        time: '2026-11-27T10:05:00.000Z',
        correlationId: 'corr-order/1',
        eventIds: ['ev-cancelled', 'ev-placed'],
      },
      expect.objectContaining({ entity: 'payment', key: 'pi_1', amount: '50.00', currency: 'EUR' }),
      // A refund the platform gave no id of its own: the reference payment-application gives the ERP.
      expect.objectContaining({ entity: 'payment', key: 'pi_1:refunded:10.00', amount: '10.00' }),
    ]);
  });

  it('reads the documents the models show, with their first and latest facts', async () => {
    expect((await readWarehouseFacts(duckdbWarehouseQuery(connection), range)).facts).toEqual([
      {
        entity: 'order',
        number: 'SO-1',
        status: 'CANCELLED',
        amount: '20.0000',
        currency: 'USD',
        firstAt: '2026-11-27T10:01:00.000Z',
        updatedAt: '2026-11-27T10:04:00.000Z',
        correlationId: 'corr-order/1',
      },
    ]);
  });

  it('leaves out what was delivered before the range began', async () => {
    const later = { from: new Date('2026-11-28T00:00:00Z'), to: range.to };
    expect(await readSaasFacts(duckdbWarehouseQuery(connection), later)).toEqual({
      facts: [],
      unreadable: [],
    });
    expect(await readWarehouseFacts(duckdbWarehouseQuery(connection), later)).toEqual({
      facts: [],
      unreadable: [],
    });
  });
});
