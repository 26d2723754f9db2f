import {
  parseHibobServiceUser,
  parseShopifyAccessToken,
  secretsManagerPlatformCredentials,
} from '../../../functions/shared/secrets/platform-credentials';

describe('secretsManagerPlatformCredentials', () => {
  it('reads and parses the secret, cached unless asked to read again', async () => {
    // Prepare
    const reads: { secretId: string; maxAge: number | undefined; forceFetch: boolean | undefined }[] = [];
    const provider = {
      get: async (secretId: string, options?: { maxAge?: number; forceFetch?: boolean }) => {
        reads.push({ secretId, maxAge: options?.maxAge, forceFetch: options?.forceFetch });
        return '{"id":"SERVICE-42","token":"token-0123456789abcdef"}';
      },
    };
    const credentials = secretsManagerPlatformCredentials(
      'arn:secret:hibob',
      'HiBob service user',
      parseHibobServiceUser,
      provider as never,
    );
    // Act
    const cached = await credentials.read();
    const fresh = await credentials.read({ refresh: true });
    // Assess
    expect([cached, fresh]).toEqual([
      { id: 'SERVICE-42', token: 'token-0123456789abcdef' },
      { id: 'SERVICE-42', token: 'token-0123456789abcdef' },
    ]);
    expect(reads).toEqual([
      { secretId: 'arn:secret:hibob', maxAge: 300, forceFetch: false },
      { secretId: 'arn:secret:hibob', maxAge: 300, forceFetch: true },
    ]);
  });

  it('fails as DownstreamUnavailableError when Secrets Manager cannot be read', async () => {
    // Prepare
    const provider = {
      get: async () => {
        throw new Error('ThrottlingException');
      },
    };
    // Act
    const failure = await secretsManagerPlatformCredentials(
      'arn:secret:shopify',
      'Shopify Admin API',
      parseShopifyAccessToken,
      provider as never,
    )
      .read()
      .catch((error: unknown) => error);
    // Assess
    expect(failure).toMatchObject({
      name: 'DownstreamUnavailableError',
      message: expect.stringContaining('Shopify Admin API'),
    });
  });
});

describe('parseHibobServiceUser', () => {
  it.each([
    ['JSON that is not valid', '{"id":'],
    ['a plain token', 'token-0123456789abcdef'],
    ['no token', '{"id":"SERVICE-42"}'],
    ['an empty id', '{"id":"  ","token":"t"}'],
  ])('fails with a ConfigurationError naming the expected shape on %s', (_case, value) => {
    expect(() => parseHibobServiceUser(value)).toThrow(
      expect.objectContaining({ name: 'ConfigurationError', message: expect.stringContaining('"token"') }),
    );
  });
});

describe('parseShopifyAccessToken', () => {
  it('reads the token from { "accessToken" }', () => {
    expect(parseShopifyAccessToken(' {"accessToken":" shpat_abc "} ')).toBe('shpat_abc');
  });

  it.each([
    ['an array', '["shpat_abc"]'],
    ['another key', '{"token":"shpat_abc"}'],
  ])('fails with a ConfigurationError on %s', (_case, value) => {
    expect(() => parseShopifyAccessToken(value)).toThrow(
      expect.objectContaining({
        name: 'ConfigurationError',
        message: expect.stringContaining('accessToken'),
      }),
    );
  });
});
