/**
 * The bulk sender against throwaway HTTP servers on loopback (this module's own behaviour:
 * headers, error names, node rotation, timeouts). The output against real Elasticsearch and
 * OpenSearch is tested in test/ (e2e, faults, compat).
 */
import { afterEach, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort } from '../../../test/helpers/ports.js';
import { BulkHttp, type BulkRequestError } from './bulk-http.js';

const servers: { close(): void }[] = [];
const senders: BulkHttp[] = [];
afterEach(() => {
  for (const s of senders.splice(0)) s.close();
  for (const s of servers.splice(0)) s.close();
});

interface Seen {
  method?: string;
  url?: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A server answering every request with `answer`; records what it was sent and its connections. */
async function server(answer: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<{ url: string; seen: Seen[]; connections: () => number }> {
  const seen: Seen[] = [];
  let connections = 0;
  const s = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body });
      answer(req, res);
    });
  });
  s.on('connection', () => connections++);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  servers.push({ close: () => s.close() });
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, seen, connections: () => connections };
}


function sender(nodes: string[], extra: Partial<ConstructorParameters<typeof BulkHttp>[0]> = {}, now?: () => number): BulkHttp {
  const b = new BulkHttp({ nodes, timeoutMs: 5000, sockets: 2, ...extra }, now);
  senders.push(b);
  return b;
}

const json = (status: number, body: unknown) => (_req: http.IncomingMessage, res: http.ServerResponse) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

describe('bulk HTTP sender', () => {
  it('POSTs the NDJSON body under the node path prefix with its media type and credentials, and returns the parsed answer', async () => {
    const es = await server(json(200, { errors: false, items: [{ index: { status: 201 } }] }));
    const b = sender([`${es.url}/es/`], { authorization: 'ApiKey abc' });
    const body = Buffer.from('{"index":{"_index":"x"}}\n{"a":1}\n');
    expect(await b.send('/_bulk?filter_path=errors', body)).toEqual({ errors: false, items: [{ index: { status: 201 } }] });
    expect(es.seen[0]).toMatchObject({ method: 'POST', url: '/es/_bulk?filter_path=errors', body: body.toString() });
    expect(es.seen[0].headers).toMatchObject({ 'content-type': 'application/x-ndjson', accept: 'application/json', authorization: 'ApiKey abc', 'content-length': String(body.length) });
    expect(es.seen[0].headers['user-agent']).toMatch(/^sluice\/\d+\.\d+\.\d+ \(Node\.js v\d+/);
  });

  it('keeps its connection for the next request', async () => {
    const es = await server(json(200, { errors: false, items: [] }));
    const b = sender([es.url]);
    for (let i = 0; i < 5; i++) await b.send('/_bulk', Buffer.from('{}\n'));
    expect(es.seen).toHaveLength(5);
    expect(es.connections()).toBe(1);
  });

  it('names an error answer ResponseError with its status, body and Elasticsearch reason', async () => {
    const es = await server(json(429, { error: { type: 'es_rejected_execution_exception', reason: 'rejected execution' }, status: 429 }));
    const err = (await sender([es.url]).send('/_bulk', Buffer.from('{}\n')).catch((e) => e)) as BulkRequestError;
    expect(err.name).toBe('ResponseError');
    expect(err.meta.statusCode).toBe(429);
    expect(err.meta.body).toMatchObject({ status: 429 });
    expect(err.message).toBe('HTTP 429: es_rejected_execution_exception: rejected execution');
  });

  it('names a refused connection ConnectionError, and sends the next request to another node', async () => {
    const es = await server(json(200, { errors: false, items: [] }));
    const dead = `http://127.0.0.1:${await freePort()}`;
    const b = sender([dead, es.url]);
    const err = (await b.send('/_bulk', Buffer.from('{}\n')).catch((e) => e)) as BulkRequestError;
    expect(err.name).toBe('ConnectionError');
    expect(err.code).toBe('ECONNREFUSED');
    // The dead node is left out while the other one is up: every later request goes there.
    for (let i = 0; i < 4; i++) await b.send('/_bulk', Buffer.from('{}\n'));
    expect(es.seen).toHaveLength(4);
  });

  it('tries a left-out node again once its time is up, and the node that failed longest ago when all are out', async () => {
    let t = 0;
    const a = `http://127.0.0.1:${await freePort()}`;
    const c = `http://127.0.0.1:${await freePort()}`;
    const b = sender([a, c], {}, () => t);
    const first = (await b.send('/_bulk', Buffer.from('{}\n')).catch((e) => e)) as Error;
    t = 10;
    const second = (await b.send('/_bulk', Buffer.from('{}\n')).catch((e) => e)) as Error;
    expect(first.message).toContain(a);
    expect(second.message).toContain(c);
    // Both out: the one that failed first (a, out until 1000) before c (out until 1010).
    const third = (await b.send('/_bulk', Buffer.from('{}\n')).catch((e) => e)) as Error;
    expect(third.message).toContain(a);
    // a failed twice now (out for 2 s from t=10): c's second is due first.
    t = 1010;
    const fourth = (await b.send('/_bulk', Buffer.from('{}\n')).catch((e) => e)) as Error;
    expect(fourth.message).toContain(c);
  });

  it('names a request without a complete answer in time TimeoutError', async () => {
    const es = await server(() => {
      // never answers
    });
    const err = (await sender([es.url], { timeoutMs: 200 }).send('/_bulk', Buffer.from('{}\n')).catch((e) => e)) as BulkRequestError;
    expect(err.name).toBe('TimeoutError');
    expect(err.message).toMatch(/no complete answer within 200 ms/);
  });

  it('names a 2xx answer that is not JSON (a proxy page) and a connection cut during the answer ConnectionError, to be resent', async () => {
    const page = await server((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>maintenance</html>');
    });
    const cut = await server((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"errors":false,');
      setImmediate(() => res.socket?.destroy());
    });
    const e1 = (await sender([page.url]).send('/_bulk', Buffer.from('{}\n')).catch((e) => e)) as BulkRequestError;
    expect([e1.name, e1.message]).toEqual(['ConnectionError', `${page.url}: HTTP 200 without a JSON answer: <html>maintenance</html>`]);
    const e2 = (await sender([cut.url]).send('/_bulk', Buffer.from('{}\n')).catch((e) => e)) as BulkRequestError;
    expect(e2.name).toBe('ConnectionError');
  });
});
