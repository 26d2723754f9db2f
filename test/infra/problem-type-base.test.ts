import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { problemTypeUri } from '../../functions/shared/http/problem';
import { buildApp } from '../../infra/app';
import { stageConfig } from '../../infra/config/stage-config';

describe('PROBLEM_TYPE_BASE_URI', () => {
  it('gives both HTTP functions the stage base, under which every local problem type opens its page', () => {
    // Prepare
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stateless = Template.fromStack(buildApp(app, 'local', '000000000000').stateless);

    // Act
    const bases = Object.values(stateless.findResources('AWS::Lambda::Function'))
      .map((resource) => resource.Properties.Environment?.Variables ?? {})
      .filter((variables) => 'PROBLEM_TYPE_BASE_URI' in variables)
      .map((variables) => [variables.POWERTOOLS_SERVICE_NAME, variables.PROBLEM_TYPE_BASE_URI]);

    // Assess
    const base = stageConfig('local').problemTypeBaseUri;
    expect(bases.sort()).toEqual([
      ['ingest-webhook', base],
      ['order-validation-api', base],
    ]);
    expect(existsSync(fileURLToPath(problemTypeUri('schema-violation', base)))).toBe(true);
  });
});
