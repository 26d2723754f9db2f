/** AlarmTopic: the stage's encrypted SNS topic every alarm notifies, and the aspect that makes every alarm use it. */
import { type IAspect, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AlarmBase } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { type ITopic, SubscriptionProtocol, Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription, UrlSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct, type IConstruct } from 'constructs';
import type { StageConfig } from '../config/stage-config';

/** What the alarm topic needs: the stage, its subscriptions and what happens to the key on stack deletion. */
export interface AlarmTopicProps {
  /** The stage name, part of the topic's display name. */
  readonly stage: string;
  /** Who is told: the stage's subscribers. */
  readonly alerting: StageConfig['alerting'];
  /** What happens to the topic when the stack is deleted. */
  readonly removalPolicy: RemovalPolicy;
}

/** An SNS topic encrypted with its own KMS key, TLS only, that CloudWatch alarms of this account may publish to. */
export class AlarmTopic extends Construct {
  readonly topic: Topic;

  constructor(scope: Construct, id: string, props: AlarmTopicProps) {
    super(scope, id);
    // A key of our own: CloudWatch cannot use the AWS managed aws/sns key, whose policy no one can extend.
    const key = new Key(this, 'Key', {
      description: `Encrypts Concord ${props.stage}'s alarm notifications`,
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
    });
    key.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    this.topic = new Topic(this, 'Resource', {
      displayName: `Concord ${props.stage} alarms`,
      masterKey: key,
      enforceSSL: true,
    });
    // The topic policy replaces SNS's default one: CloudWatch alarms of this account only may publish.
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    for (const email of props.alerting.emails) this.topic.addSubscription(new EmailSubscription(email));
    for (const url of props.alerting.httpsEndpoints)
      this.topic.addSubscription(new UrlSubscription(url, { protocol: SubscriptionProtocol.HTTPS }));
  }
}

/**
 * Gives every alarm (metric and composite) the topic as its alarm action and its OK action, so that a failure and
 * its recovery are both announced. Applied to the whole app: an alarm added anywhere later is covered without a call.
 */
export class AlarmActions implements IAspect {
  private readonly action: SnsAction;

  constructor(topic: ITopic) {
    this.action = new SnsAction(topic);
  }

  visit(node: IConstruct): void {
    if (!(node instanceof AlarmBase)) return;
    node.addAlarmAction(this.action);
    node.addOkAction(this.action);
  }
}
