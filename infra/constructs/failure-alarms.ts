/** Alarms on a queue that holds failures: anything in it, and anything left in it for an hour. */
import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/** `protects` as a sentence starts it: `the warehouse rule target` → `The warehouse rule target`. */
function sentenceStart(protects: string): string {
  return protects.charAt(0).toUpperCase() + protects.slice(1);
}

/**
 * `protects` inside a sentence: a leading article is lower-cased (`A workflow` → `a workflow`), anything else (an
 * acronym, a name) is kept as it is.
 */
function midSentence(protects: string): string {
  return protects.replace(/^(A|An|The)\b/, (article) => article.toLowerCase());
}

/**
 * `protects` names what fails into the queue, for the alarms' descriptions, with or without a leading article
 * (`A workflow`, `the warehouse rule target`): each description places it grammatically.
 */
export function alarmOnFailures(scope: Construct, id: string, queue: IQueue, protects: string): void {
  new Alarm(scope, `${id}MessagesAlarm`, {
    alarmDescription: `${sentenceStart(protects)} failed: messages wait in ${id} (concord dlq show; docs/runbooks/replay.md)`,
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
    alarmDescription: `A failure of ${midSentence(protects)} has waited in ${id} for over an hour`,
    metric: queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: 'Maximum' }),
    threshold: 3600,
    evaluationPeriods: 1,
    comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });
}
