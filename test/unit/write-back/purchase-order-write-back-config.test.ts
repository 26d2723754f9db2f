import { loadPurchaseOrderWriteBackConfig } from '../../../functions/write-back/purchase-orders/config';

const complete = {
  SPENDESK_API_URL: 'https://api.spendesk.com/v1/',
  SPENDESK_API_TOKEN_SECRET_ID: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:SpendeskApiToken',
  PLATFORM_TIMEOUT_MS: '5000',
  CONCORD_STAGE: 'prod',
};

describe('loadPurchaseOrderWriteBackConfig', () => {
  it("reads the stage's Spendesk API, its token secret and the call timeout", () => {
    // Act
    const config = loadPurchaseOrderWriteBackConfig(complete);
    // Assess
    expect(config).toEqual({
      spendeskApiUrl: 'https://api.spendesk.com/v1',
      spendeskApiTokenSecretId: complete.SPENDESK_API_TOKEN_SECRET_ID,
      platformTimeoutMs: 5000,
      stage: 'prod',
    });
  });

  it('rejects a missing Spendesk API URL, naming the variable', () => {
    // Prepare
    const { SPENDESK_API_URL: _omitted, ...env } = complete;
    // Act / Assess
    expect(() => loadPurchaseOrderWriteBackConfig(env)).toThrow(
      'Missing environment variables: SPENDESK_API_URL',
    );
  });

  it.each(['api.spendesk.com/v1', 'ftp://api.spendesk.com/v1'])(
    'rejects %s as the Spendesk API URL',
    (value) => {
      // Act / Assess
      expect(() => loadPurchaseOrderWriteBackConfig({ ...complete, SPENDESK_API_URL: value })).toThrow(
        /Environment variable SPENDESK_API_URL (is not a URL|must be an http\(s\) URL)/,
      );
    },
  );
});
