import {
  compareValues,
  type LogRecord,
  MalformedQueryError,
  parseInsightsQuery,
  QueryEvaluation,
  type ResultRow,
} from '../../local/services/logs/insights-query';

const baseMs = Date.parse('2026-11-29T10:00:00.000Z');

function record(offsetSec: number, message: unknown, logStream = '2026/11/29/[$LATEST]local'): LogRecord {
  return {
    timestampMs: baseMs + offsetSec * 1000,
    ingestionMs: baseMs + offsetSec * 1000 + 5,
    message: typeof message === 'string' ? message : JSON.stringify(message),
    logStream,
    log: '000000000000:/aws/lambda/ingest',
    ptr: `ptr-${offsetSec}`,
  };
}

const events = [
  record(0, { level: 'INFO', message: 'Webhook accepted', correlation_id: '01A', durationMs: 120 }),
  record(1, {
    level: 'ERROR',
    message: 'erp step failed',
    correlation_id: '01A',
    durationMs: 900,
    erp: { status: 503 },
  }),
  record(2, {
    level: 'INFO',
    message: 'erp step done',
    correlation_id: '01B',
    durationMs: 80,
    events: [{ type: 'order.placed' }],
  }),
  record(3, 'START RequestId: 1234 Version: $LATEST', '2026/11/29/[$LATEST]other'),
  record(4, { level: 'WARN', message: 'Webhook refused', correlation_id: '01C', durationMs: 40 }),
];

function run(query: string, limit = 10_000): ResultRow[] {
  const evaluation = new QueryEvaluation(parseInsightsQuery(query));
  for (const event of events) evaluation.feed(event);
  return evaluation.finish(limit);
}

/** Each row as { field: value }, without @ptr. */
function rows(query: string, limit?: number): Record<string, string>[] {
  return run(query, limit).map((row) =>
    Object.fromEntries(row.filter((cell) => cell.field !== '@ptr').map((cell) => [cell.field, cell.value])),
  );
}

describe('Logs Insights query', () => {
  it('answers the chosen fields, JSON fields by dotted path, with @ptr, newest first without a sort', () => {
    // Act
    const result = run(
      'fields @timestamp, correlation_id, erp.status, events.0.type | filter ispresent(level)',
    );
    // Assess
    expect(result).toEqual([
      [
        { field: '@timestamp', value: '2026-11-29 10:00:04.000' },
        { field: 'correlation_id', value: '01C' },
        { field: '@ptr', value: 'ptr-4' },
      ],
      [
        { field: '@timestamp', value: '2026-11-29 10:00:02.000' },
        { field: 'correlation_id', value: '01B' },
        { field: 'events.0.type', value: 'order.placed' },
        { field: '@ptr', value: 'ptr-2' },
      ],
      [
        { field: '@timestamp', value: '2026-11-29 10:00:01.000' },
        { field: 'correlation_id', value: '01A' },
        { field: 'erp.status', value: '503' },
        { field: '@ptr', value: 'ptr-1' },
      ],
      [
        { field: '@timestamp', value: '2026-11-29 10:00:00.000' },
        { field: 'correlation_id', value: '01A' },
        { field: '@ptr', value: 'ptr-0' },
      ],
    ]);
  });

  it('filters with like /regex/, like "text", = and != on JSON fields', () => {
    // Act
    const byRegex = rows('fields message | filter @message like /(?i)webhook (accepted|refused)/');
    const byText = rows('fields @logStream | filter @message like "RequestId"');
    const byEquality = rows('fields message | filter correlation_id = "01A" and level != "ERROR"');
    // Assess
    expect(byRegex).toEqual([{ message: 'Webhook refused' }, { message: 'Webhook accepted' }]);
    expect(byText).toEqual([{ '@logStream': '2026/11/29/[$LATEST]other' }]);
    expect(byEquality).toEqual([{ message: 'Webhook accepted' }]);
  });

  it('compares numbers as numbers and combines conditions with or, not and parentheses', () => {
    // Act
    const slow = rows('fields durationMs | filter durationMs > 100 | sort durationMs desc');
    const combined = rows(
      'fields correlation_id | filter (level = "WARN" or durationMs < 100) and not correlation_id = "01C"',
    );
    const byStatus = rows('fields message | filter erp.status >= 500');
    // Assess
    expect(slow).toEqual([{ durationMs: '900' }, { durationMs: '120' }]);
    expect(combined).toEqual([{ correlation_id: '01B' }]);
    expect(byStatus).toEqual([{ message: 'erp step failed' }]);
  });

  it('keeps the events whose field is in a list, or not in it', () => {
    // Act
    const inside = rows(
      'fields correlation_id | filter correlation_id in ["01B", "01C"] | sort @timestamp asc',
    );
    const outside = rows(
      'fields correlation_id | filter correlation_id not in ["01A"] | sort @timestamp asc',
    );
    // Assess
    expect(inside).toEqual([{ correlation_id: '01B' }, { correlation_id: '01C' }]);
    expect(outside).toEqual([{ correlation_id: '01B' }, { correlation_id: '01C' }]);
  });

  it('sorts ascending and descending and applies the limit command and the caller limit', () => {
    // Act
    const ascending = rows('fields @message | filter ispresent(level) | sort @timestamp asc | limit 2');
    const capped = rows('fields correlation_id | filter ispresent(level) | sort correlation_id desc', 1);
    // Assess
    expect(ascending.map((row) => JSON.parse(row['@message'] ?? '{}').message)).toEqual([
      'Webhook accepted',
      'erp step failed',
    ]);
    expect(capped).toEqual([{ correlation_id: '01C' }]);
  });

  it('counts, and takes min, max and avg, by fields', () => {
    // Act
    const byLevel = rows(
      'filter ispresent(level) | stats count(*) as n, min(durationMs), max(durationMs), avg(durationMs) by level | sort n desc, level asc',
    );
    const total = rows('stats count(*)');
    // Assess
    expect(byLevel).toEqual([
      { level: 'INFO', n: '2', 'min(durationMs)': '80', 'max(durationMs)': '120', 'avg(durationMs)': '100' },
      {
        level: 'ERROR',
        n: '1',
        'min(durationMs)': '900',
        'max(durationMs)': '900',
        'avg(durationMs)': '900',
      },
      { level: 'WARN', n: '1', 'min(durationMs)': '40', 'max(durationMs)': '40', 'avg(durationMs)': '40' },
    ]);
    expect(total).toEqual([{ 'count(*)': '5' }]);
    expect(run('stats count(*) by level')[0]?.map((cell) => cell.field)).not.toContain('@ptr');
  });

  it('counts per time bin', () => {
    // Act
    const binned = rows('stats count(*) by bin(1h)');
    // Assess
    expect(binned).toEqual([{ 'bin(1h)': '2026-11-29 10:00:00.000', 'count(*)': '5' }]);
  });

  it('counts what it scanned and matched', () => {
    // Prepare
    const evaluation = new QueryEvaluation(parseInsightsQuery('filter level = "INFO"'));
    // Act
    for (const event of events) evaluation.feed(event);
    // Assess
    expect(evaluation.progress).toEqual({
      recordsScanned: 5,
      recordsMatched: 2,
      bytesScanned: events.reduce((total, event) => total + Buffer.byteLength(event.message), 0),
    });
  });

  it('shows the four discovered fields when the query names none', () => {
    // Act
    const [newest] = rows('filter @message like "START"');
    // Assess
    expect(Object.keys(newest ?? {})).toEqual(['@timestamp', '@message', '@logStream', '@log']);
    expect(newest?.['@log']).toBe('000000000000:/aws/lambda/ingest');
  });

  it('refuses malformed queries as MalformedQueryException, saying where', () => {
    // Act
    const refusals = [
      '',
      'fields',
      'filter level = ',
      'filter @message like 3',
      'filter @message like /(unclosed/',
      'sort',
      'limit 0',
      'limit 10001',
      'stats median(x)',
      'parse @message "* *" as a, b',
      'filter level = "INFO',
      'fields a b',
    ].map((query) => {
      try {
        parseInsightsQuery(query);
        return undefined;
      } catch (error) {
        return error;
      }
    });
    // Assess
    for (const refusal of refusals) {
      expect(refusal).toBeInstanceOf(MalformedQueryError);
      expect((refusal as MalformedQueryError).code).toBe('MalformedQueryException');
    }
    expect((refusals[2] as Error).message).toMatch(/at the end of the command/);
    expect((refusals[11] as Error).message).toMatch(/unexpected text at character/);
  });

  it('ignores # comments and reads | inside strings and regexes as text', () => {
    // Act
    const result = rows(
      '# the failures\nfields message | filter @message like /failed|refused/ # either\n| sort @timestamp asc',
    );
    // Assess
    expect(result).toEqual([{ message: 'erp step failed' }, { message: 'Webhook refused' }]);
  });
});

describe('compareValues', () => {
  it('orders text before numbers, numbers by value and text naturally', () => {
    // Prepare
    const values = [10, '5A', 'A', 2, '111A', 'a12'];
    // Act
    const sorted = [...values].sort(compareValues);
    // Assess
    expect(sorted).toEqual(['5A', '111A', 'A', 'a12', 2, 10]);
  });
});
