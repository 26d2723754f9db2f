/**
 * A Firehose delivery stream as an EventBridge rule target, with the retry policy and dead-letter queue that CDK's
 * FirehoseDeliveryStream target does not offer: no target of Concord goes without a dead-letter queue.
 */
import type { Duration } from 'aws-cdk-lib';
import type { IRule, IRuleTarget, RuleTargetConfig, RuleTargetInput } from 'aws-cdk-lib/aws-events';
import { addToDeadLetterQueueResourcePolicy, FirehoseDeliveryStream } from 'aws-cdk-lib/aws-events-targets';
import type { IDeliveryStream } from 'aws-cdk-lib/aws-kinesisfirehose';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';

/** How the rule delivers to the stream, and where what it could not deliver goes. */
export interface FirehoseTargetWithDeadLettersProps {
  /** The record written per event (the warehouse takes `$.detail`, the CloudEvent itself). */
  readonly message: RuleTargetInput;
  /** Where an event goes once its retries are spent. */
  readonly deadLetterQueue: IQueue;
  /** EventBridge's retry attempts (0–185). */
  readonly retryAttempts: number;
  /** How long EventBridge keeps trying (at most 24 hours). */
  readonly maxEventAge: Duration;
}

/** The stream as a rule target (the stream first, as CDK's own targets take their resource). */
export class FirehoseTargetWithDeadLetters implements IRuleTarget {
  constructor(
    private readonly stream: IDeliveryStream,
    private readonly options: FirehoseTargetWithDeadLettersProps,
  ) {}

  bind(rule: IRule, id?: string): RuleTargetConfig {
    const config = new FirehoseDeliveryStream(this.stream, { message: this.options.message }).bind(rule, id);
    addToDeadLetterQueueResourcePolicy(rule, this.options.deadLetterQueue);
    return {
      ...config,
      deadLetterConfig: { arn: this.options.deadLetterQueue.queueArn },
      retryPolicy: {
        maximumRetryAttempts: this.options.retryAttempts,
        maximumEventAgeInSeconds: this.options.maxEventAge.toSeconds(),
      },
    };
  }
}
