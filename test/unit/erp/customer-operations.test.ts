import {
  findCustomer,
  resolveCustomer,
  upsertCustomer,
} from '../../../functions/erp-adapter/operations/customer-operations';
import {
  ErpOutcomeUnknownError,
  ErpRefusedError,
  ErpThrottledError,
} from '../../../functions/shared/erp/erp-errors';
import { erpStepHarness } from './erp-step-harness';

describe('findCustomer', () => {
  it('answers the account of the order email', async () => {
    // Prepare
    const { erp, run, step } = erpStepHarness();
    erp.addCustomer({ customerNumber: 'C-7', email: 'ada@example.com', creditHold: true });
    // Act
    const result = await run(findCustomer, step('findCustomer', { email: 'ada@example.com' }));
    // Assess
    expect(result).toEqual({ found: true, customerNumber: 'C-7', currency: 'EUR', creditHold: true });
  });

  it('answers not found for an order without an email, without asking the ERP', async () => {
    // Prepare
    const { erp, run, step } = erpStepHarness();
    // Act
    const result = await run(findCustomer, step('findCustomer', { email: '' }));
    // Assess
    expect(result).toEqual({ found: false });
    expect(erp.calls).toEqual([]);
  });
});

describe('resolveCustomer', () => {
  it('answers the existing account and opens none', async () => {
    // Prepare
    const { erp, run, step } = erpStepHarness();
    erp.addCustomer({ customerNumber: 'C-7', email: 'ada@example.com' });
    // Act: no sourceCustomerRef, which only opening an account needs
    const result = await run(resolveCustomer, step('resolveCustomer', { email: 'ada@example.com' }));
    // Assess
    expect(result).toEqual({ customerNumber: 'C-7', currency: 'EUR', creditHold: false });
    expect(erp.changeCalls()).toEqual([]);
  });

  it('opens an account under the source customer reference for an unknown buyer', async () => {
    // Prepare
    const { erp, run, step } = erpStepHarness();
    // Act
    const result = await run(
      resolveCustomer,
      step('resolveCustomer', {
        email: 'new@example.com',
        name: 'Grace Hopper',
        sourceCustomerRef: 'gid://1',
      }),
    );
    // Assess
    expect(result).toMatchObject({ customerNumber: 'C-000001' });
    expect(erp.customers).toEqual([
      expect.objectContaining({ crmId: 'gid://1', name: 'Grace Hopper', email: 'new@example.com' }),
    ]);
  });

  it('rejects opening an account without a source customer reference', async () => {
    // Prepare
    const { erp, run, step } = erpStepHarness();
    // Act
    const result = await run(resolveCustomer, step('resolveCustomer', { email: 'new@example.com' }));
    // Assess
    expect(result).toMatchObject({ name: 'ErpRefusedError', code: 'invalid_step_input' });
    expect(erp.customers).toEqual([]);
  });

  it('continues with the account opened when the answer to its opening is lost', async () => {
    // Prepare
    const { erp, run, step, metricNames } = erpStepHarness();
    erp.loseNextAnswer('upsertCustomer');
    // Act
    const result = await run(
      resolveCustomer,
      step('resolveCustomer', { email: 'new@example.com', sourceCustomerRef: 'gid://1' }),
    );
    // Assess
    expect(result).toMatchObject({ customerNumber: 'C-000001' });
    expect(erp.customers).toHaveLength(1);
    expect(metricNames()).toEqual(['LostAnswersResolved']);
  });
});

describe('upsertCustomer', () => {
  const contact = { crmContactId: 'hs-1', fields: { phone: '+49 30 1234' } };

  it('writes the CRM fields and announces the sync, refusing a change to an ERP-owned field', async () => {
    // Prepare
    const { erp, run, step, published, metricNames } = erpStepHarness();
    erp.addCustomer({ customerNumber: 'C-7', crmId: 'hs-1', creditLimit: '1000.00' });
    // Act
    const result = await run(
      upsertCustomer,
      step(
        'upsertCustomer',
        { ...contact, foreignChanges: [{ field: 'creditLimit', value: '5000' }] },
        { flow: 'customer-sync', businessKey: 'customer/hs-1' },
      ),
    );
    // Assess
    expect(result).toEqual({ customerNumber: 'C-7', refused: ['creditLimit'], echoes: [] });
    expect(erp.customers[0]?.phone).toBe('+49 30 1234');
    expect(published.map((event) => [event.type, event.subject, event.data])).toEqual([
      [
        'erp.customer.synced.v1',
        'customer/C-7',
        expect.objectContaining({ appliedFields: ['phone'], refusedFields: ['creditLimit'] }),
      ],
    ]);
    expect(metricNames()).toEqual(['CustomersSynced', 'FieldChangesRefused']);
  });

  it('drops our own write-back coming back as an echo', async () => {
    // Prepare
    const { erp, run, step } = erpStepHarness();
    erp.addCustomer({ customerNumber: 'C-7', crmId: 'hs-1', creditLimit: '1000.00' });
    // Act
    const result = await run(
      upsertCustomer,
      step('upsertCustomer', {
        crmContactId: 'hs-1',
        foreignChanges: [{ field: 'creditLimit', value: '1000' }],
      }),
    );
    // Assess
    expect(result).toEqual({ refused: [], echoes: ['creditLimit'] });
    expect(erp.changeCalls()).toEqual([]);
  });

  it('skips a contact that is not an ERP customer when only existing ones are synced', async () => {
    // Prepare
    const { erp, run, step, published } = erpStepHarness();
    // Act
    const result = await run(upsertCustomer, step('upsertCustomer', { ...contact, existingOnly: true }));
    // Assess
    expect(result).toEqual({ skipped: 'not-an-erp-customer', refused: [], echoes: [] });
    expect(erp.customers).toEqual([]);
    expect(published).toEqual([]);
  });

  it('rejects fields that are not an object, changing nothing', async () => {
    // Prepare
    const { erp, run, step } = erpStepHarness();
    // Act
    const result = await run(
      upsertCustomer,
      step('upsertCustomer', { crmContactId: 'hs-1', fields: 'phone' }),
    );
    // Assess
    expect(result).toBeInstanceOf(ErpRefusedError);
    expect(erp.calls).toEqual([]);
  });

  it('fails as ErpOutcomeUnknownError and announces nothing when a lost answer cannot be read back', async () => {
    // Prepare
    const { erp, run, step, published } = erpStepHarness();
    erp.failNext('upsertCustomer', new ErpOutcomeUnknownError('ERP PUT /customers: no answer'));
    erp.lookupWhenUncommitted = new Error('socket hang up');
    // Act
    const result = await run(upsertCustomer, step('upsertCustomer', contact));
    // Assess
    expect(result).toBeInstanceOf(ErpOutcomeUnknownError);
    expect((result as Error).message).toContain('the ERP could not be read (socket hang up)');
    expect(published).toEqual([]);
  });

  it('passes a throttle through untouched', async () => {
    // Prepare
    const { erp, run, step } = erpStepHarness();
    const throttle = new ErpThrottledError('slow down', 2);
    erp.failNext('upsertCustomer', throttle);
    // Act
    const result = await run(upsertCustomer, step('upsertCustomer', contact));
    // Assess
    expect(result).toBe(throttle);
  });
});
