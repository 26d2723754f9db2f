/** The supplier kind of master reconciliation: Spendesk's supplier events, the ERP vendor master, the `suppliers` model. */
import type { ErpVendorPort, VendorRecord } from '../shared/erp/erp-vendor-port';
import { piiHash } from '../shared/warehouse/models';
import type { MasterFieldSpec } from './master-reconciliation';
import {
  canonicalJson,
  type ErpMasterKind,
  erpRecordKind,
  masterModelSql,
  personalHash,
  type SaasMasterKind,
  type WarehouseMasterKind,
} from './master-sources';
import { required, UnreadableRowError } from './reconcile-sources';

/**
 * The fields a vendor is compared on, platform-owned first. Bank details are never compared, not even by hash: the
 * warehouse holds only a hash of the ERP's fingerprint, and a report is no place for either.
 */
export const supplierFields: readonly MasterFieldSpec[] = [
  { name: 'legalName', personal: false },
  { name: 'displayName', personal: false },
  { name: 'contactName', personal: true },
  { name: 'contactEmail', personal: true },
  { name: 'contactPhone', personal: true },
  { name: 'address', personal: false },
  { name: 'paymentTerms', personal: false },
  { name: 'taxId', personal: false },
  { name: 'blocked', personal: false },
];

/** The platform-owned fields, as the events' `changedFields` name them, and their result columns. */
const platformColumns = {
  legalName: 'legal_name',
  displayName: 'display_name',
  contactName: 'contact_name_hash',
  contactEmail: 'contact_email_hash',
  contactPhone: 'contact_phone_hash',
  address: 'address',
} as const;

const value = (path: string) => `trim(json_extract_scalar(data, '$.${path}'))`;

/** Spendesk's supplier events, as ingest published them: the values each states for the fields it changed. */
export const supplierSaasKind: SaasMasterKind = {
  entity: 'supplier',
  keyName: 'sourceSupplierId',
  types: { 'procurement.supplier.created.v1': 'created', 'procurement.supplier.changed.v1': 'changed' },
  columns: `json_extract_scalar(data, '$.sourceSupplierId') AS record_key,
  json_format(json_extract(data, '$.changedFields')) AS changed_fields,
  ${value('supplier.legalName')} AS legal_name, ${value('supplier.displayName')} AS display_name,
  ${piiHash(value('supplier.contactName'))} AS contact_name_hash,
  ${piiHash(value('supplier.contactEmail'))} AS contact_email_hash,
  ${piiHash(value('supplier.contactPhone'))} AS contact_phone_hash,
  json_format(json_extract(data, '$.supplier.address')) AS address`,
  valuesOf(row) {
    let changed: unknown;
    try {
      changed = JSON.parse(required(row, 'changed_fields'));
    } catch (error) {
      if (error instanceof UnreadableRowError) throw error;
      throw new UnreadableRowError('its changedFields is not JSON');
    }
    if (!Array.isArray(changed)) throw new UnreadableRowError('its changedFields is not a list');
    const values: Record<string, string> = {};
    // A field the event names but states no value for (an ids-only delivery) is left as the ERP holds it.
    for (const field of changed) {
      const column = platformColumns[field as keyof typeof platformColumns];
      const stated = column ? row[column] : null;
      if (stated === null || stated === undefined || stated === '') continue;
      values[field as string] = field === 'address' ? (canonicalJson(stated) as string) : stated;
    }
    return values;
  },
};

/** The ERP's vendor master through its port; contacts hashed as soon as they are read. */
export function supplierErpKind(
  vendors: Pick<ErpVendorPort, 'listVendors' | 'findVendor'>,
): ErpMasterKind<VendorRecord> {
  return erpRecordKind<VendorRecord>({
    entity: 'supplier',
    listChanged: (range) => vendors.listVendors(range),
    find: (key) => vendors.findVendor(key),
    number: 'vendorNumber',
    key: 'sourceSupplierId',
    status: (vendor) => (vendor.blocked ? 'BLOCKED' : 'ACTIVE'),
    fields: (vendor) => ({
      legalName: vendor.legalName ?? null,
      displayName: vendor.displayName ?? null,
      contactName: personalHash(vendor.contactName),
      contactEmail: personalHash(vendor.contactEmail),
      contactPhone: personalHash(vendor.contactPhone),
      address: canonicalJson(vendor.address),
      paymentTerms: vendor.paymentTerms ?? null,
      taxId: vendor.taxId ?? null,
      blocked: String(vendor.blocked === true),
    }),
  });
}

/** The `suppliers` model over every supplier synchronisation. */
export const supplierWarehouseKind: WarehouseMasterKind = {
  entity: 'supplier',
  sql: `${masterModelSql('suppliers', ['erp.supplier.synced.v1'])}SELECT vendor_number AS number,
  source_supplier_id AS record_key, CAST(vendor_version AS VARCHAR) AS version,
  CASE WHEN blocked = 'true' THEN 'BLOCKED' ELSE 'ACTIVE' END AS status, synced_at, correlation_id, source_event_id,
  legal_name, display_name, contact_name_hash, contact_email_hash, contact_phone_hash, address, payment_terms,
  tax_id, blocked
FROM suppliers`,
  fieldsOf(row) {
    return {
      legalName: row.legal_name ?? null,
      displayName: row.display_name ?? null,
      contactName: row.contact_name_hash ?? null,
      contactEmail: row.contact_email_hash ?? null,
      contactPhone: row.contact_phone_hash ?? null,
      address: canonicalJson(row.address),
      paymentTerms: row.payment_terms ?? null,
      taxId: row.tax_id ?? null,
      blocked: required(row, 'blocked'),
    };
  },
};
