import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { localWebhookSecrets } from '../../cli/commands/dev';
import { concord } from './support/concord-cli';
import { startDeployedPlatform, synthesizeToTemp } from './support/deployed-platform';

describe('the concord command', () => {
  it('lists its commands and answers --help for each', async () => {
    const help = await concord(['--help']);
    const devHelp = await concord(['dev', '--help']);
    for (const command of ['audit', 'dev', 'dlq', 'replay', 'send', 'services'])
      expect(help.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    expect(devHelp.stdout).toContain('--api-port N');
  });

  it('rejects an unknown command with a non-zero exit', async () => {
    const result = await concord(['frobnicate']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown command "frobnicate"');
  });

  it('says clearly when a port is already in use', async () => {
    // Prepare
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    const dataDir = mkdtempSync(path.join(tmpdir(), 'concord-busy-'));
    // Act
    const result = await concord(['services', '--edge-port', String(port), '--data-dir', dataDir]);
    blocker.close();
    rmSync(dataDir, { recursive: true, force: true });
    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`Port ${port} is already in use`);
  });

  it('reads a secrets file the user provided as written, and generates one when absent', () => {
    // Prepare
    const provided = mkdtempSync(path.join(tmpdir(), 'concord-secrets-'));
    writeFileSync(path.join(provided, 'secrets.json'), JSON.stringify({ shopify: ['mine-new', 'mine-old'] }));
    const empty = mkdtempSync(path.join(tmpdir(), 'concord-secrets-'));
    // Act
    const kept = localWebhookSecrets(provided);
    const generated = localWebhookSecrets(empty);
    // Assess
    expect(kept).toMatchObject({ created: false, secrets: { shopify: ['mine-new', 'mine-old'] } });
    expect(generated.created).toBe(true);
    expect(Object.keys(generated.secrets).sort()).toEqual(['billing-hub', 'hubspot', 'shopify', 'stripe']);
    expect(generated.secrets.stripe?.[0]).toMatch(/^whsec_/);
    expect(JSON.parse(readFileSync(path.join(empty, 'secrets.json'), 'utf8'))).toEqual(generated.secrets);
    rmSync(provided, { recursive: true, force: true });
    rmSync(empty, { recursive: true, force: true });
  });

  describe('send', () => {
    let assemblyDir: string;
    let local: Awaited<ReturnType<typeof startDeployedPlatform>>;

    beforeAll(async () => {
      assemblyDir = synthesizeToTemp();
      local = await startDeployedPlatform(assemblyDir);
    }, 120_000);

    afterAll(async () => {
      await local.stop();
      rmSync(assemblyDir, { recursive: true, force: true });
    });

    it.each([
      ['shopify', 'shopify/orders-create.json'],
      ['stripe', 'stripe/invoice-paid.json'],
      ['hubspot', 'hubspot/contact-events.json'],
      ['billing-hub', 'billing-hub/payment-succeeded.json'],
    ])('signs and posts a %s webhook that the deployed ingest accepts', async (source, fixture) => {
      const result = await concord([
        'send',
        source,
        path.join(__dirname, '../fixtures', fixture),
        '--data-dir',
        local.dataDir,
        '--api-url',
        local.platform.apiUrl,
      ]);
      expect(result.stdout).toMatch(/^202 Accepted/);
      expect(result.code).toBe(0);
    });
  });
});
