import { compileEventPattern, matchesEventPattern } from '../../local/patterns/event-pattern';

// Values from EventBridge's content-filtering documentation: regions, file names and paths.
function matches(pattern: unknown, detail: Record<string, unknown>): boolean {
  return matchesEventPattern(compileEventPattern(JSON.stringify({ detail: pattern })), { detail });
}

describe('event patterns (anything-but with prefix, suffix and wildcard lists)', () => {
  it.each([
    [
      'a prefix list, value starting with none',
      { Region: [{ 'anything-but': { prefix: ['us-', 'eu-'] } }] },
      { Region: 'ap-south-1' },
      true,
    ],
    [
      'a prefix list, value starting with the first',
      { Region: [{ 'anything-but': { prefix: ['us-', 'eu-'] } }] },
      { Region: 'us-east-1' },
      false,
    ],
    [
      'a prefix list, value starting with the second',
      { Region: [{ 'anything-but': { prefix: ['us-', 'eu-'] } }] },
      { Region: 'eu-west-1' },
      false,
    ],
    [
      'a one-element prefix list behaves as the single form',
      { Region: [{ 'anything-but': { prefix: ['us-'] } }] },
      { Region: 'us-west-2' },
      false,
    ],
    [
      'the single prefix form still works',
      { Region: [{ 'anything-but': { prefix: 'us-' } }] },
      { Region: 'eu-west-1' },
      true,
    ],
    [
      'a suffix list, value ending with none',
      { FileName: [{ 'anything-but': { suffix: ['.png', '.jpg'] } }] },
      { FileName: 'a.txt' },
      true,
    ],
    [
      'a suffix list, value ending with one',
      { FileName: [{ 'anything-but': { suffix: ['.png', '.jpg'] } }] },
      { FileName: 'photo.jpg' },
      false,
    ],
    [
      'a suffix list is case sensitive',
      { FileName: [{ 'anything-but': { suffix: ['.png', '.jpg'] } }] },
      { FileName: 'photo.JPG' },
      true,
    ],
    [
      'the single suffix form still works',
      { FileName: [{ 'anything-but': { suffix: '.png' } }] },
      { FileName: 'x.png' },
      false,
    ],
    [
      'a single wildcard, path without the segment',
      { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] },
      { FilePath: '/usr/bin/x' },
      true,
    ],
    [
      'a single wildcard, path with the segment',
      { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] },
      { FilePath: '/usr/lib/x' },
      false,
    ],
    [
      'a wildcard list, matching none',
      { FilePath: [{ 'anything-but': { wildcard: ['*/lib/*', '*/bin/*'] } }] },
      { FilePath: '/etc/x' },
      true,
    ],
    [
      'a wildcard list, matching the second',
      { FilePath: [{ 'anything-but': { wildcard: ['*/lib/*', '*/bin/*'] } }] },
      { FilePath: '/usr/bin/x' },
      false,
    ],
    [
      'a prefix list on a number field matches (it is not a string)',
      { count: [{ 'anything-but': { prefix: ['1'] } }] },
      { count: 12 },
      true,
    ],
    [
      'a prefix list needs the field to be present',
      { Region: [{ 'anything-but': { prefix: ['us-'] } }] },
      {},
      false,
    ],
    [
      'any element of an event array not starting with a prefix',
      { Regions: [{ 'anything-but': { prefix: ['us-'] } }] },
      { Regions: ['us-east-1', 'eu-west-1'] },
      true,
    ],
  ])('matches %s', (_name, pattern, detail, expected) => {
    // Prepare
    const event = detail as Record<string, unknown>;

    // Act
    const matched = matches(pattern, event);

    // Assess
    expect(matched).toBe(expected);
  });

  it.each([
    ['an empty prefix list', { a: [{ 'anything-but': { prefix: [] } }] }],
    ['an empty suffix list', { a: [{ 'anything-but': { suffix: [] } }] }],
    ['a number in a prefix list', { a: [{ 'anything-but': { prefix: ['us-', 1] } }] }],
    ['an empty string in a suffix list', { a: [{ 'anything-but': { suffix: ['.png', ''] } }] }],
    ['an empty wildcard list', { a: [{ 'anything-but': { wildcard: [] } }] }],
    ['consecutive stars in a wildcard list', { a: [{ 'anything-but': { wildcard: ['a*', 'b**c'] } }] }],
  ])('rejects %s with InvalidEventPatternException', (_name, pattern) => {
    // Prepare
    const text = JSON.stringify(pattern);

    // Act
    const act = () => compileEventPattern(text);

    // Assess
    expect(act).toThrow(/^Event pattern is not valid\. Reason: /);
    expect(act).toThrow(expect.objectContaining({ code: 'InvalidEventPatternException' }));
  });
});

describe('event patterns (wildcard complexity)', () => {
  const tooComplex =
    'Event pattern is not valid. Reason: Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character';

  it.each([
    ['a star before every segment of an ARN', { EventBusArn: [{ wildcard: '*:*:*:*:*:event-bus/*' }] }],
    [
      'four extension patterns on one field',
      { key: [{ wildcard: '*.bif' }, { wildcard: '*.tiff' }, { wildcard: '*.tif' }, { wildcard: '*.svs' }] },
    ],
    [
      'the same patterns inside anything-but',
      { key: [{ 'anything-but': { wildcard: ['*.bif', '*.tiff', '*.tif', '*.svs'] } }] },
    ],
    [
      'the patterns spread across $or branches on the same field',
      {
        $or: [
          { key: [{ wildcard: '*.bif' }, { wildcard: '*.tiff' }] },
          { key: [{ wildcard: '*.tif' }, { wildcard: '*.svs' }] },
        ],
      },
    ],
    ['a repeated character sequence after stars', { s: [{ wildcard: '*a*a*a*a*a*a' }] }],
  ])('rejects %s as too complex', (_name, pattern) => {
    // Prepare
    const text = JSON.stringify(pattern);

    // Act
    const act = () => compileEventPattern(text);

    // Assess
    expect(act).toThrow(tooComplex);
  });

  it.each([
    ['a documented path pattern', { FilePath: [{ wildcard: '*/lib/*' }] }],
    ['a documented mid-string pattern', { title: [{ wildcard: '*Title*' }] }],
    ['two extension patterns on one field', { key: [{ wildcard: '*.bif' }, { wildcard: '*.tiff' }] }],
    [
      'four extension patterns split over two fields',
      {
        a: [{ wildcard: '*.bif' }, { wildcard: '*.tiff' }],
        b: [{ wildcard: '*.tif' }, { wildcard: '*.svs' }],
      },
    ],
    ['escaped stars, which are literals', { s: [{ wildcard: '\\*\\*\\*\\*\\*\\*\\*\\*\\*\\*\\*\\*' }] }],
    [
      'a long literal with one trailing star',
      { s: [{ wildcard: 'arn:aws:events:us-east-1:123456789012:event-bus/*' }] },
    ],
  ])('accepts %s', (_name, pattern) => {
    // Prepare
    const text = JSON.stringify(pattern);

    // Act
    const act = () => compileEventPattern(text);

    // Assess
    expect(act).not.toThrow();
  });
});
