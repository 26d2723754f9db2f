/** The HTTP edge of ingest: API Gateway (payload 2.0) event → WebhookRequest → use case → JSON or problem+json answer. */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import {
  ConfigurationError,
  DeliveryInProgressError,
  DownstreamUnavailableError,
  MalformedPayloadError,
  PayloadTooLargeError,
  SchemaViolationError,
  SignatureInvalidError,
  UnknownSourceError,
  UnsupportedMediaTypeError,
} from '../shared/errors';
import { type HttpResult, jsonResult, type ProblemMapping, problemResult } from '../shared/http/problem';
import {
  type BusinessMetrics,
  type MetricPoint,
  metricPoint,
  noBusinessMetrics,
  webhookRefusalReason,
} from '../shared/observability/business-metrics';
import type { WebhookRequest } from '../shared/sources/webhook-request';
import type { IngestLogger } from './ports';
import type { IngestOutcome } from './receive-webhook';

/**
 * The one table from error class to HTTP answer (docs/openapi/concord.openapi.json is generated from it). Bad input is
 * always a 4xx; only our own failures are 5xx.
 */
export const problemTable: [new (...args: never[]) => Error, ProblemMapping][] = [
  [UnknownSourceError, { status: 404, slug: 'unknown-source', title: 'Unknown webhook source' }],
  [
    UnsupportedMediaTypeError,
    { status: 415, slug: 'unsupported-media-type', title: 'Unsupported media type' },
  ],
  [PayloadTooLargeError, { status: 413, slug: 'payload-too-large', title: 'Payload too large' }],
  [SignatureInvalidError, { status: 401, slug: 'invalid-signature', title: 'Invalid webhook signature' }],
  [MalformedPayloadError, { status: 400, slug: 'malformed-payload', title: 'Malformed payload' }],
  [
    SchemaViolationError,
    {
      status: 422,
      slug: 'schema-violation',
      title: 'Payload violates the canonical schema',
      extensions: (error) => {
        const { violations, quarantineRef } = error as SchemaViolationError;
        return { violations, ...(quarantineRef ? { quarantineRef } : {}) };
      },
    },
  ],
  [
    DeliveryInProgressError,
    { status: 409, slug: 'delivery-in-progress', title: 'Delivery in progress', retryAfterSec: 10 },
  ],
  [
    DownstreamUnavailableError,
    { status: 503, slug: 'downstream-unavailable', title: 'Downstream unavailable', retryAfterSec: 30 },
  ],
];
/** The answer to any failure the table does not name. */
export const internalError: ProblemMapping = { status: 500, slug: 'internal-error', title: 'Internal error' };

function mappingFor(error: unknown): ProblemMapping {
  return problemTable.find(([errorClass]) => error instanceof errorClass)?.[1] ?? internalError;
}

/** Rebuilds the request as the sender made it; HubSpot signs the full public URL. */
export function toWebhookRequest(event: APIGatewayProxyEventV2, receivedAt: Date): WebhookRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {}))
    if (value !== undefined) headers[name.toLowerCase()] = value;
  const body =
    event.body === undefined
      ? Buffer.alloc(0)
      : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
  const protocol = headers['x-forwarded-proto'] ?? 'https';
  const query = event.rawQueryString ? `?${event.rawQueryString}` : '';
  return {
    sourceName: event.pathParameters?.source ?? '',
    method: event.requestContext.http.method,
    url: `${protocol}://${event.requestContext.domainName}${event.rawPath}${query}`,
    headers,
    body,
    receivedAt,
  };
}

function outcomeResult(outcome: IngestOutcome): HttpResult {
  switch (outcome.kind) {
    case 'accepted': {
      const [first] = outcome.deliveries;
      return jsonResult(202, {
        eventId: first?.eventId,
        correlationId: first?.correlationId,
        deliveries: outcome.deliveries,
        ignored: outcome.ignored,
      });
    }
    case 'duplicate': {
      const [first] = outcome.deliveries;
      return jsonResult(200, {
        duplicate: true,
        eventId: first?.eventId,
        correlationId: first?.correlationId,
        deliveries: outcome.deliveries,
      });
    }
    case 'ignored':
      return jsonResult(200, { ignored: outcome.ignored });
  }
}

/** The outcome metric of an answer; an ignored webhook (nothing to publish) is not counted. */
function outcomeMetric(source: string, outcome: IngestOutcome | number): MetricPoint | undefined {
  if (typeof outcome !== 'number') {
    if (outcome.kind === 'accepted') return metricPoint('WebhooksAccepted', { source });
    if (outcome.kind === 'duplicate') return metricPoint('WebhooksDuplicate', { source });
    return undefined;
  }
  if (outcome === 503) return metricPoint('WebhooksUnavailable', { source });
  if (outcome >= 500) return metricPoint('WebhooksFailed', { source });
  return metricPoint('WebhooksRefused', { source, reason: webhookRefusalReason(outcome) });
}

/** Where the edge reports each answer: the metrics port, and the registered sources (any other name is counted as `unknown`). */
export interface WebhookMetricsOptions {
  metrics: BusinessMetrics;
  knownSources: { has(name: string): boolean };
}

/** Builds the Lambda handler around the use case; the use case and clock are injected so tests run it without AWS. */
export function createWebhookHandler(
  receive: (request: WebhookRequest) => Promise<IngestOutcome>,
  logger: IngestLogger,
  clock: () => Date = () => new Date(),
  { metrics, knownSources }: WebhookMetricsOptions = { metrics: noBusinessMetrics, knownSources: new Set() },
) {
  return async (event: APIGatewayProxyEventV2): Promise<HttpResult> => {
    // The path names the source: a stranger's path must not become a metric of its own.
    const named = event.pathParameters?.source ?? '';
    const source = knownSources.has(named) ? named : 'unknown';
    const count = (outcome: IngestOutcome | number) => {
      const point = outcomeMetric(source, outcome);
      if (point) metrics.record(point);
    };
    try {
      const outcome = await receive(toWebhookRequest(event, clock()));
      count(outcome);
      return outcomeResult(outcome);
    } catch (error) {
      const mapping = mappingFor(error);
      count(mapping.status);
      const failure = error instanceof Error ? error : new Error(String(error));
      if (mapping.status >= 500) logger.error('webhook failed', { error: failure, cause: failure.cause });
      else logger.warn('webhook refused', { status: mapping.status, reason: failure.message });
      // Never echo an internal failure's message: it may name resources or carry data.
      const shown =
        mapping === internalError || failure instanceof ConfigurationError
          ? new Error('The webhook could not be processed')
          : failure;
      return problemResult(shown, mapping, event.requestContext.requestId);
    }
  };
}
