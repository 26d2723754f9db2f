/**
 * bench/warehouse, in one run:
 * 1. loading: 100,000 events put with PutRecordBatch into the stack's own warehouse stream (its template's
 *    configuration: dynamic partitioning by type, GZIP, 64 MiB / 60 s buffering) on the embedded runtime, until
 *    DuckDB counts them all in raw_events; beside DuckDB's own read of the delivered files (the floor);
 * 2. reconciliation of 100,000 orders (placed, accepted, invoiced: 300,000 events) with 150 planted mismatches,
 *    beside DuckDB's own read of the same files (the floor). The ERP's listing is served from memory: its time is
 *    the ERP's, not Concord's.
 *
 *   npx tsx bench/warehouse/run.ts [--events 100000] [--orders 100000]
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { CreateDeliveryStreamCommand, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { runReconciliation } from '../../functions/reconcile/run-reconciliation';
import type { ErpDocument } from '../../functions/shared/erp/erp-port';
import { buildApp } from '../../infra/app';
import { LocalRuntime } from '../../local/runtime';
import {
  duckdbWarehouseQuery,
  openLocalWarehouse,
  queryObjects,
} from '../../local/warehouse/duckdb-warehouse';
import { sdkClients } from '../../test/local/support/local-runtime';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { values } = parseArgs({
  options: { events: { type: 'string', default: '100000' }, orders: { type: 'string', default: '100000' } },
});
const eventCount = Number(values.events);
const orderCount = Number(values.orders);
const planted = 50;

const seconds = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e9;
const day = '2026-11-27';
const at = (index: number) => new Date(Date.UTC(2026, 10, 27, 1) + index * 100).toISOString();

function envelope(
  type: string,
  subject: string,
  index: number,
  data: Record<string, unknown>,
  source = 'erp://sandbox',
) {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source,
    type,
    subject,
    time: at(index),
    dataschema: `https://schemas.concord.dev/events/${type}.json`,
    datacontenttype: 'application/json',
    correlationid: `corr-${index}`,
    causationid: `cause-${index}`,
    entityversion: Date.parse(at(index)) + (type === 'erp.invoice.posted.v1' ? 1 : 0),
    data,
  };
}

const total = (index: number) => `${100 + (index % 900)}.${String(index % 100).padStart(2, '0')}`;

/** The three events of one order: the shop's, the ERP's acceptance and its invoice. */
function orderEvents(index: number) {
  const id = String(1_000_000 + index);
  return [
    envelope(
      'commerce.order.placed.v1',
      `order/${id}`,
      index,
      {
        sourceOrderId: id,
        orderNumber: `#${index}`,
        placedAt: at(index),
        currency: 'USD',
        customer: {
          sourceCustomerId: `cust-${index % 5000}`,
          email: `buyer${index % 5000}@example.com`,
          name: 'A Buyer',
        },
        lines: [
          {
            lineId: `${index}-1`,
            sku: 'TR-42-SLATE',
            title: 'Trail Runner',
            quantity: 1,
            unitPrice: total(index),
            discount: '0.00',
            lineTotal: total(index),
          },
        ],
        totals: {
          subtotal: total(index),
          discounts: '0.00',
          shipping: '0.00',
          tax: '0.00',
          total: total(index),
        },
      },
      'shopify://bench.myshopify.com',
    ),
    envelope('erp.order.accepted.v1', `order/${id}`, index, {
      erpOrderNumber: `SO-${index}`,
      sourceOrderId: id,
      customerNumber: 'C-000001',
      currency: 'USD',
      lines: [
        { sku: 'TR-42-SLATE', quantity: 1, unitPrice: total(index), lineTotal: total(index), tax: '0.00' },
      ],
      subtotal: total(index),
      tax: '0.00',
      total: total(index),
      acceptedAt: at(index),
    }),
    envelope('erp.invoice.posted.v1', `invoice/INV-${index}`, index, {
      invoiceNumber: `INV-${index}`,
      erpOrderNumber: `SO-${index}`,
      sourceOrderId: id,
      customerNumber: 'C-000001',
      amount: total(index),
      tax: '0.00',
      currency: 'USD',
      dueDate: '2026-12-27',
      postedAt: at(index),
    }),
  ];
}

/** The stack's warehouse stream definition, from the synthesized local stage (bucket and role made literal). */
function warehouseStreamConfiguration(bucket: string): Record<string, unknown> {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const { stateful } = buildApp(app, 'local', '000000000000');
  const streams = Template.fromStack(stateful).findResources('AWS::KinesisFirehose::DeliveryStream');
  const [, stream] = Object.entries(streams).find(([id]) => id.startsWith('WarehouseEventsStream')) ?? [];
  const destination = stream?.Properties.ExtendedS3DestinationConfiguration as Record<string, unknown>;
  return {
    ...destination,
    BucketARN: `arn:aws:s3:::${bucket}`,
    RoleARN: 'arn:aws:iam::000000000000:role/firehose',
  };
}

async function loading() {
  // At clock factor 60 the stream's 60-second interval takes one real second.
  const dataDir = mkdtempSync(path.join(tmpdir(), 'concord-bench-warehouse-'));
  const runtime = await LocalRuntime.start({ dataDir, edgePort: 0, clockFactor: 60 });
  const clients = sdkClients(runtime.endpoint);
  try {
    await clients.s3.send(new CreateBucketCommand({ Bucket: 'warehouse' }));
    const configuration = warehouseStreamConfiguration('warehouse');
    await clients.firehose.send(
      new CreateDeliveryStreamCommand({
        DeliveryStreamName: 'warehouse',
        ExtendedS3DestinationConfiguration: configuration as never,
      }),
    );
    const records: Buffer[] = [];
    for (let index = 0; records.length < eventCount; index++)
      for (const event of orderEvents(index))
        if (records.length < eventCount) records.push(Buffer.from(JSON.stringify(event)));
    const bytes = records.reduce((sum, record) => sum + record.length, 0);

    const started = process.hrtime.bigint();
    for (let start = 0; start < records.length; start += 500) {
      const { FailedPutCount } = await clients.firehose.send(
        new PutRecordBatchCommand({
          DeliveryStreamName: 'warehouse',
          Records: records.slice(start, start + 500).map((Data) => ({ Data })),
        }),
      );
      if (FailedPutCount) throw new Error(`PutRecordBatch refused ${FailedPutCount} records`);
    }
    const put = seconds(started);
    const bucketDir = path.join(dataDir, 's3', 'warehouse');
    let visible = 0;
    while (visible < eventCount) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const connection = await openLocalWarehouse(bucketDir);
      visible = Number((await queryObjects(connection, 'SELECT count(*) AS n FROM raw_events'))[0]?.n);
      connection.closeSync();
    }
    const queryable = seconds(started);
    const floor = await duckdbRead(bucketDir);
    return {
      events: eventCount,
      megabytes: Number((bytes / 1e6).toFixed(1)),
      putSeconds: Number(put.toFixed(2)),
      queryableSeconds: Number(queryable.toFixed(2)),
      eventsPerSec: Math.round(eventCount / queryable),
      duckdbReadSeconds: Number(floor.toFixed(3)),
      ratioToFloor: Number((queryable / floor).toFixed(1)),
    };
  } finally {
    for (const client of Object.values(clients)) client.destroy();
    await runtime.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** DuckDB reading every delivered object once, parsing each line: what no query of these files can beat. */
async function duckdbRead(bucketDir: string): Promise<number> {
  const connection = await (await DuckDBInstance.create(':memory:')).connect();
  const started = process.hrtime.bigint();
  await connection.runAndReadAll(
    `SELECT count(*), count(DISTINCT id), sum(length(CAST(data AS VARCHAR))) FROM read_json('${bucketDir}/events/*/*/*.gz',
      format = 'newline_delimited', compression = 'gzip', columns = {id: 'VARCHAR', type: 'VARCHAR', data: 'JSON'})`,
  );
  const elapsed = seconds(started);
  connection.closeSync();
  return elapsed;
}

async function reconciliation() {
  const bucketDir = mkdtempSync(path.join(tmpdir(), 'concord-bench-reconcile-'));
  try {
    // Planted: orders the ERP never booked, invoices lost from the warehouse, totals the ERP changed by hand.
    const unbooked = (index: number) => index % 2000 === 1 && index / 2000 < planted;
    const lostInvoice = (index: number) => index % 2000 === 2 && index / 2000 < planted;
    const adjusted = (index: number) => index % 2000 === 3 && index / 2000 < planted;
    const documents: ErpDocument[] = [];
    const batches = new Map<string, string[]>();
    for (let index = 0; index < orderCount; index++) {
      const [placed, accepted, invoice] = orderEvents(index);
      const kept = [placed, ...(unbooked(index) ? [] : [accepted, ...(lostInvoice(index) ? [] : [invoice])])];
      for (const event of kept) {
        if (!event) continue;
        const key = `${event.type}/${Math.floor(index / 5000)}`;
        const lines = batches.get(key) ?? [];
        lines.push(JSON.stringify(event));
        batches.set(key, lines);
      }
      if (unbooked(index)) continue;
      const base = {
        externalRef: String(1_000_000 + index),
        currency: 'USD',
        createdAt: at(index),
        updatedAt: at(index),
      };
      documents.push({
        ...base,
        type: 'sales-order',
        number: `SO-${index}`,
        status: 'INVOICED',
        amount: adjusted(index) ? '1.00' : total(index),
      });
      documents.push({
        ...base,
        type: 'invoice',
        number: `INV-${index}`,
        status: 'OPEN',
        amount: total(index),
      });
    }
    for (const [key, lines] of batches) {
      const [type, batch] = key.split('/') as [string, string];
      const dir = path.join(bucketDir, 'events', `event_type=${type}`, `event_date=${day}`);
      mkdirSync(dir, { recursive: true });
      const stamp = new Date(Date.UTC(2026, 10, 27, 2, Number(batch)))
        .toISOString()
        .slice(0, 19)
        .replace('T', '-')
        .replaceAll(':', '-');
      writeFileSync(
        path.join(dir, `Concord-bench-1-${stamp}-${randomUUID()}.jsonl.gz`),
        gzipSync(`${lines.join('\n')}\n`),
      );
    }

    const started = process.hrtime.bigint();
    const connection = await openLocalWarehouse(bucketDir);
    const { report, plan } = await runReconciliation(
      {
        warehouse: duckdbWarehouseQuery(connection),
        erp: { listDocuments: async () => documents },
        now: () => new Date('2026-11-28T03:00:00Z'),
        newId: () => 'bench',
        allowedLagMs: 120_000,
      },
      { from: new Date(`${day}T00:00:00Z`), to: new Date('2026-11-28T00:00:00Z') },
    );
    const elapsed = seconds(started);
    connection.closeSync();
    const count = (isPlanted: (index: number) => boolean) =>
      Array.from({ length: orderCount }, (_, index) => index).filter(isPlanted).length;
    const expected = {
      missing_in_erp: count(unbooked),
      missing_in_warehouse: count(lostInvoice),
      amount_differs: count(adjusted),
      // A lost invoice leaves its order ACCEPTED in the warehouse.
      status_differs: count(lostInvoice),
      stale: 0,
    };
    if (JSON.stringify(report.byClass) !== JSON.stringify(expected))
      throw new Error(
        `reconciliation found ${JSON.stringify(report.byClass)}, planted ${JSON.stringify(expected)}`,
      );
    const floor = await duckdbRead(bucketDir);
    return {
      orders: orderCount,
      events: [...batches.values()].reduce((sum, lines) => sum + lines.length, 0),
      erpDocuments: documents.length,
      mismatches: report.mismatches.length,
      planRepublish: plan.republish.length,
      planArchiveWindows: plan.archiveReplays.length,
      seconds: Number(elapsed.toFixed(2)),
      ordersPerSec: Math.round(orderCount / elapsed),
      duckdbReadSeconds: Number(floor.toFixed(3)),
      ratioToFloor: Number((elapsed / floor).toFixed(1)),
    };
  } finally {
    rmSync(bucketDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const report = {
    recordedAt: new Date().toISOString(),
    node: process.version,
    loading: await loading(),
    reconciliation: await reconciliation(),
  };
  writeFileSync(path.join(__dirname, '../results/warehouse.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log(JSON.stringify(report, null, 2));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
