/** X-Ray tracing of the functions through Powertools Tracer: one tracer per container, traced handlers, searchable transaction annotations. */
import { Tracer } from '@aws-lambda-powertools/tracer';

/**
 * The transaction a piece of work belongs to, as X-Ray annotations (indexed: `annotation.correlationId = "…"` finds
 * its traces in the console or `GetTraceSummaries`). They belong in a trace and a log line, never in a metric
 * dimension: each value would be a metric of its own.
 */
export interface TransactionAnnotations {
  /** The id every event, log line and ERP document of one transaction carries. */
  correlationId?: string;
  /** The workflow (`order-to-cash`, `payment-application`, …). */
  flow?: string;
  /** The platform the transaction came from (`shopify`, `hubspot`, …). */
  source?: string;
  /** The shop's order id, when the work is about an order. */
  orderId?: string;
  /** The entity the work is about, e.g. `order/5820741173332` or `payment/pi_123`. */
  businessKey?: string;
  /** The ERP operation or workflow step (`createSalesOrder`, `postInvoice`, …). */
  operation?: string;
}

/** X-Ray's limit on an annotation value; longer input (never expected) is cut rather than refused by the daemon. */
const maxAnnotationLength = 1000;

/**
 * The tracer of one function, created once at module scope. Powertools turns it on in a Lambda execution
 * environment (`AWS_EXECUTION_ENV` set) unless `POWERTOOLS_TRACE_ENABLED=false`; this also asks for the X-Ray
 * daemon's address, which Lambda always sets (`AWS_XRAY_DAEMON_ADDRESS`), so that a runtime that looks like Lambda
 * but has no daemon (the embedded runtime, a test) never opens a segment. Off, the tracer patches no client and no
 * `fetch`, silences the X-Ray SDK's "context missing" errors, and `tracedHandler` returns the handler unwrapped.
 */
export function createTracer(serviceName: string, env: NodeJS.ProcessEnv = process.env): Tracer {
  // `undefined` leaves the decision to Powertools' rule above; `false` overrides it.
  return new Tracer({ serviceName, enabled: env.AWS_XRAY_DAEMON_ADDRESS ? undefined : false });
}

/**
 * Puts the transaction's ids on the current (sub)segment as annotations; absent, empty or non-string values are
 * skipped (a handler passes what it parsed, which may be nothing). Does nothing when tracing is off.
 */
export function annotateTransaction(tracer: Tracer, annotations: TransactionAnnotations): void {
  if (!tracer.isTracingEnabled()) return;
  for (const [key, value] of Object.entries(annotations))
    if (typeof value === 'string' && value !== '')
      tracer.putAnnotation(key, value.slice(0, maxAnnotationLength));
}

/** The shop's order id in a business key (`order/5820741173332` → `5820741173332`), or none for another entity. */
export function orderIdOf(businessKey: unknown): string | undefined {
  if (typeof businessKey !== 'string' || !businessKey.startsWith('order/')) return undefined;
  return businessKey.slice('order/'.length) || undefined;
}

/** Where a traced handler finds its transaction's annotations: in the event, and in its answer (an id minted inside). */
export interface HandlerAnnotations<Event, Result> {
  fromEvent?: (event: Event) => TransactionAnnotations;
  fromResult?: (result: Result) => TransactionAnnotations;
}

/**
 * A Lambda handler traced as Powertools' `captureLambdaHandler` does, without middy or a class: a `## <handler>`
 * subsegment with the cold-start and service annotations and the transaction's annotations, and the error (name,
 * message, stack) when it throws, which it rethrows unchanged (a workflow's Retry and Catch match its name). The
 * response is not recorded: a step's answer holds customer data, and X-Ray keeps a trace 30 days. When tracing is
 * off the handler is returned as it is, so the call path costs nothing.
 */
export function tracedHandler<Event, Result, Rest extends unknown[]>(
  tracer: Tracer,
  handler: (event: Event, ...rest: Rest) => Promise<Result>,
  annotations: HandlerAnnotations<Event, Result> = {},
): (event: Event, ...rest: Rest) => Promise<Result> {
  if (!tracer.isTracingEnabled()) return handler;
  // Read once, when the handler is wrapped at cold start: Lambda sets _HANDLER for the life of the environment.
  const subsegmentName = `## ${process.env._HANDLER ?? 'handler'}`;
  return (event, ...rest) =>
    inSubsegment(tracer, subsegmentName, async (subsegment) => {
      tracer.annotateColdStart();
      tracer.addServiceNameAnnotation();
      try {
        annotateTransaction(tracer, annotationsOf(annotations.fromEvent, event));
        const result = await handler(event, ...rest);
        annotateTransaction(tracer, annotationsOf(annotations.fromResult, result));
        return result;
      } catch (error) {
        tracer.addErrorAsMetadata(error as Error);
        throw error;
      } finally {
        closeQuietly(subsegment);
      }
    });
}

/**
 * One unit of work inside an invocation (a record of a batch) traced as its own `### <name>` subsegment with its
 * transaction's annotations, so that a batch's records are each found by their correlation id. Rethrows the work's
 * error; runs the work alone when tracing is off.
 */
export function tracedWork<Result>(
  tracer: Tracer,
  name: string,
  annotations: TransactionAnnotations,
  work: () => Promise<Result>,
): Promise<Result> {
  if (!tracer.isTracingEnabled()) return work();
  return inSubsegment(tracer, `### ${name}`, async (subsegment) => {
    try {
      annotateTransaction(tracer, annotations);
      return await work();
    } catch (error) {
      tracer.addErrorAsMetadata(error as Error);
      throw error;
    } finally {
      closeQuietly(subsegment);
    }
  });
}

/** Runs `work` in a new subsegment of the current segment; the X-Ray SDK answers what `work` answers (typed `unknown` by Powertools). */
function inSubsegment<Result>(
  tracer: Tracer,
  name: string,
  work: (subsegment?: { close(): void }) => Promise<Result>,
): Promise<Result> {
  return tracer.provider.captureAsyncFunc(name, work) as Promise<Result>;
}

/** The annotations read from a value the handler may not have validated: a malformed event fails in the handler, not here. */
function annotationsOf<Value>(
  read: ((value: Value) => TransactionAnnotations) | undefined,
  value: Value,
): TransactionAnnotations {
  try {
    return read?.(value) ?? {};
  } catch {
    return {};
  }
}

/** Closing a subsegment serializes it; a failure there loses a trace, never the invocation's answer. */
function closeQuietly(subsegment: { close(): void } | undefined): void {
  try {
    subsegment?.close();
  } catch (error) {
    console.warn('X-Ray subsegment could not be closed; this trace may be incomplete', error);
  }
}
