/**
 * A Firehose delivery stream as an EventBridge rule target, with the retry policy and dead-letter queue that CDK's
 * FirehoseDeliveryStream target does not offer: no target of Concord goes without a dead-letter queue.
 */
import type { Duration } from 'aws-cdk-lib';
import type { IRule, IRuleTarget, RuleTargetConfig, RuleTargetInput } from 'aws-cdk-lib/aws-events';
import { addToDeadLetterQueueResourcePolicy, FirehoseDeliveryStream } from 'aws-cdk-lib/aws-events-targets';
import type { IDeliveryStream } from 'aws-cdk-lib/aws-kinesisfirehose';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';

export class FirehoseTargetWithDeadLetters implements IRuleTarget {
  constructor(
    private readonly stream: IDeliveryStream,
    private readonly options: {
      message: RuleTargetInput;
      deadLetterQueue: IQueue;
      retryAttempts: number;
      maxEventAge: Duration;
    },
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
