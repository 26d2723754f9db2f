import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SignatureInvalidError } from '../../../functions/shared/errors';
import { buildEvents } from '../../../functions/shared/events/canonical-events';
import { validateCanonicalEvent } from '../../../functions/shared/events/envelope';
import { loadSourceRegistry } from '../../../functions/shared/sources/source-registry';
import type { WebhookRequest } from '../../../functions/shared/sources/webhook-request';

const fixture = (name: string) => readFileSync(path.join(__dirname, '../../fixtures/hibob', name), 'utf8');
const secret = 'bob-webhook-secret-3f9a';

/** A HiBob delivery signed by Bob's documented rule: Base64(HmacSHA512(secret as UTF-8, body)) in Bob-Signature. */
function signedHibob(body: string, signingSecret = secret): WebhookRequest {
  return {
    sourceName: 'hibob',
    method: 'POST',
    url: 'https://hooks.concord.example/webhooks/hibob',
    headers: {
      'content-type': 'application/json',
      'bob-signature': createHmac('sha512', Buffer.from(signingSecret, 'utf8')).update(body).digest('base64'),
    },
    body: Buffer.from(body, 'utf8'),
    receivedAt: new Date('2026-11-20T15:00:00Z'),
  };
}

async function verifyMapValidate(request: WebhookRequest) {
  const source = loadSourceRegistry().get('hibob');
  if (!source) throw new Error('hibob is not registered');
  source.verify(request, [secret]);
  const deliveries = await source.map(request, JSON.parse(request.body.toString('utf8')));
  return { deliveries, events: buildEvents(request, deliveries).map((item) => item.event) };
}

describe('hibob source (declared)', () => {
  it('is declared with the hmac scheme, an owner and a criticality', () => {
    // Act
    const source = loadSourceRegistry().get('hibob');
    // Assess
    expect(source).toMatchObject({
      scheme: 'hmac',
      system: 'hr',
      owner: 'people-systems',
      criticality: 'compliance-sensitive',
      signatureHeaders: ['bob-signature'],
    });
  });

  it('maps employee.joined to a valid hr.employee.hired.v1 carrying the effective date', async () => {
    // Act
    const { deliveries, events } = await verifyMapValidate(signedHibob(fixture('employee-joined.json')));
    // Assess
    expect(events).toHaveLength(1);
    const [event] = events;
    expect(validateCanonicalEvent(event as never)).toEqual([]);
    expect(event).toMatchObject({
      type: 'hr.employee.hired.v1',
      source: 'hibob://acme',
      subject: 'employee/3332883854254932743',
      time: '2026-11-02T00:00:04.118Z',
      data: {
        sourceEmployeeId: '3332883854254932743',
        sourceCompanyId: '636192',
        changedBy: 'system',
        effectiveDate: '2026-11-02',
      },
    });
    expect(deliveries[0]?.deliveryId).toBe('employee.joined:3332883854254932743:2026-11-02T00:00:04.118203');
  });

  it('maps employee.updated to a valid hr.employee.changed.v1 listing the changed fields', async () => {
    // Act
    const { events } = await verifyMapValidate(signedHibob(fixture('employee-updated.json')));
    // Assess
    expect(validateCanonicalEvent(events[0] as never)).toEqual([]);
    expect(events[0]).toMatchObject({
      type: 'hr.employee.changed.v1',
      data: { changedFields: ['/work/department', '/work/site'], changedBy: '3332883804594373380' },
    });
  });

  it('maps employee.left to a valid hr.employee.terminated.v1 carrying the effective date', async () => {
    // Act
    const { events } = await verifyMapValidate(signedHibob(fixture('employee-left.json')));
    // Assess
    expect(validateCanonicalEvent(events[0] as never)).toEqual([]);
    expect(events[0]).toMatchObject({
      type: 'hr.employee.terminated.v1',
      data: { sourceEmployeeId: '3332883854254932743', effectiveDate: '2026-12-31' },
    });
  });

  it('prefers the effective date the payload carries over the trigger time', async () => {
    // Prepare
    const payload = JSON.parse(fixture('employee-left.json'));
    payload.data.effectiveDate = '2027-01-15';
    // Act
    const { events } = await verifyMapValidate(signedHibob(JSON.stringify(payload)));
    // Assess
    expect(events[0]?.data).toMatchObject({ effectiveDate: '2027-01-15' });
  });

  it('orders a later change of the same employee after an earlier one', async () => {
    // Act
    const hired = await verifyMapValidate(signedHibob(fixture('employee-joined.json')));
    const left = await verifyMapValidate(signedHibob(fixture('employee-left.json')));
    // Assess
    expect(left.events[0]?.entityversion).toBeGreaterThan(hired.events[0]?.entityversion ?? Infinity);
  });

  it('ignores an event type it does not synchronise, with the reason', async () => {
    // Act
    const { deliveries, events } = await verifyMapValidate(signedHibob(fixture('table-entry-created.json')));
    // Assess
    expect(events).toEqual([]);
    expect(deliveries).toEqual([
      expect.objectContaining({
        kind: 'ignored',
        reason: 'hibob event type table.entry.created is not synchronised',
      }),
    ]);
  });

  it('rejects a delivery signed with another secret', async () => {
    // Act & Assess
    await expect(
      verifyMapValidate(signedHibob(fixture('employee-joined.json'), 'an-attacker-secret')),
    ).rejects.toThrow(SignatureInvalidError);
  });

  it('rejects a body changed after signing', async () => {
    // Prepare
    const request = signedHibob(fixture('employee-left.json'));
    const tampered = {
      ...request,
      body: Buffer.from(request.body.toString('utf8').replace('2026-12-31', '2026-12-01')),
    };
    // Act & Assess
    await expect(verifyMapValidate(tampered)).rejects.toThrow(SignatureInvalidError);
  });
});
