import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sandboxCredentials } from '../../../local/erp-sandbox/sandbox-credentials';

describe('sandboxCredentials', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'concord-credentials-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('makes the ERP keys and the platform stand-ins credentials once, and reads the same ones again', () => {
    // Act
    const made = sandboxCredentials(dir);
    const again = sandboxCredentials(dir);
    // Assess
    expect(made.platforms.hibob).toEqual({
      id: expect.stringMatching(/^SERVICE-/),
      token: expect.any(String),
    });
    expect(made.platforms.shopify.accessToken).toMatch(/^shpat_[0-9a-f]{32}$/);
    expect(again).toEqual(made);
  });

  it('adds platform credentials to a file made before them, keeping its ERP keys', () => {
    // Prepare
    const file = path.join(dir, 'credentials.json');
    const old = { apiKeys: ['k'.repeat(20)], adminToken: 'a'.repeat(20) };
    writeFileSync(file, JSON.stringify(old));
    // Act
    const upgraded = sandboxCredentials(dir);
    // Assess
    expect(upgraded).toMatchObject(old);
    expect(upgraded.platforms.shopify.accessToken).toMatch(/^shpat_/);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(upgraded);
  });

  it('fails naming the file when its platform credentials are malformed', () => {
    // Prepare
    const file = path.join(dir, 'credentials.json');
    writeFileSync(
      file,
      JSON.stringify({
        apiKeys: ['k'.repeat(20)],
        adminToken: 'a'.repeat(20),
        platforms: { hibob: { id: 'SERVICE-1' }, shopify: { accessToken: 'short' } },
      }),
    );
    // Act / Assess
    expect(() => sandboxCredentials(dir)).toThrow(`${file}: "platforms" must be`);
  });
});
