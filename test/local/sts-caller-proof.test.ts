import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { STSClient } from '@aws-sdk/client-sts';
import {
  getCallerIdentityBody,
  proveCaller,
  requestHash,
  requestHashHeader,
  StsCallerVerifier,
} from '../../functions/replay/caller-identity';
import { startTestRuntime } from './support/local-runtime';

describe('caller proof (a signed GetCallerIdentity, through the AWS SDK and the runtime STS)', () => {
  let local: Awaited<ReturnType<typeof startTestRuntime>>;
  let sts: STSClient;

  beforeAll(async () => {
    local = await startTestRuntime();
    writeFileSync(
      path.join(local.dataDir, 'operators.json'),
      JSON.stringify({ accessKeys: { AKIAALICE: 'alice' } }),
    );
    sts = new STSClient({
      endpoint: local.runtime.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIAALICE', secretAccessKey: 'local' },
    });
  });

  afterAll(async () => {
    sts.destroy();
    await local.stop();
  });

  it('signs a GetCallerIdentity over the request hash, which the Replay function resolves to the signer', async () => {
    // Prepare
    const request = { action: 'park', queue: 'OrderToCashDlq', messageIds: ['m-1'], reason: 'INC-7' };

    // Act
    const { proof, arn } = await proveCaller(sts, request);
    const verified = await new StsCallerVerifier({ endpointOverride: local.runtime.endpoint }).callerArn({
      ...request,
      callerProof: proof,
    });

    // Assess
    expect(arn).toBe('arn:aws:iam::000000000000:user/alice');
    expect(verified).toBe(arn);
    expect(proof.body).toBe(getCallerIdentityBody);
    expect(proof.headers[requestHashHeader]).toBe(requestHash(request));
    expect(proof.headers.authorization).toMatch(
      new RegExp(
        `^AWS4-HMAC-SHA256 Credential=AKIAALICE/\\d{8}/us-east-1/sts/aws4_request, SignedHeaders=[^ ]*${requestHashHeader}`,
      ),
    );
  });
});
