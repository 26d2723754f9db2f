/**
 * The models are written once, in Athena's dialect (Trino), and DuckDB runs the same text after these macros
 * give it the Trino functions it lacks or answers differently:
 * - json_extract_scalar, json_format, from_iso8601_timestamp, to_utf8: Trino names DuckDB does not have (the
 *   first answers NULL for an object or array, as Trino's does);
 * - sha256: DuckDB's answers hex text, Trino's a varbinary that to_hex turns into upper-case hex. The macro
 *   answers bytes, so that lower(to_hex(sha256(to_utf8(x)))) is the same string on both engines;
 * - DuckDB casts a timestamp with a zone to the session's zone: the session runs in UTC, as Athena does.
 * The raw layer's file path is the one difference a macro cannot bridge: Athena's "$path" pseudo-column, DuckDB's
 * read_json(filename = true); each engine's raw_events exposes it as source_file.
 */
export const duckdbDialect: readonly string[] = [
  "SET TimeZone = 'UTC'",
  // Trino answers NULL for an object or an array, DuckDB would answer its JSON text.
  `CREATE MACRO json_extract_scalar(j, p) AS
    CASE WHEN json_type(json_extract(j, p)) IN ('OBJECT', 'ARRAY') THEN NULL ELSE json_extract_string(j, p) END`,
  'CREATE MACRO json_format(j) AS CAST(j AS VARCHAR)',
  'CREATE MACRO from_iso8601_timestamp(s) AS CAST(s AS TIMESTAMPTZ)',
  'CREATE MACRO to_utf8(s) AS encode(s)',
  'CREATE MACRO sha256(b) AS unhex(system.main.sha256(b))',
];
