import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { ConfigurationError, DownstreamUnavailableError } from '../../../functions/shared/errors';
import {
  parseSecretValues,
  SecretsManagerWebhookSecrets,
} from '../../../functions/shared/secrets/webhook-secrets';

const smMock = mockClient(SecretsManagerClient);

describe('parseSecretValues', () => {
  it('reads a JSON array of secrets, newest first', () => {
    expect(parseSecretValues('["whsec_new","whsec_old"]', 'stripe')).toEqual(['whsec_new', 'whsec_old']);
  });

  it('reads a plain secret as a single value', () => {
    expect(parseSecretValues('shpss_only', 'shopify')).toEqual(['shpss_only']);
  });

  it('rejects an array with a non-string entry', () => {
    expect(() => parseSecretValues('["a", 3]', 'stripe')).toThrow(ConfigurationError);
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
    expect(refreshed).toEqual(['whsec_b', 'whsec_a']);
  });

  it('fails with ConfigurationError for a source without a secret', async () => {
    await expect(secretsAt({ nowMs: 0 }).secretsFor('shopify')).rejects.toThrow(ConfigurationError);
  });

  it('fails with DownstreamUnavailableError when Secrets Manager fails', async () => {
    smMock.on(GetSecretValueCommand).rejects(new Error('ThrottlingException'));
    await expect(secretsAt({ nowMs: 0 }).secretsFor('stripe')).rejects.toThrow(DownstreamUnavailableError);
  });
});
