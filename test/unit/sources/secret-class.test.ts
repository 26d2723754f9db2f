import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SchemaViolationError } from '../../../functions/shared/errors';
import { buildEvents } from '../../../functions/shared/events/canonical-events';
import { redactPii } from '../../../functions/shared/events/pii';
import {
  sealedValuePattern,
  sealSecretValues,
  sealValue,
  secretClassKey,
} from '../../../functions/shared/sources/secret-class';
import { signDeclaredHmac } from '../../../functions/shared/sources/signatures/declared-hmac';
import { loadSourceRegistry, sourceDefinitions } from '../../../functions/shared/sources/source-registry';
import type { WebhookRequest } from '../../../functions/shared/sources/webhook-request';

const iban = 'DE89370400440532013000';
const signingSecret = 'spendesk-signing-secret-for-tests';
const body = readFileSync(
  path.join(__dirname, '../../fixtures/spendesk/suppliers-updated-bank-details.json'),
  'utf8',
);

function spendeskRequest(): WebhookRequest {
  const signature = sourceDefinitions().spendesk?.signature;
  if (!signature) throw new Error('spendesk declares no signature');
  return {
    sourceName: 'spendesk',
    method: 'POST',
    url: 'https://hooks.concord.example/webhooks/spendesk',
    headers: { 'content-type': 'application/json', ...signDeclaredHmac(signature, signingSecret, body) },
    body: Buffer.from(body, 'utf8'),
    receivedAt: new Date(),
  };
}

async function mappedSpendeskChange() {
  const source = loadSourceRegistry().get('spendesk');
  if (!source) throw new Error('spendesk is not registered');
  const request = spendeskRequest();
  return { request, deliveries: await source.map(request, JSON.parse(body)) };
}

describe('secret-class', () => {
  it('seals a value to a keyed digest that ignores spaces and case', () => {
    // Prepare
    const key = secretClassKey('spendesk', signingSecret);
    // Act
    const sealed = sealValue(iban, key);
    // Assess
    expect(sealed).toMatch(sealedValuePattern);
    expect(sealValue('de89 3704 0044 0532 0130 00', key)).toBe(sealed);
    expect(sealed).not.toContain(createHash('sha256').update(iban).digest('hex'));
  });

  it('derives a different key per source and per signing secret, so a digest cannot be tested without it', () => {
    // Prepare
    const key = secretClassKey('spendesk', signingSecret);
    // Act
    const digests = [
      sealValue(iban, key),
      sealValue(iban, secretClassKey('coupa', signingSecret)),
      sealValue(iban, secretClassKey('spendesk', `${signingSecret}-rotated`)),
    ];
    // Assess
    expect(new Set(digests).size).toBe(3);
    expect(key.equals(Buffer.from(signingSecret))).toBe(false);
  });

  it('refuses to derive a key from an empty signing secret', () => {
    // Act
    const derive = () => secretClassKey('spendesk', '');
    // Assess
    expect(derive).toThrow(RangeError);
  });

  it('seals every x-secret path of an event and leaves the rest as it was', () => {
    // Prepare
    const data = {
      foreignChanges: [
        { field: 'bankAccount', sourceProperty: 'bank_details.iban', secretValue: iban },
        { field: 'paymentTerms', sourceProperty: 'payment_terms', value: 'net-15' },
      ],
    };
    const key = secretClassKey('spendesk', signingSecret);
    // Act
    const sealed = sealSecretValues('procurement.supplier.changed.v1', data, key);
    // Assess
    expect(sealed.foreignChanges).toEqual([
      { field: 'bankAccount', sourceProperty: 'bank_details.iban', secretValue: sealValue(iban, key) },
      { field: 'paymentTerms', sourceProperty: 'payment_terms', value: 'net-15' },
    ]);
    expect(data.foreignChanges[0]?.secretValue).toBe(iban);
  });

  it('seals a value a sender made to look sealed, so no chosen digest passes through', () => {
    // Prepare
    const lookalike = `hmac-sha256:${'0'.repeat(64)}`;
    const key = secretClassKey('spendesk', signingSecret);
    // Act
    const sealed = sealSecretValues(
      'procurement.supplier.changed.v1',
      { foreignChanges: [{ field: 'bankAccount', sourceProperty: 'x', secretValue: lookalike }] },
      key,
    );
    // Assess
    expect(sealed.foreignChanges[0]?.secretValue).toBe(sealValue(lookalike, key));
  });

  it('publishes the Spendesk bank details only sealed, the refused field still named', async () => {
    // Prepare
    const { request, deliveries } = await mappedSpendeskChange();
    const key = secretClassKey('spendesk', signingSecret);
    // Act
    const [built] = buildEvents(request, deliveries, key);
    // Assess
    const text = JSON.stringify(built?.event);
    expect(text).not.toContain(iban);
    expect(text).not.toContain(createHash('sha256').update(iban).digest('hex'));
    expect(built?.event.data).toMatchObject({
      foreignChanges: expect.arrayContaining([
        { field: 'bankAccount', sourceProperty: 'bank_details.iban', secretValue: sealValue(iban, key) },
      ]),
    });
    expect(JSON.stringify(redactPii(built?.event as NonNullable<typeof built>['event']))).not.toContain(
      sealValue(iban, key),
    );
  });

  it('fails the schema rather than publish bank details that were not sealed', async () => {
    // Prepare
    const { request, deliveries } = await mappedSpendeskChange();
    // Act
    const failure = (() => {
      try {
        buildEvents(request, deliveries);
        return undefined;
      } catch (error) {
        return error;
      }
    })();
    // Assess
    expect(failure).toBeInstanceOf(SchemaViolationError);
    expect((failure as SchemaViolationError).violations.map((v) => v.path)).toEqual([
      '/data/foreignChanges/1/secretValue',
    ]);
  });
});
