/** Stopping an HTTP server the graceful way: no new connections, in-flight requests finish, stragglers are cut. */
import type { Server } from 'node:http';

/** Closes idle connections at once, lets requests in flight finish for up to `graceMs`, then closes the rest. */
export async function closeGracefully(server: Server | undefined, graceMs: number): Promise<void> {
  if (!server) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), graceMs);
  await closed;
  clearTimeout(timer);
}
