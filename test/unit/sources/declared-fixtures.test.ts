import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import jsonata from 'jsonata';
import { buildEvents } from '../../../functions/shared/events/canonical-events';
import { validateCanonicalEvent } from '../../../functions/shared/events/envelope';
import { secretClassKey } from '../../../functions/shared/sources/secret-class';
import { signDeclaredHmac } from '../../../functions/shared/sources/signatures/declared-hmac';
import { loadSourceRegistry, sourceDefinitions } from '../../../functions/shared/sources/source-registry';
import type { WebhookRequest } from '../../../functions/shared/sources/webhook-request';
import { signedStandardWebhook } from '../../support/signers';

// Every declared source is tested through its fixtures alone: onboarding one adds JSON, not a test.
const fixturesDir = path.join(__dirname, '../../fixtures');
const declared = Object.entries(sourceDefinitions()).filter(
  ([, definition]) => definition.mapping === 'declared',
);
const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

function signed(name: string, body: string): WebhookRequest {
  const definition = sourceDefinitions()[name];
  if (definition?.scheme === 'standard-webhooks') return signedStandardWebhook(name, body, secret);
  if (definition?.scheme !== 'hmac' || !definition.signature)
    throw new Error(`${name}: not a declared scheme`);
  return {
    sourceName: name,
    method: 'POST',
    url: `https://hooks.concord.example/webhooks/${name}`,
    headers: { 'content-type': 'application/json', ...signDeclaredHmac(definition.signature, secret, body) },
    body: Buffer.from(body, 'utf8'),
    receivedAt: new Date(),
  };
}

/** The sender's type of a payload, read with the source's own `eventType` expression. */
async function senderTypeOf(name: string, body: string): Promise<string> {
  return jsonata(sourceDefinitions()[name]?.declared?.eventType ?? 'type').evaluate(JSON.parse(body));
}

describe('declared sources and their fixtures', () => {
  it.each(declared.map(([name]) => name))(
    '%s has a fixture for every sender type it declares',
    async (name) => {
      // Prepare
      const dir = path.join(fixturesDir, name);
      const types = Object.keys(sourceDefinitions()[name]?.declared?.types ?? {});
      // Act
      const fixtureTypes = await Promise.all(
        (existsSync(dir) ? readdirSync(dir) : []).map((file) =>
          senderTypeOf(name, readFileSync(path.join(dir, file), 'utf8')),
        ),
      );
      // Assess
      expect(types.filter((type) => !fixtureTypes.includes(type))).toEqual([]);
    },
  );

  const cases = declared.flatMap(([name]) => {
    const dir = path.join(fixturesDir, name);
    return existsSync(dir) ? readdirSync(dir).map((file) => [name, file] as const) : [];
  });

  it.each(cases)('%s/%s verifies, maps and validates, or is ignored as undeclared', async (name, file) => {
    // Prepare
    const body = readFileSync(path.join(fixturesDir, name, file), 'utf8');
    const source = loadSourceRegistry().get(name);
    const request = signed(name, body);
    // Act
    source?.verify(request, [secret]);
    const deliveries = (await source?.map(request, JSON.parse(body))) ?? [];
    // Sealed as ingest seals them: a secret-class value (bank details) only validates in its sealed form.
    const events = buildEvents(request, deliveries, secretClassKey(name, secret)).map((item) => item.event);
    // Assess
    expect(deliveries).toHaveLength(1);
    const declaredType = sourceDefinitions()[name]?.declared?.types[await senderTypeOf(name, body)];
    if (declaredType) {
      expect(events.map((event) => event.type)).toEqual([declaredType.canonicalType]);
      expect(validateCanonicalEvent(events[0] as never)).toEqual([]);
    } else expect(deliveries[0]?.kind).toBe('ignored');
  });
});
