import { classifyForeignChanges } from '../../../functions/erp-adapter/foreign-changes';
import type { CustomerAccount } from '../../../functions/shared/erp/erp-port';

describe('echoes of our own write-back in the CRM', () => {
  const account: CustomerAccount = {
    customerNumber: 'C-000001',
    name: 'Jane Doe',
    creditLimit: '5000.00',
    paymentTerms: 'NET30',
    creditHold: false,
    currency: 'USD',
  };

  it('drops an ERP-owned field reported with the value the ERP holds, and refuses any other value', () => {
    expect(
      classifyForeignChanges(
        [
          { field: 'customerNumber', value: 'C-000001' },
          { field: 'creditLimit', value: '5000' },
          { field: 'paymentTerms', value: 'NET90' },
          { field: 'taxId', value: 'DE123' },
        ],
        account,
      ),
    ).toEqual({ echoes: ['customerNumber', 'creditLimit'], refused: ['paymentTerms', 'taxId'] });
  });

  it('refuses every foreign change of a contact the ERP has no account for', () => {
    expect(classifyForeignChanges([{ field: 'customerNumber', value: 'C-000001' }], undefined)).toEqual({
      echoes: [],
      refused: ['customerNumber'],
    });
  });
});
