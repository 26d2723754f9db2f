/** The console's client script and style sheet, built from console/ui by esbuild in memory when the console starts. */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { build } from 'esbuild';

/** A built asset, served as is. */
export interface ConsoleAsset {
  contentType: string;
  body: Uint8Array;
  /** A content hash, for the ETag. */
  etag: string;
}

/** The assets by their URL path (`/assets/console.js`, `/assets/console.css`). */
export type ConsoleAssets = ReadonlyMap<string, ConsoleAsset>;

const uiDir = path.join(__dirname, '..', 'ui');

const contentTypes: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/**
 * Bundles console/ui/console.ts and console.css. Nothing is written to disk and nothing built is committed: the
 * console serves what its sources say, and a build error stops the console from starting.
 */
export async function buildConsoleAssets(): Promise<ConsoleAssets> {
  const result = await build({
    entryPoints: [path.join(uiDir, 'console.ts'), path.join(uiDir, 'console.css')],
    bundle: true,
    write: false,
    outdir: '/assets',
    format: 'iife',
    // Browsers of the last few years; the console runs on an operator's workstation.
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    minify: true,
    logLevel: 'silent',
  });
  const assets = new Map<string, ConsoleAsset>();
  for (const file of result.outputFiles) {
    const urlPath = `/assets/${path.basename(file.path)}`;
    assets.set(urlPath, {
      contentType: contentTypes[path.extname(file.path)] ?? 'application/octet-stream',
      body: file.contents,
      etag: `"${createHash('sha256').update(file.contents).digest('base64url').slice(0, 16)}"`,
    });
  }
  return assets;
}
