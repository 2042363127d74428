// An HTTP Basic auth gate in front of the test swarm's Elasticsearch (which, assembled from
// Maven Central, has no security module): it accepts only `sluice` with the password from
// the Swarm secret es_password, so sluice indexes only if that secret reached it through
// ES_PASSWORD_FILE. GET /__stats counts accepted and refused requests.
import { readFileSync } from 'node:fs';
import http from 'node:http';

const password = readFileSync('/run/secrets/es_password', 'utf8');
const expected = `Basic ${Buffer.from(`sluice:${password}`).toString('base64')}`;
const stats = { accepted: 0, refused: 0 };

http
  .createServer((req, res) => {
    if (req.url === '/__stats') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats));
      return;
    }
    if (req.headers.authorization !== expected) {
      stats.refused++;
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Basic realm="elasticsearch"' });
      res.end('{"error":{"type":"security_exception","reason":"unauthorized"},"status":401}');
      return;
    }
    stats.accepted++;
    const upstream = http.request(
      { host: 'elasticsearch', port: 9200, path: req.url, method: req.method, headers: { ...req.headers, host: 'elasticsearch:9200' } },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', (e) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: String(e) }));
    });
    req.pipe(upstream);
  })
  .listen(9200);
