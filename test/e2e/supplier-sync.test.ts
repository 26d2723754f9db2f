import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
} from '@aws-sdk/client-sfn';
import type { VendorRecord } from '../../functions/shared/erp/erp-vendor-port';
import { HttpErpVendorConnector } from '../../functions/shared/erp/http-erp-vendor-connector';
import type { ErpSandbox } from '../../local/erp-sandbox/erp-sandbox-server';
import { warehouseSql } from './support/concord-cli';
import { postSpendeskWebhook, startPlatformWithErp } from './support/deployed-platform';
import { eventually } from './support/eventually';
import { ExceptionsQueueMessages, ObservedBusEvents } from './support/observed-messages';

const fixtures = path.join(__dirname, '../fixtures/spendesk');
const supplierId = '5b0f3c2e-6d1a-4f7e-9c31-0d2b8e4a7f10';
const platformIban = 'DE89370400440532013000';
const erpIban = 'GB29NWBK60161331926819';

function fixture(name: string): string {
  return readFileSync(path.join(fixtures, name), 'utf8');
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** Supplier sync end to end: Spendesk webhooks signed by Spendesk's rule → supplier-sync → ERP vendor master → warehouse. */
describe('supplier-sync (Spendesk → ERP vendor master, on the embedded runtime)', () => {
  let running: Awaited<ReturnType<typeof startPlatformWithErp>>;
  let vendors: HttpErpVendorConnector;
  let adminToken: string;
  let busEvents: ObservedBusEvents;
  let procurementEvents: ObservedBusEvents;
  let exceptionsQueue: ExceptionsQueueMessages;

  /** Posts a body as Spendesk signs it, with the stage's Spendesk secret. */
  async function post(body: string): Promise<{ status: number; body: Record<string, unknown> }> {
    return postSpendeskWebhook(running.platform.apiUrl, running.secrets.spendesk?.[0] as string, body);
  }

  async function synced(subject: string, matches: (data: Record<string, unknown>) => boolean) {
    return busEvents.find(
      (event) => event.type === 'erp.supplier.synced.v1' && event.subject === subject && matches(event.data),
    );
  }

  async function exceptionFor(businessKey: string) {
    return exceptionsQueue.find(businessKey);
  }

  /** The output of the SupplierSync execution whose input carries `marker`, once it succeeded. */
  async function executionOutput(marker: string): Promise<Record<string, unknown>> {
    const { stateMachines = [] } = await running.clients.sfn.send(new ListStateMachinesCommand({}));
    const stateMachineArn = stateMachines.find((machine) =>
      machine.name?.includes('SupplierSync'),
    )?.stateMachineArn;
    return eventually(async () => {
      const { executions = [] } = await running.clients.sfn.send(
        new ListExecutionsCommand({ stateMachineArn }),
      );
      for (const { executionArn } of executions) {
        const described = await running.clients.sfn.send(new DescribeExecutionCommand({ executionArn }));
        if (described.status === 'SUCCEEDED' && described.input?.includes(marker))
          return JSON.parse(described.output ?? '{}') as Record<string, unknown>;
      }
      return undefined;
    });
  }

  async function admin(route: string, body: unknown): Promise<VendorRecord> {
    const response = await fetch(`${running.erpUrl}${route}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(200);
    return (await response.json()) as VendorRecord;
  }

  beforeAll(async () => {
    running = await startPlatformWithErp({ clockFactor: 10 });
    const erp = running.platform.erp as ErpSandbox;
    adminToken = erp.credentials.adminToken;
    vendors = new HttpErpVendorConnector(running.erpConnection);
    busEvents = await ObservedBusEvents.observe(running.clients, 'observe-erp-suppliers', {
      source: ['concord.erp'],
      'detail-type': ['erp.supplier.synced.v1'],
    });
    procurementEvents = await ObservedBusEvents.observe(running.clients, 'observe-procurement-suppliers', {
      source: ['concord.ingest'],
      'detail-type': ['procurement.supplier.created.v1', 'procurement.supplier.changed.v1'],
    });
    exceptionsQueue = await ExceptionsQueueMessages.open(running.clients.sqs);
  }, 120_000);

  afterAll(async () => {
    await running.stop();
  });

  afterEach(async () => {
    await running.erpAdmin.clearFaults();
  });

  it('HappyPath: a supplier created at Spendesk becomes an ERP vendor with the ERP default terms', async () => {
    // Act
    const response = await post(fixture('suppliers-created.json'));
    const event = await synced(`supplier/${supplierId}`, (data) => data.action === 'created');
    const vendor = await vendors.findVendor(supplierId);
    // Assess
    expect(response.status).toBe(202);
    expect(vendor).toMatchObject({
      vendorNumber: event.data.vendorNumber,
      legalName: 'Nordlicht Office Supplies GmbH',
      contactName: 'Greta Lindqvist',
      address: { line1: 'Friedrichstraße 123', city: 'Berlin', postalCode: '10117', country: 'DE' },
      paymentTerms: 'net-30',
      blocked: false,
    });
  });

  it('DuplicateDelivery: the same Spendesk event again is acknowledged as a duplicate and books nothing', async () => {
    // Act
    const again = await post(fixture('suppliers-created.json'));
    // Assess
    expect(again.status).toBe(200);
    expect(again.body.duplicate).toBe(true);
    expect(
      (await vendors.listVendors()).filter((vendor) => vendor.sourceSupplierId === supplierId),
    ).toHaveLength(1);
  });

  it('ChangeOfBlockedVendor: a platform change applies beside the ERP finance data and block, which it never touches', async () => {
    // Prepare: accounts payable sets the vendor's bank, terms and tax registration, then blocks it.
    const vendor = (await vendors.findVendor(supplierId)) as VendorRecord;
    await admin(`/_admin/vendors/${vendor.vendorNumber}/finance`, {
      bankAccount: erpIban,
      paymentTerms: 'net-45',
      taxId: 'DE123456789',
    });
    await admin(`/_admin/vendors/${vendor.vendorNumber}/block`, {
      blocked: true,
      reason: 'sanctions screening',
    });
    // Act
    await post(fixture('suppliers-updated.json'));
    const event = await synced(`supplier/${supplierId}`, (data) => data.action === 'changed');
    const after = (await vendors.findVendor(supplierId)) as VendorRecord;
    // Assess
    expect(event.data.appliedFields).toEqual(['address', 'contactEmail', 'contactName', 'contactPhone']);
    expect(after).toMatchObject({
      contactName: 'Jonas Weber',
      paymentTerms: 'net-45',
      bankAccountSha256: sha256(erpIban),
      taxId: 'DE123456789',
      blocked: true,
    });
  });

  it('OutOfOrder: an older change arriving after a newer one is dropped by the version gate', async () => {
    // Prepare: a change published a day before the one already applied, delivered now.
    const older = JSON.parse(fixture('suppliers-updated.json'));
    older.event.id = randomUUID();
    older.event.timestamp = '2026-11-22T12:00:00.000Z';
    older.data.supplier.contact = { name: 'Old Contact', email: 'old@nordlicht.example' };
    // Act
    const response = await post(JSON.stringify(older));
    const output = await executionOutput(older.event.id);
    // Assess
    expect(response.status).toBe(202);
    expect(output).toMatchObject({ outcome: 'stale-dropped' });
    expect((await vendors.findVendor(supplierId))?.contactName).toBe('Jonas Weber');
  });

  it('ForeignFieldRefused: bank details and terms sent by Spendesk are refused by name, never by value, and the ERP keeps its own', async () => {
    // Act
    await post(fixture('suppliers-updated-bank-details.json'));
    const exception = await exceptionFor(`supplier/${supplierId}`);
    const vendor = (await vendors.findVendor(supplierId)) as VendorRecord;
    // Assess
    expect(exception).toMatchObject({
      flow: 'supplier-sync',
      failedStep: 'Ownership',
      error: { Error: 'ForeignFieldRefused', Cause: expect.stringContaining('bankAccount, paymentTerms') },
    });
    expect(JSON.stringify(exception)).not.toContain(platformIban);
    expect(vendor).toMatchObject({ paymentTerms: 'net-45', bankAccountSha256: sha256(erpIban) });
  });

  it('SecretSealedAtIngest: bank details Spendesk sends are on the bus, in executions and in the warehouse only as a keyed digest', async () => {
    // Prepare: the refused change of ForeignFieldRefused, as the bus carried it.
    const sealed = /^hmac-sha256:[0-9a-f]{64}$/;
    const published = await procurementEvents.find(
      (event) =>
        event.subject === `supplier/${supplierId}` &&
        JSON.stringify(event.data.foreignChanges ?? []).includes('bankAccount'),
    );
    // Act: the warehouse's raw events and every SupplierSync execution's input.
    const rows = await eventually(async () => {
      const { rows: found } = await warehouseSql(
        running.platform.runtime.options.dataDir,
        "select type, subject, data from raw_events where type like 'procurement.supplier.%'",
      );
      return found.some((row) => String(row.data).includes('bankAccount')) ? found : undefined;
    }, 60_000);
    const { stateMachines = [] } = await running.clients.sfn.send(new ListStateMachinesCommand({}));
    const stateMachineArn = stateMachines.find((machine) =>
      machine.name?.includes('SupplierSync'),
    )?.stateMachineArn;
    const { executions = [] } = await running.clients.sfn.send(
      new ListExecutionsCommand({ stateMachineArn }),
    );
    const inputs = await Promise.all(
      executions.map(async ({ executionArn }) => {
        const described = await running.clients.sfn.send(new DescribeExecutionCommand({ executionArn }));
        return `${described.input ?? ''}${described.output ?? ''}`;
      }),
    );
    const exception = await exceptionFor(`supplier/${supplierId}`);
    // Assess: the field is named and its sealed digest travels; the IBAN is nowhere.
    expect(published.data.foreignChanges).toEqual(
      expect.arrayContaining([
        {
          field: 'bankAccount',
          sourceProperty: 'bank_details.iban',
          secretValue: expect.stringMatching(sealed),
        },
      ]),
    );
    expect(JSON.stringify(published)).not.toContain(platformIban);
    expect(JSON.stringify(published)).not.toContain(sha256(platformIban));
    expect(JSON.stringify(rows)).not.toContain(platformIban);
    expect(inputs.join('\n')).toContain('bankAccount');
    expect(inputs.join('\n')).not.toContain(platformIban);
    expect(exception).toMatchObject({ error: { Cause: expect.stringContaining('bankAccount') } });
    expect(JSON.stringify(exception)).not.toContain(platformIban);
  }, 90_000);

  it('ErpFaultRecovered: a change whose answer is lost after the ERP committed it is read back, applied once and announced', async () => {
    // Prepare: a second supplier, then a change to it whose answer the ERP loses after committing (a gateway 504).
    const other = JSON.parse(fixture('suppliers-created.json'));
    other.data.id = 'a7c1e3f0-4b2d-4c8e-9f10-2e3d4c5b6a79';
    other.data.supplier.legal_name = 'Fjord Logistics AS';
    other.event.id = randomUUID();
    other.event.timestamp = new Date(Date.now() - 60_000).toISOString();
    await post(JSON.stringify(other));
    await synced(`supplier/${other.data.id}`, (data) => data.action === 'created');
    const change = JSON.parse(JSON.stringify(other));
    change.event.eventType = 'updated';
    change.event.id = randomUUID();
    change.event.timestamp = new Date().toISOString();
    change.data.version = 2;
    change.data.supplier.contact.name = 'Ingrid Dahl';
    await running.erpAdmin.addFault({
      route: '/vendors/*/changes',
      kind: '5xx-after-commit',
      rate: 1,
      times: 1,
    });
    // Act
    await post(JSON.stringify(change));
    const event = await synced(`supplier/${other.data.id}`, (data) => data.action === 'changed');
    const faults = await running.erpAdmin.faults();
    // Assess: the fault fired, and the vendor changed once (version 2), not twice.
    expect(faults.map((fault) => fault.fired)).toEqual([1]);
    expect(event.data.appliedFields).toEqual(['contactName']);
    expect(await vendors.findVendor(other.data.id)).toMatchObject({ contactName: 'Ingrid Dahl', version: 2 });
  });

  it("WarehouseEqualsErp: the suppliers model holds the ERP's vendor master, personal and bank data only hashed", async () => {
    // Prepare
    const master = await vendors.listVendors();
    // Act: the warehouse stream delivers every 60 local seconds (6 s here).
    const rows = await eventually(async () => {
      const { rows: parsed } = await warehouseSql(
        running.platform.runtime.options.dataDir,
        'select * from suppliers order by vendor_number',
      );
      return parsed.length === master.length &&
        parsed.every((row, index) => Number(row.vendor_version) === master[index]?.version)
        ? parsed
        : undefined;
    }, 60_000);
    // Assess
    expect(
      rows.map((row) => ({
        vendorNumber: row.vendor_number,
        legalName: row.legal_name,
        contactEmailHash: row.contact_email_hash,
        address: JSON.parse(String(row.address)),
        paymentTerms: row.payment_terms,
        bankAccountHash: row.bank_account_hash ?? undefined,
        taxId: row.tax_id ?? undefined,
        blocked: row.blocked,
      })),
    ).toEqual(
      master.map((vendor) => ({
        vendorNumber: vendor.vendorNumber,
        legalName: vendor.legalName,
        contactEmailHash: sha256(vendor.contactEmail as string),
        address: vendor.address,
        paymentTerms: vendor.paymentTerms,
        bankAccountHash: vendor.bankAccountSha256 ? sha256(vendor.bankAccountSha256) : undefined,
        taxId: vendor.taxId,
        blocked: String(vendor.blocked),
      })),
    );
    expect(JSON.stringify(rows)).not.toContain(erpIban);
    expect(JSON.stringify(rows)).not.toContain('jonas.weber@');
  }, 90_000);
});
