import { SignatureInvalidError } from '../../../functions/shared/errors';
import { hubspotSignedUri, verifyHubspot } from '../../../functions/shared/sources/signatures/hubspot';
import { shopifyShopDomain, verifyShopify } from '../../../functions/shared/sources/signatures/shopify';
import { verifyStandardWebhooks } from '../../../functions/shared/sources/signatures/standard-webhooks';
import { verifyStripe } from '../../../functions/shared/sources/signatures/stripe';
import type { WebhookRequest } from '../../../functions/shared/sources/webhook-request';
import {
  signedHubspot,
  signedShopify,
  signedStandardWebhook,
  signedStripe,
  webhookBaseUrl,
} from '../../support/signers';

const body = JSON.stringify({ id: 1001, note: 'café ☕ – unicode survives' });
const now = new Date('2026-11-20T15:00:00Z');

function tampered(request: WebhookRequest): WebhookRequest {
  return { ...request, body: Buffer.from(request.body.toString('utf8').replace('1001', '1002')) };
}

function withoutHeader(request: WebhookRequest, name: string): WebhookRequest {
  const headers = { ...request.headers };
  delete headers[name];
  return { ...request, headers };
}

describe('verifyShopify', () => {
  const secrets = ['shpss_new', 'shpss_old'];

  it('accepts a body signed with the current secret', () => {
    // Act & Assess
    expect(() => verifyShopify(signedShopify(body, 'shpss_new'), secrets)).not.toThrow();
  });

  it('accepts a body signed with a secret still active during rotation', () => {
    expect(() => verifyShopify(signedShopify(body, 'shpss_old'), secrets)).not.toThrow();
  });

  it('rejects a tampered body', () => {
    expect(() => verifyShopify(tampered(signedShopify(body, 'shpss_new')), secrets)).toThrow(
      SignatureInvalidError,
    );
  });

  it('rejects a body signed with a retired secret', () => {
    expect(() => verifyShopify(signedShopify(body, 'shpss_retired'), secrets)).toThrow(
      'Shopify HMAC does not match',
    );
  });

  it('rejects a request without the HMAC header', () => {
    expect(() =>
      verifyShopify(withoutHeader(signedShopify(body, 'shpss_new'), 'x-shopify-hmac-sha256'), secrets),
    ).toThrow('Missing x-shopify-hmac-sha256 header');
  });

  it('rejects an HMAC that is not base64', () => {
    // Prepare
    const request = signedShopify(body, 'shpss_new');
    // Act & Assess
    expect(() =>
      verifyShopify(
        { ...request, headers: { ...request.headers, 'x-shopify-hmac-sha256': '!!not-base64!!' } },
        secrets,
      ),
    ).toThrow(SignatureInvalidError);
  });
});

describe('shopifyShopDomain', () => {
  it('names the shop lower-cased, the key its secrets are bound to', () => {
    expect(shopifyShopDomain(signedShopify(body, 's', { shopDomain: ' Acme-Outdoor.myshopify.com ' }))).toBe(
      'acme-outdoor.myshopify.com',
    );
  });

  it('rejects a request without the shop domain header', () => {
    expect(() => shopifyShopDomain(withoutHeader(signedShopify(body, 's'), 'x-shopify-shop-domain'))).toThrow(
      'Missing x-shopify-shop-domain header',
    );
  });

  it.each(['acme.myshopify.com/../other', 'acme', 'https://acme.myshopify.com', 'acme .myshopify.com'])(
    'rejects %s as not a domain name',
    (domain) => {
      expect(() => shopifyShopDomain(signedShopify(body, 's', { shopDomain: domain }))).toThrow(
        SignatureInvalidError,
      );
    },
  );
});

describe('verifyStripe', () => {
  const secrets = ['whsec_current', 'whsec_previous'];

  it('accepts a signature made by stripe-node', () => {
    expect(() =>
      verifyStripe(signedStripe(body, 'whsec_current', { receivedAt: now }), secrets),
    ).not.toThrow();
  });

  it('accepts a signature made with the previous secret during rotation', () => {
    expect(() =>
      verifyStripe(signedStripe(body, 'whsec_previous', { receivedAt: now }), secrets),
    ).not.toThrow();
  });

  it('accepts a header with several v1 signatures when any one matches', () => {
    // Prepare
    const good = signedStripe(body, 'whsec_current', { receivedAt: now });
    const bad = signedStripe(body, 'whsec_other', { receivedAt: now });
    const goodV1 = /v1=([0-9a-f]+)/.exec(good.headers['stripe-signature'] ?? '')?.[1];
    const header = `${bad.headers['stripe-signature']},v1=${goodV1}`;
    // Act & Assess
    expect(() =>
      verifyStripe({ ...good, headers: { ...good.headers, 'stripe-signature': header } }, secrets),
    ).not.toThrow();
  });

  it('rejects a tampered body', () => {
    expect(() =>
      verifyStripe(tampered(signedStripe(body, 'whsec_current', { receivedAt: now })), secrets),
    ).toThrow('No Stripe v1 signature matches');
  });

  it('rejects a timestamp older than 300 seconds', () => {
    // Prepare
    const request = signedStripe(body, 'whsec_current', {
      receivedAt: now,
      timestampSec: now.getTime() / 1000 - 301,
    });
    // Act & Assess
    expect(() => verifyStripe(request, secrets)).toThrow(/301 s old/);
  });

  it('rejects a timestamp more than 300 seconds in the future', () => {
    const request = signedStripe(body, 'whsec_current', {
      receivedAt: now,
      timestampSec: now.getTime() / 1000 + 400,
    });
    expect(() => verifyStripe(request, secrets)).toThrow(/in the future/);
  });

  it('accepts a timestamp within the tolerance', () => {
    const request = signedStripe(body, 'whsec_current', {
      receivedAt: now,
      timestampSec: now.getTime() / 1000 - 299,
    });
    expect(() => verifyStripe(request, secrets)).not.toThrow();
  });

  it('rejects a header without a timestamp', () => {
    const request = signedStripe(body, 'whsec_current', { receivedAt: now });
    const header = (request.headers['stripe-signature'] ?? '').replace(/t=\d+,/, '');
    expect(() =>
      verifyStripe({ ...request, headers: { ...request.headers, 'stripe-signature': header } }, secrets),
    ).toThrow('no valid timestamp');
  });

  it('rejects a missing Stripe-Signature header', () => {
    expect(() =>
      verifyStripe(
        withoutHeader(signedStripe(body, 'whsec_current', { receivedAt: now }), 'stripe-signature'),
        secrets,
      ),
    ).toThrow(SignatureInvalidError);
  });
});

describe('verifyHubspot', () => {
  const secrets = ['app-secret-new', 'app-secret-old'];

  it('accepts a v3 signature made by @hubspot/api-client', () => {
    expect(() =>
      verifyHubspot(signedHubspot(body, 'app-secret-new', { receivedAt: now }), secrets),
    ).not.toThrow();
  });

  it('accepts the previous app secret during rotation', () => {
    expect(() =>
      verifyHubspot(signedHubspot(body, 'app-secret-old', { receivedAt: now }), secrets),
    ).not.toThrow();
  });

  it('rejects a request signed for another URL', () => {
    // Prepare
    const request = signedHubspot(body, 'app-secret-new', { receivedAt: now });
    // Act & Assess
    expect(() => verifyHubspot({ ...request, url: `${webhookBaseUrl}/webhooks/other` }, secrets)).toThrow(
      'HubSpot v3 signature does not match',
    );
  });

  it('rejects a request older than five minutes', () => {
    const request = signedHubspot(body, 'app-secret-new', {
      receivedAt: now,
      timestampMs: now.getTime() - 301_000,
    });
    expect(() => verifyHubspot(request, secrets)).toThrow(/old/);
  });

  it('rejects a request stamped in the future', () => {
    const request = signedHubspot(body, 'app-secret-new', {
      receivedAt: now,
      timestampMs: now.getTime() + 301_000,
    });
    expect(() => verifyHubspot(request, secrets)).toThrow(/future/);
  });

  it('rejects a tampered body', () => {
    expect(() =>
      verifyHubspot(tampered(signedHubspot(body, 'app-secret-new', { receivedAt: now })), secrets),
    ).toThrow(SignatureInvalidError);
  });

  it('rejects a missing timestamp header', () => {
    expect(() =>
      verifyHubspot(
        withoutHeader(
          signedHubspot(body, 'app-secret-new', { receivedAt: now }),
          'x-hubspot-request-timestamp',
        ),
        secrets,
      ),
    ).toThrow('Missing x-hubspot-request-timestamp header');
  });

  it('verifies a URL whose query carries percent-encoded reserved characters as HubSpot signs it', () => {
    // Prepare: HubSpot signs the URI with %3A and friends decoded.
    const encodedUrl = `${webhookBaseUrl}/webhooks/hubspot?portal=44219876%3Aeu`;
    const request = signedHubspot(body, 'app-secret-new', {
      receivedAt: now,
      url: hubspotSignedUri(encodedUrl),
    });
    // Act & Assess
    expect(hubspotSignedUri(encodedUrl)).toBe(`${webhookBaseUrl}/webhooks/hubspot?portal=44219876:eu`);
    expect(() => verifyHubspot({ ...request, url: encodedUrl }, secrets)).not.toThrow();
  });
});

describe('verifyStandardWebhooks', () => {
  const current = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const previous = 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD';
  const secrets = [current, previous];

  it('accepts a signature made by the standardwebhooks library', () => {
    expect(() =>
      verifyStandardWebhooks(
        signedStandardWebhook('billing-hub', body, current, { receivedAt: now }),
        secrets,
      ),
    ).not.toThrow();
  });

  it('accepts the previous secret during rotation', () => {
    expect(() =>
      verifyStandardWebhooks(
        signedStandardWebhook('billing-hub', body, previous, { receivedAt: now }),
        secrets,
      ),
    ).not.toThrow();
  });

  it('accepts a header listing several signatures when one matches', () => {
    // Prepare
    const request = signedStandardWebhook('billing-hub', body, current, { receivedAt: now });
    const other = signedStandardWebhook('billing-hub', body, 'whsec_dGhpcyBpcyBhbm90aGVyIHNlY3JldCE=', {
      receivedAt: now,
    });
    const header = `${other.headers['webhook-signature']} ${request.headers['webhook-signature']}`;
    // Act & Assess
    expect(() =>
      verifyStandardWebhooks(
        { ...request, headers: { ...request.headers, 'webhook-signature': header } },
        secrets,
      ),
    ).not.toThrow();
  });

  it('rejects a signature whose message id was changed', () => {
    const request = signedStandardWebhook('billing-hub', body, current, { receivedAt: now });
    expect(() =>
      verifyStandardWebhooks(
        { ...request, headers: { ...request.headers, 'webhook-id': 'msg_other' } },
        secrets,
      ),
    ).toThrow(SignatureInvalidError);
  });

  it('rejects a tampered body', () => {
    expect(() =>
      verifyStandardWebhooks(
        tampered(signedStandardWebhook('billing-hub', body, current, { receivedAt: now })),
        secrets,
      ),
    ).toThrow('No Standard Webhooks v1 signature matches');
  });

  it('rejects a stale timestamp', () => {
    const request = signedStandardWebhook('billing-hub', body, current, {
      receivedAt: now,
      signedAt: new Date(now.getTime() - 301_000),
    });
    expect(() => verifyStandardWebhooks(request, secrets)).toThrow(/old/);
  });

  it('rejects a future timestamp', () => {
    const request = signedStandardWebhook('billing-hub', body, current, {
      receivedAt: now,
      signedAt: new Date(now.getTime() + 301_000),
    });
    expect(() => verifyStandardWebhooks(request, secrets)).toThrow(/future/);
  });

  it('rejects a missing webhook-id header', () => {
    expect(() =>
      verifyStandardWebhooks(
        withoutHeader(signedStandardWebhook('billing-hub', body, current, { receivedAt: now }), 'webhook-id'),
        secrets,
      ),
    ).toThrow('Missing webhook-id header');
  });
});
