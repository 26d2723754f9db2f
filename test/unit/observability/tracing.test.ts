import { Segment, type Subsegment } from 'aws-xray-sdk-core';
import {
  annotateTransaction,
  createTracer,
  orderIdOf,
  tracedHandler,
  tracedWork,
} from '../../../functions/shared/observability/tracing';

const lambdaEnvironment = {
  AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
  AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
  AWS_XRAY_DAEMON_ADDRESS: '169.254.79.129:2000',
  _HANDLER: 'index.handler',
};
const saved = { ...process.env };

/** A tracer created as in a Lambda execution environment with active tracing (Powertools reads the env at creation). */
function lambdaTracer(serviceName = 'erp-adapter') {
  Object.assign(process.env, lambdaEnvironment);
  delete process.env.POWERTOOLS_TRACE_ENABLED;
  // No HTTP patching: these tests make no HTTP call, and patching node:http would outlive the test.
  process.env.POWERTOOLS_TRACER_CAPTURE_HTTPS_REQUESTS = 'false';
  return createTracer(serviceName);
}

/** Runs `act` under a facade segment, as Lambda's runtime does, and answers the subsegments it left. */
async function underSegment(tracer: ReturnType<typeof createTracer>, act: () => Promise<unknown>) {
  const segment = new Segment('erp-adapter');
  const namespace = tracer.provider.getNamespace();
  const outcome = await namespace.runPromise(async () => {
    tracer.provider.setSegment(segment);
    try {
      return { result: await act() };
    } catch (error) {
      return { error };
    }
  });
  return { ...outcome, subsegments: (segment.subsegments ?? []) as Subsegment[] };
}

function annotationsOf(subsegment: Subsegment | undefined): Record<string, unknown> {
  return (subsegment as unknown as { annotations?: Record<string, unknown> })?.annotations ?? {};
}

afterEach(() => {
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
  jest.restoreAllMocks();
});

describe('createTracer', () => {
  it('is off outside a Lambda execution environment, as on the embedded runtime, and warns about nothing', async () => {
    // Prepare
    delete process.env.AWS_EXECUTION_ENV;
    const errors = jest.spyOn(console, 'error').mockImplementation(() => {});
    const warnings = jest.spyOn(console, 'warn').mockImplementation(() => {});
    const tracer = createTracer('ingest-webhook');
    const handler = async (event: { n: number }) => event.n + 1;
    const client = { send: async () => 'sent' };
    // Act
    const traced = tracedHandler(tracer, handler, { fromEvent: () => ({ correlationId: 'c-1' }) });
    const result = await traced({ n: 41 });
    annotateTransaction(tracer, { correlationId: 'c-1' });
    // Assess
    expect(tracer.isTracingEnabled()).toBe(false);
    expect(traced).toBe(handler);
    expect(result).toBe(42);
    expect(tracer.captureAWSv3Client(client)).toBe(client);
    expect(errors).not.toHaveBeenCalled();
    expect(warnings).not.toHaveBeenCalled();
  });

  it('is off where a runtime looks like Lambda but runs no X-Ray daemon, and the handler warns about nothing', async () => {
    // Prepare
    Object.assign(process.env, lambdaEnvironment);
    delete process.env.AWS_XRAY_DAEMON_ADDRESS;
    const errors = jest.spyOn(console, 'error').mockImplementation(() => {});
    const handler = async (_event: unknown) => 'answered';
    // Act
    const tracer = createTracer('erp-adapter');
    const result = await tracedHandler(tracer, handler)({});
    // Assess
    expect(tracer.isTracingEnabled()).toBe(false);
    expect(result).toBe('answered');
    expect(errors).not.toHaveBeenCalled();
  });

  it('is on in a Lambda execution environment, whose runtime names the X-Ray daemon', () => {
    // Act
    const tracer = lambdaTracer();
    // Assess
    expect(tracer.isTracingEnabled()).toBe(true);
  });

  it('is off in a Lambda execution environment when POWERTOOLS_TRACE_ENABLED is false', () => {
    // Prepare
    Object.assign(process.env, lambdaEnvironment, { POWERTOOLS_TRACE_ENABLED: 'false' });
    // Act
    const tracer = createTracer('ingest-webhook');
    // Assess
    expect(tracer.isTracingEnabled()).toBe(false);
  });
});

describe('tracedHandler', () => {
  it('records a ## subsegment with cold start, service and the transaction annotations, not the response', async () => {
    // Prepare
    const tracer = lambdaTracer();
    const traced = tracedHandler(
      tracer,
      async (_step: { correlationId: string; flow: string; businessKey: string }) => ({ customer: 'Ada' }),
      {
        fromEvent: (step) => ({
          correlationId: step.correlationId,
          flow: step.flow,
          businessKey: step.businessKey,
          orderId: orderIdOf(step.businessKey),
          source: '',
        }),
      },
    );
    // Act
    const { result, subsegments } = await underSegment(tracer, () =>
      traced({ correlationId: '01JDCORR', flow: 'order-to-cash', businessKey: 'order/5820741173332' }),
    );
    // Assess
    expect(result).toEqual({ customer: 'Ada' });
    expect(subsegments.map((subsegment) => subsegment.name)).toEqual(['## index.handler']);
    expect(annotationsOf(subsegments[0])).toEqual({
      ColdStart: true,
      Service: 'erp-adapter',
      correlationId: '01JDCORR',
      flow: 'order-to-cash',
      businessKey: 'order/5820741173332',
      orderId: '5820741173332',
    });
    expect(JSON.stringify(subsegments[0])).not.toContain('Ada');
    expect(subsegments[0]?.isClosed()).toBe(true);
  });

  it('annotates the ids the handler minted, read from its answer', async () => {
    // Prepare
    const tracer = lambdaTracer('ingest-webhook');
    const traced = tracedHandler(
      tracer,
      async (_event: unknown) => ({ statusCode: 202, body: '{"correlationId":"01JDMINTED"}' }),
      {
        fromEvent: () => ({ source: 'shopify' }),
        fromResult: (result) => ({ correlationId: JSON.parse(result.body).correlationId }),
      },
    );
    // Act
    const { subsegments } = await underSegment(tracer, () => traced({}));
    // Assess
    expect(annotationsOf(subsegments[0])).toMatchObject({ source: 'shopify', correlationId: '01JDMINTED' });
  });

  it('rethrows the error unchanged and marks the subsegment with it', async () => {
    // Prepare
    const tracer = lambdaTracer();
    class ErpThrottledError extends Error {
      override readonly name = 'ErpThrottledError';
    }
    const thrown = new ErpThrottledError('429 from the ERP');
    const traced = tracedHandler(tracer, async (_event: unknown) => {
      throw thrown;
    });
    // Act
    const { error, subsegments } = await underSegment(tracer, () => traced({}));
    // Assess
    expect(error).toBe(thrown);
    const recorded = JSON.parse(JSON.stringify(subsegments[0]));
    expect(recorded.fault || recorded.error).toBe(true);
    expect(JSON.stringify(recorded.cause)).toContain('ErpThrottledError');
  });

  it('still runs the handler, unannotated, when the event cannot be annotated, so the handler reports the bad input', async () => {
    // Prepare
    const tracer = lambdaTracer();
    const traced = tracedHandler(
      tracer,
      async (event: { detail?: { correlationid: string } }) => {
        if (!event.detail) throw new Error('not a bus event');
        return 'ok';
      },
      {
        fromEvent: (event) => ({ correlationId: (event.detail as { correlationid: string }).correlationid }),
      },
    );
    // Act
    const { error, subsegments } = await underSegment(tracer, () => traced({}));
    // Assess
    expect((error as Error).message).toBe('not a bus event');
    expect(annotationsOf(subsegments[0])).not.toHaveProperty('correlationId');
  });
});

describe('tracedWork', () => {
  it('traces each record of a batch as its own annotated subsegment', async () => {
    // Prepare
    const tracer = lambdaTracer('workflow-redrive');
    // Act
    const { result, subsegments } = await underSegment(tracer, async () => [
      await tracedWork(tracer, 'redrive', { correlationId: 'c-1', flow: 'order-to-cash' }, async () => 1),
      await tracedWork(
        tracer,
        'redrive',
        { correlationId: 'c-2', flow: 'payment-application' },
        async () => 2,
      ),
    ]);
    // Assess
    expect(result).toEqual([1, 2]);
    expect(
      subsegments.map((subsegment) => [subsegment.name, annotationsOf(subsegment).correlationId]),
    ).toEqual([
      ['### redrive', 'c-1'],
      ['### redrive', 'c-2'],
    ]);
  });
});

describe('annotateTransaction', () => {
  it('cuts a value at X-Ray’s 1000 characters and skips values that are not strings', async () => {
    // Prepare
    const tracer = lambdaTracer();
    // Act
    const { subsegments } = await underSegment(tracer, () =>
      tracedWork(tracer, 'work', {}, async () =>
        annotateTransaction(tracer, {
          correlationId: 'x'.repeat(1500),
          flow: 7 as unknown as string,
          source: undefined,
        }),
      ),
    );
    // Assess
    expect(annotationsOf(subsegments[0])).toEqual({ correlationId: 'x'.repeat(1000) });
  });
});

describe('orderIdOf', () => {
  it('reads the order id of an order business key, and nothing from another entity', () => {
    expect(orderIdOf('order/5820741173332')).toBe('5820741173332');
    expect(orderIdOf('payment/pi_1')).toBeUndefined();
    expect(orderIdOf('order/')).toBeUndefined();
    expect(orderIdOf(undefined)).toBeUndefined();
  });
});
