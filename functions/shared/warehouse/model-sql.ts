/** The pieces every warehouse model's SQL and columns share: event-data fields, hashing, lineage, latest-version aggregation. */
import type { ModelColumn } from './models';

/** A text field of the event data (`data`, the CloudEvent's JSON) by its JSON path below `$`. */
export function text(path: string): string {
  return `json_extract_scalar(data, '$.${path}')`;
}

/** Personal data as its SHA-256 (lower-case hex): rows still join on it, nobody reads it. */
export function piiHash(expression: string): string {
  return `lower(to_hex(sha256(to_utf8(${expression}))))`;
}

/** The column of a field hashed by `piiHash`. */
export function hashedColumn(name: string): ModelColumn {
  return { name, type: 'string', comment: 'x-pii: SHA-256 hex' };
}

/** The lineage columns every model row ends with (models.ts explains them). */
export const lineage: readonly ModelColumn[] = [
  { name: 'correlation_id', type: 'string', comment: 'the business transaction, across every system' },
  { name: 'source_event_id', type: 'string', comment: 'the SaaS event that caused this fact' },
  { name: 'event_id', type: 'string', comment: 'the authoritative ERP event this row comes from' },
  { name: 'entity_version', type: 'bigint', comment: 'the version the ERP gave the fact' },
  {
    name: 'loaded_at',
    type: 'timestamp',
    comment: 'when the warehouse stream took in the batch that carried the event (to the second)',
  },
];

/** The lineage columns as an `erp_events` row (or a model built on it) names them. */
export const lineageSelect = 'correlation_id, source_event_id, event_id, entity_version, loaded_at';

/**
 * Aggregates a column to its value at the entity's latest version: `max_by(<column>, <version>) AS <column>`. The
 * version is the ERP's own (an employee's or an order's), not the event's, so a late delivery never wins.
 */
export function latestBy(versionColumn: string): (column: string) => string {
  return (column) => `max_by(${column}, ${versionColumn}) AS ${column}`;
}

/** An entity's lineage, aggregated: that of its latest version by `versionColumn`, loaded when last loaded. */
export function latestLineageBy(versionColumn: string): string {
  const latest = latestBy(versionColumn);
  return `${['correlation_id', 'source_event_id', 'event_id', 'entity_version'].map(latest).join(', ')}, max(loaded_at) AS loaded_at`;
}
