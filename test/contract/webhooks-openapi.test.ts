import { readFileSync } from 'node:fs';
import path from 'node:path';
import { answeredBy } from '../../contracts/concord-openapi';
import { createWebhookHandler } from '../../functions/ingest-webhook/http-adapter';
import type { DedupeStore } from '../../functions/ingest-webhook/ports';
import { type IngestDependencies, receiveWebhook } from '../../functions/ingest-webhook/receive-webhook';
import type { HttpResult } from '../../functions/shared/http/problem';
import { signDeclaredHmac } from '../../functions/shared/sources/signatures/declared-hmac';
import {
  registeredSourceNames,
  type SourceDefinition,
  sourceDefinitions,
} from '../../functions/shared/sources/source-registry';
import type { WebhookRequest } from '../../functions/shared/sources/webhook-request';
import { openApiFile, renderConcordOpenApi } from '../../scripts/generate-openapi';
import { apiGatewayEvent } from '../support/api-gateway-event';
import { inMemoryIngest, RecordingLogger, StaticSecrets, testSecrets } from '../support/in-memory-ports';
import {
  signedHubspot,
  signedShopify,
  signedStandardWebhook,
  signedStripe,
  testShopDomain,
  webhookBaseUrl,
} from '../support/signers';
import { OpenApiConformance } from './openapi-conformance';

const now = new Date('2026-11-20T15:00:00Z');
const fixturesDir = path.join(__dirname, '../fixtures');
const document = JSON.parse(readFileSync(openApiFile, 'utf8'));
const contract = new OpenApiConformance(document, 'concord-webhooks');
const gatewayMarker = { key: answeredBy, value: 'api-gateway' };

// Secrets of the declared-HMAC sources, which the shared test secrets do not cover.
const secrets = {
  ...testSecrets,
  hibob: ['hibob-contract-secret-1'],
  spendesk: ['spendesk-contract-secret-1'],
} as const;

/**
 * Per registered source: a payload it publishes, the same payload made to violate the canonical schema, and
 * (where the sender has one) a payload nothing is synchronised from. A new source fails here until it has them.
 */
const sourceCases: Record<
  string,
  { fixture: string; violating: (payload: Record<string, unknown>) => unknown; ignorable?: string }
> = {
  shopify: {
    fixture: 'shopify/orders-create.json',
    violating: (order) => ({ ...order, currency: 'usd' }),
  },
  stripe: {
    fixture: 'stripe/payment-intent-succeeded.json',
    violating: (event) => ({
      ...event,
      data: { object: { ...(event.data as { object: object }).object, currency: 42 } },
    }),
  },
  hubspot: { fixture: 'hubspot/contact-events.json', violating: () => ({ not: 'a batch' }) },
  'billing-hub': {
    fixture: 'billing-hub/payment-succeeded.json',
    violating: (event) => ({ ...event, data: { ...(event.data as object), amount: 'much' } }),
  },
  hibob: {
    fixture: 'hibob/employee-joined.json',
    violating: (event) => ({ ...event, triggeredAt: 'yesterday' }),
    ignorable: 'hibob/table-entry-created.json',
  },
  spendesk: {
    fixture: 'spendesk/suppliers-created.json',
    violating: (event) => ({ ...event, event: { ...(event.event as object), timestamp: 'soon' } }),
    ignorable: 'spendesk/payables-created.json',
  },
};

/** A request to `source` signed as its registry entry says, with the secret the in-memory ports hold for it. */
function signedFor(name: string, definition: SourceDefinition, body: string): WebhookRequest {
  switch (definition.scheme) {
    case 'shopify':
      return signedShopify(body, secrets.shopify[0], { receivedAt: now });
    case 'stripe':
      return signedStripe(body, secrets.stripe[0], { receivedAt: now });
    case 'hubspot-v3':
      return signedHubspot(body, secrets.hubspot[0], { receivedAt: now });
    case 'standard-webhooks':
      return signedStandardWebhook(name, body, secrets[name as 'billing-hub'][0], { receivedAt: now });
    case 'hmac': {
      const secret = (secrets as Record<string, readonly string[]>)[name]?.[0];
      if (!secret || !definition.signature) throw new Error(`no contract secret or signature for ${name}`);
      return {
        sourceName: name,
        method: 'POST',
        url: `${webhookBaseUrl}/webhooks/${name}`,
        headers: {
          'content-type': 'application/json',
          ...signDeclaredHmac(definition.signature, secret, body, { now }),
        },
        body: Buffer.from(body, 'utf8'),
        receivedAt: now,
      };
    }
  }
}

function handlerFor(overrides: Partial<IngestDependencies> = {}) {
  const ports = inMemoryIngest({
    secrets: new StaticSecrets({ ...secrets, shopify: { [testShopDomain]: secrets.shopify } }),
    ...overrides,
  });
  const handle = createWebhookHandler(
    (request) => receiveWebhook(request, ports.deps),
    new RecordingLogger(),
    () => now,
  );
  return { ...ports, send: (request: WebhookRequest) => handle(apiGatewayEvent(request)) };
}

function answer(result: HttpResult) {
  return { status: result.statusCode, headers: result.headers, body: result.body };
}

const inProgressDedupe: DedupeStore = {
  claim: async () => ({ status: 'in-progress' }),
  complete: async () => {},
  release: async () => {},
};

describe('Concord OpenAPI document (webhooks)', () => {
  it('is what scripts/generate-openapi.ts generates from the registry and the problem tables', () => {
    // Prepare
    const committed = readFileSync(openApiFile, 'utf8');
    // Act
    const generated = renderConcordOpenApi();
    // Assess
    expect(committed).toBe(generated);
  });

  it('documents one webhook path per registered source and one for any other name', () => {
    // Act
    const webhookPaths = Object.keys(document.paths).filter((key) => key.startsWith('/webhooks/'));
    // Assess
    expect(webhookPaths.sort()).toEqual(
      [...registeredSourceNames().map((name) => `/webhooks/${name}`), '/webhooks/{source}'].sort(),
    );
    expect(Object.keys(sourceCases).sort()).toEqual(registeredSourceNames());
  });

  it.each(registeredSourceNames())('answers POST /webhooks/%s as documented, valid or not', async (name) => {
    // Prepare
    const definition = sourceDefinitions()[name] as SourceDefinition;
    const cases = sourceCases[name];
    if (!cases) throw new Error(`${name} has no contract case in test/contract/webhooks-openapi.test.ts`);
    const fixture = readFileSync(path.join(fixturesDir, cases.fixture), 'utf8');
    const valid = signedFor(name, definition, fixture);
    const route = `/webhooks/${name}`;
    const check = (result: HttpResult) => {
      contract.assertAnswer('POST', route, answer(result));
      return result.statusCode;
    };
    const statuses: Record<string, number> = {};
    const { send, publisher } = handlerFor();

    // Act
    statuses.accepted = check(await send(valid));
    statuses.duplicate = check(await send(valid));
    statuses.tampered = check(await send({ ...valid, body: Buffer.from(`${fixture} `) }));
    statuses.notJson = check(await send(signedFor(name, definition, '{"truncated":')));
    statuses.wrongMediaType = check(
      await send({ ...valid, headers: { ...valid.headers, 'content-type': 'text/plain' } }),
    );
    const violating = JSON.stringify(cases.violating(JSON.parse(fixture)));
    statuses.violating = check(await send(signedFor(name, definition, violating)));
    statuses.tooLarge = check(
      await handlerFor({ limits: { maxBodyBytes: 16, inProgressSec: 60 } }).send(valid),
    );
    statuses.inProgress = check(await handlerFor({ dedupe: inProgressDedupe }).send(valid));
    const down = handlerFor();
    down.publisher.failing = true;
    statuses.busDown = check(await down.send(valid));
    const broken: DedupeStore = {
      ...inProgressDedupe,
      claim: async () => {
        throw new TypeError('dedupe table exploded');
      },
    };
    statuses.unexpected = check(await handlerFor({ dedupe: broken }).send(valid));
    if (cases.ignorable) {
      const ignorable = readFileSync(path.join(fixturesDir, cases.ignorable), 'utf8');
      statuses.ignored = check(await handlerFor().send(signedFor(name, definition, ignorable)));
    }

    // Assess
    expect(publisher.published.length).toBeGreaterThan(0);
    expect(statuses).toEqual({
      accepted: 202,
      duplicate: 200,
      tampered: 401,
      notJson: 400,
      wrongMediaType: 415,
      violating: 422,
      tooLarge: 413,
      inProgress: 409,
      busDown: 503,
      unexpected: 500,
      ...(cases.ignorable ? { ignored: 200 } : {}),
    });
  });

  it.each(registeredSourceNames())(
    'refuses POST /webhooks/%s without each documented required header',
    async (name) => {
      // Prepare
      const definition = sourceDefinitions()[name] as SourceDefinition;
      const fixture = readFileSync(path.join(fixturesDir, sourceCases[name]?.fixture ?? ''), 'utf8');
      const valid = signedFor(name, definition, fixture);
      const required = (
        contract.operation('POST', `/webhooks/${name}`).parameters as {
          name: string;
          in: string;
          required?: boolean;
        }[]
      )
        .filter((parameter) => parameter.in === 'header' && parameter.required)
        .map((parameter) => parameter.name.toLowerCase());
      // Act
      const refused = [];
      for (const header of required) {
        const { [header]: _dropped, ...rest } = valid.headers;
        const result = await handlerFor().send({ ...valid, headers: rest });
        contract.assertAnswer('POST', `/webhooks/${name}`, answer(result));
        refused.push([header, result.statusCode]);
      }
      // Assess
      expect(required.length).toBeGreaterThan(0);
      for (const [header, status] of refused)
        expect([header, [400, 401].includes(status as number)]).toEqual([header, true]);
    },
  );

  it('answers an unregistered source as POST /webhooks/{source} documents', async () => {
    // Prepare
    const { send } = handlerFor();
    const request = signedShopify('{}', secrets.shopify[0], { receivedAt: now });
    // Act
    const result = await send({
      ...request,
      sourceName: 'netsuite',
      url: `${webhookBaseUrl}/webhooks/netsuite`,
    });
    // Assess
    contract.assertAnswer('POST', '/webhooks/{source}', answer(result));
    expect(result.statusCode).toBe(404);
  });

  it('fails an answer whose status the document does not list', () => {
    // Act
    const undocumented = () =>
      contract.assertAnswer('POST', '/webhooks/shopify', {
        status: 418,
        headers: { 'content-type': 'application/problem+json' },
        body: '{}',
      });
    // Assess
    expect(undocumented).toThrow('POST /webhooks/shopify answered 418, which the document does not list');
  });

  it('exercises every webhook answer the document lists but API Gateway’s own', () => {
    // Act
    const missing = contract.unexercised(gatewayMarker).filter((answer) => answer.includes('/webhooks/'));
    const gatewayOnly = contract
      .unexercised()
      .filter((answer) => answer.includes('/webhooks/') && !missing.includes(answer));
    // Assess
    expect(missing).toEqual([]);
    expect(gatewayOnly.every((answer) => answer.endsWith(' 429'))).toBe(true);
  });
});
