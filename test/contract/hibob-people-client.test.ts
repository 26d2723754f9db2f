import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readEmployee } from '../../functions/hris-reader/read-employee';
import { HibobPeopleClient } from '../../functions/shared/hris/hibob-people-client';
import { type ErpSandbox, startErpSandbox } from '../../local/erp-sandbox/erp-sandbox-server';
import { hibobApiPrefix, standInServiceUser } from '../../local/erp-sandbox/hibob-people-stand-in';

describe('HibobPeopleClient over the HiBob People API stand-in', () => {
  let erp: ErpSandbox;
  let dir: string;
  let bob: HibobPeopleClient;
  const client = (token: string) =>
    new HibobPeopleClient({
      baseUrl: `${erp.url}${hibobApiPrefix}`,
      serviceUserId: standInServiceUser.id,
      serviceUserToken: token,
      costCentreFieldId: 'work.costCentre',
    });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'concord-hibob-'));
    erp = await startErpSandbox({ dataDir: dir, port: 0 });
    bob = client(standInServiceUser.token);
    const answer = await fetch(`${erp.url}/_admin/hibob/people/3332883854254932743`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${erp.credentials.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        companyId: 636192,
        person: {
          firstName: 'Ada',
          surname: 'Lovelace',
          displayName: 'Ada Lovelace',
          email: 'ada@acme.example',
          work: { title: 'Engineer', department: 'R&D', costCentre: 'CC-1000', site: 'London' },
        },
      }),
    });
    expect(answer.status).toBe(200);
  });

  afterAll(async () => {
    await erp.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads every HRIS-owned field of an employee, by canonical name', async () => {
    // Act
    const employee = await bob.readEmployee('3332883854254932743');

    // Assess
    expect(employee).toEqual({
      hrisEmployeeId: '3332883854254932743',
      fields: {
        firstName: 'Ada',
        lastName: 'Lovelace',
        displayName: 'Ada Lovelace',
        workEmail: 'ada@acme.example',
        jobTitle: 'Engineer',
        department: 'R&D',
        costCentre: 'CC-1000',
      },
    });
  });

  it('splits the fields a change reported into HRIS-owned values, ERP-owned refusals and fields the ERP keeps nothing of', async () => {
    // Act
    const reading = await bob.readChangedFields('3332883854254932743', [
      '/work/department',
      '/work/site',
      '/payroll/salary/payment',
    ]);

    // Assess
    expect(reading).toEqual({
      fields: { department: 'R&D' },
      foreignChanges: ['salary'],
      ignoredFields: ['/work/site'],
    });
  });

  it('rejects an employee Bob does not have as not found', async () => {
    // Act
    const reading = bob.readEmployee('999');

    // Assess
    await expect(reading).rejects.toMatchObject({ name: 'HrisEmployeeNotFoundError' });
  });

  it('fails as unavailable when Bob refuses the service user', async () => {
    // Act
    const reading = client('wrong-token').readEmployee('3332883854254932743');

    // Assess
    await expect(reading).rejects.toMatchObject({ name: 'HrisUnavailableError' });
  });

  it('rejects a change step without changed fields as invalid input', async () => {
    // Act
    const reading = readEmployee(
      { operation: 'readChange', hrisEmployeeId: '3332883854254932743', changedFields: [] },
      bob,
    );

    // Assess
    await expect(reading).rejects.toMatchObject({ name: 'ErpRefusedError', code: 'invalid_step_input' });
  });
});
