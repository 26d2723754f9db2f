/** The raw layer: every delivered event as the warehouse stream wrote it, one CloudEvent per JSON line. */

/** The columns of a delivered event, as Glue declares them (data stays JSON text: its shape depends on the type). */
export const rawEventColumns = [
  { name: 'specversion', type: 'string' },
  { name: 'id', type: 'string' },
  { name: 'source', type: 'string' },
  { name: 'type', type: 'string' },
  { name: 'subject', type: 'string' },
  { name: 'time', type: 'string' },
  { name: 'dataschema', type: 'string' },
  { name: 'datacontenttype', type: 'string' },
  { name: 'correlationid', type: 'string' },
  { name: 'causationid', type: 'string' },
  { name: 'origin', type: 'string' },
  { name: 'entityversion', type: 'bigint' },
  { name: 'replayid', type: 'string' },
  { name: 'replayof', type: 'string' },
  { name: 'data', type: 'string' },
] as const;

/** The partition keys, from the object layout events/event_type=<type>/event_date=<yyyy-MM-dd>/. */
export const rawEventPartitions = [
  { name: 'event_type', type: 'string' },
  { name: 'event_date', type: 'string' },
] as const;

/** Where the stream writes events under the warehouse bucket. */
export const rawEventsPrefix = 'events/';

/**
 * raw_events over the `events` table, as both engines define it: the columns by name, and the object a row was
 * read from as source_file (Athena's "$path" pseudo-column; the local table names its filename column so).
 */
export const rawEventsViewSql = `SELECT ${[...rawEventColumns, ...rawEventPartitions]
  .map(({ name }) => `"${name}"`)
  .join(', ')}, "$path" AS source_file FROM events`;
