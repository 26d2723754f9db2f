/**
 * The ERP sandbox's credentials: the API keys its clients (the HTTP ERP connector) present, and the token of its
 * admin API. Made on first start under the sandbox's data directory and kept there, with curl header files beside
 * them so that a person can call the sandbox as the README shows (`curl -H @.concord/erp/api.header …`).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Who may call the sandbox. */
export interface SandboxCredentials {
  /** Keys accepted on the ERP's business routes, several at once during a rotation. */
  apiKeys: string[];
  /** The one token of the admin API (`/_admin/*`): faults, releases by hand, audit. */
  adminToken: string;
  /**
   * What the platform stand-ins it hosts accept, as the real platforms issue them: a HiBob service user and a Shopify
   * Admin API access token. `npm start` loads them into the stage's platform credential secrets.
   */
  platforms: SandboxPlatformCredentials;
}

/** The stand-ins' credentials, stored as the stage's platform secrets hold them. */
export interface SandboxPlatformCredentials {
  hibob: { id: string; token: string };
  shopify: { accessToken: string };
  /** The bearer token of the Spendesk purchase-order stand-in (spendesk-purchase-order-stand-in.ts). */
  spendesk: { apiToken: string };
}

const credentialsFile = 'credentials.json';

function newSecret(): string {
  return randomBytes(24).toString('base64url');
}

function newPlatformCredentials(): SandboxPlatformCredentials {
  return {
    // Bob's service user ids are upper-case words; its tokens are opaque.
    hibob: { id: `SERVICE-${randomBytes(4).toString('hex').toUpperCase()}`, token: newSecret() },
    // Shopify's Admin API access tokens of custom apps start with shpat_.
    shopify: { accessToken: `shpat_${randomBytes(16).toString('hex')}` },
    spendesk: { apiToken: newSecret() },
  };
}

function isPlatformCredentials(value: unknown): value is SandboxPlatformCredentials {
  const candidate = value as Partial<SandboxPlatformCredentials> | undefined;
  return (
    typeof candidate?.hibob?.id === 'string' &&
    candidate.hibob.id !== '' &&
    typeof candidate.hibob.token === 'string' &&
    candidate.hibob.token.length >= 16 &&
    typeof candidate.shopify?.accessToken === 'string' &&
    candidate.shopify.accessToken.length >= 16
  );
}

function isCredentials(value: unknown): value is Omit<SandboxCredentials, 'platforms'> {
  const candidate = value as Partial<SandboxCredentials> | null;
  return (
    Array.isArray(candidate?.apiKeys) &&
    candidate.apiKeys.length > 0 &&
    candidate.apiKeys.every((key) => typeof key === 'string' && key.length >= 16) &&
    typeof candidate.adminToken === 'string' &&
    candidate.adminToken.length >= 16
  );
}

/** The credentials kept in `dataDir`, made (and written, readable by the owner only) when there are none. */
export function sandboxCredentials(dataDir: string): SandboxCredentials {
  const file = path.join(dataDir, credentialsFile);
  if (existsSync(file)) {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    if (!isCredentials(stored))
      throw new Error(
        `${file} must be { "apiKeys": ["<key of 16+ characters>", …], "adminToken": "<16+ characters>" }`,
      );
    const { platforms } = stored as Partial<SandboxCredentials>;
    if (platforms !== undefined && !isPlatformCredentials(platforms))
      throw new Error(
        `${file}: "platforms" must be { "hibob": { "id": "…", "token": "<16+ characters>" }, "shopify": { "accessToken": "<16+ characters>" } }`,
      );
    if (platforms?.spendesk !== undefined) {
      if (typeof platforms.spendesk.apiToken !== 'string' || platforms.spendesk.apiToken.length < 16)
        throw new Error(`${file}: "platforms.spendesk" must be { "apiToken": "<16+ characters>" }`);
      return { ...stored, platforms };
    }
    if (platforms) {
      // A data directory made before the Spendesk stand-in checked a token: its token is added, the others kept.
      const upgraded: SandboxCredentials = {
        ...stored,
        platforms: { ...platforms, spendesk: newPlatformCredentials().spendesk },
      };
      writeFileSync(file, `${JSON.stringify(upgraded, null, 2)}\n`, { mode: 0o600 });
      return upgraded;
    }
    // A data directory made before the stand-ins checked credentials: theirs are added, the ERP's kept.
    const upgraded: SandboxCredentials = { ...stored, platforms: newPlatformCredentials() };
    writeFileSync(file, `${JSON.stringify(upgraded, null, 2)}\n`, { mode: 0o600 });
    return upgraded;
  }
  const made: SandboxCredentials = {
    apiKeys: [newSecret()],
    adminToken: newSecret(),
    platforms: newPlatformCredentials(),
  };
  writeFileSync(file, `${JSON.stringify(made, null, 2)}\n`, { mode: 0o600 });
  writeFileSync(path.join(dataDir, 'api.header'), `Authorization: Bearer ${made.apiKeys[0]}\n`, {
    mode: 0o600,
  });
  writeFileSync(path.join(dataDir, 'admin.header'), `Authorization: Bearer ${made.adminToken}\n`, {
    mode: 0o600,
  });
  return made;
}

/** Reads the credentials of a sandbox that runs elsewhere (the CLI beside `npm start`), from its data directory. */
export function readSandboxCredentials(dataDir: string): SandboxCredentials | undefined {
  const file = path.join(dataDir, credentialsFile);
  return existsSync(file) ? sandboxCredentials(dataDir) : undefined;
}
