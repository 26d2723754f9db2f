/** Who asks the Replay function to act: proved by a signed STS GetCallerIdentity request (as Vault's AWS auth does), never a typed name. */
import { createHash } from 'node:crypto';
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';

/** The only body a proof may carry: the query-protocol GetCallerIdentity the SDK signs. */
export const getCallerIdentityBody = 'Action=GetCallerIdentity&Version=2011-06-15';
/** The signed header that ties a proof to one request: the SHA-256 of the request it came with. */
export const requestHashHeader = 'x-concord-request-sha256';
/** The hosts a proof may be sent to: AWS's global and regional STS endpoints, never one the request names. */
const stsHost = /^sts(\.[a-z]{2}(-[a-z]+)+-\d+)?\.amazonaws\.com(\.cn)?$/;

/**
 * A GetCallerIdentity request signed by the caller's credentials, which the Replay function sends to STS itself: STS
 * checks the signature and answers who signed it. A SigV4 signature holds for 15 minutes, so a proof goes stale.
 */
export interface CallerProof {
  /** The host the request was signed for (`sts.<region>.amazonaws.com`). */
  host: string;
  /** The signed headers and `authorization`, exactly as signed. */
  headers: Record<string, string>;
  /** The form body, which must be {@link getCallerIdentityBody}. */
  body: string;
}

/** A proof is missing, malformed, not bound to this request, or refused by STS: nothing was changed. */
export class CallerNotVerifiedError extends Error {
  override readonly name = 'CallerNotVerifiedError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A request named its operator in free text: refused, since the audit must name who the credentials say acted. */
export class OperatorNotAcceptedError extends Error {
  override readonly name = 'OperatorNotAcceptedError';

  constructor(options?: { cause?: unknown }) {
    super(
      '"operator" is not accepted: the audit records who signed "callerProof" (a signed STS GetCallerIdentity), ' +
        'not a typed name; remove "operator" (see docs/runbooks/replay.md)',
      options,
    );
  }
}

/** JSON with object keys sorted at every level, so the hash does not depend on the order a client wrote them in. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.entries(value)
      .filter(([, entry]) => entry !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, entry]) => `${JSON.stringify(key)}:${canonicalJson(entry)}`)
      .join(',')}}`;
  return JSON.stringify(value) ?? 'null';
}

/** The hash a proof must be bound to: the request without its proof. */
export function requestHash(request: Record<string, unknown>): string {
  const { callerProof: _proof, ...rest } = request;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

/** The operator's name from a caller identity ARN: an assumed role's session name, an IAM user's name, else the ARN. */
export function operatorOf(arn: string): string {
  const assumed = /^arn:[^:]+:sts::\d*:assumed-role\/[^/]+\/(.+)$/.exec(arn);
  if (assumed?.[1]) return assumed[1];
  const user = /^arn:[^:]+:iam::\d*:user\/(?:.*\/)?([^/]+)$/.exec(arn);
  return user?.[1] ?? arn;
}

/**
 * Signs a GetCallerIdentity bound to `request` with the client's credentials and sends it (it changes nothing), keeping
 * what was signed: the proof to attach to `request` as `callerProof`. Answers the caller's ARN too.
 */
export async function proveCaller(
  sts: STSClient,
  request: Record<string, unknown>,
): Promise<{ proof: CallerProof; arn: string }> {
  const command = new GetCallerIdentityCommand({});
  let proof: CallerProof | undefined;
  const hash = requestHash(request);
  command.middlewareStack.add(
    (next) => async (args) => {
      const http = args.request as { headers: Record<string, string> };
      http.headers[requestHashHeader] = hash;
      return next(args);
    },
    { step: 'build', name: 'concordBindCallerProof' },
  );
  const capture: Parameters<typeof command.middlewareStack.add>[0] = (next) => async (args) => {
    const http = args.request as {
      hostname: string;
      port?: number;
      headers: Record<string, string>;
      body: unknown;
    };
    proof = {
      host: http.port ? `${http.hostname}:${http.port}` : http.hostname,
      headers: { ...http.headers },
      body: String(http.body),
    };
    return next(args);
  };
  command.middlewareStack.addRelativeTo(capture, {
    relation: 'after',
    toMiddleware: 'httpSigningMiddleware',
    name: 'concordCaptureCallerProof',
  });
  const { Arn } = await sts.send(command);
  if (!Arn || !proof) throw new CallerNotVerifiedError('STS GetCallerIdentity named no caller');
  return { proof, arn: Arn };
}

/** The header names a SigV4 Authorization header says it signed. */
function signedHeadersOf(authorization: string): string[] {
  const list = /SignedHeaders=([^,\s]+)/.exec(authorization)?.[1];
  return list ? list.split(';') : [];
}

/** Sends a caller's proof to STS and answers the ARN STS names; the Replay function's port to STS. */
export class StsCallerVerifier {
  constructor(
    private readonly options: {
      /** An AWS-compatible endpoint to send every proof to (AWS_ENDPOINT_URL: the embedded runtime). */
      endpointOverride?: string;
      fetch?: typeof fetch;
    } = {},
  ) {}

  /** The ARN of whoever signed `proof` for exactly this `request`; throws CallerNotVerifiedError otherwise. */
  async callerArn(request: Record<string, unknown>): Promise<string> {
    const proof = request.callerProof as Partial<CallerProof> | undefined;
    if (!proof || typeof proof !== 'object')
      throw new CallerNotVerifiedError(
        '"callerProof" is required to change anything: the operator is who signed it (concord and the console ' +
          'attach it; see docs/runbooks/replay.md)',
      );
    const headers = proof.headers;
    if (
      typeof proof.host !== 'string' ||
      !headers ||
      typeof headers !== 'object' ||
      typeof proof.body !== 'string'
    )
      throw new CallerNotVerifiedError(
        '"callerProof" must be {host, headers, body}: a signed GetCallerIdentity',
      );
    if (proof.body !== getCallerIdentityBody)
      throw new CallerNotVerifiedError('"callerProof" is not a GetCallerIdentity request');
    const lower = Object.fromEntries(
      Object.entries(headers).map(([name, value]) => [name.toLowerCase(), String(value)]),
    );
    const signed = signedHeadersOf(lower.authorization ?? '');
    if (!lower.authorization?.startsWith('AWS4-HMAC-SHA256 ') || !signed.includes(requestHashHeader))
      throw new CallerNotVerifiedError(
        `"callerProof" is not a SigV4 signature over ${requestHashHeader}: it would prove nothing about this request`,
      );
    if (!this.options.endpointOverride && !stsHost.test(proof.host))
      throw new CallerNotVerifiedError(
        `"callerProof" was signed for ${proof.host}, which is not an STS endpoint`,
      );
    // Only what was signed is sent, with this request's own hash: a proof made for another request fails the signature.
    const sent: Record<string, string> = { authorization: lower.authorization };
    for (const name of signed)
      if (name !== 'host' && name !== 'content-length' && lower[name] !== undefined) sent[name] = lower[name];
    sent[requestHashHeader] = requestHash(request);
    const url = this.options.endpointOverride ?? `https://${proof.host}/`;
    let response: Response;
    try {
      response = await (this.options.fetch ?? fetch)(url, {
        method: 'POST',
        headers: sent,
        body: getCallerIdentityBody,
      });
    } catch (error) {
      throw new CallerNotVerifiedError(
        `STS could not be reached to verify the caller: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    const text = await response.text();
    if (!response.ok) {
      const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? `HTTP ${response.status}`;
      const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1] ?? '';
      throw new CallerNotVerifiedError(
        `STS refused the caller's proof: ${code}${message ? `: ${message}` : ''}`,
      );
    }
    const arn = /<Arn>([^<]+)<\/Arn>/.exec(text)?.[1];
    if (!arn) throw new CallerNotVerifiedError('STS answered no caller ARN for the proof');
    return arn.replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>');
  }
}
