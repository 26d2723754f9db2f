/**
 * A stand-in for HiBob's People read API (POST /v1/people/{identifier}), hosted by the ERP sandbox for local runs:
 * Bob's webhooks v2 carry no personal values, so employee-sync reads them here as it reads them from Bob.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Database from 'better-sqlite3';
import { sameSecret, sendJson } from './sandbox-http';

/** Where the stand-in answers, as Bob's API base (https://api.hibob.com/v1) is replaced by it. */
export const hibobApiPrefix = '/hibob/v1';

/**
 * Bob's answer to a request whose service user it does not know: 401 with its simple key/error pair
 * (https://apidocs.hibob.com/reference/error-handling).
 */
const unauthorized = {
  key: 'Unauthorized',
  error: 'The request could not be authenticated. Check your service user credentials.',
};

const schema = `CREATE TABLE IF NOT EXISTS hibob_people (id TEXT PRIMARY KEY, company_id TEXT NOT NULL, body TEXT NOT NULL, updated_at TEXT NOT NULL);`;

/**
 * The value of a Bob field id in an employee as Bob nests it: `root.x` is a top-level property (Bob's root category),
 * `work.title` is `work: { title }`.
 */
function valueAt(person: Record<string, unknown>, fieldId: string): unknown {
  const [category, ...rest] = fieldId.split('.');
  if (category === 'root') return person[rest.join('.')];
  let value: unknown = person[category as string];
  for (const part of rest) value = (value as Record<string, unknown> | undefined)?.[part];
  return value;
}

function setAt(target: Record<string, unknown>, fieldId: string, value: unknown): void {
  const [category, ...rest] = fieldId.split('.');
  const path = category === 'root' ? rest : [category as string, ...rest];
  let node = target;
  for (const part of path.slice(0, -1)) {
    node[part] ??= {};
    node = node[part] as Record<string, unknown>;
  }
  node[path.at(-1) as string] = value;
}

/** HiBob's People read API over the sandbox's database, and the admin routes a test uses to put people in it. */
export class HibobPeopleStandIn {
  /** `serviceUser`: the one service user it accepts (the sandbox's, which `npm start` puts in the stage's secret). */
  constructor(
    private readonly db: Database.Database,
    private readonly serviceUser: { id: string; token: string },
  ) {
    db.exec(schema);
  }

  /** Stores an employee as Bob would answer it in full (nested by category; root fields at the top). */
  putPerson(id: string, body: Record<string, unknown>): { id: string } {
    if (!/^[A-Za-z0-9-]{1,100}$/.test(id))
      throw new RangeError(`HiBob employee id ${JSON.stringify(id)} is not valid`);
    const person = body.person;
    if (typeof person !== 'object' || person === null || Array.isArray(person))
      throw new RangeError('person must be an object (Bob fields nested by category)');
    const companyId =
      typeof body.companyId === 'string' || typeof body.companyId === 'number' ? String(body.companyId) : '';
    if (companyId === '') throw new RangeError('companyId is required');
    this.db
      .prepare(
        'INSERT INTO hibob_people (id, company_id, body, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET company_id = excluded.company_id, body = excluded.body, updated_at = excluded.updated_at',
      )
      .run(id, companyId, JSON.stringify({ ...person, id }), new Date().toISOString());
    return { id };
  }

  /** Answers one request under the prefix as Bob does: 401 without the service user, 404 for an unknown employee. */
  handle(request: IncomingMessage, response: ServerResponse, url: URL, rawBody: Buffer): void {
    const [status, body] = this.answer(request, url, rawBody);
    sendJson(response, status, body);
  }

  private answer(request: IncomingMessage, url: URL, rawBody: Buffer): [number, unknown] {
    // Bob authenticates service users with HTTP Basic: id and token.
    const expected = `Basic ${Buffer.from(`${this.serviceUser.id}:${this.serviceUser.token}`).toString('base64')}`;
    if (!sameSecret(request.headers.authorization ?? '', expected)) return [401, unauthorized];
    const match = /^\/people\/([^/]+)$/.exec(url.pathname.slice(hibobApiPrefix.length));
    if (request.method !== 'POST' || !match) return [404, { error: 'Not Found' }];
    let body: { fields?: unknown };
    try {
      body = rawBody.length > 0 ? (JSON.parse(rawBody.toString('utf8')) as { fields?: unknown }) : {};
    } catch {
      return [400, { error: 'The body is not valid JSON' }];
    }
    if (!Array.isArray(body.fields) || body.fields.some((field) => typeof field !== 'string'))
      return [400, { error: 'fields must be a list of field ids' }];
    const row = this.db
      .prepare('SELECT body FROM hibob_people WHERE id = ?')
      .get(decodeURIComponent(match[1] as string)) as { body: string } | undefined;
    if (!row) return [404, { error: 'Employee not found' }];
    const person = JSON.parse(row.body) as Record<string, unknown>;
    // Bob answers only the fields asked for, and silently omits those it has no value (or permission) for.
    const answer: Record<string, unknown> = { id: person.id };
    for (const fieldId of body.fields as string[]) {
      const value = valueAt(person, fieldId);
      if (value !== undefined) setAt(answer, fieldId, value);
    }
    return [200, answer];
  }
}
