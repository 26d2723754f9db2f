import { EmployeeNotYetKnownError, runEmployeeStep } from '../../../functions/erp-adapter/employee-steps';
import { type ErpStep, runErpStep } from '../../../functions/erp-adapter/erp-steps';
import type {
  EmployeeFields,
  EmployeeRecord,
  ErpEmployeePort,
} from '../../../functions/shared/erp/erp-employee-port';
import { ErpOutcomeUnknownError, ErpRefusedError } from '../../../functions/shared/erp/erp-errors';
import type { ChangeLookup } from '../../../functions/shared/erp/erp-port';
import type { ErpEmployeeSyncedV1 } from '../../../functions/shared/generated/types';
import { newId } from '../../../functions/shared/ids';
import type { MetricPoint } from '../../../functions/shared/observability/business-metrics';

/** An in-memory register with the sandbox's rules, and a switch that loses the next answer after committing. */
class FakeEmployeeRegister implements ErpEmployeePort {
  readonly employees = new Map<string, EmployeeRecord>();
  readonly committed = new Map<string, EmployeeRecord>();
  readonly openCostCentres = new Set(['CC-1000', 'CC-2000']);
  loseNextAnswer = false;
  changes = 0;

  private async once(key: string, change: () => EmployeeRecord): Promise<EmployeeRecord> {
    const earlier = this.committed.get(key);
    if (earlier) return earlier;
    const result = change();
    this.changes += 1;
    this.committed.set(key, result);
    if (this.loseNextAnswer) {
      this.loseNextAnswer = false;
      throw new ErpOutcomeUnknownError('ERP POST: no answer (ECONNRESET); the ERP may have committed it');
    }
    return result;
  }

  private assign(costCentre: string | undefined): void {
    if (costCentre && !this.openCostCentres.has(costCentre))
      throw new ErpRefusedError('cost_centre_closed', `Cost centre ${costCentre} is closed`);
  }

  hireEmployee(request: { hrisId: string; startDate: string; fields: EmployeeFields }, key: string) {
    return this.once(key, () => {
      this.assign(request.fields.costCentre);
      const employee: EmployeeRecord = {
        employeeNumber: `E-${String(this.employees.size + 1).padStart(6, '0')}`,
        hrisId: request.hrisId,
        firstName: request.fields.firstName ?? '',
        lastName: request.fields.lastName ?? '',
        ...request.fields,
        costCentre: request.fields.costCentre ?? '',
        startDate: request.startDate,
        status: 'ACTIVE',
        version: 1,
        updatedAt: '2026-11-02T00:00:00.000Z',
      };
      this.employees.set(request.hrisId, employee);
      return employee;
    });
  }

  changeEmployee(employeeNumber: string, request: { fields: EmployeeFields }, key: string) {
    return this.once(key, () => {
      this.assign(request.fields.costCentre);
      const current = [...this.employees.values()].find((e) => e.employeeNumber === employeeNumber);
      if (!current) throw new ErpRefusedError('not_found', employeeNumber);
      const changed = { ...current, ...request.fields, version: current.version + 1 };
      this.employees.set(current.hrisId, changed);
      return changed;
    });
  }

  terminateEmployee(
    employeeNumber: string,
    request: { terminationDate: string; reason?: string },
    key: string,
  ) {
    return this.once(key, () => {
      const current = [...this.employees.values()].find((e) => e.employeeNumber === employeeNumber);
      if (!current) throw new ErpRefusedError('not_found', employeeNumber);
      const ended: EmployeeRecord = {
        ...current,
        terminationDate: request.terminationDate,
        status: 'TERMINATED',
        version: current.version + 1,
      };
      this.employees.set(current.hrisId, ended);
      return ended;
    });
  }

  async findEmployee(hrisId: string) {
    return this.employees.get(hrisId);
  }

  async listEmployees() {
    return [...this.employees.values()];
  }

  async lookupChange(key: string): Promise<ChangeLookup> {
    const result = this.committed.get(key);
    return result ? { state: 'committed', result } : { state: 'absent' };
  }
}

describe('runEmployeeStep', () => {
  let register: FakeEmployeeRegister;
  let announced: ErpEmployeeSyncedV1[];
  const context = (idempotencyKey: string) => ({
    employees: register,
    idempotencyKey,
    resolution: { lookups: 1, pauseMs: 0 },
    announce: async (data: ErpEmployeeSyncedV1) => {
      announced.push(data);
    },
    now: () => new Date('2026-11-02T00:00:05.000Z'),
  });
  const hire = (hrisEmployeeId: string, fields: Record<string, string>, key = `hire-${hrisEmployeeId}`) =>
    runEmployeeStep('hireEmployee', { hrisEmployeeId, startDate: '2026-11-02', fields }, context(key));
  const person = {
    firstName: 'Ada',
    lastName: 'Lovelace',
    workEmail: 'ada@example.com',
    costCentre: 'CC-1000',
  };

  beforeEach(() => {
    register = new FakeEmployeeRegister();
    announced = [];
  });

  it('hires the employee and announces the register entry', async () => {
    // Act
    const result = await hire('bob-1', person);

    // Assess
    expect(result).toEqual({
      employeeNumber: 'E-000001',
      costCentre: 'CC-1000',
      status: 'ACTIVE',
      refused: [],
    });
    expect(announced).toEqual([
      expect.objectContaining({
        employeeNumber: 'E-000001',
        hrisEmployeeId: 'bob-1',
        action: 'hired',
        firstName: 'Ada',
        costCentre: 'CC-1000',
        appliedFields: ['costCentre', 'firstName', 'lastName', 'workEmail'],
        refusedFields: [],
        syncedAt: '2026-11-02T00:00:05.000Z',
      }),
    ]);
  });

  it('answers a hire of an employee already held without changing or announcing anything', async () => {
    // Prepare
    await hire('bob-1', person);
    announced = [];

    // Act
    const result = await hire('bob-1', person, 'hire-again');

    // Assess
    expect(result).toMatchObject({ employeeNumber: 'E-000001', alreadyHired: true });
    expect(register.changes).toBe(1);
    expect(announced).toEqual([]);
  });

  it('rejects a hire into a closed cost centre as the ERP refuses it', async () => {
    // Act
    const hiring = hire('bob-2', { ...person, costCentre: 'CC-9000' });

    // Assess
    await expect(hiring).rejects.toMatchObject({ name: 'ErpRefusedError', code: 'cost_centre_closed' });
    expect(announced).toEqual([]);
  });

  it('applies the HRIS-owned fields of a change and refuses the ERP-owned ones by name', async () => {
    // Prepare
    await hire('bob-1', person);

    // Act
    const result = await runEmployeeStep(
      'changeEmployee',
      {
        hrisEmployeeId: 'bob-1',
        fields: { jobTitle: 'Analyst', payrollGrade: 'G9' },
        foreignChanges: ['costAccount'],
      },
      context('change-1'),
    );

    // Assess
    expect(result).toMatchObject({ employeeNumber: 'E-000001', refused: ['costAccount', 'payrollGrade'] });
    expect(register.employees.get('bob-1')).toMatchObject({ jobTitle: 'Analyst', version: 2 });
    expect(register.employees.get('bob-1')).not.toHaveProperty('payrollGrade');
    expect(announced.at(-1)).toMatchObject({
      action: 'changed',
      appliedFields: ['jobTitle'],
      refusedFields: ['costAccount', 'payrollGrade'],
    });
  });

  it('changes nothing when the HRIS reported only fields it does not own', async () => {
    // Prepare
    await hire('bob-1', person);
    announced = [];

    // Act
    const result = await runEmployeeStep(
      'changeEmployee',
      { hrisEmployeeId: 'bob-1', fields: {}, foreignChanges: ['salary', 'nickname'] },
      context('change-2'),
    );

    // Assess
    expect(result).toMatchObject({ unchanged: true, refused: ['nickname', 'salary'] });
    expect(register.changes).toBe(1);
    expect(announced).toEqual([]);
  });

  it.each([
    ['changeEmployee', { fields: { jobTitle: 'Analyst' } }],
    ['terminateEmployee', { terminationDate: '2026-12-31' }],
  ] as const)('holds %s for an employee the ERP has not hired yet', async (operation, input) => {
    // Act
    const running = runEmployeeStep(operation, { hrisEmployeeId: 'bob-early', ...input }, context('early'));

    // Assess
    await expect(running).rejects.toBeInstanceOf(EmployeeNotYetKnownError);
    expect(register.changes).toBe(0);
  });

  it('applies a held termination once the hire has landed', async () => {
    // Prepare
    const terminate = () =>
      runEmployeeStep(
        'terminateEmployee',
        { hrisEmployeeId: 'bob-3', terminationDate: '2026-12-31', reason: 'resignation' },
        context('terminate-bob-3'),
      );
    await expect(terminate()).rejects.toBeInstanceOf(EmployeeNotYetKnownError);
    await hire('bob-3', person);

    // Act
    const result = await terminate();

    // Assess
    expect(result).toMatchObject({ status: 'TERMINATED', terminationDate: '2026-12-31' });
    expect(announced.at(-1)).toMatchObject({ action: 'terminated', terminationDate: '2026-12-31' });
  });

  it('resolves a lost hire answer by reading the ERP under the same key, hiring once', async () => {
    // Prepare
    register.loseNextAnswer = true;

    // Act
    const result = await hire('bob-4', person, 'hire-lost');

    // Assess
    expect(result).toMatchObject({ employeeNumber: 'E-000001' });
    expect(register.changes).toBe(1);
    expect(announced).toHaveLength(1);
  });

  it('rejects a step without the HRIS id as invalid input', async () => {
    // Act
    const running = runEmployeeStep(
      'hireEmployee',
      { startDate: '2026-11-02', fields: person },
      context('bad'),
    );

    // Assess
    await expect(running).rejects.toMatchObject({ name: 'ErpRefusedError', code: 'invalid_step_input' });
  });

  it('rejects every step against an ERP without an employee register', async () => {
    // Act
    const running = runEmployeeStep(
      'hireEmployee',
      { hrisEmployeeId: 'bob-5', startDate: '2026-11-02', fields: person },
      { ...context('none'), employees: undefined },
    );

    // Assess
    await expect(running).rejects.toMatchObject({ code: 'employees_not_supported' });
  });
});

describe('runErpStep metrics of employee-sync', () => {
  it('counts each synced employee by action, and the fields it refused, per flow only', async () => {
    // Prepare
    const register = new FakeEmployeeRegister();
    const recorded: MetricPoint[] = [];
    const deps = {
      erp: register as never,
      employees: register,
      publish: async () => {},
      erpSourceUri: 'erp://sandbox',
      now: () => new Date('2026-11-02T00:00:05.000Z'),
      resolution: { lookups: 1, pauseMs: 0 },
      metrics: { record: (...points: readonly MetricPoint[]) => void recorded.push(...points) },
    };
    const step = (
      operation: ErpStep['operation'],
      input: Record<string, unknown>,
      entityVersion: number,
    ) => ({
      operation,
      flow: 'employee-sync',
      businessKey: 'employee/bob-1',
      entityVersion,
      correlationId: newId(),
      causationId: newId(),
      origin: 'hibob://acme',
      input,
    });
    // Act
    await runErpStep(
      step(
        'hireEmployee',
        {
          hrisEmployeeId: 'bob-1',
          startDate: '2026-11-02',
          fields: { firstName: 'Ada', lastName: 'Lovelace', costCentre: 'CC-1000' },
        },
        1,
      ),
      deps,
    );
    await runErpStep(
      step(
        'changeEmployee',
        { hrisEmployeeId: 'bob-1', fields: { jobTitle: 'Analyst', payrollGrade: 'G9' } },
        2,
      ),
      deps,
    );
    // Assess
    expect(recorded).toEqual([
      {
        name: 'EmployeesSynced',
        unit: 'Count',
        value: 1,
        dimensions: { flow: 'employee-sync', action: 'hired' },
      },
      {
        name: 'EmployeesSynced',
        unit: 'Count',
        value: 1,
        dimensions: { flow: 'employee-sync', action: 'changed' },
      },
      { name: 'FieldChangesRefused', unit: 'Count', value: 1, dimensions: { flow: 'employee-sync' } },
    ]);
  });

  it('measures a hire from its ingest to the register applying it, and times no change', async () => {
    // Prepare
    const register = new FakeEmployeeRegister();
    const recorded: MetricPoint[] = [];
    const ingestedAt = Date.parse('2026-11-02T00:00:05.000Z');
    const deps = {
      erp: register as never,
      employees: register,
      publish: async () => {},
      erpSourceUri: 'erp://sandbox',
      now: () => new Date(ingestedAt + 42_000),
      resolution: { lookups: 1, pauseMs: 0 },
      metrics: { record: (...points: readonly MetricPoint[]) => void recorded.push(...points) },
    };
    const step = (
      operation: ErpStep['operation'],
      input: Record<string, unknown>,
      entityVersion: number,
    ) => ({
      operation,
      flow: 'employee-sync',
      businessKey: 'employee/bob-1',
      entityVersion,
      correlationId: newId(ingestedAt),
      causationId: newId(ingestedAt),
      origin: 'hibob://acme',
      input,
    });
    // Act
    await runErpStep(
      step(
        'hireEmployee',
        {
          hrisEmployeeId: 'bob-1',
          startDate: '2026-11-02',
          fields: { firstName: 'Ada', lastName: 'Lovelace', costCentre: 'CC-1000' },
        },
        1,
      ),
      deps,
    );
    await runErpStep(
      step('changeEmployee', { hrisEmployeeId: 'bob-1', fields: { jobTitle: 'Analyst' } }, 2),
      deps,
    );
    // Assess
    expect(recorded.filter((point) => point.unit === 'Milliseconds')).toEqual([
      {
        name: 'EmployeeHiredLatency',
        unit: 'Milliseconds',
        value: 42_000,
        dimensions: { flow: 'employee-sync' },
      },
    ]);
  });
});
