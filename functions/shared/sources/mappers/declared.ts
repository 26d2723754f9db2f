/** Mapping tables declared in the source registry (JSONata expressions), for senders such as Standard Webhooks platforms. */
import jsonata from 'jsonata';
import {
  MalformedPayloadError,
  RegistryInconsistentError,
  SchemaViolationError,
  type Violation,
} from '../../errors';
import { type CanonicalTypeName, isCanonicalType } from '../../events/envelope';
import type { WebhookRequest } from '../webhook-request';
import { entityVersion, idTieBreak, millisecondsTieBreakRoom } from './entity-version';
import type { WebhookMapper } from './mapped-delivery';
import { readObjectPayload } from './payload-reader';

/**
 * A declared mapping as written in sources.json: every part is a JSONata expression over the payload. Its
 * `entityVersion` gives the change's place in milliseconds (its time, or the platform's own sequence); the version is
 * that × 1000 plus a tie-break from the message id, which Standard Webhooks keeps across retries.
 */
export interface DeclaredMapping {
  eventType: string;
  /** Where the delivery id (dedupe key) is: a header, or a JSONata expression over the payload; default `webhook-id`. */
  deliveryId?: { header: string } | { expression: string };
  types: Record<
    string,
    { canonicalType: string; subject: string; time: string; entityVersion: string; data: string }
  >;
}

interface CompiledType {
  canonicalType: CanonicalTypeName;
  subject: jsonata.Expression;
  time: jsonata.Expression;
  entityVersion: jsonata.Expression;
  data: jsonata.Expression;
}

function compileExpression(sourceName: string, where: string, text: string): jsonata.Expression {
  try {
    return jsonata(text);
  } catch (error) {
    throw new RegistryInconsistentError('sources.json', [
      `${sourceName} ${where}: invalid JSONata (${(error as Error).message})`,
    ]);
  }
}

async function evaluate(expression: jsonata.Expression, payload: unknown, what: string): Promise<unknown> {
  try {
    return await expression.evaluate(payload);
  } catch (error) {
    throw new SchemaViolationError(`Mapping of ${what} failed: ${(error as Error).message}`, [
      { path: '/', message: (error as Error).message },
    ]);
  }
}

type DeliveryIdReader = (request: WebhookRequest, payload: unknown) => Promise<string>;

function compileDeliveryId(sourceName: string, spec: DeclaredMapping['deliveryId']): DeliveryIdReader {
  if (spec && 'expression' in spec) {
    const expression = compileExpression(sourceName, 'deliveryId.expression', spec.expression);
    return async (_request, payload) => {
      const id = await evaluate(expression, payload, 'the delivery id');
      if ((typeof id !== 'string' && typeof id !== 'number') || String(id) === '')
        throw new MalformedPayloadError(`${sourceName}: the payload gives no delivery id`);
      return String(id);
    };
  }
  const header = (spec?.header ?? 'webhook-id').toLowerCase();
  return async (request) => {
    const id = request.headers[header];
    if (!id) throw new MalformedPayloadError(`Missing ${header} header`);
    return id;
  };
}

/**
 * Compiles a declared mapping once (at cold start); an expression that does not compile or a canonical type
 * without a schema is a RegistryInconsistentError. The delivery id is read as `deliveryId` declares (default: the
 * request's `webhook-id`); it also breaks ties in the entity version, so it must be kept across the sender's retries.
 */
export function compileDeclaredMapping(
  sourceName: string,
  sourceUri: string,
  mapping: DeclaredMapping,
): WebhookMapper {
  const eventType = compileExpression(sourceName, 'eventType', mapping.eventType);
  const readDeliveryId = compileDeliveryId(sourceName, mapping.deliveryId);
  const types = new Map<string, CompiledType>();
  for (const [senderType, spec] of Object.entries(mapping.types)) {
    if (!isCanonicalType(spec.canonicalType)) {
      throw new RegistryInconsistentError('sources.json', [
        `${sourceName} ${senderType}: no schema for ${spec.canonicalType}`,
      ]);
    }
    types.set(senderType, {
      canonicalType: spec.canonicalType,
      subject: compileExpression(sourceName, `${senderType}.subject`, spec.subject),
      time: compileExpression(sourceName, `${senderType}.time`, spec.time),
      entityVersion: compileExpression(sourceName, `${senderType}.entityVersion`, spec.entityVersion),
      data: compileExpression(sourceName, `${senderType}.data`, spec.data),
    });
  }
  return async (request, payload) => {
    readObjectPayload(payload);
    const deliveryId = await readDeliveryId(request, payload);
    const senderType = await evaluate(eventType, payload, 'the event type');
    const compiled = typeof senderType === 'string' ? types.get(senderType) : undefined;
    if (!compiled)
      return [
        {
          kind: 'ignored',
          deliveryId,
          reason: `${sourceName} event type ${String(senderType)} is not synchronised`,
        },
      ];
    // Every part is evaluated, and every failure reported at once, so a mapping is fixed in one pass.
    const violations: Violation[] = [];
    const part = async (name: 'subject' | 'time' | 'entityVersion' | 'data'): Promise<unknown> => {
      try {
        return await evaluate(compiled[name], payload, name);
      } catch (error) {
        if (!(error instanceof SchemaViolationError)) throw error;
        violations.push(...error.violations.map((violation) => ({ ...violation, path: `/${name}` })));
        return undefined;
      }
    };
    const [subject, timeText, changeMs, data] = [
      await part('subject'),
      await part('time'),
      await part('entityVersion'),
      await part('data'),
    ];
    if ((typeof subject !== 'string' || subject === '') && !violations.some((v) => v.path === '/subject'))
      violations.push({ path: '/subject', message: 'subject must be a non-empty string' });
    const time = typeof timeText === 'string' ? Date.parse(timeText) : Number.NaN;
    if (Number.isNaN(time) && !violations.some((v) => v.path === '/time'))
      violations.push({
        path: '/time',
        message: `time must be an RFC 3339 string, got ${JSON.stringify(timeText)}`,
      });
    const validChange = typeof changeMs === 'number' && Number.isSafeInteger(changeMs) && changeMs >= 0;
    if (!validChange && !violations.some((v) => v.path === '/entityVersion'))
      violations.push({
        path: '/entityVersion',
        message: `entityVersion must be a non-negative integer of milliseconds, got ${JSON.stringify(changeMs)}`,
      });
    if (violations.length > 0)
      throw new SchemaViolationError(
        `The ${sourceName} ${senderType} mapping produced no valid event`,
        violations,
      );
    return [
      {
        kind: 'event',
        deliveryId,
        draft: {
          type: compiled.canonicalType,
          source: sourceUri,
          subject: subject as string,
          time: new Date(time).toISOString(),
          entityVersion: entityVersion(
            changeMs as number,
            1,
            idTieBreak(deliveryId, millisecondsTieBreakRoom),
            '/entityVersion',
          ),
          // JSONata returns its own array/object flavours: a JSON round trip gives the plain data the schema checks.
          data: JSON.parse(JSON.stringify(data ?? {})),
        },
      },
    ];
  };
}
