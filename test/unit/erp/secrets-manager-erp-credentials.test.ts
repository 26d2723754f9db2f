import {
  parseErpApiKey,
  secretsManagerErpCredentials,
} from '../../../functions/shared/erp/secrets-manager-erp-credentials';

describe('secretsManagerErpCredentials', () => {
  it('reads the key from { "apiKey" } or the plain value, cached unless asked to read again', async () => {
    // Prepare
    const reads: { secretId: string; forceFetch: boolean | undefined }[] = [];
    const provider = {
      get: async (secretId: string, options?: { forceFetch?: boolean }) => {
        reads.push({ secretId, forceFetch: options?.forceFetch });
        return '{"apiKey":"key-0123456789abcdef"}';
      },
    };
    const credentials = secretsManagerErpCredentials('arn:secret:erp', provider as never);
    // Act
    const cached = await credentials.apiKey();
    const fresh = await credentials.apiKey({ refresh: true });
    // Assess
    expect([cached, fresh]).toEqual(['key-0123456789abcdef', 'key-0123456789abcdef']);
    expect(reads).toEqual([
      { secretId: 'arn:secret:erp', forceFetch: false },
      { secretId: 'arn:secret:erp', forceFetch: true },
    ]);
    expect(parseErpApiKey('  plain-key  ')).toBe('plain-key');
  });

  it.each([
    ['an empty value', ''],
    ['JSON that is not valid', '{"apiKey":'],
    ['an object without a key', '{"token":"x"}'],
  ])('fails with a ConfigurationError on %s', (_case, value) => {
    expect(() => parseErpApiKey(value)).toThrow(expect.objectContaining({ name: 'ConfigurationError' }));
  });

  it('fails as DownstreamUnavailableError when Secrets Manager cannot be read', async () => {
    // Prepare
    const provider = {
      get: async () => {
        throw new Error('ThrottlingException');
      },
    };
    // Act
    const failure = await secretsManagerErpCredentials('arn:secret:erp', provider as never)
      .apiKey()
      .catch((error: unknown) => error);
    // Assess
    expect(failure).toMatchObject({ name: 'DownstreamUnavailableError' });
  });
});
