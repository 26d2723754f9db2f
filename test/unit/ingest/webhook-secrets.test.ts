import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import {
  ConfigurationError,
  DownstreamUnavailableError,
  SignatureInvalidError,
} from '../../../functions/shared/errors';
import {
  parseSigningSecrets,
  SecretsManagerWebhookSecrets,
  secretsForSender,
} from '../../../functions/shared/secrets/webhook-secrets';

const smMock = mockClient(SecretsManagerClient);

describe('parseSigningSecrets', () => {
  it('reads a JSON array of secrets, newest first, for any sender', () => {
    expect(parseSigningSecrets('["whsec_new","whsec_old"]', 'stripe')).toEqual({
      kind: 'any-sender',
      secrets: ['whsec_new', 'whsec_old'],
    });
  });

  it('reads a plain secret as a single value', () => {
    expect(parseSigningSecrets('hubspot_only', 'hubspot')).toEqual({
      kind: 'any-sender',
      secrets: ['hubspot_only'],
    });
  });

  it('reads a JSON object as secrets per sender, with lower-cased sender names', () => {
    // Act
    const stored = parseSigningSecrets(
      '{"Acme.myshopify.com":["s1","s2"],"beta.myshopify.com":["s3"]}',
      'shopify',
    );
    // Assess
    expect(stored).toEqual({
      kind: 'per-sender',
      bySender: { 'acme.myshopify.com': ['s1', 's2'], 'beta.myshopify.com': ['s3'] },
    });
  });

  it('rejects an array with a non-string entry', () => {
    expect(() => parseSigningSecrets('["a", 3]', 'stripe')).toThrow(ConfigurationError);
  });

  it('rejects a sender without secrets and an object naming no sender', () => {
    expect(() => parseSigningSecrets('{"acme.myshopify.com":[]}', 'shopify')).toThrow(ConfigurationError);
    expect(() => parseSigningSecrets('{}', 'shopify')).toThrow(ConfigurationError);
  });

  it('rejects an empty secret', () => {
    expect(() => parseSigningSecrets('  ', 'stripe')).toThrow(ConfigurationError);
  });
});

describe('secretsForSender', () => {
  const perShop = parseSigningSecrets('{"acme.myshopify.com":["s1","s2"]}', 'shopify');
  const flat = parseSigningSecrets('["s1"]', 'shopify');
  const refuseUnbound = { acceptUnboundSenderSecrets: false };

  it("returns only the named shop's secrets", () => {
    expect(secretsForSender(perShop, 'shopify', 'acme.myshopify.com', refuseUnbound)).toEqual(['s1', 's2']);
  });

  it('rejects a shop with no secret as an invalid signature', () => {
    expect(() => secretsForSender(perShop, 'shopify', 'beta.myshopify.com', refuseUnbound)).toThrow(
      SignatureInvalidError,
    );
  });

  it('fails with ConfigurationError for a flat list where secrets must be bound to shops', () => {
    expect(() => secretsForSender(flat, 'shopify', 'acme.myshopify.com', refuseUnbound)).toThrow(
      /store it as \{ "<shop domain>"/,
    );
  });

  it('takes a flat list as any shop where the stage accepts it', () => {
    expect(
      secretsForSender(flat, 'shopify', 'beta.myshopify.com', { acceptUnboundSenderSecrets: true }),
    ).toEqual(['s1']);
  });

  it('fails with ConfigurationError for secrets per sender on a scheme that names no sender', () => {
    expect(() => secretsForSender(perShop, 'stripe', undefined, refuseUnbound)).toThrow(ConfigurationError);
  });
});

describe('SecretsManagerWebhookSecrets', () => {
  beforeEach(() => smMock.reset());

  function secretsAt(clock: { nowMs: number }) {
    const provider = new SecretsProvider({
      awsSdkV3Client: new SecretsManagerClient({ region: 'us-east-1' }),
    });
    return new SecretsManagerWebhookSecrets(
      provider,
      { stripe: 'arn:stripe' },
      { maxAgeSec: 300, minRefreshIntervalSec: 30 },
      () => clock.nowMs,
    );
  }

  it('caches secrets between requests', async () => {
    // Prepare
    smMock.on(GetSecretValueCommand).resolves({ SecretString: '["whsec_a"]' });
    const secrets = secretsAt({ nowMs: 0 });
    // Act
    await secrets.secretsFor('stripe');
    await secrets.secretsFor('stripe');
    // Assess
    expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('refreshes after a mismatch at most once per interval', async () => {
    // Prepare
    smMock
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: '["whsec_a"]' })
      .resolves({ SecretString: '["whsec_b","whsec_a"]' });
    const clock = { nowMs: 0 };
    const secrets = secretsAt(clock);
    await secrets.secretsFor('stripe');
    // Act
    const tooSoon = await secrets.refresh('stripe');
    clock.nowMs = 31_000;
    const refreshed = await secrets.refresh('stripe');
    // Assess
    expect(tooSoon).toBeUndefined();
    expect(refreshed).toEqual({ kind: 'any-sender', secrets: ['whsec_b', 'whsec_a'] });
  });

  it('fails with ConfigurationError for a source without a secret', async () => {
    await expect(secretsAt({ nowMs: 0 }).secretsFor('shopify')).rejects.toThrow(ConfigurationError);
  });

  it('fails with DownstreamUnavailableError when Secrets Manager fails', async () => {
    smMock.on(GetSecretValueCommand).rejects(new Error('ThrottlingException'));
    await expect(secretsAt({ nowMs: 0 }).secretsFor('stripe')).rejects.toThrow(DownstreamUnavailableError);
  });
});
