import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type ErpStep, runErpStep, stepIdempotencyKey } from '../../../functions/erp-adapter/erp-steps';
import { SupplierNotYetKnownError } from '../../../functions/erp-adapter/vendor-steps';
import { staticErpCredentials } from '../../../functions/shared/erp/erp-credentials';
import { ErpOutcomeUnknownError } from '../../../functions/shared/erp/erp-errors';
import type { ChangeLookup } from '../../../functions/shared/erp/erp-port';
import type {
  ErpVendorPort,
  VendorFields,
  VendorRecord,
} from '../../../functions/shared/erp/erp-vendor-port';
import { HttpErpVendorConnector } from '../../../functions/shared/erp/http-erp-vendor-connector';
import type { CanonicalEvent } from '../../../functions/shared/events/envelope';
import { newId } from '../../../functions/shared/ids';
import type { MetricPoint } from '../../../functions/shared/observability/business-metrics';
import { type ErpSandbox, startErpSandbox } from '../../../local/erp-sandbox/erp-sandbox-server';
import { ErpSandboxAdmin } from '../../../local/erp-sandbox/sandbox-admin';

/** An in-memory vendor master that can lose the answer to a committed change, or leave it in flight. */
class FakeVendorMaster implements ErpVendorPort {
  readonly vendors = new Map<string, VendorRecord>();
  readonly committed = new Map<string, VendorRecord>();
  loseNextAnswer: 'none' | 'after-commit' | 'in-flight' = 'none';
  changes = 0;

  private answer(key: string, vendor: VendorRecord): VendorRecord {
    this.committed.set(key, vendor);
    const lose = this.loseNextAnswer;
    this.loseNextAnswer = 'none';
    if (lose === 'after-commit') throw new ErpOutcomeUnknownError('ERP POST /vendors: answer lost (reset)');
    if (lose === 'in-flight') {
      this.committed.delete(key);
      throw new ErpOutcomeUnknownError('ERP POST /vendors: timed out');
    }
    return vendor;
  }

  async createVendor(request: { sourceSupplierId: string; fields: VendorFields }, key: string) {
    const prior = this.committed.get(key);
    if (prior) return prior;
    this.changes += 1;
    const now = new Date().toISOString();
    const vendor: VendorRecord = {
      vendorNumber: `V-${String(this.vendors.size + 1).padStart(6, '0')}`,
      sourceSupplierId: request.sourceSupplierId,
      ...request.fields,
      legalName: request.fields.legalName as string,
      paymentTerms: 'net-30',
      blocked: false,
      version: 1,
      createdAt: now,
      updatedAt: now,
    };
    this.vendors.set(vendor.sourceSupplierId, vendor);
    return this.answer(key, vendor);
  }

  async changeVendor(vendorNumber: string, request: { fields: VendorFields }, key: string) {
    const prior = this.committed.get(key);
    if (prior) return prior;
    const current = [...this.vendors.values()].find((vendor) => vendor.vendorNumber === vendorNumber);
    if (!current) throw new Error(`unknown vendor ${vendorNumber}`);
    this.changes += 1;
    const vendor = { ...current, ...request.fields, version: current.version + 1 };
    this.vendors.set(vendor.sourceSupplierId, vendor);
    return this.answer(key, vendor);
  }

  async findVendor(sourceSupplierId: string) {
    return this.vendors.get(sourceSupplierId);
  }

  async listVendors() {
    return [...this.vendors.values()];
  }

  async lookupChange(key: string): Promise<ChangeLookup> {
    const result = this.committed.get(key);
    return result ? { state: 'committed', result } : { state: 'in-flight' };
  }
}

const supplier = {
  legalName: 'Nordlicht Office Supplies GmbH',
  displayName: 'Nordlicht Office',
  contactEmail: 'greta@nordlicht.example',
  address: { line1: 'Friedrichstraße 123', city: 'Berlin', country: 'DE' },
};

function step(input: Record<string, unknown>, entityVersion = 1): ErpStep {
  return {
    operation: 'upsertVendor',
    flow: 'supplier-sync',
    businessKey: `supplier/${String(input.sourceSupplierId)}`,
    entityVersion,
    correlationId: `corr-${entityVersion}`,
    causationId: newId(),
    origin: 'spendesk://acme',
    input,
  };
}

describe('upsertVendor (vendor-steps) with an in-memory vendor master', () => {
  let master: FakeVendorMaster;
  let published: CanonicalEvent[];
  const deps = () => ({
    erp: master as never,
    vendors: master,
    publish: async (events: readonly CanonicalEvent[]) => {
      published.push(...events);
    },
    erpSourceUri: 'erp://sandbox',
    now: () => new Date(),
    resolution: { lookups: 2, pauseMs: 1 },
  });

  beforeEach(() => {
    master = new FakeVendorMaster();
    published = [];
  });

  it('creates the vendor and announces it with its state, bank details only as a fingerprint', async () => {
    // Act
    const result = await runErpStep(step({ sourceSupplierId: 'sup-1', fields: supplier }), deps());
    // Assess
    expect(result).toMatchObject({
      vendorNumber: 'V-000001',
      action: 'created',
      refused: [],
      blocked: false,
    });
    expect(published.map((event) => event.type)).toEqual(['erp.supplier.synced.v1']);
    expect(published[0]?.data).toMatchObject({
      vendorNumber: 'V-000001',
      action: 'created',
      appliedFields: ['address', 'contactEmail', 'displayName', 'legalName'],
      vendor: { legalName: supplier.legalName, paymentTerms: 'net-30', blocked: false, version: 1 },
    });
  });

  it('refuses values for ERP-owned fields by name and applies the platform fields beside them', async () => {
    // Prepare
    await runErpStep(step({ sourceSupplierId: 'sup-1', fields: supplier }), deps());
    // Act
    const result = await runErpStep(
      step(
        {
          sourceSupplierId: 'sup-1',
          fields: { ...supplier, displayName: 'Nordlicht' },
          foreignChanges: [
            { field: 'bankAccount', value: 'DE89370400440532013000' },
            { field: 'paymentTerms', value: 'net-15' },
          ],
        },
        2,
      ),
      deps(),
    );
    // Assess
    expect(result).toMatchObject({ action: 'changed', refused: ['bankAccount', 'paymentTerms'], echoes: [] });
    expect(JSON.stringify(result)).not.toContain('0532013000');
    expect(JSON.stringify(published)).not.toContain('0532013000');
    expect(master.vendors.get('sup-1')).toMatchObject({ displayName: 'Nordlicht', paymentTerms: 'net-30' });
  });

  it('counts each synced supplier by action, and the fields it refused, per flow only', async () => {
    // Prepare
    const recorded: MetricPoint[] = [];
    const metrics = { record: (...points: readonly MetricPoint[]) => void recorded.push(...points) };
    // Act
    await runErpStep(step({ sourceSupplierId: 'sup-1', fields: supplier }), { ...deps(), metrics });
    await runErpStep(
      step(
        {
          sourceSupplierId: 'sup-1',
          fields: { ...supplier, displayName: 'Nordlicht' },
          foreignChanges: [
            { field: 'bankAccount', value: 'DE89370400440532013000' },
            { field: 'paymentTerms' },
          ],
        },
        2,
      ),
      { ...deps(), metrics },
    );
    // Assess
    expect(recorded).toEqual([
      {
        name: 'SuppliersSynced',
        unit: 'Count',
        value: 1,
        dimensions: { flow: 'supplier-sync', action: 'created' },
      },
      {
        name: 'SuppliersSynced',
        unit: 'Count',
        value: 1,
        dimensions: { flow: 'supplier-sync', action: 'changed' },
      },
      { name: 'FieldChangesRefused', unit: 'Count', value: 2, dimensions: { flow: 'supplier-sync' } },
    ]);
  });

  it('drops a value equal to the one the ERP holds as an echo', async () => {
    // Prepare
    await runErpStep(step({ sourceSupplierId: 'sup-1', fields: supplier }), deps());
    const vendor = master.vendors.get('sup-1') as VendorRecord;
    vendor.bankAccountSha256 = createHash('sha256').update('DE89370400440532013000').digest('hex');
    // Act
    const result = await runErpStep(
      step(
        {
          sourceSupplierId: 'sup-1',
          fields: supplier,
          foreignChanges: [
            { field: 'bankAccount', value: 'de89 3704 0044 0532 0130 00' },
            { field: 'paymentTerms', value: 'NET-30' },
          ],
        },
        2,
      ),
      deps(),
    );
    // Assess
    expect(result).toMatchObject({
      action: 'unchanged',
      refused: [],
      echoes: ['bankAccount', 'paymentTerms'],
    });
    expect(master.changes).toBe(1);
  });

  it('refuses sealed bank details by name even when they seal the account the ERP holds', async () => {
    // Prepare: the ERP holds the very account the platform sent, sealed at ingest.
    await runErpStep(step({ sourceSupplierId: 'sup-1', fields: supplier }), deps());
    const vendor = master.vendors.get('sup-1') as VendorRecord;
    vendor.bankAccountSha256 = createHash('sha256').update('DE89370400440532013000').digest('hex');
    const sealed = `hmac-sha256:${createHash('sha256').update('any digest').digest('hex')}`;
    // Act
    const result = await runErpStep(
      step(
        {
          sourceSupplierId: 'sup-1',
          fields: supplier,
          foreignChanges: [{ field: 'bankAccount', secretValue: sealed }],
        },
        2,
      ),
      deps(),
    );
    // Assess: the adapter holds no sealing key, so it cannot call it an echo; the digest is never repeated.
    expect(result).toMatchObject({ action: 'unchanged', refused: ['bankAccount'], echoes: [] });
    expect(JSON.stringify(result)).not.toContain(sealed);
    expect(JSON.stringify(published)).not.toContain(sealed);
  });

  it('refuses a sealed value that is not a string as invalid step input', async () => {
    // Prepare
    await runErpStep(step({ sourceSupplierId: 'sup-1', fields: supplier }), deps());
    // Act
    const run = runErpStep(
      step(
        {
          sourceSupplierId: 'sup-1',
          fields: supplier,
          foreignChanges: [{ field: 'bankAccount', secretValue: 42 }],
        },
        2,
      ),
      deps(),
    );
    // Assess
    await expect(run).rejects.toMatchObject({ code: 'invalid_step_input' });
  });

  it('sends nothing when the supplier is re-sent unchanged', async () => {
    // Prepare
    await runErpStep(step({ sourceSupplierId: 'sup-1', fields: supplier }), deps());
    // Act
    const result = await runErpStep(step({ sourceSupplierId: 'sup-1', fields: supplier }, 2), deps());
    // Assess
    expect(result).toMatchObject({ action: 'unchanged' });
    expect(master.changes).toBe(1);
    expect(published).toHaveLength(1);
  });

  it('holds a change for an unknown supplier that carries no legal name', async () => {
    // Act
    const failure = runErpStep(step({ sourceSupplierId: 'sup-9', fields: { displayName: 'X' } }), deps());
    // Assess
    await expect(failure).rejects.toBeInstanceOf(SupplierNotYetKnownError);
    expect(master.changes).toBe(0);
  });

  it('continues with the committed vendor when the answer is lost, under the same idempotency key', async () => {
    // Prepare
    master.loseNextAnswer = 'after-commit';
    const create = step({ sourceSupplierId: 'sup-1', fields: supplier });
    // Act
    const result = await runErpStep(create, deps());
    // Assess
    expect(result).toMatchObject({ vendorNumber: 'V-000001', action: 'created' });
    expect(master.committed.has(stepIdempotencyKey(create))).toBe(true);
    expect(master.changes).toBe(1);
    expect(published).toHaveLength(1);
  });

  it('rejects with ErpOutcomeUnknownError and announces nothing while the outcome cannot be learnt', async () => {
    // Prepare
    master.loseNextAnswer = 'in-flight';
    // Act
    const failure = runErpStep(step({ sourceSupplierId: 'sup-1', fields: supplier }), deps());
    // Assess
    await expect(failure).rejects.toBeInstanceOf(ErpOutcomeUnknownError);
    expect(published).toHaveLength(0);
  });

  it('rejects a step when the connector has no vendor master', async () => {
    // Act
    const failure = runErpStep(step({ sourceSupplierId: 'sup-1', fields: supplier }), {
      ...deps(),
      vendors: undefined,
    });
    // Assess
    await expect(failure).rejects.toMatchObject({ name: 'ErpRefusedError' });
  });
});

describe('upsertVendor against the ERP sandbox', () => {
  let erp: ErpSandbox;
  let dir: string;
  let connector: HttpErpVendorConnector;
  let admin: ErpSandboxAdmin;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'concord-vendor-steps-'));
    erp = await startErpSandbox({ dataDir: dir, port: 0 });
    connector = new HttpErpVendorConnector({
      baseUrl: erp.url,
      credentials: staticErpCredentials(erp.credentials.apiKeys[0] as string),
      timeoutMs: 300,
    });
    admin = new ErpSandboxAdmin(erp.url, erp.credentials.adminToken);
  });

  afterAll(async () => {
    await erp.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('changes a vendor once when the answer to its change is lost after the commit', async () => {
    // Prepare
    const published: CanonicalEvent[] = [];
    const deps = {
      erp: connector,
      vendors: connector,
      publish: async (events: readonly CanonicalEvent[]) => {
        published.push(...events);
      },
      erpSourceUri: 'erp://sandbox',
      now: () => new Date(),
      resolution: { lookups: 2, pauseMs: 10 },
    };
    await runErpStep(step({ sourceSupplierId: 'sup-lost', fields: supplier }), deps);
    await admin.addFault({ route: '/vendors/*/changes', kind: '5xx-after-commit', rate: 1, times: 1 });
    // Act
    const result = await runErpStep(
      step({ sourceSupplierId: 'sup-lost', fields: { ...supplier, contactName: 'Ingrid Dahl' } }, 2),
      deps,
    );
    // Assess
    expect((await admin.faults()).map((fault) => fault.fired)).toEqual([1]);
    expect(result).toMatchObject({ action: 'changed' });
    expect(await connector.findVendor('sup-lost')).toMatchObject({ contactName: 'Ingrid Dahl', version: 2 });
    expect(published.map((event) => (event.data as { action?: string }).action)).toEqual([
      'created',
      'changed',
    ]);
  });
});
