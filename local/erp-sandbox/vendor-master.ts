/** The ERP sandbox's vendor master: suppliers with the procurement platform's details and the ERP's own finance data. */
import { createHash } from 'node:crypto';
import { NotFoundError, RefusalError } from './erp-errors';
import type { LedgerHandle } from './ledger/ledger-database';
import { pathParameter, type SandboxRoute } from './sandbox-routes';

/** The fields the procurement platform writes (system-of-record.json, entity supplier); any other is refused by name. */
export const platformVendorFields = [
  'legalName',
  'displayName',
  'contactName',
  'contactEmail',
  'contactPhone',
  'address',
] as const;
type PlatformVendorField = (typeof platformVendorFields)[number];

/** The finance fields the ERP keeps, set by its own users (/_admin/vendors/{number}/finance and /block). */
export const erpVendorFields = ['paymentTerms', 'bankAccount', 'taxId', 'blocked'] as const;

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

/**
 * A vendor as the sandbox answers it. Bank details are secret-class: the account number is never answered, only a
 * masked form for people and its SHA-256 fingerprint, which the warehouse compares without holding the number.
 */
export interface VendorView extends VendorFields {
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

interface VendorRow {
  vendor_number: string;
  source_supplier_id: string;
  legal_name: string;
  display_name: string | null;
  contact_name: string | null;
  contact_email: string | null;
  contact_phone: string | null;
  address: string | null;
  payment_terms: string;
  bank_account: string | null;
  tax_id: string | null;
  blocked: number;
  blocked_reason: string | null;
  version: number;
  created_at: string;
  updated_at: string;
}

const columnOf: Record<Exclude<PlatformVendorField, 'address'>, string> = {
  legalName: 'legal_name',
  displayName: 'display_name',
  contactName: 'contact_name',
  contactEmail: 'contact_email',
  contactPhone: 'contact_phone',
};

const schema = `
CREATE TABLE IF NOT EXISTS vendors (vendor_number TEXT PRIMARY KEY, source_supplier_id TEXT NOT NULL UNIQUE,
  legal_name TEXT NOT NULL, display_name TEXT, contact_name TEXT, contact_email TEXT, contact_phone TEXT, address TEXT,
  payment_terms TEXT NOT NULL, bank_account TEXT, tax_id TEXT, blocked INTEGER NOT NULL DEFAULT 0, blocked_reason TEXT,
  version INTEGER NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);`;

/** The terms a new vendor gets until the ERP's accounts-payable team sets its own. */
export const defaultPaymentTerms = 'net-30';

const addressParts = ['line1', 'line2', 'city', 'region', 'postalCode', 'country'] as const;
const sourceIdPattern = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;
const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const termsPattern = /^[a-z0-9][a-z0-9-]{0,39}$/;
const ibanPattern = /^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/;
const taxIdPattern = /^[A-Z0-9][A-Z0-9 .-]{1,29}$/;

function invalid(message: string): never {
  throw new RefusalError('invalid_vendor_change', message, 422);
}

function text(value: unknown, name: string, maxLength: number): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > maxLength)
    invalid(`${name} must be a non-empty string of at most ${maxLength} characters`);
  return value.trim();
}

function address(value: unknown): VendorAddress {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    invalid('fields.address must be an object');
  const valid: VendorAddress = {};
  for (const [part, partValue] of Object.entries(value as Record<string, unknown>)) {
    if (!(addressParts as readonly string[]).includes(part))
      invalid(`fields.address.${part} is not an address part`);
    valid[part as keyof VendorAddress] = text(partValue, `fields.address.${part}`, 200);
  }
  if (valid.country !== undefined && !/^[A-Z]{2}$/.test(valid.country))
    invalid('fields.address.country must be an ISO 3166-1 alpha-2 code');
  return valid;
}

/**
 * The platform's fields of a request, each checked. A field the ERP owns is refused by name with its own code (the
 * platform may not write it: the refusal is visible, never a silent drop), and an unknown one as invalid.
 */
function platformFields(value: unknown): VendorFields {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    invalid('fields must be an object');
  const fields: VendorFields = {};
  for (const [field, fieldValue] of Object.entries(value as Record<string, unknown>)) {
    if ((erpVendorFields as readonly string[]).includes(field))
      throw new RefusalError(
        'erp_owned_field',
        `fields.${field} is owned by the ERP (system-of-record.json, supplier): the procurement platform may not change it`,
        422,
      );
    if (field === 'address') fields.address = address(fieldValue);
    else if (field === 'contactEmail') {
      const email = text(fieldValue, 'fields.contactEmail', 254);
      if (!emailPattern.test(email)) invalid('fields.contactEmail is not an e-mail address');
      fields.contactEmail = email;
    } else if ((platformVendorFields as readonly string[]).includes(field))
      fields[field as Exclude<PlatformVendorField, 'address'>] = text(fieldValue, `fields.${field}`, 200);
    else invalid(`fields.${field} is not a vendor field`);
  }
  return fields;
}

/** `DE89 **** **** 3000`: enough for a person to recognise the account, never enough to pay into it. */
function masked(iban: string): string {
  return `${iban.slice(0, 4)} **** ${iban.slice(-4)}`;
}

/** The SHA-256 hex of an account number, as the warehouse hashes secret-class fields (functions/shared/warehouse). */
export function bankAccountSha256(iban: string): string {
  return createHash('sha256').update(iban, 'utf8').digest('hex');
}

/**
 * The vendor master over the ledger's database and transactions. A vendor is keyed by the platform's supplier id;
 * its number is the ERP's. Audit records name the fields a change touched, never bank details' values.
 */
export class VendorMaster {
  constructor(private readonly ledger: LedgerHandle) {
    ledger.db.exec(schema);
  }

  private row(vendorNumber: string): VendorRow {
    const row = this.ledger.db.prepare('SELECT * FROM vendors WHERE vendor_number = ?').get(vendorNumber) as
      | VendorRow
      | undefined;
    if (!row) throw new NotFoundError(`Vendor ${vendorNumber} does not exist`);
    return row;
  }

  private view(row: VendorRow): VendorView {
    const optional = <K extends string, V>(key: K, value: V | null) =>
      value === null ? {} : ({ [key]: value } as Record<K, V>);
    return {
      vendorNumber: row.vendor_number,
      sourceSupplierId: row.source_supplier_id,
      legalName: row.legal_name,
      ...optional('displayName', row.display_name),
      ...optional('contactName', row.contact_name),
      ...optional('contactEmail', row.contact_email),
      ...optional('contactPhone', row.contact_phone),
      ...(row.address === null ? {} : { address: JSON.parse(row.address) as VendorAddress }),
      paymentTerms: row.payment_terms,
      ...(row.bank_account === null
        ? {}
        : {
            bankAccountMasked: masked(row.bank_account),
            bankAccountSha256: bankAccountSha256(row.bank_account),
          }),
      ...optional('taxId', row.tax_id),
      blocked: row.blocked === 1,
      ...optional('blockedReason', row.blocked_reason),
      version: row.version,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  /** The vendor booked for a platform supplier id; NotFoundError when there is none. */
  findBySourceId(sourceSupplierId: string): VendorView {
    const row = this.ledger.db
      .prepare('SELECT * FROM vendors WHERE source_supplier_id = ?')
      .get(sourceSupplierId) as VendorRow | undefined;
    if (!row) throw new NotFoundError(`No vendor is booked for supplier ${sourceSupplierId}`);
    return this.view(row);
  }

  /** One vendor by its ERP number. */
  get(vendorNumber: string): VendorView {
    return this.view(this.row(vendorNumber));
  }

  /** Every vendor, by number; or, given a window, those last changed in it (updatedFrom inclusive, updatedTo exclusive). */
  list(changed?: ChangeWindow): VendorView[] {
    const rows = changed
      ? this.ledger.db
          .prepare('SELECT * FROM vendors WHERE updated_at >= ? AND updated_at < ? ORDER BY vendor_number')
          .all(changed.from, changed.to)
      : this.ledger.db.prepare('SELECT * FROM vendors ORDER BY vendor_number').all();
    return (rows as VendorRow[]).map((row) => this.view(row));
  }

  /**
   * Creates the vendor for a platform supplier (legalName required), or answers the one already booked for it
   * unchanged, so that a create the platform re-sends is not a second vendor.
   */
  create(body: Record<string, unknown>, actor: string): VendorView {
    const sourceSupplierId = body.sourceSupplierId;
    if (typeof sourceSupplierId !== 'string' || !sourceIdPattern.test(sourceSupplierId))
      invalid('sourceSupplierId must be the platform supplier id (1 to 100 letters, digits, . _ : -)');
    const fields = platformFields(body.fields ?? {});
    const existing = this.ledger.db
      .prepare('SELECT vendor_number FROM vendors WHERE source_supplier_id = ?')
      .get(sourceSupplierId) as { vendor_number: string } | undefined;
    if (existing) return this.get(existing.vendor_number);
    if (fields.legalName === undefined) invalid('fields.legalName is required to create a vendor');
    const now = new Date().toISOString();
    const vendorNumber = this.ledger.next('vendor', 'V');
    this.ledger.db
      .prepare(
        `INSERT INTO vendors (vendor_number, source_supplier_id, legal_name, display_name, contact_name, contact_email,
          contact_phone, address, payment_terms, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
      )
      .run(
        vendorNumber,
        sourceSupplierId,
        fields.legalName,
        fields.displayName ?? null,
        fields.contactName ?? null,
        fields.contactEmail ?? null,
        fields.contactPhone ?? null,
        fields.address === undefined ? null : JSON.stringify(fields.address),
        defaultPaymentTerms,
        now,
        now,
      );
    this.ledger.audit(actor, 'vendor.created', 'vendor', vendorNumber, {
      sourceSupplierId,
      fields: Object.keys(fields).sort(),
    });
    return this.get(vendorNumber);
  }

  /** Changes platform-owned fields of a vendor; a blocked vendor's details may still change (blocking is about paying). */
  change(vendorNumber: string, body: Record<string, unknown>, actor: string): VendorView {
    const fields = platformFields(body.fields ?? {});
    if (Object.keys(fields).length === 0) invalid('fields must name at least one field to change');
    const row = this.row(vendorNumber);
    const sets: string[] = [];
    const values: unknown[] = [];
    for (const [field, value] of Object.entries(fields)) {
      if (field === 'address') {
        sets.push('address = ?');
        values.push(JSON.stringify(value));
      } else {
        sets.push(`${columnOf[field as Exclude<PlatformVendorField, 'address'>]} = ?`);
        values.push(value);
      }
    }
    this.ledger.db
      .prepare(
        `UPDATE vendors SET ${sets.join(', ')}, version = version + 1, updated_at = ? WHERE vendor_number = ?`,
      )
      .run(...values, new Date().toISOString(), row.vendor_number);
    this.ledger.audit(actor, 'vendor.changed', 'vendor', vendorNumber, {
      fields: Object.keys(fields).sort(),
    });
    return this.get(vendorNumber);
  }

  /**
   * The ERP's own finance data, as its accounts-payable users set it: payment terms, bank account (IBAN) and tax
   * registration. The audit names the fields set, never the account number.
   */
  setFinance(vendorNumber: string, body: Record<string, unknown>, actor: string): VendorView {
    const row = this.row(vendorNumber);
    const sets: string[] = [];
    const values: unknown[] = [];
    for (const [field, value] of Object.entries(body)) {
      if (field === 'paymentTerms') {
        if (typeof value !== 'string' || !termsPattern.test(value))
          invalid('paymentTerms must be a terms code such as net-30');
        sets.push('payment_terms = ?');
        values.push(value);
      } else if (field === 'bankAccount') {
        const iban = typeof value === 'string' ? value.replace(/\s+/g, '').toUpperCase() : '';
        // The value is not echoed: a mistyped account number must not reach a log through the refusal either.
        if (!ibanPattern.test(iban))
          invalid('bankAccount is not an IBAN (country, check digits, 11 to 30 characters)');
        sets.push('bank_account = ?');
        values.push(iban);
      } else if (field === 'taxId') {
        if (typeof value !== 'string' || !taxIdPattern.test(value))
          invalid('taxId must be 2 to 30 capital letters, digits, spaces, dots or dashes');
        sets.push('tax_id = ?');
        values.push(value);
      } else invalid(`${field} is not a finance field (paymentTerms, bankAccount, taxId)`);
    }
    if (sets.length === 0) invalid('name at least one of paymentTerms, bankAccount, taxId');
    this.ledger.db
      .prepare(
        `UPDATE vendors SET ${sets.join(', ')}, version = version + 1, updated_at = ? WHERE vendor_number = ?`,
      )
      .run(...values, new Date().toISOString(), row.vendor_number);
    this.ledger.audit(actor, 'vendor.finance-set', 'vendor', vendorNumber, {
      fields: Object.keys(body).sort(),
    });
    return this.get(vendorNumber);
  }

  /** Blocks a vendor (no purchase order or payment may go to it) with a reason, or unblocks it. */
  setBlocked(vendorNumber: string, body: Record<string, unknown>, actor: string): VendorView {
    const row = this.row(vendorNumber);
    if (typeof body.blocked !== 'boolean') invalid('blocked must be true or false');
    const reason = body.blocked ? text(body.reason, 'reason', 500) : null;
    this.ledger.db
      .prepare(
        'UPDATE vendors SET blocked = ?, blocked_reason = ?, version = version + 1, updated_at = ? WHERE vendor_number = ?',
      )
      .run(body.blocked ? 1 : 0, reason, new Date().toISOString(), row.vendor_number);
    this.ledger.audit(actor, body.blocked ? 'vendor.blocked' : 'vendor.unblocked', 'vendor', vendorNumber, {
      reason,
    });
    return this.get(vendorNumber);
  }

  /** Refuses an order or payment to a blocked vendor: the check purchase orders will make. */
  requireNotBlocked(vendorNumber: string): VendorView {
    const vendor = this.get(vendorNumber);
    if (vendor.blocked)
      throw new RefusalError(
        'vendor_blocked',
        `Vendor ${vendorNumber} is blocked: ${vendor.blockedReason}`,
        409,
      );
    return vendor;
  }
}

/** A window of last changes, as ISO 8601 UTC timestamps (the form the register keeps, so they compare as text). */
export interface ChangeWindow {
  from: string;
  to: string;
}

/**
 * The `updatedFrom`/`updatedTo` window of a listing, both or neither (a reconciliation reads what changed in a
 * window); a value that is not a timestamp is refused, since a listing that silently ignored it would read too little.
 */
export function changeWindow(query: URLSearchParams): ChangeWindow | undefined {
  const from = query.get('updatedFrom');
  const to = query.get('updatedTo');
  if (from === null && to === null) return undefined;
  const iso = (value: string | null, name: string) => {
    if (value === null || Number.isNaN(Date.parse(value)))
      throw new RefusalError(
        'invalid_query',
        `${name} must be an ISO 8601 timestamp (with updatedFrom and updatedTo both given)`,
        400,
      );
    return new Date(value).toISOString();
  };
  const window = { from: iso(from, 'updatedFrom'), to: iso(to, 'updatedTo') };
  if (window.from >= window.to)
    throw new RefusalError('invalid_query', 'updatedFrom must be before updatedTo', 400);
  return window;
}

/**
 * The vendor master's HTTP routes (docs/erp-sandbox.openapi.yaml): creates and changes are changes under an
 * Idempotency-Key, run by the server in one transaction; the admin routes are accounts payable's.
 */
export function vendorRoutes(vendors: VendorMaster, ledger: LedgerHandle): SandboxRoute[] {
  return [
    {
      method: 'POST',
      pattern: /^\/vendors$/,
      mutation: true,
      handler: (_m, body, _q, actor) => vendors.create(body, actor),
    },
    {
      method: 'GET',
      pattern: /^\/vendors$/,
      mutation: false,
      handler: (_m, _b, query) => {
        const sourceSupplierId = query.get('sourceSupplierId');
        return sourceSupplierId === null
          ? { vendors: vendors.list(changeWindow(query)) }
          : vendors.findBySourceId(sourceSupplierId);
      },
    },
    {
      method: 'GET',
      pattern: /^\/vendors\/([^/]+)$/,
      mutation: false,
      handler: (m) => vendors.get(pathParameter(m)),
    },
    {
      method: 'POST',
      pattern: /^\/vendors\/([^/]+)\/changes$/,
      mutation: true,
      handler: (m, body, _q, actor) => vendors.change(pathParameter(m), body, actor),
    },
    {
      method: 'PUT',
      pattern: /^\/_admin\/vendors\/([^/]+)\/finance$/,
      mutation: false,
      handler: (m, body, _q, actor) =>
        ledger.transaction(() => vendors.setFinance(pathParameter(m), body, actor)),
    },
    {
      method: 'PUT',
      pattern: /^\/_admin\/vendors\/([^/]+)\/block$/,
      mutation: false,
      handler: (m, body, _q, actor) =>
        ledger.transaction(() => vendors.setBlocked(pathParameter(m), body, actor)),
    },
  ];
}
