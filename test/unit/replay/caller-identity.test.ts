import {
  CallerNotVerifiedError,
  type CallerProof,
  getCallerIdentityBody,
  operatorOf,
  requestHash,
  requestHashHeader,
  StsCallerVerifier,
} from '../../../functions/replay/caller-identity';

const identityXml = `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult><Arn>arn:aws:sts::123456789012:assumed-role/OpsAdmin/jane@example.com</Arn>
  <UserId>AROAEXAMPLE:jane@example.com</UserId><Account>123456789012</Account></GetCallerIdentityResult>
  <ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`;

const park = { action: 'park', queue: 'OrderToCashDlq', messageIds: ['m-1'], reason: 'INC-7' };

function proofFor(request: Record<string, unknown>, overrides: Partial<CallerProof> = {}): CallerProof {
  return {
    host: 'sts.eu-west-1.amazonaws.com',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      host: 'sts.eu-west-1.amazonaws.com',
      'x-amz-date': '20260101T000000Z',
      'x-amz-security-token': 'token',
      [requestHashHeader]: requestHash(request),
      authorization: `AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20260101/eu-west-1/sts/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;${requestHashHeader}, Signature=abc`,
    },
    body: getCallerIdentityBody,
    ...overrides,
  };
}

/** A fetch that records what it was asked and answers as STS would. */
function stsFetch(status = 200, body = identityXml) {
  const calls: { url: string; init: RequestInit }[] = [];
  const fake = (async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    return new Response(body, { status, headers: { 'content-type': 'text/xml' } });
  }) as unknown as typeof fetch;
  return { calls, fake };
}

describe('StsCallerVerifier', () => {
  it('sends only the signed headers, with this request hash, to the STS host the proof was signed for', async () => {
    // Prepare
    const sts = stsFetch();
    const verifier = new StsCallerVerifier({ fetch: sts.fake });

    // Act
    const arn = await verifier.callerArn({ ...park, callerProof: proofFor(park) });

    // Assess
    expect(arn).toBe('arn:aws:sts::123456789012:assumed-role/OpsAdmin/jane@example.com');
    expect(sts.calls).toHaveLength(1);
    expect(sts.calls[0]?.url).toBe('https://sts.eu-west-1.amazonaws.com/');
    expect(sts.calls[0]?.init.body).toBe(getCallerIdentityBody);
    expect(Object.keys(sts.calls[0]?.init.headers as Record<string, string>).sort()).toEqual(
      ['authorization', 'content-type', requestHashHeader, 'x-amz-date', 'x-amz-security-token'].sort(),
    );
  });

  it('sends the hash of the request it got, so a proof made for another request fails STS signature check', async () => {
    // Prepare
    const sts = stsFetch();
    const verifier = new StsCallerVerifier({ fetch: sts.fake });
    const tampered = { ...park, messageIds: ['m-1', 'm-2'] };

    // Act
    await verifier.callerArn({ ...tampered, callerProof: proofFor(park) });

    // Assess
    const sent = (sts.calls[0]?.init.headers as Record<string, string> | undefined)?.[requestHashHeader];
    expect(sent).toBe(requestHash(tampered));
    expect(sent).not.toBe(requestHash(park));
  });

  it('rejects a request without a proof, and calls no one', async () => {
    // Prepare
    const sts = stsFetch();
    const verifier = new StsCallerVerifier({ fetch: sts.fake });

    // Act
    const failure = verifier.callerArn({ ...park });

    // Assess
    await expect(failure).rejects.toThrow(CallerNotVerifiedError);
    await expect(failure).rejects.toThrow('"callerProof" is required');
    expect(sts.calls).toHaveLength(0);
  });

  it('rejects a proof of another STS action', async () => {
    // Prepare
    const verifier = new StsCallerVerifier({ fetch: stsFetch().fake });
    const proof = proofFor(park, { body: 'Action=AssumeRole&Version=2011-06-15' });

    // Act
    const failure = verifier.callerArn({ ...park, callerProof: proof });

    // Assess
    await expect(failure).rejects.toThrow('is not a GetCallerIdentity request');
  });

  it('rejects a proof whose signature does not cover the request hash', async () => {
    // Prepare
    const verifier = new StsCallerVerifier({ fetch: stsFetch().fake });
    const proof = proofFor(park);
    proof.headers.authorization = proof.headers.authorization?.replace(`;${requestHashHeader}`, '') ?? '';

    // Act
    const failure = verifier.callerArn({ ...park, callerProof: proof });

    // Assess
    await expect(failure).rejects.toThrow(`is not a SigV4 signature over ${requestHashHeader}`);
  });

  it('rejects a proof signed for a host that is not STS, so no one else can answer for the caller', async () => {
    // Prepare
    const sts = stsFetch();
    const verifier = new StsCallerVerifier({ fetch: sts.fake });

    // Act
    const failure = verifier.callerArn({
      ...park,
      callerProof: proofFor(park, { host: 'evil.example.com' }),
    });

    // Assess
    await expect(failure).rejects.toThrow('which is not an STS endpoint');
    expect(sts.calls).toHaveLength(0);
  });

  it('sends every proof to the endpoint override (the embedded runtime) when one is configured', async () => {
    // Prepare
    const sts = stsFetch();
    const verifier = new StsCallerVerifier({ fetch: sts.fake, endpointOverride: 'http://127.0.0.1:4566' });

    // Act
    await verifier.callerArn({ ...park, callerProof: proofFor(park, { host: '127.0.0.1:4566' }) });

    // Assess
    expect(sts.calls[0]?.url).toBe('http://127.0.0.1:4566');
  });

  it('rejects with STS error code and message when STS refuses the signature', async () => {
    // Prepare
    const refusal =
      '<ErrorResponse><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match</Message></Error></ErrorResponse>';
    const verifier = new StsCallerVerifier({ fetch: stsFetch(403, refusal).fake });

    // Act
    const failure = verifier.callerArn({ ...park, callerProof: proofFor(park) });

    // Assess
    await expect(failure).rejects.toThrow(
      "STS refused the caller's proof: SignatureDoesNotMatch: The request signature we calculated does not match",
    );
  });
});

describe('requestHash', () => {
  it('does not depend on key order, nor on the proof itself', () => {
    // Prepare
    const reordered = { reason: 'INC-7', messageIds: ['m-1'], queue: 'OrderToCashDlq', action: 'park' };

    // Act
    const hashes = [requestHash(park), requestHash({ ...reordered, callerProof: proofFor(park) })];

    // Assess
    expect(hashes[1]).toBe(hashes[0]);
  });
});

describe('operatorOf', () => {
  it('names an assumed role by its session, an IAM user by its name, anything else by its ARN', () => {
    // Act
    const names = [
      operatorOf('arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Ops_1a2b/jane@example.com'),
      operatorOf('arn:aws:iam::000000000000:user/ops/alice'),
      operatorOf('arn:aws:iam::123456789012:root'),
    ];

    // Assess
    expect(names).toEqual(['jane@example.com', 'alice', 'arn:aws:iam::123456789012:root']);
  });
});
