/** `concord send`: sign a payload with the local secret of a source and post it, as that SaaS platform would. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigurationError } from '../../functions/shared/errors';
import { loadSourceRegistry, sourceDefinitions } from '../../functions/shared/sources/source-registry';
import { readWebhookSecretsFile } from '../../local/platform';
import { OperatorInputError } from '../error-output';
import { signWebhook } from '../webhook-signing';

/** Help text of `concord send`. */
export const sendHelp = `Sign a JSON payload with the local secret of a source and POST it to the local webhook route.

usage: concord send <source> <payload.json> [--api-url URL] [--data-dir DIR] [--topic TOPIC]

  <source>        a source in schemas/governance/sources.json (concord sources list)
  --api-url URL   where the HTTP API listens (env CONCORD_API_URL, default http://127.0.0.1:3000)
  --data-dir DIR  where secrets.json is (env CONCORD_DATA_DIR, default .concord)
  --topic TOPIC   Shopify topic (default orders/create)`;

/** Posts once; exit code 0 for a 2xx answer. */
export async function runSend(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { 'api-url': { type: 'string' }, 'data-dir': { type: 'string' }, topic: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  const [sourceName, payloadFile] = positionals;
  if (!sourceName || !payloadFile)
    throw new OperatorInputError('usage: concord send <source> <payload.json> (see --help)');
  const source = loadSourceRegistry().get(sourceName);
  if (!source)
    throw new OperatorInputError(
      `unknown source "${sourceName}": one of ${[...loadSourceRegistry().keys()].join(', ')}`,
    );
  const dataDir = path.resolve(values['data-dir'] ?? process.env.CONCORD_DATA_DIR ?? '.concord');
  const secrets = readWebhookSecretsFile(path.join(dataDir, 'secrets.json'))[sourceName];
  if (!secrets?.[0])
    throw new ConfigurationError(`no secret for ${sourceName} in ${path.join(dataDir, 'secrets.json')}`);
  const body = readFileSync(payloadFile, 'utf8');
  JSON.parse(body);
  const url = `${(values['api-url'] ?? process.env.CONCORD_API_URL ?? 'http://127.0.0.1:3000').replace(/\/$/, '')}/webhooks/${sourceName}`;
  const headers = {
    'content-type': 'application/json',
    ...signWebhook(source.scheme, secrets[0], body, url, {
      topic: values.topic,
      signature: sourceDefinitions()[sourceName]?.signature,
    }),
  };
  const response = await fetch(url, { method: 'POST', headers, body });
  const text = await response.text();
  console.log(`${response.status} ${response.statusText}`);
  console.log(text);
  return response.ok ? 0 : 1;
}
