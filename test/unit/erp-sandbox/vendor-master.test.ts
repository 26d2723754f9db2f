import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type ErpSandbox, startErpSandbox } from '../../../local/erp-sandbox/erp-sandbox-server';
import { bankAccountSha256 } from '../../../local/erp-sandbox/vendor-master';

describe('vendor master (ERP sandbox)', () => {
  let erp: ErpSandbox;
  let dir: string;
  let keyCount = 0;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'concord-vendors-'));
    erp = await startErpSandbox({ dataDir: dir, port: 0 });
  });

  afterAll(async () => {
    await erp.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function call(
    method: string,
    route: string,
    body?: unknown,
    options: { admin?: boolean; key?: string } = {},
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const token = options.admin ? erp.credentials.adminToken : erp.credentials.apiKeys[0];
    const mutation = method === 'POST' && !options.admin;
    const response = await fetch(`${erp.url}${route}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        ...(mutation ? { 'idempotency-key': options.key ?? `vendor-test-${++keyCount}` } : {}),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  const nordlicht = {
    sourceSupplierId: 'sup-nordlicht',
    fields: {
      legalName: 'Nordlicht Office Supplies GmbH',
      displayName: 'Nordlicht Office',
      contactEmail: 'greta@nordlicht.example',
      address: { line1: 'Friedrichstraße 123', city: 'Berlin', country: 'DE' },
    },
  };

  it('creates a vendor with the default payment terms and answers the same vendor for the same supplier', async () => {
    // Act
    const created = await call('POST', '/vendors', nordlicht);
    const again = await call('POST', '/vendors', nordlicht);
    const found = await call('GET', '/vendors?sourceSupplierId=sup-nordlicht');
    // Assess
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      sourceSupplierId: 'sup-nordlicht',
      legalName: 'Nordlicht Office Supplies GmbH',
      paymentTerms: 'net-30',
      blocked: false,
      version: 1,
    });
    expect(again.body.vendorNumber).toBe(created.body.vendorNumber);
    expect(found.body.vendorNumber).toBe(created.body.vendorNumber);
  });

  it('replays a change sent twice under one Idempotency-Key instead of applying it twice', async () => {
    // Prepare
    const { body: vendor } = await call('GET', '/vendors?sourceSupplierId=sup-nordlicht');
    const change = { fields: { contactName: 'Jonas Weber' } };
    // Act
    const first = await call('POST', `/vendors/${vendor.vendorNumber}/changes`, change, {
      key: 'vendor-change-1',
    });
    const repeat = await call('POST', `/vendors/${vendor.vendorNumber}/changes`, change, {
      key: 'vendor-change-1',
    });
    // Assess
    expect(first.body).toMatchObject({ contactName: 'Jonas Weber', version: (vendor.version as number) + 1 });
    expect(repeat.body.version).toBe(first.body.version);
  });

  it('rejects a platform change to an ERP-owned field by name and changes nothing', async () => {
    // Prepare
    const { body: before } = await call('GET', '/vendors?sourceSupplierId=sup-nordlicht');
    // Act
    const refused = await call('POST', `/vendors/${before.vendorNumber}/changes`, {
      fields: { displayName: 'Renamed', bankAccount: 'DE89370400440532013000' },
    });
    const { body: after } = await call('GET', `/vendors/${before.vendorNumber}`);
    // Assess
    expect(refused.status).toBe(422);
    expect(JSON.stringify(refused.body)).toContain('erp_owned_field');
    expect(JSON.stringify(refused.body)).not.toContain('DE89370400440532013000');
    expect(after).toEqual(before);
  });

  it('keeps bank details secret: answers only a masked form and a SHA-256 fingerprint', async () => {
    // Prepare
    const { body: vendor } = await call('GET', '/vendors?sourceSupplierId=sup-nordlicht');
    // Act
    const set = await call(
      'PUT',
      `/_admin/vendors/${vendor.vendorNumber}/finance`,
      { bankAccount: 'DE89 3704 0044 0532 0130 00', paymentTerms: 'net-15', taxId: 'DE123456789' },
      { admin: true },
    );
    const audit = await call('GET', '/_admin/audit', undefined, { admin: true });
    // Assess
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({
      paymentTerms: 'net-15',
      taxId: 'DE123456789',
      bankAccountMasked: 'DE89 **** 3000',
      bankAccountSha256: bankAccountSha256('DE89370400440532013000'),
    });
    expect(JSON.stringify(set.body)).not.toContain('0532013000');
    expect(JSON.stringify(audit.body)).not.toContain('0532013000');
  });

  it('rejects an invalid IBAN without echoing it', async () => {
    // Prepare
    const { body: vendor } = await call('GET', '/vendors?sourceSupplierId=sup-nordlicht');
    // Act
    const refused = await call(
      'PUT',
      `/_admin/vendors/${vendor.vendorNumber}/finance`,
      { bankAccount: 'XX-not-an-iban-778899' },
      { admin: true },
    );
    // Assess
    expect(refused.status).toBe(422);
    expect(JSON.stringify(refused.body)).not.toContain('778899');
  });

  it('blocks a vendor with a reason and unblocks it', async () => {
    // Prepare
    const { body: vendor } = await call('GET', '/vendors?sourceSupplierId=sup-nordlicht');
    const route = `/_admin/vendors/${vendor.vendorNumber}/block`;
    // Act
    const blocked = await call(
      'PUT',
      route,
      { blocked: true, reason: 'sanctions screening' },
      { admin: true },
    );
    const noReason = await call('PUT', route, { blocked: true }, { admin: true });
    const unblocked = await call('PUT', route, { blocked: false }, { admin: true });
    // Assess
    expect(blocked.body).toMatchObject({ blocked: true, blockedReason: 'sanctions screening' });
    expect(noReason.status).toBe(422);
    expect(unblocked.body.blocked).toBe(false);
    expect(unblocked.body.blockedReason).toBeUndefined();
  });

  it('rejects a create without a legal name, an unknown field and an unknown vendor', async () => {
    // Act
    const noName = await call('POST', '/vendors', {
      sourceSupplierId: 'sup-new',
      fields: { displayName: 'X' },
    });
    const unknownField = await call('POST', '/vendors', {
      sourceSupplierId: 'sup-new',
      fields: { colour: 'red' },
    });
    const unknownVendor = await call('POST', '/vendors/V-999999/changes', { fields: { displayName: 'X' } });
    const listed = await call('GET', '/vendors');
    // Assess
    expect(noName.status).toBe(422);
    expect(unknownField.status).toBe(422);
    expect(unknownVendor.status).toBe(404);
    expect((listed.body.vendors as unknown[]).length).toBe(1);
  });
});
