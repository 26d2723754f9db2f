/** Warehouse files as the stream delivers them, for tests that read them with DuckDB. */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

/** One CloudEvent as the ERP adapter emits it (another `source` for a SaaS event). */
export function erpEvent(
  type: string,
  subject: string,
  entityversion: number,
  data: Record<string, unknown>,
  id: string = randomUUID(),
) {
  return {
    specversion: '1.0',
    id,
    source: 'erp://sandbox',
    type,
    subject,
    time: new Date(entityversion).toISOString(),
    dataschema: `https://schemas.concord.dev/events/${type}.json`,
    datacontenttype: 'application/json',
    correlationid: `corr-${subject}`,
    causationid: `saas-${subject}`,
    entityversion,
    data,
  };
}

/** Writes events as the warehouse stream would: a gzipped JSON-lines object per batch, named with its delivery time. */
export function deliver(bucketDir: string, deliveredAt: string, events: ReturnType<typeof erpEvent>[]): void {
  for (const type of new Set(events.map((event) => event.type))) {
    const batch = events.filter((event) => event.type === type);
    const dir = path.join(
      bucketDir,
      'events',
      `event_type=${type}`,
      `event_date=${deliveredAt.slice(0, 10)}`,
    );
    mkdirSync(dir, { recursive: true });
    const stamp = deliveredAt.slice(0, 19).replace('T', '-').replaceAll(':', '-');
    const body = `${batch.map((event) => JSON.stringify(event)).join('\n')}\n`;
    writeFileSync(path.join(dir, `Concord-test-Stream-1-${stamp}-${randomUUID()}.jsonl.gz`), gzipSync(body));
  }
}
