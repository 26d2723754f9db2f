/** `concord dev` (`npm start`): synthesize the CDK app for the stage `local`, deploy it onto the embedded runtime, and run it. */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { App } from 'aws-cdk-lib';
import { loadSourceRegistry } from '../../functions/shared/sources/source-registry';
import { buildApp } from '../../infra/app';
import type { DeployReport } from '../../local/deploy/deployer';
import { LocalPlatform, readWebhookSecretsFile } from '../../local/platform';
import { OperatorInputError } from '../error-output';
import { newLocalSecret } from '../webhook-signing';

const rootDir = path.resolve(__dirname, '../..');

/** Help text of `concord dev`. */
export const devHelp = `Run Concord locally: synthesize the CDK app for the stage "local", deploy it onto the embedded runtime, serve its APIs.

usage: concord dev [--edge-port N] [--api-port N] [--erp-port N] [--data-dir DIR] [--reset] [--clock-factor N] [--assembly DIR]
       npm start -- <same options>

  --edge-port N      AWS endpoint for SDKs and the AWS CLI (env CONCORD_EDGE_PORT, default 4566)
  --api-port N       HTTP APIs, e.g. POST /webhooks/{source} (env CONCORD_API_PORT, default 3000)
  --erp-port N       the ERP sandbox (env CONCORD_ERP_PORT, default 4100)
  --data-dir DIR     state, logs, secrets.json (env CONCORD_DATA_DIR, default .concord)
  --reset            start from an empty data directory (env CONCORD_RESET=1)
  --clock-factor N   run local time N times faster (env CONCORD_CLOCK_FACTOR, default 1)
  --assembly DIR     deploy an existing cloud assembly instead of synthesizing (env CONCORD_ASSEMBLY)

Webhook secrets: <data-dir>/secrets.json, { "<source>": ["<secret>", …] }, generated on first start, read as written;
  a source declared since then gets a generated secret on the next start.
  Shopify's list verifies a webhook of any shop: the local stage alone accepts that; every other stage binds
  Shopify secrets per shop, { "<shop>.myshopify.com": ["<secret>", …] } (docs/runbooks/rotate-webhook-secret.md).
Ctrl-C drains in-flight work and flushes buffers; a hard kill loses nothing acknowledged.`;

/** Synthesizes the stage `local` in-process (esbuild bundling, cdk-nag checks) into `outdir`. */
export function synthesizeLocalStage(outdir: string, erpBaseUrl?: string): string {
  const cdkJson = JSON.parse(require('node:fs').readFileSync(path.join(rootDir, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  rmSync(outdir, { recursive: true, force: true });
  const app = new App({ outdir, context: { ...cdkJson.context, stage: 'local' } });
  buildApp(app, 'local', '000000000000', erpBaseUrl);
  app.synth();
  return outdir;
}

/** Reads `<data-dir>/secrets.json`, creating it with random secrets for every source when absent. */
export function localWebhookSecrets(dataDir: string): {
  file: string;
  secrets: Record<string, string[]>;
  created: boolean;
} {
  const file = path.join(dataDir, 'secrets.json');
  if (existsSync(file)) {
    const secrets = readWebhookSecretsFile(file);
    // A source declared since the file was made gets its secret now, so it flows on the next start.
    const missing = [...loadSourceRegistry().values()].filter((source) => !secrets[source.name]);
    for (const source of missing) secrets[source.name] = [newLocalSecret(source.scheme)];
    if (missing.length > 0) writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
    return { file, secrets, created: false };
  }
  // One list per source, Shopify's included: the local stage accepts it for any shop (no real shop posts here),
  // so `concord send` and the tests sign as whichever shop they like.
  const secrets = Object.fromEntries(
    [...loadSourceRegistry().values()].map((source) => [source.name, [newLocalSecret(source.scheme)]]),
  );
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  return { file, secrets, created: true };
}

function option(value: string | undefined, envName: string, fallback: string): string {
  return value ?? process.env[envName] ?? fallback;
}

function port(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > 65535)
    throw new OperatorInputError(`${flag} must be a port number, got "${text}"`);
  return value;
}

function printReport(
  report: DeployReport,
  platform: LocalPlatform,
  dataDir: string,
  secretsFile: string,
  createdSecrets: boolean,
): void {
  const lines = ['', 'Concord is running locally.', ''];
  for (const stack of report.stacks) {
    lines.push(
      `  ${stack.name}: ${stack.created.length} created, ${stack.updated.length} updated, ${stack.unchanged.length} unchanged, ${stack.deleted.length} deleted`,
    );
  }
  const skipped = Object.entries(report.skipped).map(([type, count]) => `${type} (${count})`);
  if (skipped.length > 0) lines.push(`  skipped (no local meaning): ${skipped.join(', ')}`);
  lines.push(
    '',
    `  Webhooks:      ${platform.apiUrl}/webhooks/{source}   (${platform.apis.routeKeys().join(', ')})`,
    `  AWS endpoint:  ${platform.runtime.endpoint}   (AWS_ENDPOINT_URL for any SDK or the AWS CLI)`,
    `  Health:        ${platform.runtime.endpoint}/_concord/health`,
    `  ERP sandbox:   ${platform.erp?.url}   (docs/erp-sandbox.openapi.yaml; its API key and admin token: ${path.join(dataDir, 'erp', 'credentials.json')})`,
    `  Stand-ins:     HiBob ${platform.erp?.url}/hibob/v1, Shopify ${platform.erp?.url}/shopify/admin/api/2025-01   (their credentials, in the same file, are loaded into the stage's platform secrets)`,
    `  Data:          ${dataDir}   logs in ${path.join(dataDir, 'logs')}`,
    `  Secrets:       ${secretsFile}${createdSecrets ? ' (generated now)' : ''}`,
    `  Alerts:        alarm emails in ${path.join(platform.runtime.sns.mailboxDir, 'Concord-local-Stateful-AlarmTopic*.jsonl')}   (npx concord status: SLOs, backlog, firing alarms)`,
    '',
    '  Try it:        npx concord send shopify test/fixtures/shopify/orders-create.json',
    '  A minute later: npx concord warehouse sql "select * from orders"; npx concord reconcile --since 1h',
    '',
  );
  console.log(lines.join('\n'));
}

/** Runs until SIGINT/SIGTERM. */
export async function runDev(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      'edge-port': { type: 'string' },
      'api-port': { type: 'string' },
      'erp-port': { type: 'string' },
      'data-dir': { type: 'string' },
      reset: { type: 'boolean' },
      'clock-factor': { type: 'string' },
      assembly: { type: 'string' },
    },
    strict: true,
  });
  const dataDir = path.resolve(option(values['data-dir'], 'CONCORD_DATA_DIR', '.concord'));
  const edgePort = port(option(values['edge-port'], 'CONCORD_EDGE_PORT', '4566'), '--edge-port');
  const apiPort = port(option(values['api-port'], 'CONCORD_API_PORT', '3000'), '--api-port');
  const erpPort = port(option(values['erp-port'], 'CONCORD_ERP_PORT', '4100'), '--erp-port');
  const clockFactor = Number(option(values['clock-factor'], 'CONCORD_CLOCK_FACTOR', '1'));
  if (!(clockFactor > 0))
    throw new OperatorInputError(`--clock-factor must be positive, got "${values['clock-factor']}"`);
  if (values.reset || process.env.CONCORD_RESET === '1') rmSync(dataDir, { recursive: true, force: true });

  const { file: secretsFile, secrets, created } = localWebhookSecrets(dataDir);
  const assembly = values.assembly ?? process.env.CONCORD_ASSEMBLY;
  let assemblyDir: string;
  if (assembly) {
    assemblyDir = path.resolve(assembly);
  } else {
    console.log('Synthesizing the CDK app for the stage "local"…');
    assemblyDir = synthesizeLocalStage(path.join(dataDir, 'cdk.out'), `http://127.0.0.1:${erpPort}`);
  }

  const platform = await LocalPlatform.start({ dataDir, edgePort, apiPort, erpPort, clockFactor });
  platform.runtime.lambda.onLog = (functionName, line) => console.log(`[${functionName}] ${line}`);
  platform.runtime.startingReason = 'deploying';
  let report: DeployReport;
  try {
    report = await platform.deploy(assemblyDir, secrets);
  } catch (error) {
    await platform.stop();
    throw error;
  }
  platform.runtime.healthDetails = () => ({
    apiUrl: platform.apiUrl,
    deployed: Object.fromEntries(
      report.stacks.map((stack) => [
        stack.name,
        Object.entries(platform.deployer.deployedResources(stack.name))
          .filter(([, r]) => r.hash)
          .map(([id, r]) => ({ logicalId: id, type: r.type, physicalId: r.physicalId })),
      ]),
    ),
  });
  platform.runtime.startingReason = undefined;
  printReport(report, platform, dataDir, secretsFile, created);

  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  console.log('Stopping: draining in-flight work and flushing buffers…');
  await platform.stop();
  return 0;
}
