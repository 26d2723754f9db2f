/** The write-back port for local stages and tests: the ERP sandbox records each update in its platform outbox. */
import {
  PlatformRefusedError,
  type PlatformStatusPort,
  type PlatformStatusUpdate,
  PlatformUnavailableError,
} from './platform-status-port';

/** Where the sandbox is and how long to wait for it. */
export interface SandboxPlatformOutboxOptions {
  baseUrl: string;
  timeoutMs?: number;
}

/** Records status updates with POST /platform-outbox, honouring the idempotency key. */
export class SandboxPlatformOutbox implements PlatformStatusPort {
  constructor(private readonly options: SandboxPlatformOutboxOptions) {}

  async send(update: PlatformStatusUpdate, idempotencyKey: string): Promise<void> {
    let response: Response;
    try {
      response = await fetch(`${this.options.baseUrl}/platform-outbox`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
        body: JSON.stringify(update),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000),
      });
    } catch (error) {
      throw new PlatformUnavailableError(`Platform outbox did not answer: ${(error as Error).message}`, {
        cause: error,
      });
    }
    if (response.ok) return;
    const detail = await response.text();
    if (response.status === 429 || response.status >= 500)
      throw new PlatformUnavailableError(`Platform outbox failed with ${response.status}: ${detail}`);
    throw new PlatformRefusedError(`Platform outbox refused the update (${response.status}): ${detail}`);
  }
}
