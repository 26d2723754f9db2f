/** Alarms on a queue that holds failures: anything in it, and anything left in it for an hour. */
import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/** `protects` names what fails into the queue, for the alarm's description. */
export function alarmOnFailures(scope: Construct, id: string, queue: IQueue, protects: string): void {
  new Alarm(scope, `${id}MessagesAlarm`, {
    alarmDescription: `${protects} failed: messages wait in ${id} (concord dlq show; docs/runbooks/replay.md)`,
    metric: queue.metricApproximateNumberOfMessagesVisible({
      period: Duration.minutes(5),
      statistic: 'Maximum',
    }),
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });
  new Alarm(scope, `${id}AgeAlarm`, {
    alarmDescription: `A failure of ${protects} has waited in ${id} for over an hour`,
    metric: queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: 'Maximum' }),
    threshold: 3600,
    evaluationPeriods: 1,
    comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });
}
