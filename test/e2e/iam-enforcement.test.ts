import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { postShopifyOrder, startDeployedPlatform, synthesizeToTemp } from './support/deployed-platform';
import { eventually } from './support/eventually';

const orderBody = readFileSync(path.join(__dirname, '../fixtures/shopify/orders-create.json'), 'utf8');
const statelessTemplate = 'Concord-local-Stateless.template.json';

interface TemplateStatement {
  Action: string | string[];
}

/** Removes every statement granting `action` from the identity policies whose logical id starts with `policyPrefix`. */
function removeGrant(assemblyDir: string, policyPrefix: string, action: string): number {
  const file = path.join(assemblyDir, statelessTemplate);
  const template = JSON.parse(readFileSync(file, 'utf8')) as {
    Resources: Record<
      string,
      { Type: string; Properties: { PolicyDocument: { Statement: TemplateStatement[] } } }
    >;
  };
  let removed = 0;
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::IAM::Policy' || !logicalId.startsWith(policyPrefix)) continue;
    const statements = resource.Properties.PolicyDocument.Statement;
    const kept = statements.filter((statement) => ![statement.Action].flat().includes(action));
    removed += statements.length - kept.length;
    resource.Properties.PolicyDocument.Statement = kept;
  }
  writeFileSync(file, JSON.stringify(template));
  return removed;
}

describe('IAM enforcement on the embedded runtime (a synthesized stack missing one grant)', () => {
  jest.setTimeout(240_000);
  let assemblyDir: string;
  let local: Awaited<ReturnType<typeof startDeployedPlatform>>;
  let removed: number;

  beforeAll(async () => {
    assemblyDir = synthesizeToTemp();
    // The ingest function loses events:PutEvents on the bus, as if `bus.grantPutEventsTo(ingest)` were forgotten.
    removed = removeGrant(assemblyDir, 'IngestWebhookRoleDefaultPolicy', 'events:PutEvents');
    local = await startDeployedPlatform(assemblyDir);
  });

  afterAll(async () => {
    await local?.stop();
    rmSync(assemblyDir, { recursive: true, force: true });
  });

  it('fails the webhook with the AccessDeniedException AWS gives a function without the grant', async () => {
    // Prepare
    const stack = local.platform.deployer.deployedResources('Concord-local-Stateless');
    const [ingestLogicalId, ingest] = Object.entries(stack).find(
      ([logicalId, resource]) =>
        resource.type === 'AWS::Lambda::Function' && logicalId.startsWith('IngestWebhook'),
    ) ?? ['', undefined];
    const [roleLogicalId] = Object.entries(stack).find(
      ([logicalId, resource]) =>
        resource.type === 'AWS::IAM::Role' && logicalId.startsWith('IngestWebhookRole'),
    ) ?? [''];
    const logFile = path.join(local.platform.runtime.lambda.logDir, `${ingest?.physicalId}.log`);

    // Act
    const response = await postShopifyOrder(
      local.platform.apiUrl,
      local.secrets.shopify?.[0] as string,
      orderBody,
      'iam-evt-1',
    );

    // Assess
    expect(removed).toBe(1);
    expect(ingestLogicalId).not.toBe('');
    expect(response.status).toBeGreaterThanOrEqual(500);
    const log = await eventually(async () => {
      const text = readFileSync(logFile, 'utf8');
      return text.includes('AccessDeniedException') ? text : undefined;
    });
    expect(log).toContain(
      `User: arn:aws:sts::000000000000:assumed-role/Concord-local-Stateless-${roleLogicalId}/${ingest?.physicalId} ` +
        'is not authorized to perform: events:PutEvents on resource: ' +
        'arn:aws:events:us-east-1:000000000000:event-bus/concord-local ' +
        'because no identity-based policy allows the events:PutEvents action',
    );
  });
});
