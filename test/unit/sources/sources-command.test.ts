import { createHmac } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type RegistryFiles, runSources } from '../../../cli/commands/sources';

const repo = path.join(__dirname, '../../..');
const hibobFixture = (name: string) => path.join(repo, 'test/fixtures/hibob', name);

function captured() {
  const out: string[] = [];
  const err: string[] = [];
  jest.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => void out.push(parts.join(' ')));
  jest.spyOn(console, 'error').mockImplementation((...parts: unknown[]) => void err.push(parts.join(' ')));
  return { out, err };
}

/** Copies of the registries in a scratch directory, so `add` never touches the repository. */
function scratchRegistry(): RegistryFiles & { dir: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'concord-sources-'));
  const files = {
    dir,
    sources: path.join(dir, 'sources.json'),
    systemOfRecord: path.join(dir, 'system-of-record.json'),
    fixturesDir: path.join(dir, 'fixtures'),
  };
  copyFileSync(path.join(repo, 'schemas/governance/sources.json'), files.sources);
  copyFileSync(path.join(repo, 'schemas/governance/system-of-record.json'), files.systemOfRecord);
  return files;
}

afterEach(() => jest.restoreAllMocks());

describe('concord sources list', () => {
  it('shows every source with its scheme, types, owner and criticality', async () => {
    // Prepare
    const { out } = captured();
    // Act
    const code = await runSources(['list', '--json']);
    // Assess
    expect(code).toBe(0);
    const { sources } = JSON.parse(out.join('\n'));
    expect(sources.map((source: { name: string }) => source.name)).toEqual(
      expect.arrayContaining(['shopify', 'stripe', 'hubspot', 'billing-hub', 'hibob']),
    );
    expect(sources.find((source: { name: string }) => source.name === 'hibob')).toEqual({
      name: 'hibob',
      scheme: 'hmac',
      mapping: 'declared',
      system: 'hr',
      owner: 'people-systems',
      criticality: 'compliance-sensitive',
      types: [
        'employee.joined→hr.employee.hired.v1',
        'employee.updated→hr.employee.changed.v1',
        'employee.left→hr.employee.terminated.v1',
      ],
    });
    for (const source of sources) expect(source.owner && source.criticality).toBeTruthy();
  });
});

describe('concord sources test', () => {
  it('prints the canonical event of a payload that verifies, maps and validates', async () => {
    // Prepare
    const { out } = captured();
    // Act
    const code = await runSources(['test', 'hibob', hibobFixture('employee-joined.json')]);
    // Assess
    expect(code).toBe(0);
    expect(JSON.parse(out.join('\n'))).toMatchObject({
      type: 'hr.employee.hired.v1',
      data: { effectiveDate: '2026-11-02' },
    });
  });

  it('verifies the signature the platform sent with --headers and --secret', async () => {
    // Prepare
    const { dir } = scratchRegistry();
    const body = readFileSync(hibobFixture('employee-left.json'));
    const headersFile = path.join(dir, 'headers.json');
    writeFileSync(
      headersFile,
      JSON.stringify({ 'Bob-Signature': createHmac('sha512', 'real-secret').update(body).digest('base64') }),
    );
    captured();
    // Act
    const good = await runSources([
      'test',
      'hibob',
      hibobFixture('employee-left.json'),
      '--headers',
      headersFile,
      '--secret',
      'real-secret',
    ]);
    const bad = await runSources([
      'test',
      'hibob',
      hibobFixture('employee-left.json'),
      '--headers',
      headersFile,
      '--secret',
      'another-secret',
    ]);
    // Assess
    expect(good).toBe(0);
    expect(bad).toBe(1);
  });

  it('fails with the verify stage named when the signature does not match', async () => {
    // Prepare
    const { dir } = scratchRegistry();
    const headersFile = path.join(dir, 'headers.json');
    writeFileSync(headersFile, JSON.stringify({ 'bob-signature': 'bm90IGEgc2lnbmF0dXJl' }));
    const { err } = captured();
    // Act
    const code = await runSources([
      'test',
      'hibob',
      hibobFixture('employee-left.json'),
      '--headers',
      headersFile,
      '--secret',
      'real-secret',
    ]);
    // Assess
    expect(code).toBe(1);
    expect(err).toContain('hibob: verify failed: Bob-Signature HMAC-SHA512 does not match');
  });

  it('lists every schema violation of a payload that maps to an invalid event', async () => {
    // Prepare
    const { dir } = scratchRegistry();
    const payload = JSON.parse(readFileSync(hibobFixture('employee-left.json'), 'utf8'));
    payload.data.effectiveDate = 'next friday';
    payload.companyId = '';
    const file = path.join(dir, 'invalid.json');
    writeFileSync(file, JSON.stringify(payload));
    const { out } = captured();
    // Act
    const code = await runSources(['test', 'hibob', file, '--json']);
    // Assess
    expect(code).toBe(1);
    const report = JSON.parse(out.join('\n'));
    expect(report.failure.stage).toBe('validate');
    expect(report.failure.violations.map((violation: { path: string }) => violation.path).sort()).toEqual([
      '/data/effectiveDate',
      '/data/sourceCompanyId',
    ]);
  });

  it('fails for a sender type the source does not map', async () => {
    // Prepare
    const { err } = captured();
    // Act
    const code = await runSources(['test', 'hibob', hibobFixture('table-entry-created.json')]);
    // Assess
    expect(code).toBe(1);
    expect(err).toContain('hibob: ignored: hibob event type table.entry.created is not synchronised');
  });
});

describe('concord sources add', () => {
  const hmacOptions = [
    '--scheme',
    'hmac',
    '--algorithm',
    'sha256',
    '--header',
    'X-Acme-Signature',
    '--encoding',
    'hex',
    '--prefix',
    'sha256=',
    '--timestamp-header',
    'X-Acme-Timestamp',
    '--timestamp-format',
    'unix-seconds',
    '--tolerance-sec',
    '300',
    '--signed',
    '{timestamp}.{body}',
    '--delivery-id',
    'event_id',
    '--system',
    'hr',
    '--owner',
    'people-systems',
    '--criticality',
    'compliance-sensitive',
    '--canonical-type',
    'hr.employee.hired.v1',
  ];

  function sample(dir: string): string {
    const file = path.join(dir, 'sample.json');
    writeFileSync(
      file,
      JSON.stringify({
        event_id: 'ev_1',
        type: 'worker.hired',
        id: 'w-9',
        timestamp: '2026-11-20T09:00:00Z',
      }),
    );
    return file;
  }

  it('scaffolds the entry, the platform, a fixture, and the scaffold tests with every violation listed', async () => {
    // Prepare
    const files = scratchRegistry();
    const { out } = captured();
    // Act
    const code = await runSources(
      ['add', 'acme-hr', ...hmacOptions, '--sample', sample(files.dir), '--data-dir', files.dir],
      files,
    );
    // Assess
    expect(code).toBe(0);
    const registry = JSON.parse(readFileSync(files.sources, 'utf8'));
    expect(registry.sources['acme-hr']).toMatchObject({
      scheme: 'hmac',
      owner: 'people-systems',
      criticality: 'compliance-sensitive',
      signature: {
        algorithm: 'sha256',
        header: 'X-Acme-Signature',
        prefix: 'sha256=',
        signed: '{timestamp}.{body}',
      },
      declared: { eventType: 'type', deliveryId: { expression: 'event_id' }, types: { 'worker.hired': {} } },
    });
    expect(JSON.parse(readFileSync(files.systemOfRecord, 'utf8')).systems.hr.platforms).toContain('acme-hr');
    expect(existsSync(path.join(files.fixturesDir, 'acme-hr/worker-hired.json'))).toBe(true);
    // The scaffold's parts are placeholders the operator fills in: the test names every one still to write.
    out.length = 0;
    const tested = await runSources(
      ['test', 'acme-hr', path.join(files.fixturesDir, 'acme-hr/worker-hired.json'), '--json'],
      files,
    );
    expect(tested).toBe(1);
    const report = JSON.parse(out.join('\n'));
    expect(report.failure.stage).toBe('map');
    expect(report.failure.violations.map((violation: { path: string }) => violation.path)).toEqual([
      '/subject',
      '/time',
      '/entityVersion',
    ]);
  });

  it('refuses an existing name, an unknown scheme and an unknown canonical type, changing nothing', async () => {
    // Prepare
    const files = scratchRegistry();
    const before = [readFileSync(files.sources, 'utf8'), readFileSync(files.systemOfRecord, 'utf8')];
    captured();
    const withOption = (name: string, value: string) => {
      const options = [...hmacOptions];
      options[options.indexOf(name) + 1] = value;
      return options;
    };
    // Act & Assess
    await expect(
      runSources(['add', 'hibob', ...hmacOptions, '--sample', sample(files.dir)], files),
    ).rejects.toThrow(/source "hibob" already exists/);
    await expect(
      runSources(
        ['add', 'acme-hr', ...withOption('--scheme', 'shopify'), '--sample', sample(files.dir)],
        files,
      ),
    ).rejects.toThrow('--scheme shopify cannot be declared');
    await expect(
      runSources(
        ['add', 'acme-hr', ...withOption('--encoding', 'base32'), '--sample', sample(files.dir)],
        files,
      ),
    ).rejects.toThrow(/acme-hr\/signature\/encoding/);
    await expect(
      runSources(
        [
          'add',
          'acme-hr',
          ...withOption('--canonical-type', 'hr.employee.promoted.v1'),
          '--sample',
          sample(files.dir),
        ],
        files,
      ),
    ).rejects.toThrow('--canonical-type hr.employee.promoted.v1 has no schema');
    expect([readFileSync(files.sources, 'utf8'), readFileSync(files.systemOfRecord, 'utf8')]).toEqual(before);
    expect(existsSync(path.join(files.fixturesDir, 'acme-hr'))).toBe(false);
  });
});
