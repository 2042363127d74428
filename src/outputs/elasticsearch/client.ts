/**
 * The Elasticsearch client. Written for the 8.x/9.x servers our users run; the 8.x client
 * sends `compatible-with=8` media types, which a 7.x server rejects, so when the server
 * answers with a 7.x version we talk plain `application/json` to it instead. Everything else
 * (bulk format, item results, error types) is the same on 7.17, 8.x and 9.x.
 */
import { Client, Transport, type ClientOptions } from '@elastic/elasticsearch';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** A Transport that sends the classic media types instead of the 8.x vendored ones. */
class ClassicMediaTypeTransport extends Transport {
  constructor(opts: ConstructorParameters<typeof Transport>[0]) {
    super({
      ...opts,
      vendoredHeaders: { jsonContentType: 'application/json', ndjsonContentType: 'application/x-ndjson', accept: 'application/json, text/plain' },
    });
  }
}

export interface ClusterInfo {
  version: string;
  major: number;
}

/** GET / with the classic media type, which every server version answers. */
export function probeCluster(node: string, headers: Record<string, string> = {}, timeoutMs = 10_000): Promise<ClusterInfo> {
  return new Promise((resolve, reject) => {
    const url = new URL(node);
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
      url,
      { method: 'GET', headers: { accept: 'application/json', ...headers }, timeout: timeoutMs },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(new Error(`GET ${url.origin}/ answered HTTP ${res.statusCode}: ${body.slice(0, 200)}`));
          try {
            const version = String(JSON.parse(body).version.number);
            resolve({ version, major: Number(version.split('.')[0]) });
          } catch {
            reject(new Error(`GET ${url.origin}/ did not answer like Elasticsearch`));
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${url.origin}/ timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

export function createClient(options: ClientOptions, serverMajor: number): Client {
  return new Client({ ...options, ...(serverMajor < 8 ? { Transport: ClassicMediaTypeTransport } : {}) });
}
