import { targetInput } from '../../functions/shared/bus/target-input';
import { nextScheduleTime, parseScheduleExpression } from '../../local/services/events/schedule';
import { compileJqQuery } from '../../local/services/firehose/jq-subset';

const event = {
  id: 'e-1',
  source: 'concord.ingest',
  'detail-type': 'commerce.order.placed.v1',
  time: '2026-11-20T10:00:00Z',
  detail: { order: { id: 42, note: 'say "hi"' } },
};

describe('targetInput', () => {
  it('passes a constant Input as is and selects with InputPath', () => {
    expect(targetInput({ Input: '{"fixed":true}' }, event, 'r')).toBe('{"fixed":true}');
    expect(JSON.parse(targetInput({ InputPath: '$.detail.order' }, event, 'r'))).toEqual({
      id: 42,
      note: 'say "hi"',
    });
  });

  it('inserts values as JSON outside strings and as escaped text inside them', () => {
    const text = targetInput(
      {
        InputTransformer: {
          InputPathsMap: { id: '$.detail.order.id', note: '$.detail.order.note' },
          InputTemplate: '{"id": <id>, "line": "order <id>: <note>", "rule": "<aws.events.rule-name>"}',
        },
      },
      event,
      'orders',
    );
    expect(JSON.parse(text)).toEqual({ id: 42, line: 'order 42: say "hi"', rule: 'orders' });
  });
});

describe('schedule expressions', () => {
  it.each([
    ['rate(5 minutes)', '2026-11-20T10:00:00Z', '2026-11-20T10:05:00.000Z'],
    ['cron(0 12 * * ? *)', '2026-11-20T10:00:00Z', '2026-11-20T12:00:00.000Z'],
    ['cron(15 10 ? * MON-FRI *)', '2026-11-21T10:00:00Z', '2026-11-23T10:15:00.000Z'],
    ['cron(0/30 * * * ? *)', '2026-11-20T10:10:00Z', '2026-11-20T10:30:00.000Z'],
  ])('%s after %s fires at %s', (expression, after, expected) => {
    expect(
      new Date(nextScheduleTime(parseScheduleExpression(expression), Date.parse(after))).toISOString(),
    ).toBe(expected);
  });

  it.each(['rate(1 minutes)', 'rate(0 hours)', 'cron(0 12 * * * *)', 'cron(0 12 L * ? *)', 'every day'])(
    'rejects %s',
    (expression) => {
      expect(() => parseScheduleExpression(expression)).toThrow(/ScheduleExpression is not valid/);
    },
  );
});

describe('compileJqQuery', () => {
  it('extracts partition keys by path and slice', () => {
    expect(
      compileJqQuery('{type: .["detail-type"], date: .time[0:10], order: .detail.order.id}')(event),
    ).toEqual({
      type: 'commerce.order.placed.v1',
      date: '2026-11-20',
      order: '42',
    });
  });

  it('fails a record whose key has no scalar value', () => {
    expect(() => compileJqQuery('{x: .detail.order}')(event)).toThrow('partition key x has no scalar value');
  });

  it('refuses jq it does not implement', () => {
    expect(() => compileJqQuery('.detail | keys')).toThrow(/not supported/);
  });
});
