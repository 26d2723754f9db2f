import { compileEventPattern, matchesEventPattern } from '../../local/patterns/event-pattern';

// The sample event of EventBridge's pattern documentation.
const ec2Event = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-12-22T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  detail: {
    'instance-id': 'i-1234567890abcdef0',
    state: 'terminated',
    'c-count': 5,
    'd-count': 3,
    'x-limit': 301.8,
    'source-ip': '10.0.0.123',
    'source-ipv6': '2001:db8:85a3::8a2e:370:7334',
    location: null,
    enabled: true,
    tags: ['prod', 'eu-west'],
    price: '',
    filename: 'reports/2026/Q3/summary.PNG',
    nested: { a: { b: 'deep' } },
  },
};

function matches(pattern: unknown, event: unknown = ec2Event): boolean {
  return matchesEventPattern(compileEventPattern(JSON.stringify(pattern)), event);
}

describe('event patterns (matching)', () => {
  it.each([
    ['exact string', { source: ['aws.ec2'] }, true],
    ['exact string, other value', { source: ['aws.s3'] }, false],
    ['one of several values', { detail: { state: ['pending', 'terminated'] } }, true],
    ['number compared by value', { detail: { 'x-limit': [3.018e2] } }, true],
    ['number does not match its string form', { detail: { 'c-count': ['5'] } }, false],
    ['null', { detail: { location: [null] } }, true],
    ['boolean', { detail: { enabled: [true] } }, true],
    ['empty string', { detail: { price: [''] } }, true],
    ['any element of an array in the event', { detail: { tags: ['eu-west'] } }, true],
    ['nested objects', { detail: { nested: { a: { b: ['deep'] } } } }, true],
    ['dotted key for a nested path', { 'detail.nested.a.b': ['deep'] }, true],
    ['missing field', { detail: { missing: ['x'] } }, false],
    ['prefix', { 'detail-type': [{ prefix: 'EC2 Instance' }] }, true],
    ['prefix on a number never matches', { detail: { 'c-count': [{ prefix: '5' }] } }, false],
    ['prefix ignoring case', { 'detail-type': [{ prefix: { 'equals-ignore-case': 'ec2 INSTANCE' } }] }, true],
    ['suffix', { detail: { filename: [{ suffix: '.PNG' }] } }, true],
    ['suffix is case sensitive', { detail: { filename: [{ suffix: '.png' }] } }, false],
    ['suffix ignoring case', { detail: { filename: [{ suffix: { 'equals-ignore-case': '.png' } }] } }, true],
    ['equals-ignore-case', { detail: { state: [{ 'equals-ignore-case': 'TERMINATED' }] } }, true],
    ['wildcard', { detail: { filename: [{ wildcard: 'reports/*/Q3/*.PNG' }] } }, true],
    ['wildcard not matching', { detail: { filename: [{ wildcard: 'reports/*/Q4/*' }] } }, false],
    ['anything-but a value', { detail: { state: [{ 'anything-but': 'running' }] } }, true],
    ['anything-but the value', { detail: { state: [{ 'anything-but': 'terminated' }] } }, false],
    ['anything-but a list', { detail: { state: [{ 'anything-but': ['stopped', 'terminated'] }] } }, false],
    ['anything-but numbers', { detail: { 'c-count': [{ 'anything-but': [1, 2, 3] }] } }, true],
    ['anything-but prefix', { detail: { state: [{ 'anything-but': { prefix: 'term' } }] } }, false],
    ['anything-but suffix', { detail: { state: [{ 'anything-but': { suffix: 'ing' } }] } }, true],
    [
      'anything-but equals-ignore-case',
      { detail: { state: [{ 'anything-but': { 'equals-ignore-case': ['TERMINATED'] } }] } },
      false,
    ],
    ['anything-but wildcard', { detail: { filename: [{ 'anything-but': { wildcard: '*.PNG' } }] } }, false],
    ['anything-but needs the field', { detail: { missing: [{ 'anything-but': 'x' }] } }, false],
    ['numeric range', { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] } }, true],
    ['numeric range excluded', { detail: { 'd-count': [{ numeric: ['<', 3] }] } }, false],
    ['numeric equals', { detail: { 'x-limit': [{ numeric: ['=', 301.8] }] } }, true],
    ['numeric on a string never matches', { detail: { state: [{ numeric: ['>', 0] }] } }, false],
    ['exists true', { detail: { state: [{ exists: true }] } }, true],
    ['exists true on null', { detail: { location: [{ exists: true }] } }, true],
    ['exists false', { detail: { missing: [{ exists: false }] } }, true],
    ['exists false on a present field', { detail: { state: [{ exists: false }] } }, false],
    ['exists true on an object is false (leaves only)', { detail: { nested: [{ exists: true }] } }, false],
    ['cidr IPv4', { detail: { 'source-ip': [{ cidr: '10.0.0.0/24' }] } }, true],
    ['cidr IPv4 outside', { detail: { 'source-ip': [{ cidr: '10.0.1.0/24' }] } }, false],
    ['cidr IPv6', { detail: { 'source-ipv6': [{ cidr: '2001:db8::/32' }] } }, true],
    ['$or, one branch true', { $or: [{ source: ['aws.s3'] }, { detail: { state: ['terminated'] } }] }, true],
    ['$or, no branch true', { $or: [{ source: ['aws.s3'] }, { detail: { state: ['running'] } }] }, false],
    [
      '$or nested beside other fields',
      {
        source: ['aws.ec2'],
        detail: { $or: [{ 'c-count': [{ numeric: ['>', 10] }] }, { 'd-count': [{ numeric: ['<', 10] }] }] },
      },
      true,
    ],
    ['several fields are ANDed', { source: ['aws.ec2'], detail: { state: ['running'] } }, false],
  ])('%s', (_name, pattern, expected) => {
    expect(matches(pattern)).toBe(expected);
  });
});

describe('event patterns (validation)', () => {
  it.each([
    ['a non-object pattern', '["aws.ec2"]', 'Filter is not an object'],
    ['a leaf that is not an array', '{"source":"aws.ec2"}', '"source" must be an object or an array'],
    ['an empty array', '{"source":[]}', 'Empty arrays are not allowed'],
    ['an empty object', '{"detail":{}}', 'Empty objects are not allowed'],
    ['an unknown operator', '{"source":[{"contains":"x"}]}', 'Unrecognized match type contains'],
    [
      'two keys in a match expression',
      '{"source":[{"prefix":"a","suffix":"b"}]}',
      'Only one key allowed in match expression',
    ],
    ['a non-string prefix', '{"source":[{"prefix":5}]}', 'prefix match pattern must be a string'],
    [
      'a non-boolean exists',
      '{"source":[{"exists":"yes"}]}',
      'exists match pattern must be either true or false.',
    ],
    ['numeric not an array', '{"n":[{"numeric":">"}]}', 'Value of numeric must be an array.'],
    ['numeric bad operator', '{"n":[{"numeric":["!=",1]}]}', 'Unrecognized numeric range operator: !='],
    ['numeric non-number', '{"n":[{"numeric":[">","1"]}]}', 'Value of > must be numeric'],
    [
      'numeric out of range',
      '{"n":[{"numeric":[">",6e9]}]}',
      'Value must be between -5.0E9 and 5.0E9, inclusive',
    ],
    [
      'numeric upper bound after <',
      '{"n":[{"numeric":["<",1,">",0]}]}',
      'Too many elements in numeric expression',
    ],
    [
      'mixed anything-but list',
      '{"s":[{"anything-but":["a",1]}]}',
      'Inside anything but list, either all values are number or string, mixed type is not supported',
    ],
    [
      'anything-but null',
      '{"s":[{"anything-but":[null]}]}',
      'Inside anything but list, start|null|boolean is not supported.',
    ],
    [
      '$or with one object',
      '{"$or":[{"a":["x"]}]}',
      'There must have at least 2 Objects in $or relationship.',
    ],
    ['$or not an array', '{"$or":{"a":["x"]}}', 'It must be an Array followed with $or.'],
    ['consecutive wildcards', '{"s":[{"wildcard":"a**b"}]}', 'Consecutive wildcard characters at pos 2'],
    ['an object as a match value', '{"s":[[1]]}', 'Match value must be String, number, true, false, or null'],
  ])('rejects %s', (_name, pattern, reason) => {
    expect(() => compileEventPattern(pattern)).toThrow(`Event pattern is not valid. Reason: ${reason}`);
  });
});
