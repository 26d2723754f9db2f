/** The error EventBridge answers for an invalid event pattern. */
import { AwsError } from '../edge/aws-error';

/** InvalidEventPatternException, with AWS's message: "Event pattern is not valid. Reason: …". */
export class InvalidEventPatternError extends AwsError {
  constructor(readonly reason: string) {
    super('InvalidEventPatternException', `Event pattern is not valid. Reason: ${reason}`);
  }
}
