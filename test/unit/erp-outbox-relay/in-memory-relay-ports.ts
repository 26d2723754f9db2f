/** In-memory implementations of the outbox relay's ports: the ERP outbox, the cursor and the dead-letter queue. */
import type {
  OutboxDeadLetter,
  OutboxEntry,
  RelayDependencies,
} from '../../../functions/erp-outbox-relay/relay';
import { DownstreamUnavailableError } from '../../../functions/shared/errors';
import { InMemoryPublisher } from '../../support/in-memory-ports';

/** The ERP's outbox: entries after a sequence number, in order, at most `pageSize` a read (the sandbox answers 500). */
export class InMemoryOutbox {
  readonly entries: OutboxEntry[] = [];
  pageSize = Number.POSITIVE_INFINITY;
  reads = 0;

  add(type: string, payload: Record<string, unknown>, at = '2026-05-04T10:00:00.000Z'): OutboxEntry {
    const entry = { seq: this.entries.length + 1, at, type, payload };
    this.entries.push(entry);
    return entry;
  }

  async readOutbox(afterSeq: number): Promise<OutboxEntry[]> {
    this.reads += 1;
    return this.entries.filter((entry) => entry.seq > afterSeq).slice(0, this.pageSize);
  }
}

/** The cursor with the conditional advance of the DynamoDB one. */
export class InMemoryCursor {
  seq = 0;

  async read(): Promise<number> {
    return this.seq;
  }

  async advance(from: number, to: number): Promise<void> {
    if (this.seq === from) this.seq = to;
  }
}

/** The relay's dead-letter queue; can be told to fail. */
export class InMemoryDeadLetters {
  readonly letters: OutboxDeadLetter[] = [];
  failing = false;

  async send(letters: readonly OutboxDeadLetter[]): Promise<void> {
    if (this.failing) throw new DownstreamUnavailableError('SQS outbox dead-letter queue');
    this.letters.push(...letters);
  }
}

/** A relay wired to fresh in-memory ports. */
export function inMemoryRelay() {
  const erp = new InMemoryOutbox();
  const bus = new InMemoryPublisher();
  const cursor = new InMemoryCursor();
  const deadLetters = new InMemoryDeadLetters();
  const deps: RelayDependencies = {
    erp,
    publish: (events) => bus.publish(events),
    cursor,
    deadLetters,
    erpSourceUri: 'erp://sandbox',
  };
  return { erp, bus, cursor, deadLetters, deps };
}

/** The payload the sandbox writes when finance releases a credit hold. */
export function creditReleased(externalRef: string, version = 3): Record<string, unknown> {
  return {
    orderNumber: `SO-${externalRef}`,
    externalRef,
    customerNumber: 'C-000042',
    releasedBy: 'finance@example.com',
    version,
    channel: 'shopify://acme.myshopify.com',
  };
}
