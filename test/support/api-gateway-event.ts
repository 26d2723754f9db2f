/** API Gateway HTTP API (payload format 2.0) events built from WebhookRequests, as API Gateway would deliver them. */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { WebhookRequest } from '../../functions/shared/sources/webhook-request';

/** The proxy event API Gateway sends for a request; binary-safe bodies are base64-encoded as API Gateway does for non-text. */
export function apiGatewayEvent(
  request: WebhookRequest,
  options: { base64?: boolean } = {},
): APIGatewayProxyEventV2 {
  const url = new URL(request.url);
  const base64 = options.base64 ?? false;
  return {
    version: '2.0',
    routeKey: 'POST /webhooks/{source}',
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    headers: { ...request.headers, host: url.host, 'x-forwarded-proto': url.protocol.replace(':', '') },
    pathParameters: { source: request.sourceName },
    requestContext: {
      accountId: '123456789012',
      apiId: 'a1b2c3d4e5',
      domainName: url.host,
      domainPrefix: url.host.split('.')[0] ?? '',
      http: {
        method: request.method,
        path: url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: '198.51.100.7',
        userAgent: 'Shopify-Captain-Hook',
      },
      requestId: 'JkYbWhH3IAMEVxg=',
      routeKey: 'POST /webhooks/{source}',
      stage: '$default',
      time: '20/Nov/2026:15:00:00 +0000',
      timeEpoch: request.receivedAt.getTime(),
    },
    body: base64 ? request.body.toString('base64') : request.body.toString('utf8'),
    isBase64Encoded: base64,
  };
}
