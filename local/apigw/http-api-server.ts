/** API Gateway HTTP API emulation: Lambda proxy integrations with payload format 2.0, and API Gateway's own error answers. */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AccessDeniedError } from '../iam/access-denied';
import type { IamAuthorizer } from '../iam/iam-authorizer';
import type { LambdaService } from '../services/lambda/lambda-service';
import type { UsageMeter } from '../usage/usage-meter';
import type { HttpApiRegistry, RouteMatch } from './http-api-registry';

const textTypes =
  /^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded)|application\/[a-z.+-]*\+(json|xml))/i;

/** What API Gateway logs as `$context.integrationErrorMessage` when it may not invoke the integration. */
export const integrationPermissionMessage =
  "The IAM role configured on the integration or API Gateway doesn't have permissions to call the integration. Check the permissions and try again.";

function send(
  response: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'apigw-requestid': randomBytes(8).toString('base64url'),
    ...headers,
  });
  response.end(body);
}

/** The proxy event of payload format 2.0, as API Gateway builds it. */
export function proxyEventV2(
  request: IncomingMessage,
  body: Buffer,
  match: RouteMatch,
  requestId: string,
): Record<string, unknown> {
  const url = new URL(request.url ?? '/', 'http://local');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined && name !== 'cookie')
      headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  headers['x-forwarded-proto'] ??= 'http';
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams)
    query[name] = query[name] === undefined ? value : `${query[name]},${value}`;
  const contentType = headers['content-type'] ?? '';
  const isText = body.length === 0 || textTypes.test(contentType);
  const host = headers.host ?? '127.0.0.1';
  const now = new Date();
  return {
    version: '2.0',
    routeKey: match.routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    ...(request.headers.cookie
      ? { cookies: request.headers.cookie.split(';').map((cookie) => cookie.trim()) }
      : {}),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    ...(Object.keys(match.pathParameters).length > 0 ? { pathParameters: match.pathParameters } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: match.apiId,
      domainName: host,
      domainPrefix: host.split('.')[0],
      http: {
        method: request.method,
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: match.routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length > 0 ? { body: isText ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: body.length > 0 && !isText,
  };
}

function respond(response: ServerResponse, payload: string): void {
  let result: unknown;
  try {
    result = JSON.parse(payload);
  } catch {
    send(response, 500, '{"message":"Internal Server Error"}');
    return;
  }
  // Payload 2.0: an object with statusCode is a full response; anything else is a 200 JSON body.
  if (result !== null && typeof result === 'object' && 'statusCode' in result) {
    const {
      statusCode,
      headers = {},
      body = '',
      isBase64Encoded,
      cookies,
    } = result as {
      statusCode: number;
      headers?: Record<string, string>;
      body?: string;
      isBase64Encoded?: boolean;
      cookies?: string[];
    };
    const bytes = isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(String(body));
    const out: Record<string, string | string[]> = {
      'content-length': String(bytes.length),
      ...Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), String(v)])),
    };
    if (cookies?.length) out['set-cookie'] = cookies;
    response.writeHead(Number(statusCode), out);
    response.end(bytes);
    return;
  }
  send(response, 200, JSON.stringify(result));
}

/**
 * The integration check API Gateway makes before invoking a route's function, through the deployed IAM: the
 * `$default` stage's execute-api ARN as `aws:SourceArn`, or the integration's credentials role.
 */
export function iamIntegrationCheck(
  iam: Pick<IamAuthorizer, 'apiSourceArn' | 'authorizeApiIntegration'>,
): (match: RouteMatch, method: string) => void {
  return (match, method) =>
    iam.authorizeApiIntegration(
      iam.apiSourceArn(match.apiId, '$default', match.routeKey, method),
      match.integration.functionArn,
      match.integration.credentialsArn,
    );
}

/** Serves every deployed HTTP API on one local port. */
export async function startHttpApiServer(
  apis: HttpApiRegistry,
  lambda: LambdaService,
  port: number,
  usage: UsageMeter,
  /** Told of every answer to a route (its API, status and latency), for the AWS/ApiGateway metrics. */
  onAnswer: (apiId: string, status: number, latencyMs: number) => void = () => {},
  /**
   * Throws when API Gateway may not invoke the route's function (IAM enforced: the function's resource policy or
   * the integration's credentials role); the request then fails as on AWS, before the function runs.
   */
  authorizeIntegration: (match: RouteMatch, method: string) => void = () => {},
): Promise<{ server: Server; url: string }> {
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const requestId = randomBytes(8).toString('base64url');
    usage.apiRequest();
    const match = apis.match(request.method ?? 'GET', new URL(request.url ?? '/', 'http://local').pathname);
    if (!match) return send(response, 404, '{"message":"Not Found"}');
    const started = performance.now();
    response.once('finish', () => onAnswer(match.apiId, response.statusCode, performance.now() - started));
    try {
      authorizeIntegration(match, request.method ?? 'GET');
    } catch (error) {
      if (!(error instanceof AccessDeniedError)) {
        console.error(`[apigw] ${match.routeKey} integration could not be authorized`, error);
        return send(response, 500, '{"message":"Internal Server Error"}');
      }
      // AWS answers a bare 500 and puts the reason in the access log's $context.integrationErrorMessage.
      console.warn(
        `[apigw] ${match.routeKey} (${match.apiId}): ${integrationPermissionMessage} (${(error as Error).message})`,
      );
      return send(response, 500, '{"message":"Internal Server Error"}');
    }
    const event = proxyEventV2(request, body, match, requestId);
    let timer: NodeJS.Timeout | undefined;
    try {
      const invocation = lambda.invoke(match.integration.functionArn, JSON.stringify(event));
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), match.integration.timeoutMs);
      });
      const result = await Promise.race([invocation, timeout]);
      // API Gateway's own answers: a timed-out integration is 503, a failed or malformed one 500.
      if (result === 'timeout') return send(response, 503, '{"message":"Service Unavailable"}');
      if (result.functionError) return send(response, 500, '{"message":"Internal Server Error"}');
      respond(response, result.payload);
    } catch (error) {
      const throttled = (error as Error)?.name === 'ThrottledError';
      if (!throttled) console.error(`[apigw] ${match.routeKey} integration failed`, error);
      send(
        response,
        throttled ? 429 : 502,
        throttled ? '{"message":"Too Many Requests"}' : '{"message":"Bad Gateway"}',
      );
    } finally {
      clearTimeout(timer);
    }
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`Port ${port} is already in use: stop what uses it or pass --api-port`)
          : error,
      ),
    );
    server.listen(port, '127.0.0.1', resolve);
  });
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
