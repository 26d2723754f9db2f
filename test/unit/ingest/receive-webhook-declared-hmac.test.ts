import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { receiveWebhook } from '../../../functions/ingest-webhook/receive-webhook';
import { SignatureInvalidError } from '../../../functions/shared/errors';
import type { WebhookRequest } from '../../../functions/shared/sources/webhook-request';
import { inMemoryIngest, StaticSecrets } from '../../support/in-memory-ports';

const joinedBody = readFileSync(path.join(__dirname, '../../fixtures/hibob/employee-joined.json'), 'utf8');
const [currentSecret, previousSecret] = ['bob-current-8c1d', 'bob-previous-2a7e'];

function signedHibob(body: string, secret: string): WebhookRequest {
  return {
    sourceName: 'hibob',
    method: 'POST',
    url: 'https://hooks.concord.example/webhooks/hibob',
    headers: {
      'content-type': 'application/json',
      'bob-signature': createHmac('sha512', secret).update(body, 'utf8').digest('base64'),
    },
    body: Buffer.from(body, 'utf8'),
    receivedAt: new Date(),
  };
}

function ingest() {
  return inMemoryIngest({ secrets: new StaticSecrets({ hibob: [currentSecret, previousSecret] }) });
}

describe('receiveWebhook (declared hmac source)', () => {
  it('publishes a signed HiBob delivery as its canonical event and archives it with the signature redacted', async () => {
    // Prepare
    const { deps, publisher, archive } = ingest();
    // Act
    const outcome = await receiveWebhook(signedHibob(joinedBody, currentSecret), deps);
    // Assess
    expect(outcome.kind).toBe('accepted');
    expect(publisher.published).toEqual([
      expect.objectContaining({ type: 'hr.employee.hired.v1', subject: 'employee/3332883854254932743' }),
    ]);
    expect(archive.raw[0]?.headers['bob-signature']).toBe('[redacted]');
  });

  it('answers Bob retrying the same delivery as a duplicate (dedupe id from the payload)', async () => {
    // Prepare
    const { deps, publisher } = ingest();
    await receiveWebhook(signedHibob(joinedBody, currentSecret), deps);
    // Act
    const retry = await receiveWebhook(signedHibob(joinedBody, previousSecret), deps);
    // Assess
    expect(retry.kind).toBe('duplicate');
    expect(publisher.published).toHaveLength(1);
  });

  it('rejects a wrong signature and publishes nothing', async () => {
    // Prepare
    const { deps, publisher, archive } = ingest();
    // Act & Assess
    await expect(receiveWebhook(signedHibob(joinedBody, 'not-the-secret'), deps)).rejects.toThrow(
      SignatureInvalidError,
    );
    expect(publisher.published).toHaveLength(0);
    expect(archive.raw).toHaveLength(0);
  });
});
