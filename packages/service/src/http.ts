import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface OpsServerOptions {
  port: number;
  /** Address to listen on; loopback unless the deployment opens it (compose: 0.0.0.0 inside its network). */
  host?: string;
  registry: Registry;
  /** Returns ok=false to answer 503. Details are shown as JSON. */
  health: () => { ok: boolean; [detail: string]: unknown };
}

/** /healthz (JSON, 200 or 503) and /metrics (Prometheus text) for a long-running service. */
export async function startOpsServer(
  options: OpsServerOptions,
): Promise<{ server: Server; port: number; close: () => Promise<void> }> {
  const server = createServer(async (req, res) => {
    if (req.url === '/healthz') {
      const state = options.health();
      res.writeHead(state.ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify(state));
    } else if (req.url === '/metrics') {
      res.writeHead(200, { 'content-type': options.registry.contentType });
      res.end(await options.registry.metrics());
    } else {
      res.writeHead(404).end('not found: try /healthz or /metrics\n');
    }
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port, options.host ?? '127.0.0.1', () => ok());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}
