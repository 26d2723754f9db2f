/** STS `GetCallerIdentity` at the edge: the caller is a local IAM user named by `<data-dir>/operators.json` or the login running the runtime. */
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { userInfo } from 'node:os';
import path from 'node:path';
import { AwsError } from '../../edge/aws-error';
import { type RawService, sendJsonError } from '../../edge/edge-server';
import type { LocalEnvironment } from '../local-environment';
import { type OperationTable, operationHandler, operationsOf } from '../operation-table';

const namespace = 'https://sts.amazonaws.com/doc/2011-06-15/';
/** The X-Amz-Target prefix of STS's AWS JSON 1.0 protocol (the Smithy service shape's name). */
export const stsTargetPrefix = 'AWSSecurityTokenServiceV20110615';
/** The file, in the data directory, that names the operator behind each access key id. */
export const operatorsFileName = 'operators.json';
/** The characters and length IAM accepts in a user name, so the ARN is one AWS could return. */
const iamUserName = /^[\w+=,.@-]{1,64}$/;

/** The contents of `operators.json`: who signs with which access key id, and who signs with any other. */
export interface OperatorsFile {
  /** The operator for an access key id the map does not name; default: the login that started the runtime. */
  default?: string;
  /** Access key id (the `Credential=` of the request's SigV4 signature) → operator name. */
  accessKeys?: Record<string, string>;
}

/** Who a request's credentials say the caller is, in GetCallerIdentity's terms. */
export interface CallerIdentity {
  Account: string;
  Arn: string;
  UserId: string;
}

/** The operators file is unreadable or names an operator IAM would not accept. */
export class OperatorsFileError extends Error {
  override readonly name = 'OperatorsFileError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

function escapeXml(value: string): string {
  return value.replace(
    /[<>&'"]/g,
    (character) =>
      ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[character] ?? '',
  );
}

/** The access key id of a SigV4-signed request (header or presigned query), if it is signed. */
export function accessKeyIdOf(request: IncomingMessage): string | undefined {
  const header = /Credential=([^/,\s]+)\//.exec(request.headers.authorization ?? '')?.[1];
  if (header) return header;
  const query = new URL(request.url ?? '/', 'http://edge').searchParams.get('X-Amz-Credential');
  return query?.split('/')[0] || undefined;
}

/**
 * The login of whoever started the runtime. A container user without a passwd entry makes `userInfo()` throw, so the
 * shell's variables come next; the fixed name last keeps the runtime usable and is visible in every audit entry.
 */
export function loginName(): string {
  try {
    const { username } = userInfo();
    if (username) return username;
  } catch {
    // No passwd entry for this uid: fall through to the environment.
  }
  return process.env.USER ?? process.env.LOGNAME ?? process.env.USERNAME ?? 'local-operator';
}

/** IAM's unique id of a user (`AIDA` + 17 base32 characters), derived from the name so it is stable across restarts. */
function userIdOf(name: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const digest = createHash('sha256').update(`iam-user:${name}`).digest();
  let id = 'AIDA';
  for (let index = 0; id.length < 21; index++) id += alphabet[(digest[index] ?? 0) % 32];
  return id;
}

/** STS: only GetCallerIdentity, which is what tells the CLI, the console and the audit who is acting. */
export class StsService implements RawService {
  private readonly operatorsFile: string;

  constructor(
    dataDir: string,
    private readonly env: LocalEnvironment,
    /** The name used when operators.json names no default. */
    private readonly defaultName: () => string = loginName,
  ) {
    this.operatorsFile = path.join(dataDir, operatorsFileName);
  }

  /**
   * The operator a request signed with this access key id acts as. The file is read at every call (one per CLI
   * command), so an edit applies without a restart.
   */
  operatorFor(accessKeyId: string | undefined): string {
    const file = this.readOperatorsFile();
    const name =
      (accessKeyId ? file.accessKeys?.[accessKeyId] : undefined) ?? file.default ?? this.defaultName();
    if (!iamUserName.test(name))
      throw new OperatorsFileError(
        `operator name ${JSON.stringify(name)} is not a valid IAM user name (1-64 of letters, digits and +=,.@_-): ` +
          `name a valid one in ${this.operatorsFile}`,
      );
    return name;
  }

  /** The identity of a role session's access key id (a function's execution role), set by the runtime's IAM. */
  roleSessionIdentity: (accessKeyId: string) => { Arn: string; UserId: string } | undefined = () => undefined;

  /** The caller identity of a request signed with this access key id. */
  callerIdentity(accessKeyId: string | undefined): CallerIdentity {
    const session = accessKeyId ? this.roleSessionIdentity(accessKeyId) : undefined;
    if (session) return { Account: this.env.accountId, ...session };
    const name = this.operatorFor(accessKeyId);
    return {
      Account: this.env.accountId,
      Arn: `arn:aws:iam::${this.env.accountId}:user/${name}`,
      UserId: userIdOf(name),
    };
  }

  private readOperatorsFile(): OperatorsFile {
    let text: string;
    try {
      text = readFileSync(this.operatorsFile, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new OperatorsFileError(`cannot read ${this.operatorsFile}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new OperatorsFileError(`${this.operatorsFile} is not valid JSON: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const file = parsed as OperatorsFile;
    const valid =
      typeof parsed === 'object' &&
      parsed !== null &&
      !Array.isArray(parsed) &&
      (file.default === undefined || typeof file.default === 'string') &&
      (file.accessKeys === undefined ||
        (typeof file.accessKeys === 'object' &&
          file.accessKeys !== null &&
          Object.values(file.accessKeys).every((name) => typeof name === 'string')));
    if (!valid)
      throw new OperatorsFileError(
        `${this.operatorsFile} must be {"default"?: "<name>", "accessKeys"?: {"<access key id>": "<name>"}}`,
      );
    return file;
  }

  /** A failure of the runtime's own configuration is the server's, named so the operator can fix the file. */
  private awsErrorOf(error: unknown): AwsError {
    if (error instanceof AwsError) return error;
    if (error instanceof OperatorsFileError) {
      console.error(`[sts] ${error.message}`);
      return new AwsError('InternalFailure', error.message, 500);
    }
    console.error('[sts] internal failure', error);
    return new AwsError('InternalFailure', 'The local STS failed; see the runtime log', 500);
  }

  /**
   * What answers each STS operation (the caller's identity, which both protocols render); any operation not a key is
   * refused with `InvalidAction`.
   */
  static readonly operations: OperationTable<StsService, IncomingMessage, CallerIdentity> = {
    GetCallerIdentity: (service, request) => service.callerIdentity(accessKeyIdOf(request)),
  };

  async handleRaw(request: IncomingMessage, body: Buffer, response: ServerResponse): Promise<void> {
    const target = request.headers['x-amz-target'];
    if (typeof target === 'string') return this.handleJson(request, target, response);
    // Query protocol: Action and Version in the form body (POST) or the query string (GET).
    const params = new URLSearchParams(
      body.length > 0 ? body.toString('utf8') : new URL(request.url ?? '/', 'http://edge').search,
    );
    const action = params.get('Action') ?? '';
    const requestId = randomUUID();
    try {
      const answer = operationHandler(StsService.operations, action);
      if (!answer)
        throw new AwsError(
          'InvalidAction',
          `The action ${action || '(none)'} is not valid for this web service (the local STS serves ${stsOperations.join(', ')} only).`,
        );
      const identity = answer(this, request, action);
      const text =
        `<GetCallerIdentityResponse xmlns="${namespace}">\n  <GetCallerIdentityResult>\n` +
        `    <Arn>${escapeXml(identity.Arn)}</Arn>\n    <UserId>${identity.UserId}</UserId>\n` +
        `    <Account>${identity.Account}</Account>\n  </GetCallerIdentityResult>\n` +
        `  <ResponseMetadata>\n    <RequestId>${requestId}</RequestId>\n  </ResponseMetadata>\n` +
        `</GetCallerIdentityResponse>\n`;
      response.writeHead(200, {
        'content-type': 'text/xml',
        'content-length': Buffer.byteLength(text),
        'x-amzn-requestid': requestId,
      });
      response.end(text);
    } catch (error) {
      const aws = this.awsErrorOf(error);
      const text =
        `<ErrorResponse xmlns="${namespace}">\n  <Error>\n    <Type>${aws.statusCode >= 500 ? 'Receiver' : 'Sender'}</Type>\n` +
        `    <Code>${escapeXml(aws.code)}</Code>\n    <Message>${escapeXml(aws.message)}</Message>\n  </Error>\n` +
        `  <RequestId>${requestId}</RequestId>\n</ErrorResponse>\n`;
      response.writeHead(aws.statusCode, {
        'content-type': 'text/xml',
        'content-length': Buffer.byteLength(text),
        'x-amzn-requestid': requestId,
      });
      response.end(text);
    }
  }

  /** AWS JSON 1.0 (`X-Amz-Target: AWSSecurityTokenServiceV20110615.GetCallerIdentity`), for clients configured with it. */
  private handleJson(request: IncomingMessage, target: string, response: ServerResponse): void {
    const contentType = String(request.headers['content-type'] ?? 'application/x-amz-json-1.0');
    const operation = target.slice(target.indexOf('.') + 1);
    try {
      const answer = operationHandler(StsService.operations, operation);
      if (!answer)
        throw new AwsError(
          'InvalidAction',
          `The action ${operation} is not valid for this web service (the local STS serves ${stsOperations.join(', ')} only).`,
        );
      const text = JSON.stringify(answer(this, request, operation));
      response.writeHead(200, {
        'content-type': contentType,
        'content-length': Buffer.byteLength(text),
        'x-amzn-requestid': randomUUID(),
      });
      response.end(text);
    } catch (error) {
      sendJsonError(response, contentType, this.awsErrorOf(error));
    }
  }
}

/** The STS operations the local runtime answers: the keys of the table it dispatches by. */
export const stsOperations = operationsOf(StsService.operations);
