/** The ERP adapter's customer operations: find a buyer's account, open one on a first order, sync a CRM contact. */
import type { CustomerAccount } from '../../shared/erp/erp-port';
import type { OperationHandler } from '../erp-step';
import { classifyForeignChanges, type ForeignChange } from '../foreign-changes';
import { invalidStepInput, optionalText, requiredText, type StepInput } from '../step-input';

/** What order-to-cash continues with once it knows its buyer's account. */
function accountOutcome(account: CustomerAccount): Record<string, unknown> {
  return {
    customerNumber: account.customerNumber,
    currency: account.currency,
    creditHold: account.creditHold,
  };
}

/**
 * findCustomer: the account of the order's email, or `{ found: false }`. Read-only, so it needs no idempotency
 * record: most orders come from known buyers, and only an unknown one (or an order without an email) goes on to
 * resolveCustomer, which may open an account.
 */
export const findCustomer: OperationHandler = async ({ input, deps }) => {
  const email = input.email;
  const account =
    typeof email === 'string' && email !== '' ? await deps.erp.findCustomer({ email }) : undefined;
  return account ? { found: true, ...accountOutcome(account) } : { found: false };
};

/**
 * resolveCustomer: the account of the order's email, opened under the source's customer reference when the ERP has
 * none. `sourceCustomerRef` is only needed (and only checked) when an account is opened.
 */
export const resolveCustomer: OperationHandler = async ({ input, deps, idempotencyKey, commit }) => {
  const email = optionalText(input, 'email');
  const found = email ? await deps.erp.findCustomer({ email }) : undefined;
  const account =
    found ??
    (await commit(() =>
      deps.erp.upsertCustomer(
        {
          crmId: requiredText(input, 'sourceCustomerRef'),
          fields: { name: optionalText(input, 'name') ?? email ?? 'unknown', email },
        },
        idempotencyKey,
      ),
    ));
  return accountOutcome(account);
};

/** upsertCustomer's input: a CRM contact's changed fields, and the changes it reported to fields the ERP owns. */
export interface UpsertCustomerInput {
  crmContactId: string;
  fields: Partial<Pick<CustomerAccount, 'name' | 'email' | 'phone'>>;
  foreignChanges: ForeignChange[];
  /** Only an existing ERP customer is updated (a CRM lead edited is not an account yet). */
  existingOnly: boolean;
}

/** Reads upsertCustomer's input. */
export function readUpsertCustomerInput(input: StepInput): UpsertCustomerInput {
  const fields = input.fields ?? {};
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields))
    invalidStepInput('Step input fields must be an object');
  const foreignChanges = input.foreignChanges ?? [];
  if (!Array.isArray(foreignChanges))
    invalidStepInput('Step input foreignChanges must be a list of { field, value }');
  return {
    fields: fields as UpsertCustomerInput['fields'],
    crmContactId: requiredText(input, 'crmContactId'),
    foreignChanges: foreignChanges as ForeignChange[],
    existingOnly: input.existingOnly === true,
  };
}

/**
 * upsertCustomer: a CRM contact's owned fields onto its ERP account, announced as erp.customer.synced.v1. Changes to
 * fields the ERP owns are refused by name, or dropped as echoes of our own write-back (foreign-changes.ts).
 */
export const upsertCustomer: OperationHandler = async ({ input, deps, idempotencyKey, commit, announce }) => {
  const { crmContactId, fields, foreignChanges, existingOnly } = readUpsertCustomerInput(input);
  const existing = await deps.erp.findCustomer({ crmId: crmContactId });
  const { refused, echoes } = classifyForeignChanges(foreignChanges, existing);
  // A CRM contact becomes an ERP account when it first buys (resolveCustomer), not when a lead is edited.
  if (existingOnly && !existing) return { skipped: 'not-an-erp-customer', refused, echoes };
  if (Object.keys(fields).length === 0) return { refused, echoes };
  const account = await commit(() =>
    deps.erp.upsertCustomer({ crmId: crmContactId, fields }, idempotencyKey),
  );
  await announce('erp.customer.synced.v1', `customer/${account.customerNumber}`, {
    customerNumber: account.customerNumber,
    crmContactId,
    appliedFields: Object.keys(fields),
    refusedFields: refused,
    syncedAt: deps.now().toISOString(),
  });
  return { customerNumber: account.customerNumber, refused, echoes };
};
