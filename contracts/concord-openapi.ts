/** Concord's own HTTP APIs as an OpenAPI 3.1 document, built from the tables and registries the handlers answer with. */
import { internalError, problemTable } from '../functions/ingest-webhook/http-adapter';
import {
  internal as validationInternal,
  invalid as validationInvalid,
  unavailable as validationUnavailable,
} from '../functions/order-validation-api/validation-problems';
import {
  currencyPattern,
  decimalPattern,
  emailPattern,
  maxLines,
  maxQuantity,
  maxSkuLength,
} from '../functions/order-validation-api/validation-request';
import { UnknownSourceError } from '../functions/shared/errors';
import { type ProblemMapping, problemTypeBase, problemTypeUri } from '../functions/shared/http/problem';
import type { BuiltInSignatureScheme } from '../functions/shared/sources/signatures';
import { parseSignedTemplate } from '../functions/shared/sources/signatures/declared-hmac';
import { hubspotToleranceSec } from '../functions/shared/sources/signatures/hubspot';
import { standardWebhooksToleranceSec } from '../functions/shared/sources/signatures/standard-webhooks';
import { stripeToleranceSec } from '../functions/shared/sources/signatures/stripe';
import { type SourceDefinition, sourceDefinitions } from '../functions/shared/sources/source-registry';

/** A JSON value of the document (schemas, operations): plain data, written out as JSON. */
export type OpenApiNode = { [key: string]: unknown };

/** Where a documented answer comes from: API Gateway answers some before any handler runs. */
export const answeredBy = 'x-concord-answered-by';

/** One header a webhook request carries, as a request parameter. */
interface HeaderParameter {
  name: string;
  required: boolean;
  description: string;
}

const schemaRef = (name: string) => ({ $ref: `#/components/schemas/${name}` });

// The headers each built-in scheme reads; the contract test drops each required one and expects a refusal.
const builtInSignatureHeaders: Record<BuiltInSignatureScheme, HeaderParameter[]> = {
  shopify: [
    {
      name: 'X-Shopify-Hmac-Sha256',
      required: true,
      description: 'Base64 HMAC-SHA256 of the raw body, keyed with the shop’s webhook secret.',
    },
    {
      name: 'X-Shopify-Shop-Domain',
      required: true,
      description:
        'The shop’s myshopify.com domain: it picks the secrets that verify the body (the body is signed alone).',
    },
  ],
  stripe: [
    {
      name: 'Stripe-Signature',
      required: true,
      description: `\`t=<unix seconds>,v1=<hex HMAC-SHA256 of "{t}.{body}">\` (several v1 during a rotation); t within ${stripeToleranceSec} s.`,
    },
  ],
  'hubspot-v3': [
    {
      name: 'X-HubSpot-Signature-v3',
      required: true,
      description:
        'Base64 HMAC-SHA256 of method + public URL + body + timestamp, keyed with the app’s client secret.',
    },
    {
      name: 'X-HubSpot-Request-Timestamp',
      required: true,
      description: `Milliseconds since the epoch; within ${hubspotToleranceSec} s of receipt, both ways.`,
    },
  ],
  'standard-webhooks': [
    { name: 'webhook-id', required: true, description: 'The message id: signed, and the delivery id.' },
    {
      name: 'webhook-timestamp',
      required: true,
      description: `Seconds since the epoch; within ${standardWebhooksToleranceSec} s of receipt, both ways.`,
    },
    {
      name: 'webhook-signature',
      required: true,
      description: 'Space-separated `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` signatures.',
    },
  ],
};

// Headers the built-in mappers read besides the signature (a missing required one is a malformed payload, 400).
const builtInMappingHeaders: Partial<Record<SourceDefinition['mapping'], HeaderParameter[]>> = {
  shopify: [
    { name: 'X-Shopify-Topic', required: true, description: 'The topic, e.g. `orders/create`.' },
    {
      name: 'X-Shopify-Event-Id',
      required: false,
      description: 'The delivery id (dedupe key); without it X-Shopify-Webhook-Id is required.',
    },
    {
      name: 'X-Shopify-Webhook-Id',
      required: false,
      description: 'The delivery id when X-Shopify-Event-Id is absent.',
    },
    {
      name: 'X-Shopify-Triggered-At',
      required: false,
      description: 'When the change happened; orders it against other changes of the same order.',
    },
  ],
};

/** The headers a source's requests carry, from its scheme (built-in or declared) and its mapping. */
function webhookHeaders(definition: SourceDefinition): HeaderParameter[] {
  const headers: HeaderParameter[] = [];
  if (definition.scheme !== 'hmac') headers.push(...builtInSignatureHeaders[definition.scheme]);
  else if (definition.signature) {
    const spec = definition.signature;
    headers.push({
      name: spec.header,
      required: true,
      description: `${spec.encoding} HMAC-${spec.algorithm.toUpperCase()} of \`${spec.signed}\`${spec.prefix ? `, after the prefix \`${spec.prefix}\`` : ''}.`,
    });
    if (spec.timestamp)
      headers.push({
        name: spec.timestamp.header,
        required: true,
        description: `The signed timestamp (${spec.timestamp.format}); within ${spec.timestamp.toleranceSec} s of receipt, both ways.`,
      });
    const { parts } = parseSignedTemplate(spec.signed, spec.timestamp !== undefined, spec.header);
    for (const part of parts)
      if (part.kind === 'header')
        headers.push({ name: part.name, required: true, description: 'Part of the signed message.' });
  }
  headers.push(...(builtInMappingHeaders[definition.mapping] ?? []));
  const deliveryId = definition.declared?.deliveryId;
  if (definition.mapping === 'declared' && !(deliveryId && 'expression' in deliveryId)) {
    const name = deliveryId?.header ?? 'webhook-id';
    if (!headers.some((header) => header.name.toLowerCase() === name.toLowerCase()))
      headers.push({ name, required: true, description: 'The delivery id (dedupe key).' });
  }
  return headers;
}

// Members a mapping's `extensions` adds to its problem; a mapping with extensions and no entry here fails the build.
const problemExtensions: Record<string, { properties: OpenApiNode; required: string[] }> = {
  'schema-violation': {
    properties: {
      violations: { type: 'array', items: schemaRef('Violation'), minItems: 1 },
      quarantineRef: {
        type: 'string',
        description: 'Where the refused payload was kept for operators (`concord quarantine`).',
      },
    },
    required: ['violations'],
  },
  'invalid-request': {
    properties: { violations: { type: 'array', items: schemaRef('Violation'), minItems: 1 } },
    required: ['violations'],
  },
};

/** The schema of one problem type: the RFC 9457 members with their constant values, and the type's extensions. */
function problemSchema(mapping: ProblemMapping): OpenApiNode {
  const extension = problemExtensions[mapping.slug];
  if (mapping.extensions && !extension)
    throw new Error(
      `problem ${mapping.slug} adds extension members that contracts/concord-openapi.ts does not describe`,
    );
  return {
    allOf: [schemaRef('Problem')],
    properties: {
      // Each stage names its own base (PROBLEM_TYPE_BASE_URI): the page, not the host, identifies the problem.
      type: {
        type: 'string',
        format: 'uri',
        pattern: `/${mapping.slug.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.md$`,
      },
      title: { const: mapping.title },
      status: { const: mapping.status },
      ...extension?.properties,
    },
    required: extension?.required ?? [],
    unevaluatedProperties: false,
  };
}

/** The responses of a set of problem mappings, grouped by status (several types of one status: any of them). */
function problemResponses(mappings: readonly ProblemMapping[]): Record<string, OpenApiNode> {
  const byStatus = new Map<number, ProblemMapping[]>();
  for (const mapping of mappings)
    byStatus.set(mapping.status, [...(byStatus.get(mapping.status) ?? []), mapping]);
  const responses: Record<string, OpenApiNode> = {};
  for (const [status, group] of [...byStatus].sort(([a], [b]) => a - b)) {
    const schemas = group.map(problemSchema);
    const retryAfterSec = group.find((mapping) => mapping.retryAfterSec !== undefined)?.retryAfterSec;
    responses[String(status)] = {
      description: group
        .map(
          (mapping) =>
            `${mapping.title} (${problemTypeUri(mapping.slug, problemTypeBase)} on the default base)`,
        )
        .join('; '),
      ...(retryAfterSec !== undefined
        ? {
            headers: {
              'Retry-After': {
                required: true,
                description: 'Seconds to wait before sending the request again.',
                schema: { type: 'string', const: String(retryAfterSec) },
              },
            },
          }
        : {}),
      content: {
        'application/problem+json': { schema: schemas.length === 1 ? schemas[0] : { oneOf: schemas } },
      },
    };
  }
  return responses;
}

function gatewayAnswer(description: string): OpenApiNode {
  return {
    description,
    [answeredBy]: 'api-gateway',
    content: { 'application/json': { schema: schemaRef('GatewayMessage') } },
  };
}

const throttled = gatewayAnswer(
  'API Gateway throttled the request (the stage’s rate and burst limits); retry later.',
);

function jsonResponse(description: string, schema: OpenApiNode): OpenApiNode {
  return { description, content: { 'application/json': { schema } } };
}

function webhookOperation(name: string, definition: SourceDefinition): OpenApiNode {
  const refusals = problemTable.filter(([errorClass]) => errorClass !== UnknownSourceError).map(([, m]) => m);
  return {
    post: {
      operationId: `receive-${name}-webhook`,
      tags: ['webhooks'],
      summary: `Receive a ${name} webhook`,
      description: `${definition.description}\n\nOwner: ${definition.owner}; criticality: ${definition.criticality}; signature scheme: \`${definition.scheme}\`; deliveries are remembered ${definition.dedupeWindowSec} s (the sender retries for ${definition.retryWindowSec} s).`,
      security: [],
      parameters: webhookHeaders(definition).map((header) => ({
        name: header.name,
        in: 'header',
        required: header.required,
        description: header.description,
        schema: { type: 'string' },
      })),
      requestBody: {
        required: true,
        description:
          'The sender’s payload, exactly as signed (application/json or any +json type), up to the stage’s size limit.',
        content: { 'application/json': { schema: { type: ['object', 'array'] } } },
      },
      responses: {
        '200': jsonResponse(
          'Nothing new to publish: a delivery already published (with its original ids), or a payload nothing is synchronised from.',
          { oneOf: [schemaRef('DuplicateDelivery'), schemaRef('IgnoredDelivery')] },
        ),
        '202': jsonResponse(
          'Archived and published to the bus: the ids to trace it by.',
          schemaRef('AcceptedDelivery'),
        ),
        ...problemResponses([...refusals, internalError]),
        '429': throttled,
      },
    },
  };
}

function unknownSourceOperation(sourceNames: readonly string[]): OpenApiNode {
  const unknownSource = problemTable.find(([errorClass]) => errorClass === UnknownSourceError)?.[1];
  if (!unknownSource) throw new Error('the ingest problem table has no UnknownSourceError mapping');
  return {
    post: {
      operationId: 'receive-unregistered-webhook',
      tags: ['webhooks'],
      summary: 'Any source that is not registered',
      description: `Only the registered sources (${sourceNames.join(', ')}) are received; any other name is refused before the body is read.`,
      security: [],
      parameters: [{ name: 'source', in: 'path', required: true, schema: { type: 'string' } }],
      responses: { ...problemResponses([unknownSource]), '429': throttled },
    },
  };
}

function validationOperation(): OpenApiNode {
  return {
    post: {
      operationId: 'validate-order',
      tags: ['orders'],
      summary: 'Validate an order before it is placed',
      description:
        'Asks the ERP, without booking anything, whether it would accept the order: the customer’s account and credit, stock, price and tax of each line. Answers within the stage’s budget, or 503 with Retry-After.',
      security: [{ awsSigV4: [] }],
      parameters: [
        {
          name: 'X-Request-Id',
          in: 'header',
          required: false,
          description: 'The caller’s id of the request, quoted in the answer (minted when absent).',
          schema: { type: 'string' },
        },
      ],
      requestBody: {
        required: true,
        content: { 'application/json': { schema: schemaRef('ValidationRequest') } },
      },
      responses: {
        '200': jsonResponse('The ERP’s decision and every reason for it.', schemaRef('ValidationDecision')),
        ...problemResponses([validationInvalid, validationUnavailable, validationInternal]),
        '403': gatewayAnswer(
          'API Gateway refused the request: no valid SigV4 signature, or IAM denies execute-api:Invoke.',
        ),
        '429': throttled,
      },
    },
  };
}

const decimal = { type: 'string', pattern: '^-?\\d+(\\.\\d+)?$' };

function componentSchemas(): Record<string, OpenApiNode> {
  const violation = {
    type: 'object',
    properties: { path: { type: 'string' }, message: { type: 'string' } },
    required: ['path', 'message'],
    additionalProperties: false,
  };
  const deliveryResult = {
    type: 'object',
    properties: {
      deliveryId: { type: 'string' },
      eventId: { type: 'string' },
      correlationId: { type: 'string' },
      duplicate: { type: 'boolean' },
    },
    required: ['deliveryId', 'eventId', 'correlationId', 'duplicate'],
    additionalProperties: false,
  };
  const reasonCodes = [
    'erp_refused',
    'unknown_customer',
    'customer_on_credit_hold',
    'insufficient_stock',
    'credit_rejected',
    'credit_limit_exceeded',
    'price_changed',
  ];
  return {
    Problem: {
      type: 'object',
      description: 'RFC 9457 problem details; `type` resolves to the page describing the problem.',
      properties: {
        type: { type: 'string', format: 'uri' },
        title: { type: 'string' },
        status: { type: 'integer' },
        detail: { type: 'string' },
        instance: { type: 'string', description: 'The request id, to quote to an operator.' },
      },
      required: ['type', 'title', 'status', 'detail'],
    },
    Violation: violation,
    GatewayMessage: {
      type: 'object',
      properties: { message: { type: 'string' } },
      required: ['message'],
    },
    DeliveryResult: deliveryResult,
    AcceptedDelivery: {
      type: 'object',
      properties: {
        eventId: { type: 'string', description: 'The first published event.' },
        correlationId: { type: 'string', description: 'Traces the first event through every flow.' },
        deliveries: { type: 'array', items: schemaRef('DeliveryResult'), minItems: 1 },
        ignored: {
          type: 'array',
          items: { type: 'string' },
          description: 'Why parts were not synchronised.',
        },
      },
      required: ['eventId', 'correlationId', 'deliveries', 'ignored'],
      additionalProperties: false,
    },
    DuplicateDelivery: {
      type: 'object',
      properties: {
        duplicate: { const: true },
        eventId: { type: 'string' },
        correlationId: { type: 'string' },
        deliveries: { type: 'array', items: schemaRef('DeliveryResult'), minItems: 1 },
      },
      required: ['duplicate', 'eventId', 'correlationId', 'deliveries'],
      additionalProperties: false,
    },
    IgnoredDelivery: {
      type: 'object',
      properties: { ignored: { type: 'array', items: { type: 'string' }, minItems: 1 } },
      required: ['ignored'],
      additionalProperties: false,
    },
    ValidationRequest: {
      type: 'object',
      properties: {
        customer: {
          type: 'object',
          properties: { email: { type: 'string', pattern: emailPattern.source } },
          required: ['email'],
        },
        currency: { type: 'string', pattern: currencyPattern.source },
        lines: {
          type: 'array',
          minItems: 1,
          maxItems: maxLines,
          items: {
            type: 'object',
            properties: {
              sku: { type: 'string', minLength: 1, maxLength: maxSkuLength },
              quantity: { type: 'integer', minimum: 1, maximum: maxQuantity },
              unitPrice: {
                type: 'string',
                pattern: decimalPattern.source,
                description: 'The price the buyer saw; a different ERP price is a `price_changed` reason.',
              },
            },
            required: ['sku', 'quantity'],
          },
        },
      },
      required: ['customer', 'currency', 'lines'],
    },
    ValidationDecision: {
      type: 'object',
      properties: {
        requestId: { type: 'string' },
        decision: {
          enum: ['approved', 'review', 'rejected'],
          description:
            '`rejected` when the ERP refused, stock is short or credit is rejected; `review` for any other reason; else `approved`.',
        },
        reasons: {
          type: 'array',
          items: {
            type: 'object',
            properties: { code: { enum: reasonCodes }, sku: { type: 'string' }, message: { type: 'string' } },
            required: ['code', 'message'],
            additionalProperties: false,
          },
        },
        customerNumber: { type: 'string' },
        quote: {
          type: 'object',
          properties: {
            currency: { type: 'string' },
            lines: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  sku: { type: 'string' },
                  quantity: { type: 'integer' },
                  available: { type: 'number' },
                  unitPrice: decimal,
                  taxRate: decimal,
                  lineTotal: decimal,
                  tax: decimal,
                },
                required: ['sku', 'quantity', 'available', 'unitPrice', 'taxRate', 'lineTotal', 'tax'],
                additionalProperties: false,
              },
            },
            subtotal: decimal,
            tax: decimal,
            total: decimal,
          },
          required: ['currency', 'lines', 'subtotal', 'tax', 'total'],
          additionalProperties: false,
        },
        availableCredit: decimal,
      },
      required: ['requestId', 'decision', 'reasons'],
      additionalProperties: false,
    },
  };
}

/** The OpenAPI 3.1 document of POST /webhooks/{source} (one path per registered source) and POST /orders/validate. */
export function buildConcordOpenApi(
  sources: Readonly<Record<string, SourceDefinition>> = sourceDefinitions(),
) {
  const names = Object.keys(sources).sort();
  const paths: Record<string, OpenApiNode> = {};
  for (const name of names)
    paths[`/webhooks/${name}`] = webhookOperation(name, sources[name] as SourceDefinition);
  paths['/webhooks/{source}'] = unknownSourceOperation(names);
  paths['/orders/validate'] = validationOperation();
  return {
    openapi: '3.1.0',
    info: {
      title: 'Concord HTTP APIs',
      version: '1.0.0',
      description: [
        'Generated by `npm run generate:openapi` from the source registry and the handlers’ problem tables; do not edit by hand.',
        'Every refusal is `application/problem+json` (RFC 9457) whose `type` names the problem. Clients must ignore members they do not know: new optional members may be added without a new version.',
      ].join('\n\n'),
    },
    servers: [
      {
        url: 'https://{apiId}.execute-api.{region}.amazonaws.com',
        description: 'The stage’s HTTP API (`concord status` prints it; `concord dev` serves it locally).',
        variables: { apiId: { default: 'example' }, region: { default: 'us-east-1' } },
      },
    ],
    tags: [
      {
        name: 'webhooks',
        description: 'Signed webhooks from the platforms in schemas/governance/sources.json.',
      },
      { name: 'orders', description: 'Synchronous questions to the ERP, for storefronts and checkouts.' },
    ],
    paths,
    components: {
      securitySchemes: {
        awsSigV4: {
          type: 'apiKey',
          name: 'Authorization',
          in: 'header',
          description:
            'AWS Signature Version 4 (service `execute-api`) with credentials allowed `execute-api:Invoke` on the route (API Gateway IAM authorization).',
          'x-amazon-apigateway-authtype': 'awsSigv4',
        },
      },
      schemas: componentSchemas(),
    },
  };
}
