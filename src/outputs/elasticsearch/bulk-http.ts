/**
 * Bulk requests over node:http(s) keep-alive connections: what the output sends to
 * Elasticsearch or OpenSearch once the probe (client.ts) has identified the cluster.
 *
 * This replaced the Elastic client (`@elastic/elasticsearch`, whose transport the output used
 * for one call, POST /_bulk) on measured evidence (docs/delivery.md, "The Elasticsearch client"):
 * loading it cost 100–116 ms of CPU and 16–17 MiB of RSS in every `sluice run` (apache-arrow
 * for its ES|QL helpers, undici, OpenTelemetry), a tenth of the start-up and the margin of the
 * memory goal, for a request that needs none of it. The semantics the output relies on stay:
 * - errors are named like the client's (`ConnectionError`, `TimeoutError`, `ResponseError`
 *   with `meta.statusCode` and `meta.body`), which bulk.ts classifies for retries;
 * - no retries here (the output retries with backoff and knows which items to resend);
 * - several nodes: round robin, and a node whose connection failed or timed out is left out
 *   for a while (1 s, doubling to 60 s) while another is up; with all of them down, the one
 *   that failed longest ago is tried.
 * Plain `application/x-ndjson` and `application/json` media types: Elasticsearch 7.17 to 9.x
 * and OpenSearch all accept them (the 8.x client's `compatible-with=8` types are refused by
 * 7.x and OpenSearch).
 */
import type { Agent as HttpAgent, ClientRequest, IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type tls from 'node:tls';
import { scrub } from '../../config/secrets.js';
import { http } from '../../core/node-http.js';
import { SLUICE_VERSION } from '../../core/version.js';

/** Largest response body read (a bulk response of many rejected items is a few MiB at most). */
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
const DEAD_MIN_MS = 1000;
const DEAD_MAX_MS = 60_000;
const USER_AGENT = `sluice/${SLUICE_VERSION} (Node.js ${process.version})`;

export interface BulkHttpOptions {
  /** Node URLs without credentials (a path prefix is kept: https://proxy/es). */
  nodes: string[];
  /** `Authorization` header value, if any. */
  authorization?: string;
  /** TLS options for https:// nodes (CA, client certificate, pinned CA). */
  tls?: tls.ConnectionOptions;
  /** Time a request may take, from sending to the end of the answer. */
  timeoutMs: number;
  /** Connections kept per node (the output's request concurrency). */
  sockets: number;
}

/** A failed bulk request, named like the Elastic client's errors (bulk.ts decides on the name). */
export class BulkRequestError extends Error {
  constructor(
    name: 'ConnectionError' | 'TimeoutError' | 'ResponseError',
    message: string,
    readonly meta: { statusCode?: number; body?: unknown } = {},
    readonly code?: string,
  ) {
    super(message);
    this.name = name;
  }
}

interface Node {
  url: URL;
  /** Node path prefix without the trailing slash. */
  prefix: string;
  failures: number;
  deadUntil: number;
}

export class BulkHttp {
  private readonly nodes: Node[];
  private readonly agent: HttpAgent;
  private readonly https: boolean;
  private next = 0;

  constructor(private readonly options: BulkHttpOptions, private readonly now = Date.now) {
    this.nodes = options.nodes.map((n) => {
      const url = new URL(n);
      return { url, prefix: url.pathname.replace(/\/$/, ''), failures: 0, deadUntil: 0 };
    });
    this.https = this.nodes[0].url.protocol === 'https:';
    const agentOptions = { keepAlive: true, maxSockets: options.sockets, maxFreeSockets: options.sockets, scheduling: 'lifo' as const };
    this.agent = this.https ? new HttpsAgent({ ...agentOptions, ...options.tls }) : new http.Agent(agentOptions);
  }

  /** POSTs an NDJSON body to `path` (with its query) and returns the parsed 2xx answer. */
  send(path: string, body: Buffer): Promise<any> {
    const node = this.pick();
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (err: BulkRequestError | undefined, value?: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err && err.name !== 'ResponseError') this.failed(node);
        else this.succeeded(node);
        if (err) reject(err);
        else resolve(value);
      };
      const { url } = node;
      const req: ClientRequest = (this.https ? httpsRequest : http.request)(
        {
          protocol: url.protocol,
          hostname: url.hostname.replace(/^\[|\]$/g, ''),
          port: url.port || (this.https ? 443 : 80),
          path: `${node.prefix}${path}`,
          method: 'POST',
          agent: this.agent,
          headers: {
            'content-type': 'application/x-ndjson',
            accept: 'application/json',
            'content-length': body.length,
            // In the cluster's slow log and audit trail: who sent this.
            'user-agent': USER_AGENT,
            ...(this.options.authorization ? { authorization: this.options.authorization } : {}),
          },
        },
        (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          let bytes = 0;
          res.on('data', (c: Buffer) => {
            bytes += c.length;
            if (bytes > MAX_RESPONSE_BYTES) {
              req.destroy();
              finish(new BulkRequestError('ConnectionError', `${url.origin}: the answer exceeded ${MAX_RESPONSE_BYTES} bytes`));
              return;
            }
            chunks.push(c);
          });
          res.on('error', (err) => finish(connectionError(url, err)));
          res.on('close', () => {
            if (!res.complete) finish(new BulkRequestError('ConnectionError', `${url.origin}: the connection closed during the answer`, {}, 'ECONNRESET'));
          });
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            const text = chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8');
            let json: unknown;
            try {
              json = text ? JSON.parse(text) : undefined;
            } catch {
              json = undefined;
            }
            if (status >= 200 && status < 300) {
              // A 2xx without a JSON body (a proxy's page): the request may not have reached
              // the cluster; resending is safe (the output's ids make it idempotent).
              if (json === undefined) finish(new BulkRequestError('ConnectionError', `${url.origin}: HTTP ${status} without a JSON answer: ${scrub(text.slice(0, 200))}`));
              else finish(undefined, json);
              return;
            }
            finish(new BulkRequestError('ResponseError', `HTTP ${status}: ${reasonOf(json, text)}`, { statusCode: status, body: json ?? text.slice(0, 1000) }));
          });
        },
      );
      const timer = setTimeout(() => {
        req.destroy();
        finish(new BulkRequestError('TimeoutError', `${url.origin}: no complete answer within ${this.options.timeoutMs} ms`, {}, 'ETIMEDOUT'));
      }, this.options.timeoutMs);
      req.on('error', (err) => finish(connectionError(url, err)));
      req.end(body);
    });
  }

  /** Closes the kept connections (requests in flight fail as connection errors). */
  close(): void {
    this.agent.destroy();
  }

  /** The next node in turn that is not left out; with all left out, the one that failed longest ago. */
  private pick(): Node {
    const now = this.now();
    for (let i = 0; i < this.nodes.length; i++) {
      const node = this.nodes[(this.next + i) % this.nodes.length];
      if (node.deadUntil <= now) {
        this.next = (this.next + i + 1) % this.nodes.length;
        return node;
      }
    }
    return this.nodes.reduce((a, b) => (b.deadUntil < a.deadUntil ? b : a));
  }

  private failed(node: Node): void {
    node.failures++;
    node.deadUntil = this.now() + Math.min(DEAD_MAX_MS, DEAD_MIN_MS * 2 ** Math.min(node.failures - 1, 16));
  }

  private succeeded(node: Node): void {
    node.failures = 0;
    node.deadUntil = 0;
  }
}

function connectionError(url: URL, err: Error): BulkRequestError {
  const e = err as NodeJS.ErrnoException;
  return new BulkRequestError('ConnectionError', `${url.origin}: ${e.code ? `${e.code} ` : ''}${scrub(e.message)}`.trim(), {}, e.code);
}

/** The reason of an error answer: Elasticsearch's `error.type: error.reason`, or the start of the text. */
function reasonOf(json: any, text: string): string {
  const error = json?.error;
  if (error && typeof error === 'object') return scrub(`${error.type ?? 'error'}: ${error.reason ?? ''}`.slice(0, 500));
  if (typeof error === 'string') return scrub(error.slice(0, 500));
  return scrub(text.replace(/\s+/g, ' ').trim().slice(0, 200)) || '(empty body)';
}
