/** HubSpot v3 webhooks (a JSON array of events) → one crm.customer.upserted event per contact event. */
import { SchemaViolationError } from '../../errors';
import type { CrmCustomerUpsertedV1 } from '../../generated/types';
import { entityVersion, idTieBreak, millisecondsTieBreakRoom } from './entity-version';
import type { MappedDelivery, WebhookMapper } from './mapped-delivery';
import { PayloadReader } from './payload-reader';

type CustomerField = CrmCustomerUpsertedV1['changedFields'][number];
type AddressPart = keyof NonNullable<CrmCustomerUpsertedV1['customer']['address']>;

// HubSpot contact property → the canonical customer field it feeds (names as in the system-of-record registry).
const contactProperties: Record<
  string,
  { field: Exclude<CustomerField, 'address'> } | { field: 'address'; part: AddressPart }
> = {
  email: { field: 'email' },
  firstname: { field: 'firstName' },
  lastname: { field: 'lastName' },
  phone: { field: 'phone' },
  mobilephone: { field: 'phone' },
  company: { field: 'companyName' },
  address: { field: 'address', part: 'line1' },
  city: { field: 'address', part: 'city' },
  state: { field: 'address', part: 'region' },
  zip: { field: 'address', part: 'postalCode' },
  country: { field: 'address', part: 'country' },
};

// HubSpot properties portals keep as copies of ERP data (sales teams edit them). The ERP owns these fields
// (system-of-record registry; a test holds the two in step), so a change to one is carried as a foreign change
// for customer-sync to refuse and record, never applied.
const erpMirroredProperties: Record<string, string> = {
  credit_limit: 'creditLimit',
  payment_terms: 'paymentTerms',
  tax_id: 'taxId',
  vat_number: 'taxId',
  erp_customer_number: 'customerNumber',
};

/** The canonical customer fields HubSpot properties feed, CRM-owned or not: for the registry consistency test. */
export const hubspotCustomerFields = {
  owned: [...new Set(Object.values(contactProperties).map((target) => target.field))],
  mirrored: [...new Set(Object.values(erpMirroredProperties))],
};

// HubSpot's object type id of contacts in the generic `object.*` subscriptions.
const contactObjectTypeId = '0-1';

function subscriptionKind(event: PayloadReader): 'creation' | 'propertyChange' | undefined {
  const type = event.string('subscriptionType');
  if (type === 'contact.creation') return 'creation';
  if (type === 'contact.propertyChange') return 'propertyChange';
  if (event.optionalString('objectTypeId') === contactObjectTypeId) {
    if (type === 'object.creation') return 'creation';
    if (type === 'object.propertyChange') return 'propertyChange';
  }
  return undefined;
}

function mapEvent(event: PayloadReader): MappedDelivery {
  const deliveryId = event.string('eventId');
  const kind = subscriptionKind(event);
  if (!kind)
    return {
      kind: 'ignored',
      deliveryId,
      reason: `HubSpot subscription ${event.string('subscriptionType')} is not synchronised`,
    };
  const contactId = event.string('objectId');
  const occurredAtMs = event.integer('occurredAt');
  const data: CrmCustomerUpsertedV1 = {
    crmContactId: contactId,
    change: 'created',
    changedFields: [],
    customer: {},
  };
  const changeSource = event.optionalString('changeSource');
  if (changeSource) data.changeSource = changeSource;
  if (kind === 'propertyChange') {
    const propertyName = event.string('propertyName');
    const target = contactProperties[propertyName];
    const mirrored = erpMirroredProperties[propertyName];
    if (!target && mirrored) {
      data.change = 'updated';
      data.foreignChanges = [
        {
          field: mirrored,
          sourceProperty: propertyName,
          value: (event.optionalString('propertyValue') ?? '').slice(0, 200),
        },
      ];
    } else if (!target)
      return {
        kind: 'ignored',
        deliveryId,
        reason: `HubSpot contact property ${propertyName} is not synchronised`,
      };
    else {
      const value = event.optionalString('propertyValue') ?? '';
      data.change = 'updated';
      data.changedFields = [target.field];
      if (target.field === 'address') data.customer.address = { [target.part]: value };
      else data.customer[target.field] = value;
    }
  }
  return {
    kind: 'event',
    deliveryId,
    draft: {
      type: 'crm.customer.upserted.v1',
      source: `hubspot://portal/${event.string('portalId')}`,
      subject: `customer/hubspot-${contactId}`,
      time: new Date(occurredAtMs).toISOString(),
      // occurredAt is in ms; a form or an import changes several properties in the same ms, so the event's own id
      // (kept across HubSpot's retries) breaks the tie.
      entityVersion: entityVersion(
        occurredAtMs,
        1,
        idTieBreak(deliveryId, millisecondsTieBreakRoom),
        `${event.path}/occurredAt`,
      ),
      data,
    },
  };
}

/** Maps a HubSpot batch; each event's own eventId is its delivery id. */
export const mapHubspot: WebhookMapper = async (_request, payload) => {
  if (!Array.isArray(payload) || payload.length === 0) {
    throw new SchemaViolationError('HubSpot payload must be a non-empty array of events', [
      { path: '/', message: 'must be a non-empty array' },
    ]);
  }
  return payload.map((item: unknown, index) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      throw new SchemaViolationError(`HubSpot event ${index} is not an object`, [
        { path: `/${index}`, message: 'must be an object' },
      ]);
    }
    return mapEvent(new PayloadReader(item, `/${index}`));
  });
};
