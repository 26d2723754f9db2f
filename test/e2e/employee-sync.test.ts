import { createHash } from 'node:crypto';
import { signWebhook } from '../../cli/webhook-signing';
import type { EmployeeRecord } from '../../functions/shared/erp/erp-employee-port';
import { HttpErpEmployeeConnector } from '../../functions/shared/erp/http-erp-employee-connector';
import { sourceDefinitions } from '../../functions/shared/sources/source-registry';
import type { ErpSandbox } from '../../local/erp-sandbox/erp-sandbox-server';
import { warehouseSql } from './support/concord-cli';
import { startPlatformWithErp } from './support/deployed-platform';
import { eventually } from './support/eventually';
import { ExceptionsQueueMessages, ObservedBusEvents } from './support/observed-messages';

const companyId = 636192;
const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/** Bob's webhook v2 payload of `type` for an employee (no personal values: Bob's API holds them). */
function bobWebhook(type: string, employeeId: string, data: Record<string, unknown> = {}) {
  // Each delivery its own triggeredAt, hence its own dedupe id (type:employeeId:triggeredAt), as Bob's are.
  return {
    companyId,
    type,
    triggeredBy: '3332883804594373380',
    triggeredAt: new Date().toISOString().slice(0, 23),
    version: 'v2',
    data: { employeeId, ...data },
  };
}

describe('employee-sync on the embedded runtime: HiBob webhooks onto the ERP employee register', () => {
  let running: Awaited<ReturnType<typeof startPlatformWithErp>>;
  let register: HttpErpEmployeeConnector;
  let sandbox: ErpSandbox;
  let bobSecret: string;
  let busEvents: ObservedBusEvents;
  let exceptionsQueue: ExceptionsQueueMessages;

  /** Posts a payload signed as Bob signs it (HMAC-SHA512 of the body, Base64, in Bob-Signature). */
  async function post(payload: object): Promise<Response> {
    const body = JSON.stringify(payload);
    const url = `${running.platform.apiUrl}/webhooks/hibob`;
    return fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...signWebhook('hmac', bobSecret, body, url, { signature: sourceDefinitions().hibob?.signature }),
      },
      body,
    });
  }

  /** Sets what Bob's People API answers for an employee (an HR admin editing Bob). */
  async function inBob(employeeId: string, person: Record<string, unknown>): Promise<void> {
    const answer = await fetch(`${sandbox.url}/_admin/hibob/people/${employeeId}`, {
      method: 'PUT',
      headers: {
        authorization: `Bearer ${sandbox.credentials.adminToken}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ companyId, person }),
    });
    expect(answer.status).toBe(200);
  }

  const person = (first: string, costCentre: string, title = 'Engineer') => ({
    firstName: first,
    surname: 'Tester',
    email: `${first.toLowerCase()}@acme.example`,
    work: { title, department: 'R&D', costCentre },
  });

  async function synced(employeeId: string, action: string) {
    return busEvents.find(
      (event) =>
        event.type === 'erp.employee.synced.v1' &&
        event.subject === `employee/${employeeId}` &&
        event.data.action === action,
    );
  }

  async function exceptionFor(employeeId: string, matches: (body: Record<string, unknown>) => boolean) {
    return exceptionsQueue.find(`employee/${employeeId}`, matches);
  }

  beforeAll(async () => {
    // Ten times faster local time: the hold's back-offs, the redrive and the warehouse stream take seconds.
    running = await startPlatformWithErp({ clockFactor: 10 });
    sandbox = running.platform.erp as ErpSandbox;
    register = new HttpErpEmployeeConnector(running.erpConnection);
    bobSecret = running.secrets.hibob?.[0] as string;
    busEvents = await ObservedBusEvents.observe(running.clients, 'observe-employees', {
      source: ['concord.erp'],
      'detail-type': ['erp.employee.synced.v1'],
    });
    exceptionsQueue = await ExceptionsQueueMessages.open(running.clients.sqs);
  }, 120_000);

  afterAll(async () => {
    await running.stop();
  });

  afterEach(async () => {
    await running.erpAdmin.clearFaults();
  });

  it('HappyPath: a hire becomes an ERP employee in its cost centre, with the values read from Bob', async () => {
    // Prepare
    await inBob('1001', person('Ada', 'CC-1000'));

    // Act
    const answer = await post(bobWebhook('employee.joined', '1001', { effectiveDate: '2026-11-02' }));
    const event = await synced('1001', 'hired');

    // Assess
    expect(answer.status).toBe(202);
    expect(await register.findEmployee('1001')).toMatchObject({
      firstName: 'Ada',
      lastName: 'Tester',
      workEmail: 'ada@acme.example',
      jobTitle: 'Engineer',
      department: 'R&D',
      costCentre: 'CC-1000',
      startDate: '2026-11-02',
      status: 'ACTIVE',
    });
    expect(event.data).toMatchObject({ employeeNumber: expect.stringMatching(/^E-/), costCentre: 'CC-1000' });
  });

  it('Duplicate: a redelivery is dropped at ingest and a hire sent again hires nobody twice', async () => {
    // Prepare
    await inBob('1002', person('Bea', 'CC-2000'));
    const joined = bobWebhook('employee.joined', '1002', { effectiveDate: '2026-11-03' });
    await post(joined);
    await synced('1002', 'hired');

    // Act
    const redelivered = await post(joined);
    const resent = await post(bobWebhook('employee.joined', '1002', { effectiveDate: '2026-11-03' }));
    await new Promise((resolve) => setTimeout(resolve, 3000));

    // Assess
    expect(redelivered.status).toBe(200);
    expect(resent.status).toBe(202);
    const employees = (await register.listEmployees()).filter((employee) => employee.hrisId === '1002');
    expect(employees).toHaveLength(1);
    expect(employees[0]?.version).toBe(1);
    expect(busEvents.events.filter((event) => event.subject === 'employee/1002')).toHaveLength(1);
  });

  it('TerminationBeforeHire: a termination that overtakes its hire is held, then applied once the hire lands', async () => {
    // Prepare
    await inBob('1003', person('Cy', 'CC-3000'));

    // Act
    expect((await post(bobWebhook('employee.left', '1003', { effectiveDate: '2026-12-31' }))).status).toBe(
      202,
    );
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const heldMeanwhile = await register.findEmployee('1003');
    await post(bobWebhook('employee.joined', '1003', { effectiveDate: '2026-11-04' }));
    const terminated = await synced('1003', 'terminated');

    // Assess
    expect(heldMeanwhile).toBeUndefined();
    expect(terminated.data).toMatchObject({ terminationDate: '2026-12-31', startDate: '2026-11-04' });
    expect(await register.findEmployee('1003')).toMatchObject({
      terminationDate: '2026-12-31',
      status: 'TERMINATION_SCHEDULED',
    });
  }, 60_000);

  it('ForeignFieldRefused: an HRIS change to payroll is refused visibly while its own fields are applied', async () => {
    // Prepare
    await inBob('1004', person('Dee', 'CC-1000'));
    await post(bobWebhook('employee.joined', '1004', { effectiveDate: '2026-11-05' }));
    await synced('1004', 'hired');
    await inBob('1004', person('Dee', 'CC-2000', 'Staff Engineer'));

    // Act
    await post(
      bobWebhook('employee.updated', '1004', {
        fieldUpdates: [
          { fieldId: '/work/title' },
          { fieldId: '/work/costCentre' },
          { fieldId: '/payroll/salary/payment' },
        ],
      }),
    );
    const changed = await synced('1004', 'changed');
    const refusal = await exceptionFor('1004', (body) =>
      JSON.stringify(body.error).includes('ForeignFieldRefused'),
    );

    // Assess
    expect(changed.data).toMatchObject({
      appliedFields: ['costCentre', 'jobTitle'],
      refusedFields: ['salary'],
      costCentre: 'CC-2000',
    });
    expect(refusal).toMatchObject({ flow: 'employee-sync', failedStep: 'Ownership' });
    expect(JSON.stringify(refusal.error)).toContain('salary');
    expect(await register.findEmployee('1004')).toMatchObject({
      jobTitle: 'Staff Engineer',
      costCentre: 'CC-2000',
    });
  });

  it('ClosedCostCentre: a hire into a closed cost centre is refused to the exceptions queue and books nothing', async () => {
    // Prepare
    await inBob('1005', person('Eve', 'CC-9000'));

    // Act
    await post(bobWebhook('employee.joined', '1005', { effectiveDate: '2026-11-06' }));
    const refusal = await exceptionFor('1005', (body) => body.failedStep === 'Apply');

    // Assess
    expect(refusal).toMatchObject({ flow: 'employee-sync', outcome: 'failed' });
    expect(JSON.stringify(refusal.error)).toContain('CC-9000');
    expect(await register.findEmployee('1005')).toBeUndefined();
  });

  it('ErpFaultRecovery: an ERP outage on a change and a lost answer after a committed termination end in one correct record', async () => {
    // Prepare
    await inBob('1006', person('Fay', 'CC-1000'));
    await post(bobWebhook('employee.joined', '1006', { effectiveDate: '2026-11-07' }));
    await synced('1006', 'hired');
    await inBob('1006', person('Fay', 'CC-1000', 'Lead'));
    await running.erpAdmin.addFault({ route: '/employees/*/changes', kind: '5xx', times: 2 });
    await running.erpAdmin.addFault({
      route: '/employees/*/termination',
      kind: '5xx-after-commit',
      times: 1,
    });

    // Act
    await post(bobWebhook('employee.updated', '1006', { fieldUpdates: [{ fieldId: '/work/title' }] }));
    await synced('1006', 'changed');
    await post(bobWebhook('employee.left', '1006', { effectiveDate: '2027-01-31', reason: 'Resignation' }));
    await synced('1006', 'terminated');

    // Assess
    const employees = (await register.listEmployees()).filter((employee) => employee.hrisId === '1006');
    expect(employees).toHaveLength(1);
    expect(employees[0]).toMatchObject({ jobTitle: 'Lead', terminationDate: '2027-01-31', version: 3 });
    expect((await running.erpAdmin.faults()).map((fault) => fault.fired)).toEqual([2, 1]);
    expect(
      busEvents.events.filter(
        (event) => event.subject === 'employee/1006' && event.data.action === 'terminated',
      ),
    ).toHaveLength(1);
  }, 60_000);

  it("WarehouseEqualsRegister: the warehouse's employees model equals the ERP's register, personal fields hashed", async () => {
    // Prepare
    const books = await register.listEmployees();
    const expected = books
      .map((employee: EmployeeRecord) => ({
        employee_number: employee.employeeNumber,
        hris_employee_id: employee.hrisId,
        first_name_hash: sha256(employee.firstName),
        last_name_hash: sha256(employee.lastName),
        work_email_hash: employee.workEmail ? sha256(employee.workEmail) : null,
        job_title: employee.jobTitle ?? null,
        department: employee.department ?? null,
        cost_centre: employee.costCentre,
        start_date: employee.startDate,
        termination_date: employee.terminationDate ?? null,
        erp_version: String(employee.version),
      }))
      .sort((a, b) => a.employee_number.localeCompare(b.employee_number));
    const query = `select employee_number, hris_employee_id, first_name_hash, last_name_hash, work_email_hash, job_title,
      department, cost_centre, start_date, termination_date, erp_version from employees order by employee_number`;

    // Act: the stream delivers every 60 local seconds (6 s here).
    const rows = await eventually(async () => {
      const { rows } = await warehouseSql(running.platform.runtime.options.dataDir, query);
      const found = rows as typeof expected;
      return JSON.stringify(found) === JSON.stringify(expected) ? found : undefined;
    }, 60_000).catch(async (error) => {
      const { stdout } = await warehouseSql(running.platform.runtime.options.dataDir, query);
      throw new Error(
        `${(error as Error).message}: warehouse ${stdout} vs register ${JSON.stringify(expected)}`,
      );
    });

    // Assess
    expect(books.length).toBeGreaterThanOrEqual(5);
    expect(rows).toEqual(expected);
    expect(JSON.stringify(rows)).not.toContain('acme.example');
  }, 90_000);
});
