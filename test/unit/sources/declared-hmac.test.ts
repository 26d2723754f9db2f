import { createHmac } from 'node:crypto';
import { RegistryInconsistentError, SignatureInvalidError } from '../../../functions/shared/errors';
import {
  compileDeclaredHmac,
  type DeclaredHmacSignature,
  declaredHmacProblems,
  signDeclaredHmac,
} from '../../../functions/shared/sources/signatures/declared-hmac';
import { loadSourceRegistry } from '../../../functions/shared/sources/source-registry';
import type { WebhookRequest } from '../../../functions/shared/sources/webhook-request';
import sourcesJson from '../../../schemas/governance/sources.json';

const body = JSON.stringify({ id: 'e-1001', note: 'café ☕ – unicode survives' });
const now = new Date('2026-11-20T15:00:00Z');

function request(headers: Record<string, string>, receivedAt = now, payload = body): WebhookRequest {
  return {
    sourceName: 'vendor',
    method: 'POST',
    url: 'https://hooks.concord.example/webhooks/vendor',
    headers: { 'content-type': 'application/json', ...headers },
    body: Buffer.from(payload, 'utf8'),
    receivedAt,
  };
}

// HiBob: HMAC-SHA512 of the body keyed with the secret's UTF-8 bytes, base64, in Bob-Signature.
const bodyOnlySha512: DeclaredHmacSignature = {
  algorithm: 'sha512',
  header: 'Bob-Signature',
  encoding: 'base64',
  signed: '{body}',
};
// A GitHub-style header: `sha256=` + hex HMAC-SHA256 of the body.
const prefixedSha256Hex: DeclaredHmacSignature = {
  algorithm: 'sha256',
  header: 'X-Hub-Signature-256',
  encoding: 'hex',
  prefix: 'sha256=',
  signed: '{body}',
};
// A timestamped scheme: hex HMAC-SHA256 of "{timestamp}.{body}", five minutes either way.
const timestamped: DeclaredHmacSignature = {
  algorithm: 'sha256',
  header: 'X-Vendor-Signature',
  encoding: 'hex',
  timestamp: { header: 'X-Vendor-Timestamp', format: 'unix-seconds', toleranceSec: 300 },
  signed: '{timestamp}.{body}',
};

describe('compileDeclaredHmac', () => {
  it('accepts a body signed as HiBob documents it (HMAC-SHA512, base64)', () => {
    // Prepare
    const signature = createHmac('sha512', 'bob-secret').update(body, 'utf8').digest('base64');
    // Act & Assess
    expect(() =>
      compileDeclaredHmac(bodyOnlySha512)(request({ 'bob-signature': signature }), ['bob-secret']),
    ).not.toThrow();
  });

  it('accepts a signature made with a secret still active during a rotation', () => {
    // Prepare
    const signature = createHmac('sha512', 'old-secret').update(body, 'utf8').digest('base64');
    // Act & Assess
    expect(() =>
      compileDeclaredHmac(bodyOnlySha512)(request({ 'bob-signature': signature }), [
        'new-secret',
        'old-secret',
      ]),
    ).not.toThrow();
  });

  it('rejects a signature made with another secret', () => {
    // Prepare
    const signature = createHmac('sha512', 'someone-else').update(body, 'utf8').digest('base64');
    // Act & Assess
    expect(() =>
      compileDeclaredHmac(bodyOnlySha512)(request({ 'bob-signature': signature }), ['bob-secret']),
    ).toThrow(new SignatureInvalidError('Bob-Signature HMAC-SHA512 does not match'));
  });

  it('rejects a tampered body', () => {
    // Prepare
    const signature = createHmac('sha512', 'bob-secret').update(body, 'utf8').digest('base64');
    const tampered = request({ 'bob-signature': signature }, now, body.replace('e-1001', 'e-1002'));
    // Act & Assess
    expect(() => compileDeclaredHmac(bodyOnlySha512)(tampered, ['bob-secret'])).toThrow(
      SignatureInvalidError,
    );
  });

  it('rejects a request without the signature header', () => {
    expect(() => compileDeclaredHmac(bodyOnlySha512)(request({}), ['bob-secret'])).toThrow(
      new SignatureInvalidError('Missing bob-signature header'),
    );
  });

  it('accepts a prefixed hex signature and rejects one without the prefix', () => {
    // Prepare
    const hex = createHmac('sha256', 'hub-secret').update(body, 'utf8').digest('hex');
    const verify = compileDeclaredHmac(prefixedSha256Hex);
    // Act & Assess
    expect(() => verify(request({ 'x-hub-signature-256': `sha256=${hex}` }), ['hub-secret'])).not.toThrow();
    expect(() => verify(request({ 'x-hub-signature-256': hex }), ['hub-secret'])).toThrow(
      new SignatureInvalidError('X-Hub-Signature-256 does not start with sha256='),
    );
  });

  it('accepts a fresh timestamped signature over "{timestamp}.{body}"', () => {
    // Prepare
    const timestamp = String(now.getTime() / 1000 - 30);
    const hex = createHmac('sha256', 'ts-secret').update(`${timestamp}.${body}`, 'utf8').digest('hex');
    // Act & Assess
    expect(() =>
      compileDeclaredHmac(timestamped)(
        request({ 'x-vendor-signature': hex, 'x-vendor-timestamp': timestamp }),
        ['ts-secret'],
      ),
    ).not.toThrow();
  });

  it('rejects a stale timestamp even when the signature matches', () => {
    // Prepare
    const timestamp = String(now.getTime() / 1000 - 301);
    const hex = createHmac('sha256', 'ts-secret').update(`${timestamp}.${body}`, 'utf8').digest('hex');
    // Act & Assess
    expect(() =>
      compileDeclaredHmac(timestamped)(
        request({ 'x-vendor-signature': hex, 'x-vendor-timestamp': timestamp }),
        ['ts-secret'],
      ),
    ).toThrow(new SignatureInvalidError('Signature timestamp is 301 s old (tolerance 300 s)'));
  });

  it('rejects a timestamp from the future and one that is not a number', () => {
    // Prepare
    const verify = compileDeclaredHmac(timestamped);
    const future = String(now.getTime() / 1000 + 600);
    const hex = createHmac('sha256', 'ts-secret').update(`${future}.${body}`, 'utf8').digest('hex');
    // Act & Assess
    expect(() =>
      verify(request({ 'x-vendor-signature': hex, 'x-vendor-timestamp': future }), ['ts-secret']),
    ).toThrow('in the future');
    expect(() =>
      verify(request({ 'x-vendor-signature': hex, 'x-vendor-timestamp': '2026-11-20T15:00:00Z' }), [
        'ts-secret',
      ]),
    ).toThrow(new SignatureInvalidError('X-Vendor-Timestamp is not a unix seconds timestamp'));
  });

  it('rejects a signature moved to another timestamp (the timestamp is signed)', () => {
    // Prepare
    const signedAt = String(now.getTime() / 1000 - 60);
    const hex = createHmac('sha256', 'ts-secret').update(`${signedAt}.${body}`, 'utf8').digest('hex');
    const replayedAt = String(now.getTime() / 1000);
    // Act & Assess
    expect(() =>
      compileDeclaredHmac(timestamped)(
        request({ 'x-vendor-signature': hex, 'x-vendor-timestamp': replayedAt }),
        ['ts-secret'],
      ),
    ).toThrow(SignatureInvalidError);
  });
});

describe('signDeclaredHmac', () => {
  it('signs what the verifier accepts, for every declared shape', () => {
    for (const spec of [bodyOnlySha512, prefixedSha256Hex, timestamped]) {
      // Act
      const headers = signDeclaredHmac(spec, 'round-trip', body, { now });
      // Assess
      expect(() => compileDeclaredHmac(spec)(request(headers), ['round-trip'])).not.toThrow();
    }
  });
});

describe('declaredHmacProblems', () => {
  it('names the source and field of every template problem', () => {
    // Act
    const problems = [
      declaredHmacProblems('acme', { ...bodyOnlySha512, signed: '{timestamp}.payload' }),
      declaredHmacProblems('acme', { ...bodyOnlySha512, signed: '{body}{body}' }),
      declaredHmacProblems('acme', { ...timestamped, signed: '{timestamp}.{body}.{nonce}' }),
    ];
    // Assess
    expect(problems).toEqual([
      [
        'acme: signature.signed: must contain {body} exactly once (found 0)',
        'acme: signature.signed: uses {timestamp} but signature.timestamp declares no timestamp header',
      ],
      ['acme: signature.signed: must contain {body} exactly once (found 2)'],
      [
        'acme: signature.signed: unknown placeholder in ".{nonce}" (use {body}, {timestamp} or {header:<name>})',
      ],
    ]);
  });

  it('accepts a header placeholder and signs its value', () => {
    // Prepare
    const spec: DeclaredHmacSignature = { ...bodyOnlySha512, signed: '{header:X-Delivery-Id}:{body}' };
    const signature = createHmac('sha512', 'k').update(`d-42:${body}`, 'utf8').digest('base64');
    // Act & Assess
    expect(declaredHmacProblems('acme', spec)).toEqual([]);
    expect(() =>
      compileDeclaredHmac(spec)(request({ 'bob-signature': signature, 'x-delivery-id': 'd-42' }), ['k']),
    ).not.toThrow();
  });
});

type Registry = { version: number; sources: Record<string, Record<string, unknown>> };

function registryWith(name: string, source: Record<string, unknown>): Registry {
  const copy = JSON.parse(JSON.stringify(sourcesJson)) as Registry;
  copy.sources[name] = source;
  return copy;
}

const hibob = (sourcesJson as unknown as Registry).sources.hibob as Record<string, unknown>;

function problemsOf(raw: Registry): readonly string[] {
  try {
    loadSourceRegistry(raw);
  } catch (error) {
    if (error instanceof RegistryInconsistentError) return error.problems;
    throw error;
  }
  return [];
}

describe('loadSourceRegistry with declared hmac schemes', () => {
  it('refuses an unknown encoding, naming the source and the field', () => {
    // Prepare
    const raw = registryWith('hibob', { ...hibob, signature: { ...bodyOnlySha512, encoding: 'base32' } });
    // Act & Assess
    expect(problemsOf(raw).join('\n')).toMatch(/\/sources\/hibob\/signature\/encoding/);
  });

  it('refuses an hmac scheme without its signature and a built-in scheme with one', () => {
    // Prepare
    const { signature: _dropped, ...withoutSignature } = hibob;
    const stripe = (sourcesJson as unknown as Registry).sources.stripe as Record<string, unknown>;
    // Act
    const missing = problemsOf(registryWith('hibob', withoutSignature));
    const extra = problemsOf(registryWith('stripe', { ...stripe, signature: bodyOnlySha512 }));
    // Assess
    expect(missing.join('\n')).toMatch(/\/sources\/hibob.*signature/);
    expect(extra.join('\n')).toMatch(/\/sources\/stripe\/signature/);
  });

  it('refuses a source without an owner or with a criticality outside the four levels', () => {
    // Prepare
    const { owner: _owner, ...ownerless } = hibob;
    // Act
    const noOwner = problemsOf(registryWith('hibob', ownerless));
    const badLevel = problemsOf(registryWith('hibob', { ...hibob, criticality: 'important' }));
    // Assess
    expect(noOwner.join('\n')).toMatch(/\/sources\/hibob.*owner/);
    expect(badLevel.join('\n')).toMatch(/\/sources\/hibob\/criticality/);
  });

  it('refuses a signed template without the body, naming the source', () => {
    // Prepare
    const raw = registryWith('hibob', { ...hibob, signature: { ...bodyOnlySha512, signed: 'constant' } });
    // Act & Assess
    expect(problemsOf(raw)).toContain('hibob: signature.signed: must contain {body} exactly once (found 0)');
  });
});
