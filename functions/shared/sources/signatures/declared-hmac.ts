/** A generic HMAC signature scheme declared in the source registry: algorithm, header, encoding, prefix, timestamp, signed template. */
import { createHmac } from 'node:crypto';
import { SignatureInvalidError } from '../../errors';
import type { WebhookRequest } from '../webhook-request';
import { anySignatureMatches, assertFresh, decodeBase64, decodeHex, requireHeader } from './hmac';
import type { SignatureVerifier } from './index';

/** How a declared HMAC sender signs, as written under `signature` in sources.json. */
export interface DeclaredHmacSignature {
  algorithm: 'sha256' | 'sha512';
  /** The header carrying the signature (any case; HTTP header names are case-insensitive). */
  header: string;
  encoding: 'hex' | 'base64';
  /** Text before the digest in the header, e.g. `sha256=`. */
  prefix?: string;
  /** A signed timestamp header and how fresh it must be, both ways. */
  timestamp?: { header: string; format: 'unix-seconds' | 'unix-milliseconds'; toleranceSec: number };
  /** What is signed: `{body}` (the raw bytes), `{timestamp}` and `{header:<name>}` placeholders around literal text. */
  signed: string;
}

/** One piece of the signed message: literal text, the raw body, the timestamp, or a header's value. */
type TemplatePart =
  | { kind: 'text'; text: string }
  | { kind: 'body' }
  | { kind: 'timestamp' }
  | { kind: 'header'; name: string };

const placeholderPattern = /\{(body|timestamp|header:[A-Za-z0-9-]+)\}/g;

/**
 * Parses a signed-message template, listing every problem (named by `where`): exactly one `{body}`, `{timestamp}`
 * only with a declared timestamp header, no unknown placeholder or stray brace.
 */
export function parseSignedTemplate(
  template: string,
  hasTimestamp: boolean,
  where: string,
): { parts: TemplatePart[]; problems: string[] } {
  const parts: TemplatePart[] = [];
  const problems: string[] = [];
  let last = 0;
  for (const match of template.matchAll(placeholderPattern)) {
    if (match.index > last) parts.push({ kind: 'text', text: template.slice(last, match.index) });
    const name = match[1] as string;
    if (name === 'body') parts.push({ kind: 'body' });
    else if (name === 'timestamp') parts.push({ kind: 'timestamp' });
    else parts.push({ kind: 'header', name: name.slice('header:'.length).toLowerCase() });
    last = match.index + match[0].length;
  }
  if (last < template.length) parts.push({ kind: 'text', text: template.slice(last) });
  const bodies = parts.filter((part) => part.kind === 'body').length;
  if (bodies !== 1) problems.push(`${where}: must contain {body} exactly once (found ${bodies})`);
  if (!hasTimestamp && parts.some((part) => part.kind === 'timestamp'))
    problems.push(`${where}: uses {timestamp} but signature.timestamp declares no timestamp header`);
  for (const part of parts) {
    if (part.kind === 'text' && /[{}]/.test(part.text))
      problems.push(
        `${where}: unknown placeholder in "${part.text}" (use {body}, {timestamp} or {header:<name>})`,
      );
  }
  return { parts, problems };
}

/** Problems with a declared HMAC signature, each naming the source and field; empty when it is usable. */
export function declaredHmacProblems(sourceName: string, spec: DeclaredHmacSignature): string[] {
  const where = `${sourceName}: signature.signed`;
  return parseSignedTemplate(spec.signed, spec.timestamp !== undefined, where).problems;
}

function timestampSeconds(
  value: string,
  format: 'unix-seconds' | 'unix-milliseconds',
  header: string,
): number {
  const digits = format === 'unix-seconds' ? /^\d{1,12}$/ : /^\d{1,15}$/;
  if (!digits.test(value))
    throw new SignatureInvalidError(`${header} is not a ${format.replace('-', ' ')} timestamp`);
  return format === 'unix-seconds' ? Number(value) : Number(value) / 1000;
}

/**
 * Builds the verifier of a declared HMAC scheme; call declaredHmacProblems first (the registry does). The key is the
 * secret's UTF-8 bytes, as every body-HMAC platform documents it; several active secrets cover a rotation.
 */
export function compileDeclaredHmac(spec: DeclaredHmacSignature): SignatureVerifier {
  const { parts } = parseSignedTemplate(spec.signed, spec.timestamp !== undefined, 'signature.signed');
  const signatureHeader = spec.header.toLowerCase();
  const decode = spec.encoding === 'hex' ? decodeHex : decodeBase64;
  return (request: WebhookRequest, secrets: readonly string[]) => {
    const raw = requireHeader(request.headers, signatureHeader).trim();
    if (spec.prefix && !raw.startsWith(spec.prefix))
      throw new SignatureInvalidError(`${spec.header} does not start with ${spec.prefix}`);
    const presented = decode(raw.slice(spec.prefix?.length ?? 0));
    let timestamp = '';
    if (spec.timestamp) {
      const header = spec.timestamp.header.toLowerCase();
      timestamp = requireHeader(request.headers, header).trim();
      assertFresh(
        timestampSeconds(timestamp, spec.timestamp.format, spec.timestamp.header),
        request.receivedAt,
        spec.timestamp.toleranceSec,
      );
    }
    // Resolve every part before hashing, so a missing header is reported as such rather than as a mismatch.
    const message = parts.map((part): Buffer | string => {
      if (part.kind === 'text') return part.text;
      if (part.kind === 'body') return request.body;
      if (part.kind === 'timestamp') return timestamp;
      return requireHeader(request.headers, part.name);
    });
    const expected = secrets.map((secret) => {
      const hmac = createHmac(spec.algorithm, secret);
      for (const piece of message) hmac.update(piece);
      return hmac.digest();
    });
    if (!anySignatureMatches(expected, [presented]))
      throw new SignatureInvalidError(`${spec.header} HMAC-${spec.algorithm.toUpperCase()} does not match`);
  };
}

/** Signs a request body as a declared HMAC sender would: the headers to send (for `concord sources`, tests and docs). */
export function signDeclaredHmac(
  spec: DeclaredHmacSignature,
  secret: string,
  body: string,
  options: { now?: Date; headers?: Readonly<Record<string, string>> } = {},
): Record<string, string> {
  const now = options.now ?? new Date();
  const headers: Record<string, string> = {};
  let timestamp = '';
  if (spec.timestamp) {
    timestamp =
      spec.timestamp.format === 'unix-seconds'
        ? String(Math.floor(now.getTime() / 1000))
        : String(now.getTime());
    headers[spec.timestamp.header.toLowerCase()] = timestamp;
  }
  const { parts } = parseSignedTemplate(spec.signed, spec.timestamp !== undefined, 'signature.signed');
  const hmac = createHmac(spec.algorithm, secret);
  for (const part of parts) {
    if (part.kind === 'text') hmac.update(part.text);
    else if (part.kind === 'body') hmac.update(body, 'utf8');
    else if (part.kind === 'timestamp') hmac.update(timestamp);
    else hmac.update(options.headers?.[part.name] ?? '');
  }
  headers[spec.header.toLowerCase()] = `${spec.prefix ?? ''}${hmac.digest(spec.encoding)}`;
  return headers;
}
