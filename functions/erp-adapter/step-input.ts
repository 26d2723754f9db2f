/**
 * Readers of a step's `input` (what the state machine's Arguments put there): each returns the typed value or refuses
 * the step as `ErpRefusedError` code `invalid_step_input`, so bad input changes nothing in the ERP.
 */
import { ErpRefusedError } from '../shared/erp/erp-errors';
import type { LineRequest } from '../shared/erp/erp-port';

/** A step's input as the workflow sends it: JSON, not yet checked. */
export type StepInput = Readonly<Record<string, unknown>>;

/** Refuses the step for bad input. */
export function invalidStepInput(message: string): never {
  throw new ErpRefusedError('invalid_step_input', message);
}

/** A required, non-empty string. */
export function requiredText(input: StepInput, name: string): string {
  const value = input[name];
  if (typeof value !== 'string' || value === '')
    invalidStepInput(`Step input ${name} must be a non-empty string`);
  return value;
}

/** A string when the input holds one (empty included: the ERP sees what the workflow sent), else undefined. */
export function optionalText(input: StepInput, name: string): string | undefined {
  const value = input[name];
  return typeof value === 'string' ? value : undefined;
}

/** A non-empty string when the input holds one, else undefined (an empty value means "not given"). */
export function optionalNonEmptyText(input: StepInput, name: string): string | undefined {
  const value = input[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Order lines. Only their shape is checked (a list of objects): quantities and SKUs are the ERP's to judge, and its
 * refusal names the line (order-validation shows that message to the caller).
 */
export function lineRequests(input: StepInput, name = 'lines'): LineRequest[] {
  const value = input[name];
  if (!Array.isArray(value) || value.some((line) => line === null || typeof line !== 'object'))
    invalidStepInput(`Step input ${name} must be a list of { sku, quantity }`);
  return value as LineRequest[];
}

/** A list of strings; absent means empty. */
export function textList(input: StepInput, name: string): string[] {
  const value = input[name] ?? [];
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string'))
    invalidStepInput(`Step input ${name} must be a list of strings`);
  return value as string[];
}
