/** The CDK app: the only place that reads the stage (-c stage=…) and the deployment environment. */
import { App, Aspects, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { localPlatformSettings, stageConfig } from './config/stage-config';
import { AlarmActions } from './constructs/alarm-topic';
import { StatefulStack } from './stacks/stateful-stack';
import { StatelessStack } from './stacks/stateless-stack';

/** Builds every stack of a stage into an app. */
export function buildApp(
  app: App,
  stage: string,
  account?: string,
  /** Where the local stage's ERP sandbox listens (`npm start -- --erp-port`); ignored by the other stages. */
  localErpBaseUrl?: string,
): { stateful: StatefulStack; stateless: StatelessStack } {
  const staged = stageConfig(stage);
  const config =
    staged.stage === 'local' && localErpBaseUrl
      ? {
          ...staged,
          erp: { ...staged.erp, baseUrl: localErpBaseUrl },
          // The platforms' stand-ins are hosted by the same sandbox.
          platforms: localPlatformSettings(localErpBaseUrl),
        }
      : staged;
  const env = { account, region: config.region };
  const stateful = new StatefulStack(app, `Concord-${config.stage}-Stateful`, {
    env,
    config,
    terminationProtection: config.stage === 'prod',
  });
  const stateless = new StatelessStack(app, `Concord-${config.stage}-Stateless`, {
    env,
    config,
    stateful: stateful.resources,
  });
  // Every alarm of the stage, in either stack, announces its firing and its recovery on the stage's topic.
  Aspects.of(app).add(new AlarmActions(stateful.alarmTopic.topic));
  Tags.of(app).add('project', 'concord');
  Tags.of(app).add('stage', config.stage);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { stateful, stateless };
}

if (require.main === module) {
  const app = new App();
  const stage = String(app.node.tryGetContext('stage') ?? 'dev');
  // The local stage deploys onto the embedded runtime, which uses a fixed dummy account.
  buildApp(app, stage, stage === 'local' ? '000000000000' : process.env.CDK_DEFAULT_ACCOUNT);
  app.synth();
}
