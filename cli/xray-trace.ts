/**
 * A transaction's workflow runs read from AWS X-Ray: its traces found by their annotations (GetTraceSummaries), read
 * whole (BatchGetTraces), and each Step Functions segment read as the states it entered, which errored, and which
 * traced Lambda operations ran in each. For Express workflows, whose executions Step Functions does not keep.
 */
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import {
  BatchGetTracesCommand,
  paginateGetTraceSummaries,
  type Trace,
  XRayClient,
} from '@aws-sdk/client-xray';
import { ConcordError, type ConcordErrorOptions } from '../functions/shared/errors';
import type { TimelineEntry } from './trace-timeline';

/** A segment or subsegment document as X-Ray stores it (the fields this reading uses; docs: xray-api-segmentdocuments). */
export interface SegmentDocument {
  id: string;
  name: string;
  trace_id?: string;
  parent_id?: string;
  /** Seconds since the epoch, with fractions. */
  start_time: number;
  end_time?: number;
  in_progress?: boolean;
  /** `AWS::StepFunctions::StateMachine`, `AWS::Lambda`, `AWS::Lambda::Function`, … (segments only). */
  origin?: string;
  /** `aws` for a call to an AWS service, `remote` for another downstream call (subsegments only). */
  namespace?: string;
  resource_arn?: string;
  aws?: Record<string, unknown>;
  annotations?: Record<string, string | number | boolean>;
  /** A 4xx (client) error. */
  error?: boolean;
  /** A 5xx (server) fault. */
  fault?: boolean;
  throttle?: boolean;
  /** The exceptions, or the id of an exception recorded on another (sub)segment. */
  cause?: string | { exceptions?: { id?: string; type?: string; message?: string }[] };
  subsegments?: SegmentDocument[];
}

/** A traced Lambda invocation inside a workflow state: the function and the annotations its handler put on it. */
export interface XRayOperation {
  /** The function's segment name (its physical name). */
  function: string;
  /** The `operation` annotation (`createSalesOrder`, …), when the handler set one. */
  operation?: string;
  startedAt: string;
  /** The invocation's error, as its segment's exception names it. */
  error?: string;
}

/** One state a workflow run entered, as its state subsegment records it. */
export interface XRayStateVisit {
  state: string;
  enteredAt: string;
  exitedAt?: string;
  /** The error the state ended with (the exception's type, or `Error`/`Fault` when the subsegment names none). */
  error?: string;
  cause?: string;
  operations: XRayOperation[];
}

/** A Step Functions execution as one X-Ray trace holds it. */
export interface XRayWorkflowRun {
  traceId: string;
  /** The state machine's name: the segment's name. */
  stateMachineName: string;
  /** The execution's ARN when the segment records it. */
  executionArn?: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  startDate: string;
  stopDate?: string;
  visits: XRayStateVisit[];
}

/** What the X-Ray reading found: the runs, how many traces named the transaction, and what an operator should know. */
export interface XRayTransaction {
  runs: XRayWorkflowRun[];
  traceIds: string[];
  warnings: string[];
}

/** The ids a transaction is known by (as the trace's subject reports them). */
export interface XRayTransactionIds {
  correlationIds: readonly string[];
  entities: readonly string[];
}

/** The identifiers given could not be turned into an X-Ray filter expression. */
export class XRayFilterError extends ConcordError {
  override readonly name = 'XRayFilterError';

  constructor(message: string, options?: ConcordErrorOptions) {
    super(message, options);
  }
}

/** The segment origin Step Functions gives an execution's segment. */
export const stepFunctionsOrigin = 'AWS::StepFunctions::StateMachine';
/** The segment origin of a function's own segment (its handler's subsegments and annotations are under it). */
const lambdaFunctionOrigin = 'AWS::Lambda::Function';
/** GetTraceSummaries answers for at most six hours at once: a longer window is read in slices. */
export const maxSummaryWindowMs = 6 * 3_600_000;
/** X-Ray keeps a trace 30 days: nothing older can be found. */
export const xrayRetentionMs = 30 * 86_400_000;
/** BatchGetTraces takes at most five trace ids per request. */
const batchSize = 5;
/** The most traces one transaction's reading fetches whole (each retrieved trace is billed). */
const maxTraces = 50;

/** An X-Ray filter string literal: backslashes and double quotes escaped. */
function filterString(text: string): string {
  return `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

/**
 * The filter expression that finds a transaction's traces by the annotations the functions put on them
 * (functions/shared/observability/tracing.ts): its correlation ids, an order entity's order id, any other entity as
 * its business key.
 */
export function xrayFilterExpression(ids: XRayTransactionIds): string {
  const terms = [
    ...ids.correlationIds.map((id) => `annotation.correlationId = ${filterString(id)}`),
    ...ids.entities.map((entity) =>
      entity.startsWith('order/') && entity.length > 'order/'.length
        ? `annotation.orderId = ${filterString(entity.slice('order/'.length))}`
        : `annotation.businessKey = ${filterString(entity)}`,
    ),
  ];
  if (terms.length === 0) throw new XRayFilterError('no correlation id or entity to look X-Ray traces up by');
  return terms.join(' OR ');
}

/** `1.478293361271E9` (seconds) → ISO 8601. */
function isoFromSeconds(seconds: number): string {
  return new Date(Math.round(seconds * 1000)).toISOString();
}

/** The error a (sub)segment ended with: its first exception's type and message, or the flag it raised. */
function errorOf(document: SegmentDocument): { error?: string; cause?: string } {
  if (!document.error && !document.fault && !document.throttle) return {};
  const exception = typeof document.cause === 'object' ? document.cause.exceptions?.[0] : undefined;
  return {
    error: exception?.type || (document.fault ? 'Fault' : document.throttle ? 'Throttle' : 'Error'),
    cause: exception?.message,
  };
}

/** Every (sub)segment under `document`, itself included, depth first. */
function* walk(document: SegmentDocument): Generator<SegmentDocument> {
  yield document;
  for (const child of document.subsegments ?? []) yield* walk(child);
}

/** The state subsegments of a Step Functions segment: its subsegments that are not calls (no namespace), nested ones included. */
function stateSubsegments(document: SegmentDocument): SegmentDocument[] {
  const states: SegmentDocument[] = [];
  for (const child of document.subsegments ?? [])
    if (!child.namespace) {
      states.push(child);
      states.push(...stateSubsegments(child));
    }
  return states;
}

/** The first value of an annotation on a segment or any of its subsegments (the handler's `## …` subsegment holds them). */
function annotation(document: SegmentDocument, key: string): string | undefined {
  for (const part of walk(document)) {
    const value = part.annotations?.[key];
    if (value !== undefined) return String(value);
  }
  return undefined;
}

/**
 * The segment documents of a trace, parsed; a document that is not JSON is skipped and reported (one bad segment
 * must not hide the rest of the trace).
 */
export function traceDocuments(trace: Trace, warnings: string[]): SegmentDocument[] {
  const documents: SegmentDocument[] = [];
  for (const segment of trace.Segments ?? []) {
    try {
      const parsed = JSON.parse(segment.Document ?? '') as SegmentDocument;
      if (typeof parsed?.id === 'string' && typeof parsed.start_time === 'number') documents.push(parsed);
      else warnings.push(`X-Ray trace ${trace.Id}: segment ${segment.Id} has no id or start_time; skipped`);
    } catch {
      warnings.push(`X-Ray trace ${trace.Id}: segment ${segment.Id} is not JSON; skipped`);
    }
  }
  return documents;
}

/**
 * The workflow runs in one trace: each Step Functions segment's state subsegments in the order they started, their
 * errors, and the Lambda function segments of the trace attached to the state that invoked them — by the parent
 * chain (function segment → Lambda service segment → the state's `Lambda` call subsegment), or else by time (the
 * state whose span holds the invocation's start).
 */
export function workflowRuns(traceId: string, documents: readonly SegmentDocument[]): XRayWorkflowRun[] {
  const byId = new Map<string, SegmentDocument>();
  /** The top-level segment each (sub)segment id belongs to. */
  const segmentOf = new Map<string, SegmentDocument>();
  for (const document of documents)
    for (const part of walk(document)) {
      byId.set(part.id, part);
      segmentOf.set(part.id, document);
    }
  const runs: XRayWorkflowRun[] = [];
  const stateOf = new Map<string, XRayStateVisit>();
  const spans: { visit: XRayStateVisit; from: number; to: number }[] = [];
  for (const machine of documents.filter((document) => document.origin === stepFunctionsOrigin)) {
    const visits = stateSubsegments(machine)
      .sort((a, b) => a.start_time - b.start_time)
      .map((state) => {
        const visit: XRayStateVisit = {
          state: state.name,
          enteredAt: isoFromSeconds(state.start_time),
          exitedAt: state.end_time !== undefined ? isoFromSeconds(state.end_time) : undefined,
          ...errorOf(state),
          operations: [],
        };
        // In start order, so a state inside a Parallel or Map claims its own calls after its parent did.
        for (const part of walk(state)) stateOf.set(part.id, visit);
        spans.push({ visit, from: state.start_time, to: state.end_time ?? Number.POSITIVE_INFINITY });
        return visit;
      });
    const failed = Boolean(machine.error || machine.fault);
    const executionArn = [machine.aws?.execution_arn, machine.resource_arn].find(
      // Standard executions are `…:execution:<machine>:<name>`, Express ones `…:express:<machine>:<name>:<id>`.
      (arn): arn is string => typeof arn === 'string' && /:(execution|express):/.test(arn),
    );
    runs.push({
      traceId,
      stateMachineName: machine.name,
      executionArn,
      status:
        machine.in_progress || machine.end_time === undefined ? 'RUNNING' : failed ? 'FAILED' : 'SUCCEEDED',
      startDate: isoFromSeconds(machine.start_time),
      stopDate: machine.end_time !== undefined ? isoFromSeconds(machine.end_time) : undefined,
      visits,
    });
  }
  for (const fn of documents.filter((document) => document.origin === lambdaFunctionOrigin)) {
    let visit: XRayStateVisit | undefined;
    let parent = fn.parent_id;
    // Up the chain: the Lambda service segment, then the state's call subsegment (a few hops; a cycle stops it).
    for (let hop = 0; parent && !visit && hop < 8; hop += 1) {
      visit = stateOf.get(parent);
      parent = segmentOf.get(parent)?.parent_id;
    }
    visit ??= spans
      .filter((span) => span.from <= fn.start_time && fn.start_time <= span.to)
      .sort((a, b) => b.from - a.from)[0]?.visit;
    if (!visit) continue;
    const failure = [...walk(fn)].map(errorOf).find((found) => found.error);
    visit.operations.push({
      function: fn.name,
      operation: annotation(fn, 'operation'),
      startedAt: isoFromSeconds(fn.start_time),
      error: failure?.error,
    });
  }
  for (const run of runs)
    for (const visit of run.visits) visit.operations.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  return runs;
}

/** The ids of the traces the filter finds in the window, read in six-hour slices, each slice paginated. */
async function traceIdsIn(
  xray: XRayClient,
  filterExpression: string,
  window: { from: Date; to: Date },
): Promise<string[]> {
  const ids = new Set<string>();
  for (let start = window.from.getTime(); start < window.to.getTime(); start += maxSummaryWindowMs) {
    const end = Math.min(start + maxSummaryWindowMs, window.to.getTime());
    for await (const page of paginateGetTraceSummaries(
      { client: xray },
      {
        StartTime: new Date(start),
        EndTime: new Date(end),
        FilterExpression: filterExpression,
        Sampling: false,
      },
    ))
      for (const summary of page.TraceSummaries ?? []) if (summary.Id) ids.add(summary.Id);
  }
  return [...ids];
}

/** The traces whole, five ids a request, each answer paginated; ids X-Ray could not process are reported. */
async function tracesById(
  xray: XRayClient,
  traceIds: readonly string[],
  warnings: string[],
): Promise<Trace[]> {
  const traces: Trace[] = [];
  for (let index = 0; index < traceIds.length; index += batchSize) {
    const TraceIds = traceIds.slice(index, index + batchSize);
    let NextToken: string | undefined;
    do {
      const answer = await xray.send(new BatchGetTracesCommand({ TraceIds, NextToken }));
      traces.push(...(answer.Traces ?? []));
      if (answer.UnprocessedTraceIds?.length)
        warnings.push(
          `X-Ray could not return trace(s) ${answer.UnprocessedTraceIds.join(', ')} yet (a trace is complete a few seconds after its last segment): try again`,
        );
      NextToken = answer.NextToken;
    } while (NextToken);
  }
  return traces;
}

/**
 * The transaction's workflow runs from X-Ray: the traces annotated with its ids in `window` (clamped to X-Ray's 30
 * days and to now), read whole, each Step Functions segment rebuilt as a run. No trace is not an error: X-Ray records
 * only the transactions its sampling rule picks, and the warnings say so.
 */
export async function xrayTransaction(
  xray: XRayClient,
  ids: XRayTransactionIds,
  window: { from: Date; to: Date },
  now = new Date(),
): Promise<XRayTransaction> {
  const warnings: string[] = [];
  const oldest = new Date(now.getTime() - xrayRetentionMs);
  const from = window.from < oldest ? oldest : window.from;
  const to = window.to > now ? now : window.to;
  if (window.from < oldest) warnings.push('X-Ray keeps traces 30 days: older ones cannot be read');
  let traceIds = from < to ? await traceIdsIn(xray, xrayFilterExpression(ids), { from, to }) : [];
  if (traceIds.length > maxTraces) {
    warnings.push(
      `${traceIds.length} X-Ray traces name this transaction; the first ${maxTraces} are read (each retrieved trace is billed): narrow the window`,
    );
    traceIds = traceIds.slice(0, maxTraces);
  }
  const runs: XRayWorkflowRun[] = [];
  for (const trace of await tracesById(xray, traceIds, warnings))
    runs.push(...workflowRuns(trace.Id ?? '', traceDocuments(trace, warnings)));
  if (traceIds.length === 0)
    warnings.push(
      'X-Ray holds no trace of this transaction in the window: it was not sampled (the stage records a share of transactions: docs/observability.md#tracing-x-ray), or it is older',
    );
  else if (runs.length === 0)
    warnings.push(
      `X-Ray traces of this transaction (${traceIds.join(', ')}) hold no workflow execution: its workflow run was not sampled or has not started`,
    );
  return { runs: runs.sort((a, b) => a.startDate.localeCompare(b.startDate)), traceIds, warnings };
}

/**
 * An X-Ray client with the credentials, region and endpoint of a client the stage's context already built (its
 * CloudWatch Logs client): the same account and the same chain, without another set of options.
 */
export function xrayClientLike(logs: Pick<CloudWatchLogsClient, 'config'>): XRayClient {
  const { region, credentials, endpoint } = logs.config;
  return new XRayClient({
    region,
    credentials,
    ...(logs.config.isCustomEndpoint && endpoint ? { endpoint } : {}),
  });
}

/**
 * Whether a stage's workflows are read from X-Ray rather than from the executions API: on AWS, where they are Express
 * (Step Functions keeps no Express execution). The embedded runtime, and any endpoint, keeps them: there the
 * executions API answers.
 */
export function workflowsReadFromXRay(stage: string, customEndpoint: boolean): boolean {
  return stage !== 'local' && !customEndpoint;
}

/** `OrderToCashStateMachine6E2D…-1a2b…` → `OrderToCash`: the workflow a person knows. */
export function shortWorkflowName(stateMachineName: string): string {
  return stateMachineName.replace(/StateMachine[A-Z0-9]*(-.*)?$/, '') || stateMachineName;
}

/** The runs as timeline entries: each state entered, with its error and the operations its functions ran. */
export function xrayTimelineEntries(runs: readonly XRayWorkflowRun[]): TimelineEntry[] {
  return runs.flatMap((run) =>
    run.visits.map((visit) => {
      const operations = visit.operations
        .map((op) => `${op.operation ?? op.function}${op.error ? ` (${op.error})` : ''}`)
        .join(', ');
      return {
        at: visit.enteredAt,
        where: shortWorkflowName(run.stateMachineName),
        what: `${visit.state} entered (X-Ray ${run.traceId})${visit.error ? `: ${visit.error}${visit.cause ? ` ${visit.cause}` : ''}` : ''}${operations ? ` · ${operations}` : ''}`,
      };
    }),
  );
}

/**
 * A trace's timeline with the transaction's workflow steps from X-Ray added (`concord trace` on AWS), in time order.
 * X-Ray failing to answer (no permission, throttled) is a warning: the rest of the timeline stands.
 */
export async function withXRaySteps<
  Timeline extends { subject: XRayTransactionIds; entries: TimelineEntry[]; warnings: string[] },
>(
  timeline: Timeline,
  xray: XRayClient,
  window: { from: Date; to: Date },
  now = new Date(),
): Promise<Timeline> {
  try {
    const { runs, warnings } = await xrayTransaction(xray, timeline.subject, window, now);
    return {
      ...timeline,
      entries: [...timeline.entries, ...xrayTimelineEntries(runs)].sort((a, b) => a.at.localeCompare(b.at)),
      warnings: [...timeline.warnings, ...warnings],
    };
  } catch (error) {
    if (error instanceof XRayFilterError) return timeline;
    return {
      ...timeline,
      warnings: [
        ...timeline.warnings,
        `the workflow steps could not be read from X-Ray (${(error as Error).name}: ${(error as Error).message})`,
      ],
    };
  }
}
