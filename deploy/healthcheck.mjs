#!/usr/bin/env node
// Container health check of the sluice image (Dockerfile HEALTHCHECK, compose and stack
// `healthcheck:`): GET /healthz on sluice's HTTP listener; exit 0 on HTTP 200, 1 otherwise.
//
// Liveness only. /healthz answers while the process is alive; /readyz reports whether
// Kafka and Elasticsearch are reachable and the pipeline makes progress. A health check on
// /readyz would make Docker or Swarm restart every replica during an Elasticsearch outage,
// which fixes nothing and costs a consumer-group rebalance per restart.
//
// Slim images have no curl: this runs on the image's own node. The listener's address and
// port are sluice's own settings, SLUICE_HTTP_ADDRESS and SLUICE_HTTP_PORT.
import { request } from 'node:http';

const DEFAULT_PORT = 9600;
const TIMEOUT_MS = 3000; // below the HEALTHCHECK timeout, so this script reports, not Docker

/** Where to connect: the listener's address, or loopback when it listens on every address. */
function target(env = process.env) {
  const port = Number(env.SLUICE_HTTP_PORT || DEFAULT_PORT);
  let host = (env.SLUICE_HTTP_ADDRESS || '127.0.0.1').replace(/^\[(.*)\]$/, '$1');
  if (host === '0.0.0.0') host = '127.0.0.1';
  else if (host === '::') host = '::1';
  return { host, port };
}

function check() {
  const { host, port } = target();
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    process.stderr.write(`unhealthy: SLUICE_HTTP_PORT is not a port number: ${process.env.SLUICE_HTTP_PORT}\n`);
    process.exit(1);
  }
  const where = `http://${host.includes(':') ? `[${host}]` : host}:${port}/healthz`;
  const req = request({ host, port, path: '/healthz', method: 'GET', timeout: TIMEOUT_MS }, (res) => {
    res.resume();
    if (res.statusCode === 200) process.exit(0);
    process.stderr.write(`unhealthy: ${where} answered HTTP ${res.statusCode}\n`);
    process.exit(1);
  });
  req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
  req.on('error', (err) => {
    process.stderr.write(`unhealthy: ${where}: ${err.message}\n`);
    process.exit(1);
  });
  req.end();
}

check();
