import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { staticErpCredentials } from '../../functions/shared/erp/erp-credentials';
import { ErpRefusedError } from '../../functions/shared/erp/erp-errors';
import { HttpErpItemConnector } from '../../functions/shared/erp/http-erp-item-connector';
import { type ErpSandbox, startErpSandbox } from '../../local/erp-sandbox/erp-sandbox-server';
import { describeErpItemPortContract } from './erp-item-port-contract';

async function sandbox(): Promise<{ erp: ErpSandbox; dir: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'concord-erp-items-'));
  return { erp: await startErpSandbox({ dataDir: dir, port: 0 }), dir };
}

function connectorOf(erp: ErpSandbox): HttpErpItemConnector {
  return new HttpErpItemConnector({
    baseUrl: erp.url,
    credentials: staticErpCredentials(erp.credentials.apiKeys[0] as string),
    timeoutMs: 5000,
  });
}

/** An admin call of the sandbox's item master; throws with the answer when it is refused. */
async function admin(erp: ErpSandbox, method: string, route: string, body: unknown): Promise<void> {
  const response = await fetch(`${erp.url}/_admin${route}`, {
    method,
    headers: { authorization: `Bearer ${erp.credentials.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} /_admin${route}: ${response.status} ${await response.text()}`);
}

describeErpItemPortContract('HttpErpItemConnector over the ERP sandbox', async () => {
  const { erp, dir } = await sandbox();
  let movements = 0;
  return {
    port: connectorOf(erp),
    createItem: (sku, prices) =>
      admin(erp, 'POST', '/items', { items: [{ sku, title: sku, taxRate: '0.19', prices }] }),
    moveStock: (sku, locationId, quantity) =>
      admin(erp, 'POST', '/stock-movements', {
        reference: `GR-${++movements}`,
        lines: [{ sku, locationId, quantity }],
      }),
    close: async () => {
      await erp.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('HttpErpItemConnector', () => {
  let erp: ErpSandbox;
  let dir: string;

  beforeAll(async () => {
    ({ erp, dir } = await sandbox());
  });

  afterAll(async () => {
    await erp.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('surfaces a window the ERP refuses as a refusal, not as an empty listing', async () => {
    // Prepare
    const connector = connectorOf(erp);

    // Act
    const listing = connector.listStockLevels({ fromIso: 'yesterday', toIso: '2026-11-28T00:00:00Z' });

    // Assess
    await expect(listing).rejects.toBeInstanceOf(ErpRefusedError);
  });
});
