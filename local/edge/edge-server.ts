/** The edge endpoint: one HTTP server that AWS SDK clients and the AWS CLI talk to, dispatching to the local services. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { AwsError } from './aws-error';

/** A service spoken in AWS JSON 1.0/1.1, selected by the X-Amz-Target prefix. */
export interface JsonService {
  readonly targetPrefix: string;
  handle(operation: string, input: Record<string, unknown>): Promise<unknown>;
}

/** A service that answers raw HTTP itself (REST protocols, or a proxy). */
export interface RawService {
  handleRaw(request: IncomingMessage, body: Buffer, response: ServerResponse): Promise<void>;
}

/** What the edge serves. */
export interface EdgeRoutes {
  json: JsonService[];
  /** JSON-protocol targets answered by a raw handler (DynamoDB, proxied to dynalite). */
  rawByTarget: Record<string, RawService>;
  /** REST services by SigV4 credential scope (s3, lambda). */
  rawByScope: Record<string, RawService>;
  /** The health document; `status: "ok"` answers 200, anything else 503 (still starting). */
  health: () => { status: string } & Record<string, unknown>;
  /** Refuses a call before it is served (IAM), answering it itself; returns whether it did. */
  guard?: (request: IncomingMessage, body: Buffer, response: ServerResponse) => boolean;
  /** Resolves once every commit made so far is on disk (group commit); each response ends only after it. */
  durable?: () => Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  // The CloudWatch client gzips large PutMetricData requests (request compression).
  return request.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
}

/** The service name in a SigV4 Authorization header's credential scope. */
export function credentialScopeService(request: IncomingMessage): string | undefined {
  const authorization = request.headers.authorization ?? '';
  return /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(authorization)?.[1];
}

function sendJson(
  response: ServerResponse,
  status: number,
  contentType: string,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body ?? {});
  response.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': crypto.randomUUID(),
    ...headers,
  });
  response.end(text);
}

/** Renders an error in the AWS JSON protocol's shape. */
export function sendJsonError(
  response: ServerResponse,
  contentType: string,
  error: unknown,
  prefix = '',
): void {
  const aws =
    error instanceof AwsError
      ? error
      : new AwsError('InternalFailure', 'The local service failed; see the runtime log', 500);
  if (!(error instanceof AwsError)) console.error('[edge] internal failure', error);
  const headers: Record<string, string> = { 'x-amzn-errortype': aws.code };
  if (aws.queryErrorCode) headers['x-amzn-query-error'] = `${aws.queryErrorCode};Sender`;
  sendJson(
    response,
    aws.statusCode,
    contentType,
    { __type: `${prefix}${aws.code}`, message: aws.message, Message: aws.message },
    headers,
  );
}

async function dispatch(
  routes: EdgeRoutes,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const body = await readBody(request);
  const url = request.url ?? '/';
  if (url.startsWith('/_concord/health')) {
    const health = routes.health();
    return sendJson(response, health.status === 'ok' ? 200 : 503, 'application/json', health);
  }
  if (routes.guard?.(request, body, response)) return;
  const target = request.headers['x-amz-target'];
  if (typeof target === 'string') {
    const separator = target.indexOf('.');
    const prefix = target.slice(0, separator);
    const operation = target.slice(separator + 1);
    const contentType = String(request.headers['content-type'] ?? 'application/x-amz-json-1.1');
    const raw = routes.rawByTarget[prefix];
    if (raw) return raw.handleRaw(request, body, response);
    const service = routes.json.find((candidate) => candidate.targetPrefix === prefix);
    if (!service)
      return sendJsonError(
        response,
        contentType,
        new AwsError('UnknownOperationException', `No local service for ${target}`),
      );
    try {
      const input = body.length > 0 ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {};
      sendJson(response, 200, contentType, await service.handle(operation, input));
    } catch (error) {
      sendJsonError(
        response,
        contentType,
        error instanceof SyntaxError
          ? new AwsError('SerializationException', 'Request body is not valid JSON')
          : error,
      );
    }
    return;
  }
  const scope = credentialScopeService(request) ?? (url.startsWith('/2015-03-31/') ? 'lambda' : 's3');
  const rest = routes.rawByScope[scope];
  if (!rest)
    return sendJson(response, 400, 'application/json', {
      message: `No local service for ${request.method} ${url}`,
    });
  await rest.handleRaw(request, body, response);
}

/**
 * Holds the end of a response until what its request committed is on disk, so an acknowledgement is never ahead of
 * durability; services, raw ones included, answer as usual. A failed fsync answers nothing: the caller retries.
 */
function endWhenDurable(response: ServerResponse, durable: () => Promise<void>): void {
  const end = response.end.bind(response) as (...args: unknown[]) => ServerResponse;
  response.end = ((...args: unknown[]) => {
    durable().then(
      () => end(...args),
      (error: unknown) => {
        console.error('[edge] commits could not be made durable; the request is not acknowledged', error);
        response.destroy();
      },
    );
    return response;
  }) as ServerResponse['end'];
}

/** Starts the edge on 127.0.0.1; resolves with the server and its URL once it listens. */
export async function startEdgeServer(
  routes: EdgeRoutes,
  port: number,
): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    if (routes.durable) endWhenDurable(response, routes.durable);
    dispatch(routes, request, response).catch((error: unknown) => {
      console.error('[edge] request failed', error);
      if (!response.headersSent)
        sendJson(response, 500, 'application/json', { message: 'The local runtime failed; see its log' });
      else response.end();
    });
  });
  // Long polls (SQS, 20 s) must not be cut by Node's default timeouts.
  server.requestTimeout = 0;
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`Port ${port} is already in use: stop what uses it or pass --edge-port`)
          : error,
      ),
    );
    server.listen(port, '127.0.0.1', resolve);
  });
  const { port: actualPort } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${actualPort}` };
}
