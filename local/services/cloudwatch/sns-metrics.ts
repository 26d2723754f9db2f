/**
 * The AWS/SNS delivery metrics CloudWatch keeps per topic (NumberOfNotificationsDelivered, NumberOfNotificationsFailed
 * per TopicName), counted in memory as deliveries end and published once per evaluation, so that a refused delivery
 * shows where an operator looks for it on AWS.
 */
import { aggregateOf, type CloudWatchService } from './cloudwatch-service';

/** Counts SNS delivery outcomes per topic until they are published. */
export class SnsMetrics {
  private counts = new Map<string, { delivered: number; failed: number }>();

  /** Records one delivery's final outcome. */
  count(topicArn: string, delivered: boolean): void {
    const topicName = topicArn.split(':').at(-1) ?? topicArn;
    const counts = this.counts.get(topicName) ?? { delivered: 0, failed: 0 };
    if (delivered) counts.delivered += 1;
    else counts.failed += 1;
    this.counts.set(topicName, counts);
  }

  /** Writes what was counted as datapoints at `nowMs` and starts counting afresh. */
  publish(cloudwatch: Pick<CloudWatchService, 'record'>, nowMs: number): void {
    const counted = this.counts;
    this.counts = new Map();
    for (const [topicName, { delivered, failed }] of counted) {
      const dimensions = [{ Name: 'TopicName', Value: topicName }];
      // SNS publishes each as a Sum of the period's deliveries (zero included once the topic delivered at all).
      cloudwatch.record(
        'AWS/SNS',
        'NumberOfNotificationsDelivered',
        dimensions,
        nowMs,
        aggregateOf([delivered]),
        'Count',
      );
      cloudwatch.record(
        'AWS/SNS',
        'NumberOfNotificationsFailed',
        dimensions,
        nowMs,
        aggregateOf([failed]),
        'Count',
      );
    }
  }
}
