/** The two alarms on a queue of failures, and descriptions that read as sentences whatever `protects` starts with. */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { alarmOnFailures } from '../../infra/constructs/failure-alarms';

/** The alarm descriptions of one queue alarmed as `protects`, by alarm logical id prefix. */
function descriptionsFor(protects: string): Record<string, string> {
  const stack = new Stack(new App(), 'FailureAlarms');
  alarmOnFailures(stack, 'ExceptionsQueue', new Queue(stack, 'ExceptionsQueue'), protects);
  const alarms = Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm');
  return Object.fromEntries(
    Object.entries(alarms).map(([id, alarm]) => [
      id.startsWith('ExceptionsQueueAgeAlarm') ? 'age' : 'messages',
      alarm.Properties.AlarmDescription as string,
    ]),
  );
}

describe('alarmOnFailures', () => {
  it('places a leading article where each description needs it', () => {
    // Act
    const workflow = descriptionsFor('A workflow');
    const target = descriptionsFor('the warehouse rule target');
    // Assess
    expect(workflow).toEqual({
      messages:
        'A workflow failed: messages wait in ExceptionsQueue (concord dlq show; docs/runbooks/replay.md)',
      age: 'A failure of a workflow has waited in ExceptionsQueue for over an hour',
    });
    expect(target).toEqual({
      messages:
        'The warehouse rule target failed: messages wait in ExceptionsQueue (concord dlq show; docs/runbooks/replay.md)',
      age: 'A failure of the warehouse rule target has waited in ExceptionsQueue for over an hour',
    });
  });

  it('keeps a name or an acronym at the start as it is written', () => {
    // Act
    const descriptions = descriptionsFor('ERP outbox relay');
    // Assess
    expect(descriptions.age).toBe(
      'A failure of ERP outbox relay has waited in ExceptionsQueue for over an hour',
    );
    expect(descriptions.messages).toMatch(/^ERP outbox relay failed: /);
  });
});
