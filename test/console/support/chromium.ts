/** Debian's Chromium driven by playwright-core, headless, with a throw-away profile: the console's real browser. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

/** Where Debian installs Chromium (`apt-get install -y chromium`; `.ci/run` does it on a fresh machine). */
export const chromiumPath = '/usr/bin/chromium';

/** A started browser, its first page, and how to stop it and remove its profile. */
export interface RunningBrowser {
  browser: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/**
 * Starts Chromium. The flags keep it from reaching for the network on its own (this machine's network is closed,
 * and every refused background connection costs time); never a downloaded browser build.
 */
export async function launchChromium(viewport = { width: 1360, height: 900 }): Promise<RunningBrowser> {
  const profileDir = mkdtempSync(path.join(tmpdir(), 'concord-console-chromium-'));
  const browser = await chromium.launchPersistentContext(profileDir, {
    executablePath: chromiumPath,
    headless: true,
    viewport,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const page = browser.pages()[0] ?? (await browser.newPage());
  return {
    browser,
    page,
    async close() {
      await browser.close();
      rmSync(profileDir, { recursive: true, force: true });
    },
  };
}
