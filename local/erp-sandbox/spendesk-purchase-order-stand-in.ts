/**
 * The sandbox's stand-in for the procurement platform's purchase-order API (Spendesk's tenant), where Concord writes
 * back the ERP's PO number and three-way match status. Spendesk documents no purchase-order write API
 * (docs/purchase-orders.md): the route is Concord's assumption, and the one thing a real connector replaces.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Database from 'better-sqlite3';
import { sameSecret, sendJson } from './sandbox-http';

/** Where the stand-in answers: {sandbox}/spendesk/v1/…. */
export const spendeskApiPrefix = '/spendesk/v1';

const statuses = [
  'created',
  'refused',
  'awaiting-receipt',
  'awaiting-invoice',
  'price-mismatch',
  'quantity-mismatch',
  'matched',
];

/** What the platform holds of the ERP's view of one purchase order. */
export interface PlatformPurchaseOrderErpStatus {
  purchaseOrderId: string;
  erpStatus: string;
  poNumber?: string;
  matchStatus?: string;
  reason?: string;
  /** The ERP's version of the order the status describes: an older write arriving late does not overwrite a newer. */
  erpVersion: number;
  updatedAt: string;
  /** How many writes the platform took for the order, older ones it ignored included. */
  writes: number;
}

class StandInAnswerError extends Error {
  override readonly name = 'StandInAnswerError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The purchase-order ERP status of a Spendesk tenant, over the sandbox's database. */
export class SpendeskPurchaseOrderStandIn {
  /** `apiToken`: the bearer token it takes (sandbox-credentials.ts; `npm start` loads it into the stage's secret). */
  constructor(
    private readonly db: Database.Database,
    private readonly apiToken: string,
  ) {
    db.exec(`CREATE TABLE IF NOT EXISTS spendesk_po_status (purchase_order_id TEXT PRIMARY KEY, status_json TEXT NOT NULL,
  erp_version INTEGER NOT NULL, writes INTEGER NOT NULL);`);
  }

  /** The ERP status the platform shows for a purchase order, if any was written. */
  status(purchaseOrderId: string): PlatformPurchaseOrderErpStatus | undefined {
    const row = this.db
      .prepare('SELECT status_json, writes FROM spendesk_po_status WHERE purchase_order_id = ?')
      .get(purchaseOrderId) as { status_json: string; writes: number } | undefined;
    return row ? { ...JSON.parse(row.status_json), writes: row.writes } : undefined;
  }

  /** Records a write; the highest ERP version wins, so a write delivered late never turns a newer status back. */
  write(
    purchaseOrderId: string,
    body: Record<string, unknown>,
  ): { applied: boolean } & PlatformPurchaseOrderErpStatus {
    if (!statuses.includes(String(body.erpStatus)))
      throw new StandInAnswerError(422, `erpStatus must be one of ${statuses.join(', ')}`);
    if (!Number.isSafeInteger(body.erpVersion) || (body.erpVersion as number) < 0)
      throw new StandInAnswerError(422, 'erpVersion must be a non-negative integer');
    for (const name of ['poNumber', 'matchStatus', 'reason'])
      if (body[name] !== undefined && (typeof body[name] !== 'string' || body[name] === ''))
        throw new StandInAnswerError(422, `${name} must be a non-empty string when given`);
    const record = {
      purchaseOrderId,
      erpStatus: body.erpStatus as string,
      ...(body.poNumber ? { poNumber: body.poNumber as string } : {}),
      ...(body.matchStatus ? { matchStatus: body.matchStatus as string } : {}),
      ...(body.reason ? { reason: (body.reason as string).slice(0, 500) } : {}),
      erpVersion: body.erpVersion as number,
      updatedAt: new Date().toISOString(),
    };
    return this.db.transaction(() => {
      const current = this.status(purchaseOrderId);
      const applied = !current || record.erpVersion >= current.erpVersion;
      if (!current)
        this.db
          .prepare(
            'INSERT INTO spendesk_po_status (purchase_order_id, status_json, erp_version, writes) VALUES (?, ?, ?, 1)',
          )
          .run(purchaseOrderId, JSON.stringify(record), record.erpVersion);
      else if (applied)
        this.db
          .prepare(
            'UPDATE spendesk_po_status SET status_json = ?, erp_version = ?, writes = writes + 1 WHERE purchase_order_id = ?',
          )
          .run(JSON.stringify(record), record.erpVersion, purchaseOrderId);
      else
        this.db
          .prepare('UPDATE spendesk_po_status SET writes = writes + 1 WHERE purchase_order_id = ?')
          .run(purchaseOrderId);
      return { applied, ...(this.status(purchaseOrderId) as PlatformPurchaseOrderErpStatus) };
    })();
  }

  /** Serves PUT and GET /spendesk/v1/purchase-orders/{id}/erp-status behind a bearer token. */
  handle(request: IncomingMessage, response: ServerResponse, url: URL, body: Buffer): void {
    try {
      if (!sameSecret(request.headers.authorization ?? '', `Bearer ${this.apiToken}`))
        throw new StandInAnswerError(401, 'A valid bearer token is required');
      const match = /^\/spendesk\/v1\/purchase-orders\/([^/]+)\/erp-status$/.exec(url.pathname);
      if (!match) throw new StandInAnswerError(404, `${url.pathname} is not a Spendesk stand-in route`);
      const id = decodeURIComponent(match[1] as string);
      if (request.method === 'GET') {
        const status = this.status(id);
        if (!status) throw new StandInAnswerError(404, `Purchase order ${id} has no ERP status`);
        sendJson(response, 200, status);
        return;
      }
      if (request.method !== 'PUT') throw new StandInAnswerError(405, 'Only GET and PUT');
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch {
        throw new StandInAnswerError(400, 'The body is not JSON');
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
        throw new StandInAnswerError(400, 'The body must be a JSON object');
      sendJson(response, 200, this.write(id, parsed as Record<string, unknown>));
    } catch (error) {
      if (!(error instanceof StandInAnswerError)) throw error;
      sendJson(response, error.status, { error: error.message });
    }
  }
}
