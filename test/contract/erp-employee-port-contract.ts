/**
 * The contract every ERP connector with an employee register must honour: run describeErpEmployeePortContract with a
 * factory for the connector under test, against an ERP whose cost centres CC-1000 and CC-2000 are open and CC-9000
 * is closed.
 */
import { randomUUID } from 'node:crypto';
import type { ErpEmployeePort } from '../../functions/shared/erp/erp-employee-port';
import { ErpRefusedError } from '../../functions/shared/erp/erp-errors';

const key = () => randomUUID();
const hrisId = () => `bob-${randomUUID().slice(0, 12)}`;
const person = { firstName: 'Ada', lastName: 'Lovelace', workEmail: 'ada@example.com', jobTitle: 'Engineer' };

/** Registers the contract's tests; `connect` gives the port (called once, before the tests). */
export function describeErpEmployeePortContract(
  name: string,
  connect: () => Promise<{ port: ErpEmployeePort; close: () => Promise<void> }>,
): void {
  describe(`ErpEmployeePort contract: ${name}`, () => {
    let erp: ErpEmployeePort;
    let close: () => Promise<void>;

    beforeAll(async () => {
      ({ port: erp, close } = await connect());
    });

    afterAll(async () => {
      await close();
    });

    it('hires an employee into an open cost centre and finds it by its HRIS id', async () => {
      // Prepare
      const id = hrisId();

      // Act
      const hired = await erp.hireEmployee(
        { hrisId: id, startDate: '2026-11-02', fields: { ...person, costCentre: 'CC-1000' } },
        key(),
      );

      // Assess
      expect(hired).toMatchObject({
        hrisId: id,
        costCentre: 'CC-1000',
        status: 'ACTIVE',
        version: 1,
        ...person,
      });
      expect(hired.employeeNumber).toMatch(/^E-\d{6}$/);
      expect(await erp.findEmployee(id)).toEqual(hired);
      expect((await erp.listEmployees()).map((employee) => employee.hrisId)).toContain(id);
    });

    it('answers the employee it holds when the same HRIS id is hired again under another key', async () => {
      // Prepare
      const id = hrisId();
      const first = await erp.hireEmployee(
        { hrisId: id, startDate: '2026-11-02', fields: { ...person, costCentre: 'CC-1000' } },
        key(),
      );

      // Act
      const second = await erp.hireEmployee(
        { hrisId: id, startDate: '2026-11-02', fields: { ...person, costCentre: 'CC-2000' } },
        key(),
      );

      // Assess
      expect(second).toEqual(first);
    });

    it.each([
      ['CC-9000', 'cost_centre_closed'],
      ['CC-4040', 'cost_centre_unknown'],
    ])('refuses a hire into cost centre %s (%s) and books nothing', async (costCentre, code) => {
      // Prepare
      const id = hrisId();

      // Act
      const hiring = erp.hireEmployee(
        { hrisId: id, startDate: '2026-11-02', fields: { ...person, costCentre } },
        key(),
      );

      // Assess
      await expect(hiring).rejects.toMatchObject({ name: ErpRefusedError.name, code });
      expect(await erp.findEmployee(id)).toBeUndefined();
    });

    it('changes the fields the HRIS owns, moving the employee to another open cost centre', async () => {
      // Prepare
      const hired = await erp.hireEmployee(
        { hrisId: hrisId(), startDate: '2026-11-02', fields: { ...person, costCentre: 'CC-1000' } },
        key(),
      );

      // Act
      const changed = await erp.changeEmployee(
        hired.employeeNumber,
        { fields: { jobTitle: 'Staff Engineer', costCentre: 'CC-2000' } },
        key(),
      );

      // Assess
      expect(changed).toMatchObject({ jobTitle: 'Staff Engineer', costCentre: 'CC-2000', version: 2 });
    });

    it('rejects a change of a field the ERP owns and leaves the employee as it was', async () => {
      // Prepare
      const hired = await erp.hireEmployee(
        { hrisId: hrisId(), startDate: '2026-11-02', fields: { ...person, costCentre: 'CC-1000' } },
        key(),
      );

      // Act
      const changing = erp.changeEmployee(
        hired.employeeNumber,
        { fields: { payrollGrade: 'G9' } as never },
        key(),
      );

      // Assess
      await expect(changing).rejects.toMatchObject({
        name: ErpRefusedError.name,
        code: 'field_owned_by_erp',
      });
      expect(await erp.findEmployee(hired.hrisId)).toEqual(hired);
    });

    it('dates a termination: scheduled when in the future, terminated once past', async () => {
      // Prepare
      const future = await erp.hireEmployee(
        { hrisId: hrisId(), startDate: '2026-01-05', fields: { ...person, costCentre: 'CC-1000' } },
        key(),
      );
      const past = await erp.hireEmployee(
        { hrisId: hrisId(), startDate: '2020-01-06', fields: { ...person, costCentre: 'CC-1000' } },
        key(),
      );

      // Act
      const scheduled = await erp.terminateEmployee(
        future.employeeNumber,
        { terminationDate: '2999-12-31', reason: 'resignation' },
        key(),
      );
      const ended = await erp.terminateEmployee(
        past.employeeNumber,
        { terminationDate: '2021-03-31' },
        key(),
      );

      // Assess
      expect(scheduled).toMatchObject({
        status: 'TERMINATION_SCHEDULED',
        terminationDate: '2999-12-31',
        terminationReason: 'resignation',
      });
      expect(ended).toMatchObject({ status: 'TERMINATED', terminationDate: '2021-03-31' });
    });

    it('refuses a termination dated before the start', async () => {
      // Prepare
      const hired = await erp.hireEmployee(
        { hrisId: hrisId(), startDate: '2026-11-02', fields: { ...person, costCentre: 'CC-1000' } },
        key(),
      );

      // Act
      const terminating = erp.terminateEmployee(
        hired.employeeNumber,
        { terminationDate: '2026-10-30' },
        key(),
      );

      // Assess
      await expect(terminating).rejects.toMatchObject({ code: 'termination_before_start' });
    });

    it('answers a committed change under its idempotency key, and absent for a key never used', async () => {
      // Prepare
      const changeKey = key();
      const hired = await erp.hireEmployee(
        { hrisId: hrisId(), startDate: '2026-11-02', fields: { ...person, costCentre: 'CC-1000' } },
        changeKey,
      );

      // Act
      const committed = await erp.lookupChange(changeKey);
      const absent = await erp.lookupChange(key());

      // Assess
      expect(committed).toEqual({ state: 'committed', result: hired });
      expect(absent).toEqual({ state: 'absent' });
    });
  });
}
