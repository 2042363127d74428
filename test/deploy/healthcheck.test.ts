/**
 * deploy/healthcheck.mjs, the image's HEALTHCHECK (and the compose and stack health checks),
 * against a real HTTP listener standing in for sluice's: healthy only on HTTP 200 from
 * /healthz, the only path it ever asks; unhealthy on any other status, on a refused
 * connection and on a listener that does not answer, in less time than the HEALTHCHECK timeout.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { durationMs, finalStage, HEALTHCHECK, parseDockerfile } from './helpers.js';

let server: Server | undefined;
let paths: string[] = [];

afterEach(async () => {
  if (server) await new Promise((r) => server!.close(r));
  server = undefined;
  paths = [];
});

async function listen(handler: (path: string, res: import('node:http').ServerResponse) => void, host = '127.0.0.1', port = 0): Promise<number> {
  server = createServer((req, res) => {
    paths.push(`${req.method} ${req.url}`);
    handler(req.url ?? '', res);
  });
  await new Promise<void>((resolve, reject) => {
    server!.once('error', reject);
    server!.listen(port, host, resolve);
  });
  return (server.address() as AddressInfo).port;
}

function check(env: Record<string, string>): Promise<{ code: number | null; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [HEALTHCHECK], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stderr, ms: Date.now() - started }));
  });
}

describe('deploy/healthcheck.mjs', () => {
  it('is healthy when /healthz answers 200, and asks nothing else', async () => {
    const port = await listen((path, res) => res.writeHead(path === '/healthz' ? 200 : 404).end('ok\n'));
    const r = await check({ SLUICE_HTTP_ADDRESS: '0.0.0.0', SLUICE_HTTP_PORT: String(port) });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(paths).toEqual(['GET /healthz']);
  });

  it('connects to the address sluice listens on when it is a specific one', async () => {
    const port = await listen((_p, res) => res.writeHead(200).end());
    const r = await check({ SLUICE_HTTP_ADDRESS: '127.0.0.1', SLUICE_HTTP_PORT: String(port) });
    expect(r.code).toBe(0);
  });

  it('is unhealthy on any other status', async () => {
    const port = await listen((_p, res) => res.writeHead(503).end('{"status":"unready"}'));
    const r = await check({ SLUICE_HTTP_ADDRESS: '0.0.0.0', SLUICE_HTTP_PORT: String(port) });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/answered HTTP 503/);
    expect(paths).toEqual(['GET /healthz']);
  });

  it('is unhealthy when nothing listens', async () => {
    const port = await listen((_p, res) => res.end());
    await new Promise((r) => server!.close(r));
    server = undefined;
    const r = await check({ SLUICE_HTTP_ADDRESS: '0.0.0.0', SLUICE_HTTP_PORT: String(port) });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ECONNREFUSED/);
  });

  it('is unhealthy, within the HEALTHCHECK timeout, when the listener does not answer', async () => {
    const port = await listen(() => {}); // never answers
    const r = await check({ SLUICE_HTTP_ADDRESS: '0.0.0.0', SLUICE_HTTP_PORT: String(port) });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no answer within/);
    const hc = finalStage(parseDockerfile()).instructions.find((i) => i.keyword === 'HEALTHCHECK')!;
    expect(r.ms).toBeLessThan(durationMs(hc.flags.timeout));
  });

  it('uses port 9600 when SLUICE_HTTP_PORT is unset, and rejects a port that is not a number', async () => {
    // 127.0.0.2 (loopback too): port 9600 there is free even while a sluice listens on 127.0.0.1:9600.
    await listen((path, res) => res.writeHead(path === '/healthz' ? 200 : 404).end(), '127.0.0.2', 9600);
    const r = await check({ SLUICE_HTTP_ADDRESS: '127.0.0.2' });
    expect(r.code).toBe(0);
    expect(paths).toEqual(['GET /healthz']);
    const bad = await check({ SLUICE_HTTP_PORT: 'http' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/not a port number/);
  });
});
