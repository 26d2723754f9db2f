/**
 * supplier-sync's ERP step: a procurement platform supplier onto the ERP's vendor master. Only the fields the platform
 * owns are written; values it sent for ERP-owned fields (bank details, payment terms, tax registration, the blocked
 * state) are refused by name, or dropped as echoes when they equal what the ERP holds. Refusals never carry values:
 * bank details are secret-class.
 */

import { createHash } from 'node:crypto';
import { ErpRefusedError } from '../shared/erp/erp-errors';
import {
  type ErpVendorPort,
  type PlatformOwnedVendorField,
  platformOwnedVendorFields,
  type VendorAddress,
  type VendorFields,
  type VendorRecord,
} from '../shared/erp/erp-vendor-port';
import { ConcordError } from '../shared/errors';
import type { ErpSupplierSyncedV1 } from '../shared/generated/types';
import { loadSystemOfRecord, type SystemOfRecord } from '../shared/governance/system-of-record';
import { invalidStepInput } from './step-input';

/** The operations this module performs for the ERP adapter. */
export const vendorOperations = ['upsertVendor'] as const;
/** One vendor operation. */
export type VendorOperation = (typeof vendorOperations)[number];

/**
 * A change for a supplier the ERP has no vendor for, without the legal name a vendor needs: its create has not
 * arrived yet. The flow holds it and tries again, as an amendment that arrives before its order is held.
 */
export class SupplierNotYetKnownError extends ConcordError {
  override readonly name = 'SupplierNotYetKnownError';
}

/** A value the platform sent for a supplier field the ERP owns (procurement.supplier.* `foreignChanges`). */
export interface ForeignVendorChange {
  field: string;
  value?: string;
  /**
   * A secret-class value (bank details) as ingest sealed it: a keyed digest whose key the adapter does not hold, so
   * it is compared with nothing and always refused by name (docs/suppliers.md, Secret-class fields).
   */
  secretValue?: string;
}

/** What one step did to the vendor, as erp.supplier.synced.v1 announces it. */
export interface VendorSyncDetails {
  action: 'created' | 'changed';
  appliedFields: string[];
  refusedFields: string[];
}

/** What erp-steps.ts lends the step: the vendor master, the step's commit (lost answers resolved), its announcer. */
export interface VendorStepContext {
  vendors: ErpVendorPort | undefined;
  /** Sends a change under the step's idempotency key, resolving a lost answer by reading the ERP under that key. */
  commit<T>(change: (idempotencyKey: string) => Promise<T>): Promise<T>;
  /** Publishes erp.supplier.synced.v1 (one id per step: a repeat is deduplicated downstream). */
  announce(vendor: VendorRecord, details: VendorSyncDetails): Promise<void>;
  /** The system-of-record registry (loaded from schemas/governance/system-of-record.json unless given). */
  systemOfRecord?: SystemOfRecord;
}

let registry: SystemOfRecord | undefined;

function loadedRegistry(): SystemOfRecord {
  registry ??= loadSystemOfRecord();
  return registry;
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function same(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

/** Whether the platform's value for an ERP-owned field is the one the ERP already holds (our own data coming back). */
function isEcho(change: ForeignVendorChange, vendor: VendorRecord | undefined): boolean {
  if (!vendor || change.value === undefined) return false;
  switch (change.field) {
    case 'bankAccount':
      return (
        vendor.bankAccountSha256 !== undefined &&
        vendor.bankAccountSha256 === sha256(change.value.replace(/\s+/g, '').toUpperCase())
      );
    case 'paymentTerms':
      return same(vendor.paymentTerms, change.value);
    case 'taxId':
      return vendor.taxId !== undefined && same(vendor.taxId, change.value);
    case 'blocked':
      return String(vendor.blocked) === change.value.trim().toLowerCase();
    default:
      return false;
  }
}

/**
 * The platform's fields of the step, each checked against the registry: a field another system owns, or one the
 * vendor master does not know, is refused by name; nothing is dropped silently.
 */
export function classifyVendorFields(
  input: Record<string, unknown>,
  systemOfRecord: SystemOfRecord,
): { fields: VendorFields; refused: string[] } {
  const raw = input.fields ?? {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    invalidStepInput('Step input fields must be an object');
  const ownedByPlatform = (field: string) => {
    try {
      return (
        systemOfRecord.ownerOf('supplier', field) === 'procurement' &&
        (platformOwnedVendorFields as readonly string[]).includes(field)
      );
    } catch {
      return false;
    }
  };
  const fields: VendorFields = {};
  const refused: string[] = [];
  for (const [field, value] of Object.entries(raw)) {
    if (!ownedByPlatform(field)) refused.push(field);
    else if (field === 'address') {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        invalidStepInput('Step input fields.address must be an object');
      fields.address = value as VendorAddress;
    } else if (typeof value === 'string' && value !== '')
      fields[field as Exclude<PlatformOwnedVendorField, 'address'>] = value;
    else invalidStepInput(`Step input fields.${field} must be a non-empty string`);
  }
  return { fields, refused: refused.sort() };
}

function foreignChangesOf(input: Record<string, unknown>): ForeignVendorChange[] {
  const raw = input.foreignChanges ?? [];
  if (
    !Array.isArray(raw) ||
    raw.some(
      (change) =>
        typeof change !== 'object' ||
        change === null ||
        typeof change.field !== 'string' ||
        (change.value !== undefined && typeof change.value !== 'string') ||
        (change.secretValue !== undefined && typeof change.secretValue !== 'string'),
    )
  )
    invalidStepInput('Step input foreignChanges must be a list of { field, value }');
  return raw as ForeignVendorChange[];
}

function normalisedAddress(address: VendorAddress | undefined): string {
  const entries = Object.entries(address ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return JSON.stringify(entries);
}

/** The platform's fields whose values differ from the vendor's: only they are sent, so a re-sent supplier changes nothing. */
function differing(fields: VendorFields, vendor: VendorRecord): VendorFields {
  const changed: VendorFields = {};
  for (const [field, value] of Object.entries(fields) as [keyof VendorFields, unknown][]) {
    if (field === 'address') {
      if (normalisedAddress(value as VendorAddress) !== normalisedAddress(vendor.address))
        changed.address = value as VendorAddress;
    } else if (value !== vendor[field]) changed[field] = value as string;
  }
  return changed;
}

function outcome(vendor: VendorRecord, extra: Record<string, unknown>): Record<string, unknown> {
  return { vendorNumber: vendor.vendorNumber, blocked: vendor.blocked, ...extra };
}

/** Runs the vendor step; returns what the workflow continues with. Errors keep their class names for Retry/Catch. */
export async function runVendorStep(
  _operation: VendorOperation,
  input: Record<string, unknown>,
  context: VendorStepContext,
): Promise<Record<string, unknown>> {
  const vendors = context.vendors;
  if (!vendors)
    throw new ErpRefusedError(
      'vendors_not_supported',
      'The ERP connector has no vendor master (ErpVendorPort): supplier-sync cannot run against it',
    );
  const systemOfRecord = context.systemOfRecord ?? loadedRegistry();
  const sourceSupplierId = input.sourceSupplierId;
  if (typeof sourceSupplierId !== 'string' || sourceSupplierId === '')
    invalidStepInput('Step input sourceSupplierId must be a non-empty string');
  const { fields, refused: unowned } = classifyVendorFields(input, systemOfRecord);
  const existing = await vendors.findVendor(sourceSupplierId);
  const refused = new Set(unowned);
  const echoes: string[] = [];
  for (const change of foreignChangesOf(input)) {
    if (isEcho(change, existing)) echoes.push(change.field);
    else refused.add(change.field);
  }
  const refusedFields = [...refused].sort();
  if (!existing) {
    if (fields.legalName === undefined)
      throw new SupplierNotYetKnownError(
        `Supplier ${sourceSupplierId} has no vendor in the ERP yet, and the change carries no legal name to create one`,
      );
    const vendor = await context.commit((key) => vendors.createVendor({ sourceSupplierId, fields }, key));
    await context.announce(vendor, {
      action: 'created',
      appliedFields: Object.keys(fields).sort(),
      refusedFields,
    });
    return outcome(vendor, { action: 'created', refused: refusedFields, echoes });
  }
  const changes = differing(fields, existing);
  if (Object.keys(changes).length === 0)
    return outcome(existing, { action: 'unchanged', refused: refusedFields, echoes });
  const vendor = await context.commit((key) =>
    vendors.changeVendor(existing.vendorNumber, { fields: changes }, key),
  );
  await context.announce(vendor, {
    action: 'changed',
    appliedFields: Object.keys(changes).sort(),
    refusedFields,
  });
  return outcome(vendor, { action: 'changed', refused: refusedFields, echoes });
}

/** The erp.supplier.synced.v1 data for a vendor: its state after the step, bank details only as the fingerprint. */
export function supplierSyncedData(
  vendor: VendorRecord,
  details: VendorSyncDetails,
  syncedAt: string,
): ErpSupplierSyncedV1 {
  const optional = <K extends keyof VendorRecord>(key: K) =>
    vendor[key] === undefined ? {} : { [key]: vendor[key] };
  return {
    vendorNumber: vendor.vendorNumber,
    sourceSupplierId: vendor.sourceSupplierId,
    ...details,
    vendor: {
      legalName: vendor.legalName,
      ...optional('displayName'),
      ...optional('contactName'),
      ...optional('contactEmail'),
      ...optional('contactPhone'),
      ...optional('address'),
      paymentTerms: vendor.paymentTerms,
      ...optional('bankAccountSha256'),
      ...optional('taxId'),
      blocked: vendor.blocked,
      version: vendor.version,
    },
    syncedAt,
  };
}
