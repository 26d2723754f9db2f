import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { localWebhookSecrets } from '../../cli/commands/dev';
import { loadSourceRegistry } from '../../functions/shared/sources/source-registry';
import { parseCommandList } from '../../scripts/docs/generate-cli-reference';
import { concord } from './support/concord-cli';
import { startDeployedPlatform, synthesizeToTemp } from './support/deployed-platform';

describe('the concord command', () => {
  it('lists every command of cli/commands/ and answers --help for each with its summary and usage', async () => {
    // Prepare: one module per command (cli/main.ts), so a command added there is checked here too.
    const modules = readdirSync(path.join(__dirname, '../../cli/commands'))
      .filter((file) => file.endsWith('.ts'))
      .map((file) => file.replace(/\.ts$/, ''))
      .sort();

    // Act
    const help = await concord(['--help']);
    const listed = parseCommandList(help.stdout);
    const answers = await Promise.all(
      listed.map(async ({ name }) => ({ name, answer: await concord([name, '--help']) })),
    );

    // Assess: the list names each module once; each command exits 0 and opens with the summary it is listed with.
    expect(help.code).toBe(0);
    expect(listed.map(({ name }) => name).sort()).toEqual(modules);
    expect(
      answers.map(({ name, answer }) => ({
        name,
        code: answer.code,
        summary: answer.stdout.split('\n')[0],
        usage: answer.stdout.split('\n').find((line) => line.startsWith('usage:')),
      })),
    ).toEqual(
      listed.map(({ name, summary }) => ({
        name,
        code: 0,
        summary,
        usage: expect.stringMatching(new RegExp(`^usage: concord ${name}( |$)`)),
      })),
    );
    expect(answers.find(({ name }) => name === 'dev')?.answer.stdout).toContain('--api-port N');
  }, 180_000);

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
    // One secret per source of the registry: a source added by declaration gets one too.
    expect(Object.keys(generated.secrets).sort()).toEqual([...loadSourceRegistry().keys()].sort());
    expect(Object.keys(generated.secrets)).toEqual(expect.arrayContaining(['shopify', 'stripe', 'hibob']));
    expect(generated.secrets.stripe?.[0]).toMatch(/^whsec_/);
    expect(JSON.parse(readFileSync(path.join(empty, 'secrets.json'), 'utf8'))).toEqual(generated.secrets);
    rmSync(provided, { recursive: true, force: true });
    rmSync(empty, { recursive: true, force: true });
  });

  it('answers --version with the version in package.json', async () => {
    // Prepare
    const manifest = JSON.parse(readFileSync(path.join(__dirname, '../../package.json'), 'utf8'));

    // Act
    const result = await concord(['--version']);

    // Assess
    expect([result.code, result.stdout.trim()]).toEqual([0, manifest.version]);
  });

  it('hints at npm start when the endpoint refuses the connection, as JSON under --json', async () => {
    // Prepare: a port nothing listens on.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));
    const endpoint = `http://127.0.0.1:${port}`;

    // Act
    const json = await concord(['dlq', 'list', '--endpoint', endpoint, '--json']);
    const text = await concord(['dlq', 'list', '--endpoint', endpoint]);

    // Assess
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual({
      error: {
        name: expect.any(String),
        message: expect.stringMatching(
          new RegExp(`^connection refused at 127\\.0\\.0\\.1:${port} .*: is \`npm start\` running\\?$`),
        ),
      },
    });
    expect(text.code).toBe(1);
    expect(text.stderr.trim()).toMatch(/^concord: connection refused at .*: is `npm start` running\?$/);
  });

  it('refuses a replay it cannot ask about when stdin is not a terminal, with exit code 2 and nothing done', async () => {
    // Prepare: a plan, and an endpoint nothing listens on (the refusal comes before any call).
    const dir = mkdtempSync(path.join(tmpdir(), 'concord-plan-'));
    const plan = path.join(dir, 'plan.json');
    writeFileSync(
      plan,
      JSON.stringify({
        kind: 'concord.replay-plan',
        version: 1,
        reconciliationId: 'r-1',
        createdAt: new Date().toISOString(),
        republish: [
          {
            class: 'missing-in-erp',
            entity: 'order',
            key: '1001',
            events: [{ type: 'commerce.order.placed.v1' }],
          },
        ],
        archiveReplays: [],
        review: [],
      }),
    );

    // Act
    const result = await concord([
      'replay',
      '--plan',
      plan,
      '--reason',
      'INC-1',
      '--endpoint',
      'http://127.0.0.1:9',
      '--json',
    ]);
    rmSync(dir, { recursive: true, force: true });

    // Assess
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toEqual({
      error: {
        name: 'ConfirmationRequiredError',
        message:
          '"Re-publish 1 event and replay 0 archive windows to the warehouse, from the plan of reconciliation r-1?" ' +
          'needs an answer, but stdin is not a terminal: pass --yes to confirm (nothing was changed)',
      },
    });
  });

  it('rejects --operator: the operator is who the credentials say', async () => {
    // Act
    const result = await concord(['dlq', 'park', 'Exceptions', 'm-1', '--reason', 'x', '--operator', 'jane']);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("Unknown option '--operator'");
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
