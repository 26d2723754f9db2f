import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadSourceRegistry, registeredSourceNames } from '../../../functions/shared/sources/source-registry';

const sources = () =>
  JSON.parse(readFileSync(path.join(__dirname, '../../../schemas/governance/sources.json'), 'utf8'));

/** The criticalities the registry's schema allows (schemas/governance/sources.schema.json). */
const criticalities = ['revenue-critical', 'compliance-sensitive', 'operational', 'analytical'];

describe('loadSourceRegistry', () => {
  it('loads every shipped source, each with an owner and a criticality, the known ones among them', () => {
    // Prepare
    const shipped = Object.keys(sources().sources).sort();
    // Act
    const registry = loadSourceRegistry();
    // Assess
    expect([...registry.keys()].sort()).toEqual(shipped);
    expect(registeredSourceNames()).toEqual(shipped);
    // Sources are added over time: those flows depend on must stay, whatever else joins them.
    expect(shipped).toEqual(
      expect.arrayContaining(['billing-hub', 'hibob', 'hubspot', 'shopify', 'spendesk', 'stripe']),
    );
    for (const [name, source] of registry) {
      expect({ name, owner: source.owner.trim() }).not.toEqual({ name, owner: '' });
      expect({ name, criticality: criticalities.includes(source.criticality) }).toEqual({
        name,
        criticality: true,
      });
      expect(source.dedupeWindowSec).toBeGreaterThan(sources().sources[name].retryWindowSec);
    }
  });

  it('loads each source with its scheme, system and dedupe window as declared', () => {
    // Act
    const registry = loadSourceRegistry();
    // Assess
    expect(registry.get('shopify')).toMatchObject({
      scheme: 'shopify',
      system: 'commerce',
      dedupeWindowSec: 86400,
    });
    expect(registry.get('billing-hub')).toMatchObject({ scheme: 'standard-webhooks', system: 'billing' });
    expect(registry.get('spendesk')).toMatchObject({
      scheme: 'hmac',
      system: 'procurement',
      owner: 'procurement-systems',
    });
  });

  it('rejects a source without an owner', () => {
    // Prepare
    const broken = sources();
    delete broken.sources.spendesk.owner;
    // Act / Assess
    expect(() => loadSourceRegistry(broken)).toThrow(/sources.json is inconsistent: .*owner/);
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
