import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { staticErpCredentials } from '../../functions/shared/erp/erp-credentials';
import { ErpOutcomeUnknownError, ErpRefusedError } from '../../functions/shared/erp/erp-errors';
import { HttpErpEmployeeConnector } from '../../functions/shared/erp/http-erp-employee-connector';
import { type ErpSandbox, startErpSandbox } from '../../local/erp-sandbox/erp-sandbox-server';
import { ErpSandboxAdmin } from '../../local/erp-sandbox/sandbox-admin';
import { describeErpEmployeePortContract } from './erp-employee-port-contract';

async function sandbox(): Promise<{ erp: ErpSandbox; dir: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'concord-erp-employees-'));
  return { erp: await startErpSandbox({ dataDir: dir, port: 0 }), dir };
}

function connectorOf(erp: ErpSandbox, timeoutMs = 5000): HttpErpEmployeeConnector {
  return new HttpErpEmployeeConnector({
    baseUrl: erp.url,
    credentials: staticErpCredentials(erp.credentials.apiKeys[0] as string),
    timeoutMs,
  });
}

describeErpEmployeePortContract('HttpErpEmployeeConnector over the ERP sandbox', async () => {
  const { erp, dir } = await sandbox();
  return {
    port: connectorOf(erp),
    close: async () => {
      await erp.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('ERP sandbox employee register (admin, idempotency, faults)', () => {
  let erp: ErpSandbox;
  let dir: string;
  let connector: HttpErpEmployeeConnector;
  let admin: ErpSandboxAdmin;
  const person = { firstName: 'Grace', lastName: 'Hopper', costCentre: 'CC-3000' };

  async function adminPut(route: string, body: unknown): Promise<Response> {
    return fetch(`${erp.url}/_admin${route}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${erp.credentials.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  }

  beforeAll(async () => {
    ({ erp, dir } = await sandbox());
    connector = connectorOf(erp, 500);
    admin = new ErpSandboxAdmin(erp.url, erp.credentials.adminToken);
  });

  afterAll(async () => {
    await erp.close();
    rmSync(dir, { recursive: true, force: true });
  });

  afterEach(async () => {
    await admin.clearFaults();
  });

  it('refuses a move to a cost centre a controller has since closed', async () => {
    // Prepare
    const hired = await connector.hireEmployee(
      { hrisId: 'bob-close-1', startDate: '2026-11-02', fields: person },
      'k-close-hire',
    );
    expect((await adminPut('/cost-centres/CC-5000', { name: 'Pilot', status: 'OPEN' })).status).toBe(200);
    expect((await adminPut('/cost-centres/CC-5000', { name: 'Pilot', status: 'CLOSED' })).status).toBe(200);

    // Act
    const moving = connector.changeEmployee(
      hired.employeeNumber,
      { fields: { costCentre: 'CC-5000' } },
      'k-close-move',
    );

    // Assess
    await expect(moving).rejects.toMatchObject({ name: ErpRefusedError.name, code: 'cost_centre_closed' });
    expect((await connector.findEmployee('bob-close-1'))?.costCentre).toBe('CC-3000');
  });

  it('keeps the payroll fields a payroll user sets through a later HRIS change', async () => {
    // Prepare
    const hired = await connector.hireEmployee(
      { hrisId: 'bob-payroll-1', startDate: '2026-11-02', fields: person },
      'k-payroll-hire',
    );
    const set = await adminPut(`/employees/${hired.employeeNumber}/payroll`, {
      payrollGrade: 'G7',
      costAccount: '6100',
    });

    // Act
    const changed = await connector.changeEmployee(
      hired.employeeNumber,
      { fields: { department: 'Platform' } },
      'k-payroll-change',
    );

    // Assess
    expect(set.status).toBe(200);
    expect(changed).toMatchObject({ department: 'Platform', payrollGrade: 'G7', costAccount: '6100' });
  });

  it('rejects an invalid cost centre from the admin API with a problem and changes nothing', async () => {
    // Act
    const answer = await adminPut('/cost-centres/CC-6000', { name: 'X', status: 'HALF-OPEN' });

    // Assess
    expect(answer.status).toBe(422);
    expect(answer.headers.get('content-type')).toContain('application/problem+json');
    const listed = (await (
      await fetch(`${erp.url}/cost-centres`, {
        headers: { authorization: `Bearer ${erp.credentials.apiKeys[0]}` },
      })
    ).json()) as { costCentres: { code: string }[] };
    expect(listed.costCentres.map((centre) => centre.code)).not.toContain('CC-6000');
  });

  it('loses a hire answer after committing it, and answers it under the same key', async () => {
    // Prepare
    await admin.addFault({ route: '/employees', kind: '5xx-after-commit', times: 1 });

    // Act
    const hiring = connector.hireEmployee(
      { hrisId: 'bob-lost-1', startDate: '2026-11-02', fields: person },
      'k-lost-hire',
    );

    // Assess
    await expect(hiring).rejects.toBeInstanceOf(ErpOutcomeUnknownError);
    const lookup = await connector.lookupChange('k-lost-hire');
    expect(lookup).toMatchObject({
      state: 'committed',
      result: { hrisId: 'bob-lost-1', costCentre: 'CC-3000' },
    });
    const replayed = await connector.hireEmployee(
      { hrisId: 'bob-lost-1', startDate: '2026-11-02', fields: person },
      'k-lost-hire',
    );
    expect(replayed).toEqual((lookup as { result: unknown }).result);
  });

  it('rejects a hire without a name or cost centre as invalid', async () => {
    // Act
    const hiring = connector.hireEmployee(
      { hrisId: 'bob-incomplete', startDate: '2026-11-02', fields: { firstName: 'Only' } },
      'k-incomplete',
    );

    // Assess
    await expect(hiring).rejects.toMatchObject({ code: 'invalid_employee_change' });
    expect(await connector.findEmployee('bob-incomplete')).toBeUndefined();
  });
});
