import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readEmployee } from '../../functions/hris-reader/read-employee';
import { HibobPeopleClient } from '../../functions/shared/hris/hibob-people-client';
import {
  type HibobServiceUser,
  type PlatformCredentials,
  staticPlatformCredentials,
} from '../../functions/shared/secrets/platform-credentials';
import { type ErpSandbox, startErpSandbox } from '../../local/erp-sandbox/erp-sandbox-server';
import { hibobApiPrefix } from '../../local/erp-sandbox/hibob-people-stand-in';

describe('HibobPeopleClient over the HiBob People API stand-in', () => {
  let erp: ErpSandbox;
  let dir: string;
  let bob: HibobPeopleClient;
  const client = (serviceUser: PlatformCredentials<HibobServiceUser>) =>
    new HibobPeopleClient({
      baseUrl: `${erp.url}${hibobApiPrefix}`,
      serviceUser,
      costCentreFieldId: 'work.costCentre',
    });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'concord-hibob-'));
    erp = await startErpSandbox({ dataDir: dir, port: 0 });
    bob = client(staticPlatformCredentials(erp.credentials.platforms.hibob));
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

  it('fails as unavailable when Bob refuses the service user twice, having read it again once', async () => {
    // Prepare
    const reads: boolean[] = [];
    const wrong = {
      read: async (options?: { refresh?: boolean }) => {
        reads.push(options?.refresh ?? false);
        return { id: erp.credentials.platforms.hibob.id, token: 'wrong-token-of-sixteen' };
      },
    };

    // Act
    const reading = client(wrong).readEmployee('3332883854254932743');

    // Assess
    await expect(reading).rejects.toMatchObject({
      name: 'HrisUnavailableError',
      message: expect.stringMatching(/refused the service user \(401\), read twice/),
    });
    expect(reads).toEqual([false, true]);
  });

  it('reads the service user again after a 401 and succeeds with the rotated one', async () => {
    // Prepare: the cached value is the old token; the secret now holds the new one.
    const rotated = {
      read: async (options?: { refresh?: boolean }) =>
        options?.refresh
          ? erp.credentials.platforms.hibob
          : { id: erp.credentials.platforms.hibob.id, token: 'rotated-away-token' },
    };

    // Act
    const employee = await client(rotated).readEmployee('3332883854254932743');

    // Assess
    expect(employee.fields.costCentre).toBe('CC-1000');
  });

  it("answers a wrong service user with Bob's 401 key/error pair", async () => {
    // Act
    const answer = await fetch(`${erp.url}${hibobApiPrefix}/people/3332883854254932743`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from('SERVICE-OTHER:some-token').toString('base64')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ fields: ['root.firstName'] }),
    });

    // Assess
    expect(answer.status).toBe(401);
    expect(await answer.json()).toEqual({ key: 'Unauthorized', error: expect.any(String) });
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
