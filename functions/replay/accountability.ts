/** The rule every governed action follows: it names who acts and why, since both go into the audit. */

/** What an edge calls the reason field in its message: the CLI's flag, or the Lambda request's field by default. */
export interface ReasonWording {
  /** The action as a sentence begins it: `a replay`, `an edit`, `parking`. */
  action: string;
  /** The field as the caller typed it: `--reason`, or `"reason"` (the default). */
  field?: string;
}

/** An action that changes something was asked for without a reason: nothing was changed. */
export class ReasonRequiredError extends Error {
  override readonly name = 'ReasonRequiredError';
  constructor(wording: ReasonWording, options?: { cause?: unknown }) {
    super(
      `${wording.action} needs ${wording.field ?? '"reason"'} (an incident or ticket): it goes into the audit`,
      options,
    );
  }
}

/** An action that changes something names no operator: the audit could not say who acted; nothing was changed. */
export class OperatorRequiredError extends Error {
  override readonly name = 'OperatorRequiredError';
  constructor(action: string, options?: { cause?: unknown }) {
    super(`${action} names no operator: the audit must say who acted`, options);
  }
}

/**
 * The reason, checked: a blank one is refused. The use cases call it before they change anything; an edge may call it
 * earlier with its own wording (the CLI, before it asks for a confirmation), so the rule is written once.
 */
export function requireReason(reason: string | undefined, wording: ReasonWording): string {
  if (reason === undefined || reason.trim() === '') throw new ReasonRequiredError(wording);
  return reason;
}

/** Checks that an action names its operator and a reason; the use cases call it before they change anything. */
export function requireAccountable(
  request: { operator: string; reason: string | undefined },
  wording: ReasonWording,
): { operator: string; reason: string } {
  if (request.operator.trim() === '') throw new OperatorRequiredError(wording.action);
  return { operator: request.operator, reason: requireReason(request.reason, wording) };
}
