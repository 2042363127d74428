/**
 * The HTTP listener of `sluice run`: `/healthz` (the process is alive and its event loop
 * answers), `/readyz` (every pipeline connected, assigned, and making progress or idle with
 * no lag; 503 with the reasons otherwise) and `/metrics` (Prometheus text format).
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { scrub } from '../config/secrets.js';
import { http } from '../core/node-http.js';

export interface HttpServer {
  /** The address and port actually bound (port 0 picks a free one). */
  address: string;
  port: number;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  // Error texts in /readyz and /metrics come from clients: never let a secret through.
  res.end(scrub(body));
}

/**
 * What the listener serves: one process's metrics (SluiceMetrics), or the sum over the
 * worker processes of `sluice run --workers N` (cli/workers.ts).
 */
export interface HttpSource {
  readiness(): { ready: boolean } | Promise<{ ready: boolean }>;
  render(): Promise<string>;
  readonly contentType: string;
}

export async function startHttpServer(metrics: HttpSource, opts: { address: string; port: number }): Promise<HttpServer> {
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
    }
    switch (path) {
      case '/healthz':
        return send(res, 200, 'text/plain; charset=utf-8', 'ok\n');
      case '/readyz': {
        const r = await metrics.readiness();
        return send(res, r.ready ? 200 : 503, 'application/json', `${JSON.stringify({ status: r.ready ? 'ready' : 'unready', ...r }, null, 2)}\n`);
      }
      case '/metrics':
        return send(res, 200, metrics.contentType, await metrics.render());
      case '/':
        return send(res, 200, 'text/plain; charset=utf-8', 'sluice: /healthz /readyz /metrics\n');
      default:
        return send(res, 404, 'text/plain; charset=utf-8', 'not found (try /healthz, /readyz, /metrics)\n');
    }
  };
  const server: Server = http.createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', `${err.message}\n`);
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.address, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Never keep the process alive just for the listener: `run` ends when its pipelines stop.
  server.unref();
  const bound = server.address() as AddressInfo;
  return {
    address: bound.address,
    port: bound.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
