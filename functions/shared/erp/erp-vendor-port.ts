/**
 * The ERP's vendor master: suppliers from the procurement platform, with the ERP's own finance data. A port of its
 * own beside ErpPort, so that an ERP connector without a purchasing module still implements ErpPort whole.
 */
import type { ChangeLookup } from './erp-port';

/** The supplier fields the procurement platform owns (schemas/governance/system-of-record.json, entity supplier). */
export const platformOwnedVendorFields = [
  'legalName',
  'displayName',
  'contactName',
  'contactEmail',
  'contactPhone',
  'address',
] as const;
/** One platform-owned vendor field. */
export type PlatformOwnedVendorField = (typeof platformOwnedVendorFields)[number];

/** A vendor's postal address. */
export interface VendorAddress {
  line1?: string;
  line2?: string;
  city?: string;
  region?: string;
  postalCode?: string;
  country?: string;
}

/** The platform-owned values a create or change carries. */
export interface VendorFields {
  legalName?: string;
  displayName?: string;
  contactName?: string;
  contactEmail?: string;
  contactPhone?: string;
  address?: VendorAddress;
}

/** A vendor as the ERP holds it; the bank account is never answered, only masked and as a SHA-256 fingerprint. */
export interface VendorRecord extends VendorFields {
  vendorNumber: string;
  sourceSupplierId: string;
  legalName: string;
  paymentTerms: string;
  bankAccountMasked?: string;
  bankAccountSha256?: string;
  taxId?: string;
  blocked: boolean;
  blockedReason?: string;
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** The ERP's vendor master. Every change carries an idempotency key; lost answers are read back with lookupChange. */
export interface ErpVendorPort {
  /** Creates the vendor for a platform supplier; one already booked for it is answered unchanged. */
  createVendor(
    request: { sourceSupplierId: string; fields: VendorFields },
    idempotencyKey: string,
  ): Promise<VendorRecord>;
  /** Changes platform-owned fields of a vendor. */
  changeVendor(
    vendorNumber: string,
    request: { fields: VendorFields },
    idempotencyKey: string,
  ): Promise<VendorRecord>;
  /** The vendor booked for a platform supplier id, if any. */
  findVendor(sourceSupplierId: string): Promise<VendorRecord | undefined>;
  /** Every vendor in the master; given a window, those whose latest change lies in it (from inclusive, to exclusive). */
  listVendors(changed?: { fromIso: string; toIso: string }): Promise<VendorRecord[]>;
  lookupChange(idempotencyKey: string): Promise<ChangeLookup>;
}
