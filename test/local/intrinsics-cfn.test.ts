// biome-ignore-all lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub placeholders are plain strings.
import { resourceOrder } from '../../local/deploy/deployer';
import { type ResolveContext, resolveValue } from '../../local/deploy/intrinsics';

const context: ResolveContext = {
  stackName: 'Concord-local-Stateful',
  accountId: '000000000000',
  region: 'us-east-1',
  parameters: { Stage: 'local' },
  conditions: { IsLocal: true },
  ref: (id) => `${id}-physical`,
  getAtt: (id, attribute) => `${id}.${attribute}-value`,
  importValue: (name) => `imported:${name}`,
};

describe('CloudFormation intrinsics', () => {
  it.each([
    [{ Ref: 'Queue' }, 'Queue-physical'],
    [{ Ref: 'AWS::Region' }, 'us-east-1'],
    [{ Ref: 'Stage' }, 'local'],
    [{ 'Fn::GetAtt': ['Queue', 'Arn'] }, 'Queue.Arn-value'],
    [{ 'Fn::GetAtt': 'Queue.Arn' }, 'Queue.Arn-value'],
    [{ 'Fn::Join': ['-', ['a', { Ref: 'AWS::AccountId' }]] }, 'a-000000000000'],
    [
      { 'Fn::Sub': 'arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:${Queue.QueueName}' },
      'arn:aws:sqs:us-east-1:000000000000:Queue.QueueName-value',
    ],
    [{ 'Fn::Sub': ['${Name}-${!Literal}', { Name: { Ref: 'Bus' } }] }, 'Bus-physical-${Literal}'],
    [{ 'Fn::Select': [1, { 'Fn::Split': [',', 'a,b,c'] }] }, 'b'],
    [{ 'Fn::ImportValue': 'Concord-local-Stateful:Export' }, 'imported:Concord-local-Stateful:Export'],
    [{ 'Fn::If': ['IsLocal', 'yes', 'no'] }, 'yes'],
  ])('resolves %j', (value, expected) => {
    expect(resolveValue(value, context)).toEqual(expected);
  });

  it('drops properties that resolve to AWS::NoValue', () => {
    expect(
      resolveValue({ keep: 1, drop: { Ref: 'AWS::NoValue' }, list: [1, { Ref: 'AWS::NoValue' }] }, context),
    ).toEqual({ keep: 1, list: [1] });
  });

  it('orders resources after what they reference or depend on', () => {
    const order = resourceOrder({
      Fn: {
        Type: 'AWS::Lambda::Function',
        Properties: { Role: { 'Fn::GetAtt': ['Role', 'Arn'] }, Env: { 'Fn::Sub': '${Table}' } },
      },
      Role: { Type: 'AWS::IAM::Role' },
      Table: { Type: 'AWS::DynamoDB::Table' },
      Mapping: {
        Type: 'AWS::Lambda::EventSourceMapping',
        Properties: { FunctionName: { Ref: 'Fn' } },
        DependsOn: 'Role',
      },
    });
    expect(order.indexOf('Role')).toBeLessThan(order.indexOf('Fn'));
    expect(order.indexOf('Table')).toBeLessThan(order.indexOf('Fn'));
    expect(order.indexOf('Fn')).toBeLessThan(order.indexOf('Mapping'));
  });
});
