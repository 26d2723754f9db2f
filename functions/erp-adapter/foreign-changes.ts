/**
 * customer-sync's ownership rule at the ERP: a CRM change to a field the ERP owns is refused, unless it is our own
 * write-back coming back (the value the ERP already holds), which is an echo and dropped.
 */
import type { CustomerAccount } from '../shared/erp/erp-port';

/** A change the CRM reported to a field another system owns (crm.customer.upserted `foreignChanges`). */
export interface ForeignChange {
  field: string;
  value: string;
}

/** The ERP account's value of a canonical customer field the CRM mirrors, where the account holds one. */
function erpValueOf(account: CustomerAccount, field: string): string | undefined {
  switch (field) {
    case 'customerNumber':
      return account.customerNumber;
    case 'creditLimit':
      return account.creditLimit;
    case 'paymentTerms':
      return account.paymentTerms;
    default:
      return undefined;
  }
}

function sameValue(erpValue: string, reported: string): boolean {
  const numeric = /^-?\d+(\.\d+)?$/;
  if (numeric.test(erpValue) && numeric.test(reported.trim()))
    return Number(erpValue) === Number(reported.trim());
  return erpValue.trim().toLowerCase() === reported.trim().toLowerCase();
}

/**
 * Our own write-back comes back from the CRM as a change to an ERP-owned field carrying the value the ERP holds:
 * that is an echo, dropped. Any other value is the CRM overriding the ERP: refused.
 */
export function classifyForeignChanges(
  changes: readonly ForeignChange[],
  account: CustomerAccount | undefined,
): { refused: string[]; echoes: string[] } {
  const refused: string[] = [];
  const echoes: string[] = [];
  for (const change of changes) {
    const erpValue = account ? erpValueOf(account, change.field) : undefined;
    if (erpValue !== undefined && sameValue(erpValue, change.value)) echoes.push(change.field);
    else refused.push(change.field);
  }
  return { refused, echoes };
}
