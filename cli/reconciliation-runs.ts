/** A stage's reconciliation runs: started in its Reconcile function, kept in its warehouse bucket (CLI and console). */
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { type _Object, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { ConcordError, type ConcordErrorOptions } from '../functions/shared/errors';
import type { ReplayPlan } from '../functions/shared/reconciliation/replay-plan';
import type { ReconciliationReport } from '../functions/shared/reconciliation/report';
import type { OpsContext } from './ops-context';

/** Where the Reconcile function keeps its runs (functions/reconcile/announce-outcome.ts resultKeys). */
const runsPrefix = 'reconciliations/';
const reportKeyPattern = /^reconciliations\/(\d{4}-\d{2}-\d{2})\/([^/]+)\/report\.json$/;

/** One kept run, as its report's key names it. */
export interface ReconciliationRunRef {
  id: string;
  /** The UTC day its window starts. */
  day: string;
  reportKey: string;
  planKey: string;
  /** When the function kept it. */
  keptAt?: Date;
}

/** A run's report and replay plan, as the function kept them. */
export interface ReconciliationRun {
  ref: ReconciliationRunRef;
  report: ReconciliationReport;
  plan: ReplayPlan;
}

/** The stage's Reconcile function failed: its own message, as it answered. */
export class ReconcileFunctionError extends ConcordError {
  override readonly name = 'ReconcileFunctionError';
  constructor(message: string, options?: ConcordErrorOptions) {
    super(message, options);
  }
}

async function readJson<T>(context: OpsContext, bucket: string, key: string): Promise<T> {
  const object = await context.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return JSON.parse(await (object.Body?.transformToString() ?? Promise.resolve('null'))) as T;
}

function refOf(object: _Object): ReconciliationRunRef | undefined {
  const match = reportKeyPattern.exec(object.Key ?? '');
  if (!match) return undefined;
  const [reportKey, day, id] = match as unknown as [string, string, string];
  return {
    id,
    day,
    reportKey,
    planKey: reportKey.replace(/report\.json$/, 'plan.json'),
    keptAt: object.LastModified,
  };
}

/**
 * Runs a reconciliation of the window in the stage's Reconcile function (its Athena queries and its side effects:
 * the completion event, the mismatches in the exceptions queue, the metric) and reads back what it kept.
 */
export async function reconcileInStage(
  context: OpsContext,
  window: { from: Date; to: Date },
): Promise<ReconciliationRun> {
  const { Payload, FunctionError } = await context.lambda.send(
    new InvokeCommand({
      FunctionName: await context.functionName('Reconcile'),
      Payload: JSON.stringify({ since: window.from.toISOString(), until: window.to.toISOString() }),
    }),
  );
  const answer = JSON.parse(Buffer.from(Payload ?? new Uint8Array()).toString('utf8') || 'null');
  if (FunctionError)
    throw new ReconcileFunctionError(
      `the Reconcile function failed: ${answer?.errorMessage ?? FunctionError}`,
    );
  const bucket = await context.bucketName('warehousebucket');
  const [report, plan] = await Promise.all([
    readJson<ReconciliationReport>(context, bucket, answer.reportKey),
    readJson<ReplayPlan>(context, bucket, answer.planKey),
  ]);
  const ref = refOf({ Key: answer.reportKey }) ?? {
    id: report.id,
    day: report.window.from.slice(0, 10),
    reportKey: answer.reportKey,
    planKey: answer.planKey,
  };
  return { ref, report, plan };
}

/**
 * The runs the stage keeps, newest first. Only the keys are listed (one request per thousand runs); a run's report
 * is read when it is shown.
 */
export async function listReconciliationRuns(context: OpsContext): Promise<ReconciliationRunRef[]> {
  const bucket = await context.bucketName('warehousebucket');
  const refs: ReconciliationRunRef[] = [];
  let ContinuationToken: string | undefined;
  do {
    const page = await context.s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: runsPrefix, ContinuationToken }),
    );
    for (const object of page.Contents ?? []) {
      const ref = refOf(object);
      if (ref) refs.push(ref);
    }
    ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (ContinuationToken);
  return refs.sort(
    (a, b) => (b.keptAt?.getTime() ?? 0) - (a.keptAt?.getTime() ?? 0) || b.day.localeCompare(a.day),
  );
}

/** A kept run's report and plan. */
export async function readReconciliationRun(
  context: OpsContext,
  ref: ReconciliationRunRef,
): Promise<ReconciliationRun> {
  const bucket = await context.bucketName('warehousebucket');
  const [report, plan] = await Promise.all([
    readJson<ReconciliationReport>(context, bucket, ref.reportKey),
    readJson<ReplayPlan>(context, bucket, ref.planKey),
  ]);
  return { ref, report, plan };
}

/** The kept run of an id, or undefined when the stage keeps none. */
export async function findReconciliationRun(
  context: OpsContext,
  id: string,
): Promise<ReconciliationRun | undefined> {
  const ref = (await listReconciliationRuns(context)).find((candidate) => candidate.id === id);
  return ref ? readReconciliationRun(context, ref) : undefined;
}
