import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { staticErpCredentials } from '../../../functions/shared/erp/erp-credentials';
import { HttpErpEmployeeConnector } from '../../../functions/shared/erp/http-erp-employee-connector';
import { HttpErpVendorConnector } from '../../../functions/shared/erp/http-erp-vendor-connector';
import { type ErpSandbox, startErpSandbox } from '../../../local/erp-sandbox/erp-sandbox-server';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('ERP vendor and employee listings by change window (what a reconciliation reads)', () => {
  let erp: ErpSandbox;
  let dir: string;
  let vendors: HttpErpVendorConnector;
  let employees: HttpErpEmployeeConnector;
  let between: { fromIso: string; toIso: string };
  let keys = 0;
  const key = () => `listing-test-${++keys}`;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'concord-master-listing-'));
    erp = await startErpSandbox({ dataDir: dir, port: 0 });
    const connection = {
      baseUrl: erp.url,
      credentials: staticErpCredentials(erp.credentials.apiKeys[0] as string),
    };
    vendors = new HttpErpVendorConnector(connection);
    employees = new HttpErpEmployeeConnector(connection);
    // Before the window: one vendor, one employee. In it: another of each, and a change to the first vendor.
    const early = await vendors.createVendor(
      { sourceSupplierId: 'sup-early', fields: { legalName: 'Early GmbH' } },
      key(),
    );
    await employees.hireEmployee(
      {
        hrisId: 'hr-early',
        startDate: '2026-11-02',
        fields: { firstName: 'A', lastName: 'B', costCentre: 'CC-1000' },
      },
      key(),
    );
    await sleep(5);
    const from = new Date().toISOString();
    await sleep(5);
    await vendors.createVendor({ sourceSupplierId: 'sup-late', fields: { legalName: 'Late AB' } }, key());
    await vendors.changeVendor(early.vendorNumber, { fields: { displayName: 'Early' } }, key());
    await employees.hireEmployee(
      {
        hrisId: 'hr-late',
        startDate: '2026-11-03',
        fields: { firstName: 'C', lastName: 'D', costCentre: 'CC-1000' },
      },
      key(),
    );
    await sleep(5);
    between = { fromIso: from, toIso: new Date().toISOString() };
  });

  afterAll(async () => {
    await erp.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists only the vendors whose latest change lies in the window', async () => {
    // Act
    const changed = await vendors.listVendors(between);
    const all = await vendors.listVendors();

    // Assess
    expect(changed.map((vendor) => vendor.sourceSupplierId).sort()).toEqual(['sup-early', 'sup-late']);
    expect(all).toHaveLength(2);
    expect(
      await vendors.listVendors({
        fromIso: between.toIso,
        toIso: new Date(Date.now() + 60_000).toISOString(),
      }),
    ).toEqual([]);
  });

  it('lists only the employees whose latest change lies in the window', async () => {
    // Act
    const changed = await employees.listEmployees(between);

    // Assess
    expect(changed.map((employee) => employee.hrisId)).toEqual(['hr-late']);
    expect(await employees.listEmployees()).toHaveLength(2);
  });

  it('refuses a window that is not one, rather than listing everything', async () => {
    // Act
    const answer = await fetch(`${erp.url}/vendors?updatedFrom=yesterday&updatedTo=${between.toIso}`, {
      headers: { authorization: `Bearer ${erp.credentials.apiKeys[0]}` },
    });
    const reversed = await fetch(
      `${erp.url}/employees?updatedFrom=${between.toIso}&updatedTo=${between.fromIso}`,
      { headers: { authorization: `Bearer ${erp.credentials.apiKeys[0]}` } },
    );
    const half = await fetch(`${erp.url}/employees?updatedFrom=${between.fromIso}`, {
      headers: { authorization: `Bearer ${erp.credentials.apiKeys[0]}` },
    });

    // Assess
    expect(answer.status).toBe(400);
    expect(await answer.json()).toMatchObject({ code: 'invalid_query', status: 400 });
    expect(reversed.status).toBe(400);
    expect(half.status).toBe(400);
  });
});
