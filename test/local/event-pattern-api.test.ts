import {
  InvalidEventPatternException,
  PutRuleCommand,
  TestEventPatternCommand,
} from '@aws-sdk/client-eventbridge';
import { startTestRuntime } from './support/local-runtime';

describe('EventBridge patterns (PutRule and TestEventPattern through the AWS SDK)', () => {
  let local: Awaited<ReturnType<typeof startTestRuntime>>;
  const event = {
    id: '1',
    account: '123456789012',
    source: 'com.example',
    time: '2026-01-01T00:00:00Z',
    region: 'eu-west-1',
    'detail-type': 'File',
    resources: [],
    detail: { FileName: 'report.png', Region: 'eu-west-1' },
  };
  const tooComplex =
    'Event pattern is not valid. Reason: Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character';

  beforeAll(async () => {
    local = await startTestRuntime();
  });

  afterAll(async () => {
    await local.stop();
  });

  it('answers TestEventPattern for anything-but with a prefix list', async () => {
    // Prepare
    const pattern = (prefixes: string[]) =>
      JSON.stringify({ detail: { Region: [{ 'anything-but': { prefix: prefixes } }] } });

    // Act
    const excluded = await local.clients.events.send(
      new TestEventPatternCommand({ EventPattern: pattern(['us-', 'eu-']), Event: JSON.stringify(event) }),
    );
    const kept = await local.clients.events.send(
      new TestEventPatternCommand({ EventPattern: pattern(['us-', 'ap-']), Event: JSON.stringify(event) }),
    );

    // Assess
    expect(excluded.Result).toBe(false);
    expect(kept.Result).toBe(true);
  });

  it('answers TestEventPattern for anything-but with a suffix list', async () => {
    // Act
    const result = await local.clients.events.send(
      new TestEventPatternCommand({
        EventPattern: JSON.stringify({
          detail: { FileName: [{ 'anything-but': { suffix: ['.jpg', '.png'] } }] },
        }),
        Event: JSON.stringify(event),
      }),
    );

    // Assess
    expect(result.Result).toBe(false);
  });

  it('rejects a too complex wildcard pattern at PutRule with InvalidEventPatternException', async () => {
    // Act
    const putting = local.clients.events.send(
      new PutRuleCommand({
        Name: 'too-complex',
        EventPattern: JSON.stringify({ detail: { EventBusArn: [{ wildcard: '*:*:*:*:*:event-bus/*' }] } }),
      }),
    );

    // Assess
    await expect(putting).rejects.toBeInstanceOf(InvalidEventPatternException);
    await expect(putting).rejects.toThrow(tooComplex);
  });

  it('rejects a too complex anything-but wildcard list at TestEventPattern', async () => {
    // Act
    const testing = local.clients.events.send(
      new TestEventPatternCommand({
        EventPattern: JSON.stringify({
          detail: { FileName: [{ 'anything-but': { wildcard: ['*.bif', '*.tiff', '*.tif', '*.svs'] } }] },
        }),
        Event: JSON.stringify(event),
      }),
    );

    // Assess
    await expect(testing).rejects.toBeInstanceOf(InvalidEventPatternException);
    await expect(testing).rejects.toThrow(tooComplex);
  });
});
