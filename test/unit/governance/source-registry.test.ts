import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadSourceRegistry, registeredSourceNames } from '../../../functions/shared/sources/source-registry';

const sources = () =>
  JSON.parse(readFileSync(path.join(__dirname, '../../../schemas/governance/sources.json'), 'utf8'));

describe('loadSourceRegistry', () => {
  it('loads every shipped source with its scheme and dedupe window', () => {
    // Act
    const registry = loadSourceRegistry();
    // Assess
    expect([...registry.keys()].sort()).toEqual(['billing-hub', 'hibob', 'hubspot', 'shopify', 'stripe']);
    expect(registry.get('shopify')).toMatchObject({
      scheme: 'shopify',
      system: 'commerce',
      dedupeWindowSec: 86400,
    });
    expect(registry.get('billing-hub')).toMatchObject({ scheme: 'standard-webhooks', system: 'billing' });
    expect(registeredSourceNames()).toEqual(['billing-hub', 'hibob', 'hubspot', 'shopify', 'stripe']);
  });

  it('rejects a dedupe window no longer than the provider retry window', () => {
    const broken = sources();
    broken.sources.stripe.dedupeWindowSec = 259200;
    expect(() => loadSourceRegistry(broken)).toThrow(
      "stripe: dedupeWindowSec 259200 must exceed the provider's retry window 259200",
    );
  });

  it('rejects a source whose system does not list it as a platform', () => {
    const broken = sources();
    broken.sources.shopify.system = 'billing';
    expect(() => loadSourceRegistry(broken)).toThrow(
      'shopify: the system-of-record registry does not list it as a platform of billing',
    );
  });

  it('rejects a built-in mapper paired with another vendor scheme', () => {
    const broken = sources();
    broken.sources.hubspot.scheme = 'standard-webhooks';
    expect(() => loadSourceRegistry(broken)).toThrow(
      'hubspot: the hubspot mapper needs the hubspot-v3 scheme',
    );
  });

  it('rejects a declared mapping whose JSONata does not compile', () => {
    const broken = sources();
    broken.sources['billing-hub'].declared.types['payment.succeeded'].data = '{ "paymentId": data.id ';
    expect(() => loadSourceRegistry(broken)).toThrow(/billing-hub payment.succeeded.data: invalid JSONata/);
  });

  it('rejects a declared mapping to a canonical type without a schema', () => {
    const broken = sources();
    broken.sources['billing-hub'].declared.types['payment.succeeded'].canonicalType =
      'billing.payment.settled.v1';
    expect(() => loadSourceRegistry(broken)).toThrow('no schema for billing.payment.settled.v1');
  });

  it('rejects an unknown signature scheme through the registry schema', () => {
    const broken = sources();
    broken.sources.shopify.scheme = 'basic-auth';
    expect(() => loadSourceRegistry(broken)).toThrow(
      /sources.json is inconsistent: \/sources\/shopify\/scheme/,
    );
  });
});
