import { readFileSync } from 'node:fs';
import path from 'node:path';
import { RegistryInconsistentError } from '../../../functions/shared/errors';
import { loadSystemOfRecord } from '../../../functions/shared/governance/system-of-record';
import { hubspotCustomerFields } from '../../../functions/shared/sources/mappers/hubspot';

const registryPath = path.join(__dirname, '../../../schemas/governance/system-of-record.json');
const registry = () => JSON.parse(readFileSync(registryPath, 'utf8'));

describe('loadSystemOfRecord', () => {
  it('loads the shipped registry and answers who owns a field', () => {
    // Act
    const sor = loadSystemOfRecord();
    // Assess
    expect(sor.ownerOf('customer', 'email')).toBe('crm');
    expect(sor.ownerOf('customer', 'creditLimit')).toBe('erp');
    expect(sor.ownerOf('order', 'status')).toBe('erp');
    expect(sor.fieldsOwnedBy('customer', 'crm')).toEqual([
      'email',
      'firstName',
      'lastName',
      'phone',
      'companyName',
      'address',
    ]);
    expect(sor.systemOfPlatform('hubspot')).toBe('crm');
  });

  it('rejects a field owned by a system that is not declared', () => {
    // Prepare
    const broken = registry();
    broken.entities.customer.fields.email = 'marketing';
    // Act & Assess
    expect(() => loadSystemOfRecord(broken)).toThrow(
      'entity customer: field email is owned by unknown system marketing',
    );
  });

  it('rejects an entity whose key is not one of its fields', () => {
    const broken = registry();
    broken.entities.invoice.key = 'invoiceId';
    expect(() => loadSystemOfRecord(broken)).toThrow(
      'entity invoice: key invoiceId is not one of its fields',
    );
  });

  it('rejects a registry missing a governed entity', () => {
    const broken = registry();
    delete broken.entities.supplier;
    expect(() => loadSystemOfRecord(broken)).toThrow('entity supplier is missing');
  });

  it('rejects a platform claimed by two systems', () => {
    const broken = registry();
    broken.systems.erp.platforms.push('hubspot');
    expect(() => loadSystemOfRecord(broken)).toThrow('platform hubspot is listed under both');
  });

  it('rejects a document that violates the registry schema, listing every problem', () => {
    // Prepare
    const broken = registry();
    broken.entities.product.fields.Price = 'erp';
    delete broken.systems.hr.description;
    // Act
    let error: unknown;
    try {
      loadSystemOfRecord(broken);
    } catch (caught) {
      error = caught;
    }
    // Assess
    expect(error).toBeInstanceOf(RegistryInconsistentError);
    expect((error as RegistryInconsistentError).problems.length).toBeGreaterThanOrEqual(2);
  });

  it('agrees with the HubSpot mapper on which properties the CRM owns and which mirror ERP fields', () => {
    const registry = loadSystemOfRecord();
    const owner = (field: string) => registry.ownerOf('customer', field);
    expect(new Set(hubspotCustomerFields.owned.map(owner))).toEqual(new Set(['crm']));
    expect(hubspotCustomerFields.mirrored.filter((field) => owner(field) === 'crm')).toEqual([]);
  });

  it('owns every customer field that the CRM event can carry', () => {
    // Prepare: the customer-sync flow looks each changed field up in the registry.
    const schema = JSON.parse(
      readFileSync(path.join(__dirname, '../../../schemas/events/crm.customer.upserted.v1.json'), 'utf8'),
    );
    const fields: string[] = schema.properties.changedFields.items.enum;
    // Act
    const owners = fields.map((field) => loadSystemOfRecord().ownerOf('customer', field));
    // Assess
    expect(new Set(owners)).toEqual(new Set(['crm']));
  });
});
