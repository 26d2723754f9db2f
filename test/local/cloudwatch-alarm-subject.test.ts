/** The Subject of an alarm notification, which SNS limits to 100 characters. */
import { alarmNotificationSubject } from '../../local/services/cloudwatch/cloudwatch-service';

describe('alarmNotificationSubject', () => {
  it('names the state, the alarm and the region', () => {
    // Act
    const subject = alarmNotificationSubject('ALARM', 'orders-refused', 'US East (N. Virginia)');
    // Assess
    expect(subject).toBe('ALARM: "orders-refused" in US East (N. Virginia)');
  });

  it('shortens a long alarm name so that SNS accepts the subject', () => {
    // Prepare: a name as CloudFormation generates it for an alarm without AlarmName.
    const name = 'Concord-local-Stateful-ExceptionsQueueMessagesAlarm6A9E3A5B-1X2Y3Z4W5V6U7T8S9R0Q';
    // Act
    const subject = alarmNotificationSubject('INSUFFICIENT_DATA', name, 'US East (N. Virginia)');
    // Assess
    expect(subject).toHaveLength(100);
    expect(subject).toMatch(
      /^INSUFFICIENT_DATA: "Concord-local-Stateful-Exceptions.*\.\.\." in US East \(N\. Virginia\)$/,
    );
  });
});
