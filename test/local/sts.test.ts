import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { GetCallerIdentityCommand, STSClient, STSServiceException } from '@aws-sdk/client-sts';
import { loginName } from '../../local/services/sts/sts-service';
import { startTestRuntime } from './support/local-runtime';

describe('STS GetCallerIdentity (through the AWS SDK)', () => {
  let local: Awaited<ReturnType<typeof startTestRuntime>>;
  const clients: STSClient[] = [];

  function sts(accessKeyId: string): STSClient {
    const client = new STSClient({
      endpoint: local.runtime.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId, secretAccessKey: 'local' },
    });
    clients.push(client);
    return client;
  }

  function writeOperators(content: string): void {
    writeFileSync(path.join(local.dataDir, 'operators.json'), content);
  }

  beforeAll(async () => {
    local = await startTestRuntime();
  });

  afterAll(async () => {
    for (const client of clients) client.destroy();
    await local.stop();
  });

  it('names the login that started the runtime when no operators file exists', async () => {
    // Prepare
    const client = sts('local');

    // Act
    const identity = await client.send(new GetCallerIdentityCommand({}));

    // Assess
    expect(identity.Account).toBe('000000000000');
    expect(identity.Arn).toBe(`arn:aws:iam::000000000000:user/${loginName()}`);
    expect(identity.UserId).toMatch(/^AIDA[A-Z2-7]{17}$/);
  });

  it('maps the signing access key id to the operator operators.json names, and others to its default', async () => {
    // Prepare
    writeOperators(
      JSON.stringify({ default: 'ops-desk', accessKeys: { AKIAALICE: 'alice', AKIABOB: 'bob' } }),
    );

    // Act
    const [alice, bob, other] = await Promise.all(
      ['AKIAALICE', 'AKIABOB', 'AKIASOMEONE'].map((key) => sts(key).send(new GetCallerIdentityCommand({}))),
    );

    // Assess
    expect(alice?.Arn).toBe('arn:aws:iam::000000000000:user/alice');
    expect(bob?.Arn).toBe('arn:aws:iam::000000000000:user/bob');
    expect(other?.Arn).toBe('arn:aws:iam::000000000000:user/ops-desk');
    expect(alice?.UserId).not.toBe(bob?.UserId);
  });

  it('gives the same user id to the same name across calls', async () => {
    // Prepare
    writeOperators(JSON.stringify({ accessKeys: { AKIAALICE: 'alice' } }));

    // Act
    const first = await sts('AKIAALICE').send(new GetCallerIdentityCommand({}));
    const second = await sts('AKIAALICE').send(new GetCallerIdentityCommand({}));

    // Assess
    expect(second.UserId).toBe(first.UserId);
  });

  it('answers the XML document AWS answers, in the 2011-06-15 namespace', async () => {
    // Prepare
    writeOperators(JSON.stringify({ default: 'alice' }));

    // Act
    const response = await fetch(local.runtime.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
        authorization:
          'AWS4-HMAC-SHA256 Credential=AKIAX/20260101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00',
      },
      body: 'Action=GetCallerIdentity&Version=2011-06-15',
    });
    const text = await response.text();

    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/xml');
    expect(text).toMatch(
      /^<GetCallerIdentityResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/">\s*<GetCallerIdentityResult>\s*<Arn>arn:aws:iam::000000000000:user\/alice<\/Arn>\s*<UserId>AIDA[A-Z2-7]{17}<\/UserId>\s*<Account>000000000000<\/Account>\s*<\/GetCallerIdentityResult>\s*<ResponseMetadata>\s*<RequestId>[0-9a-f-]{36}<\/RequestId>\s*<\/ResponseMetadata>\s*<\/GetCallerIdentityResponse>\s*$/,
    );
  });

  it('answers AWS JSON 1.0 when the request names the STS target', async () => {
    // Prepare
    writeOperators(JSON.stringify({ default: 'alice' }));

    // Act
    const response = await fetch(local.runtime.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'AWSSecurityTokenServiceV20110615.GetCallerIdentity',
        authorization:
          'AWS4-HMAC-SHA256 Credential=AKIAX/20260101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00',
      },
      body: '{}',
    });

    // Assess
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      Account: '000000000000',
      Arn: 'arn:aws:iam::000000000000:user/alice',
      UserId: expect.stringMatching(/^AIDA/),
    });
  });

  it('rejects another STS action with InvalidAction', async () => {
    // Prepare
    const body = 'Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Arole%2Fx';

    // Act
    const response = await fetch(local.runtime.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization:
          'AWS4-HMAC-SHA256 Credential=AKIAX/20260101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00',
      },
      body,
    });
    const text = await response.text();

    // Assess
    expect(response.status).toBe(400);
    expect(text).toContain('<Code>InvalidAction</Code>');
    expect(text).toContain('<Type>Sender</Type>');
  });

  it('fails naming the operators file when it is not valid JSON, and recovers once it is fixed', async () => {
    // Prepare
    writeOperators('{ "default": ');
    const client = sts('AKIAALICE');

    // Act
    const failure = await client.send(new GetCallerIdentityCommand({})).catch((error: unknown) => error);
    writeOperators(JSON.stringify({ default: 'alice' }));
    const recovered = await client.send(new GetCallerIdentityCommand({}));

    // Assess
    expect(failure).toBeInstanceOf(STSServiceException);
    expect((failure as Error).message).toContain('operators.json is not valid JSON');
    expect(recovered.Arn).toBe('arn:aws:iam::000000000000:user/alice');
  });

  it('fails when the operators file names an operator IAM would not accept', async () => {
    // Prepare
    writeOperators(JSON.stringify({ default: 'alice smith/ops' }));

    // Act
    const failure = await sts('AKIAALICE')
      .send(new GetCallerIdentityCommand({}))
      .catch((error: unknown) => error);

    // Assess
    expect((failure as Error).message).toContain('is not a valid IAM user name');
  });
});
