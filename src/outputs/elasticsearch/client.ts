/**
 * The connection to Elasticsearch: node URLs, credentials and TLS, used the same way by the
 * first-contact probe (GET /), the bulk requests (bulk-http.ts) and `doctor`.
 *
 * One HTTP path serves Elasticsearch 7.17, 8.x, 9.x and OpenSearch 2.x/3.x: the bulk API,
 * its per-item results and error types are the same on all of them, and all of them accept
 * plain `application/json` and `application/x-ndjson`. The server is identified once, from
 * `GET /` (`version.distribution`).
 * docs/opensearch.md records why this is one path rather than OpenSearch's own client.
 *
 * Security: https with the system CAs, a custom CA (`tls.ca`) or a pinned CA fingerprint
 * (`tls.caFingerprint`), an optional client certificate, and basic auth, an API key or a
 * bearer token (`auth`). Credentials never stay in URLs: userinfo in a node URL is moved
 * into basic auth and stripped, so no message can print it.
 *
 * caFingerprint: the first contact reads the chain the server presents (without trusting
 * it), takes the certificate whose SHA-256 fingerprint is the configured one, and from then
 * on uses that certificate as the only trusted CA with full verification (chain signatures
 * and host name). Pinning alone would not check that the server's certificate was really
 * signed by that CA.
 */
import { X509Certificate } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import tls from 'node:tls';
import net from 'node:net';
import { Type, type Static } from '@sinclair/typebox';
import { checkTlsMaterial, explainTlsFailure, pemOrFile, readPem } from '../../config/tls.js';
import { registerCredentials, registerSecret, safeUrl, scrub, secret } from '../../config/secrets.js';
import { UserError } from '../../core/user-error.js';
import { http } from '../../core/node-http.js';
import { BulkHttp } from './bulk-http.js';

export const esAuthSchema = Type.Object(
  {
    username: Type.Optional(Type.String({ minLength: 1, description: 'User for basic auth (with `password`).' })),
    password: Type.Optional(secret({ description: 'Password for basic auth; put it in a secret: `"${ES_PASSWORD}"` with `ES_PASSWORD_FILE=/run/secrets/...`.' })),
    apiKey: Type.Optional(
      secret({ description: 'API key: the base64 `encoded` value Elasticsearch returns when it creates the key (`id:api_key`), sent as `Authorization: ApiKey <key>`.' }),
    ),
    bearer: Type.Optional(secret({ description: 'Bearer token (service account token, OAuth2/JWT access token), sent as `Authorization: Bearer <token>`.' })),
  },
  { additionalProperties: false, description: 'Credentials: `username` and `password` (basic auth), or `apiKey`, or `bearer`; exactly one of them.' },
);

export const esTlsSchema = Type.Object(
  {
    ca: Type.Optional(
      pemOrFile('CA certificate(s) that signed the cluster\'s HTTP certificate: a PEM file path (relative to the pipeline file) or PEM text. Default: the system\'s trusted CAs.'),
    ),
    caFingerprint: Type.Optional(
      Type.String({
        pattern: '^([0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}$',
        description:
          'SHA-256 fingerprint of the CA certificate (64 hex digits, colons optional), as Elasticsearch prints it on first start or `openssl x509 -fingerprint -sha256` shows it. The certificate with this fingerprint in the chain the server presents becomes the trusted CA; the chain and host name are then verified against it.',
      }),
    ),
    cert: Type.Optional(pemOrFile('Client certificate (PEM file or text), for clusters or proxies that require TLS client authentication. Needs `key`.')),
    key: Type.Optional(pemOrFile('Private key of the client certificate (PEM file or text). Inline PEM is treated as a secret.', { secret: true })),
    passphrase: Type.Optional(secret({ description: 'Passphrase of an encrypted `key`.' })),
    rejectUnauthorized: Type.Boolean({
      default: true,
      description: 'Verify the server\'s certificate and host name. `false` accepts any certificate (encryption without authentication of the server): for tests only.',
    }),
    servername: Type.Optional(Type.String({ minLength: 1, description: 'Host name to expect in the server\'s certificate (and to send as SNI) instead of the one in the node URL.' })),
  },
  { additionalProperties: false, description: 'TLS settings for `https://` nodes.' },
);

export interface EsConnectionSettings {
  nodes: string[];
  auth?: Static<typeof esAuthSchema>;
  tls?: Static<typeof esTlsSchema>;
}

/** The search engines sluice writes to; `GET /` tells them apart (`version.distribution`). */
export type Distribution = 'elasticsearch' | 'opensearch';

export interface ClusterInfo {
  distribution: Distribution;
  version: string;
  major: number;
  /** GET / was forbidden (a user with index privileges only): the version is assumed, not known. */
  assumed?: boolean;
}

/** What `GET /` says about the server, or undefined when the body is not a search engine's. */
export function identifyCluster(root: unknown): Omit<ClusterInfo, 'assumed'> | undefined {
  const v = (root as { version?: { number?: unknown; distribution?: unknown } } | undefined)?.version;
  if (typeof v?.number !== 'string' && typeof v?.number !== 'number') return undefined;
  const version = String(v.number);
  const distribution: Distribution = v.distribution === 'opensearch' ? 'opensearch' : 'elasticsearch';
  return { distribution, version, major: Number(version.split('.')[0]) };
}

/** "Elasticsearch 8.19.2", "OpenSearch 2.19.6". */
export function describeCluster(info: Pick<ClusterInfo, 'distribution' | 'version'>): string {
  return `${info.distribution === 'opensearch' ? 'OpenSearch' : 'Elasticsearch'} ${info.version}`;
}

export interface EsResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: any;
}

const TLS_EXPLAIN = {
  what: 'Elasticsearch',
  property: 'output.elasticsearch.tls',
  plainHint: 'use an http:// node URL for a server without TLS, or point the https:// URL at the TLS port',
};

/** A response body for a message: JSON error reason, an HTML page's title, or the start of the text. */
function summarize(r: EsResponse): string {
  const reason = r.json?.error?.reason ?? (typeof r.json?.error === 'string' ? r.json.error : undefined);
  if (typeof reason === 'string') return scrub(reason.slice(0, 300));
  const title = /<title>([^<]*)<\/title>/i.exec(r.text)?.[1];
  return scrub((title ?? r.text.replace(/\s+/g, ' ')).trim().slice(0, 200)) || '(empty body)';
}

const normalizeFingerprint = (f: string) => f.replace(/:/g, '').toLowerCase();

export class EsConnection {
  /** Node URLs without credentials. */
  readonly nodes: string[];
  readonly https: boolean;
  private readonly authorization: string | undefined;
  private readonly authKind: 'basic' | 'apiKey' | 'bearer' | undefined;
  private readonly tlsOptions: tls.ConnectionOptions | undefined;
  private readonly fingerprint: string | undefined;
  /** The node that answered the probe (the first node before that). */
  private reached: string;
  /** PEM of the certificate that matched `caFingerprint`, once the first contact found it. */
  private pinned: string | undefined;

  constructor(settings: EsConnectionSettings) {
    let urlCredentials: { username: string; password: string } | undefined;
    const urls = settings.nodes.flatMap((n) => n.split(',')).map((n) => n.trim()).filter(Boolean);
    this.nodes = urls.map((raw) => {
      let u: URL;
      try {
        u = new URL(raw);
      } catch {
        throw new UserError(`output.elasticsearch.nodes: ${raw.includes('@') ? 'an entry' : `"${raw}"`} is not a URL (expected http://host:9200 or https://host:9200)`);
      }
      if (u.protocol !== 'http:' && u.protocol !== 'https:') {
        const shown = u.username || u.password ? `"${safeUrl(u)}"` : raw.includes('@') ? 'an entry' : `"${raw}"`;
        throw new UserError(`output.elasticsearch.nodes: ${shown} must start with http:// or https://`);
      }
      if (u.username || u.password) {
        const username = decodeURIComponent(u.username);
        const password = decodeURIComponent(u.password);
        registerCredentials(username, password);
        urlCredentials ??= { username, password };
        u.username = '';
        u.password = '';
      }
      return u.toString().replace(/\/$/, '');
    });
    if (this.nodes.length === 0) throw new UserError('output.elasticsearch.nodes: no node URL given');
    this.reached = this.nodes[0];
    this.https = this.nodes[0].startsWith('https:');
    if (this.nodes.some((n) => n.startsWith('https:') !== this.https)) throw new UserError('output.elasticsearch.nodes: mixes http:// and https:// URLs; use one scheme for the whole cluster');

    // Credentials.
    const a = settings.auth;
    const basic = a?.username !== undefined || a?.password !== undefined;
    const modes = [basic, a?.apiKey !== undefined, a?.bearer !== undefined].filter(Boolean).length;
    if (modes > 1) throw new UserError('output.elasticsearch.auth: give exactly one of "username" and "password", "apiKey" or "bearer"');
    if (a && modes === 0) throw new UserError('output.elasticsearch.auth: empty; give "username" and "password", "apiKey" or "bearer" (or remove "auth")');
    if (basic && (a?.username === undefined || a?.password === undefined)) throw new UserError('output.elasticsearch.auth: "username" and "password" go together');
    if (a && urlCredentials) throw new UserError('output.elasticsearch: credentials both in a node URL and in "auth"; keep only "auth"');
    if (basic || urlCredentials) {
      const username = a?.username ?? urlCredentials!.username;
      const password = a?.password ?? urlCredentials!.password;
      registerCredentials(username, password);
      this.authKind = 'basic';
      this.authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    } else if (a?.apiKey !== undefined) {
      registerSecret(a.apiKey);
      this.authKind = 'apiKey';
      this.authorization = `ApiKey ${a.apiKey}`;
    } else if (a?.bearer !== undefined) {
      registerSecret(a.bearer);
      this.authKind = 'bearer';
      this.authorization = `Bearer ${a.bearer}`;
    }

    // TLS.
    const t = settings.tls;
    if (t) {
      if (!this.https) throw new UserError(`output.elasticsearch.tls is set, but the nodes are http:// URLs (${this.nodes[0]}): use https:// URLs`);
      const opts: tls.ConnectionOptions = { rejectUnauthorized: t.rejectUnauthorized ?? true };
      if (t.ca) opts.ca = [readPem(t.ca, 'output.elasticsearch.tls.ca')];
      if (t.cert) opts.cert = readPem(t.cert, 'output.elasticsearch.tls.cert');
      if (t.key) opts.key = readPem(t.key, 'output.elasticsearch.tls.key', { secret: true });
      if (t.passphrase) opts.passphrase = t.passphrase;
      if (t.servername) opts.servername = t.servername;
      checkTlsMaterial('output.elasticsearch.tls', { ca: opts.ca as string[] | undefined, cert: opts.cert as string | undefined, key: opts.key as string | undefined, passphrase: opts.passphrase });
      this.tlsOptions = opts;
      if (t.caFingerprint) this.fingerprint = normalizeFingerprint(t.caFingerprint);
    }
  }

  /** How requests authenticate, for logs (never the credentials). */
  describeAuth(): string {
    return this.authKind ?? 'none';
  }

  /** TLS options for a connection, once the fingerprint (if any) is resolved. */
  private tlsFor(): tls.ConnectionOptions | undefined {
    if (!this.tlsOptions) return undefined;
    if (!this.pinned) return this.tlsOptions;
    const ca = [...((this.tlsOptions.ca as string[] | undefined) ?? []), this.pinned];
    return { ...this.tlsOptions, ca };
  }

  /**
   * GET / on the nodes in turn until one answers: the server's version, with the same TLS and
   * credentials as the bulk requests. That node then takes the requests of the start (the
   * template). Throws UserError for what retrying cannot fix (credentials rejected,
   * certificate not trusted, fingerprint not found); other errors are worth retrying.
   */
  async probe(timeoutMs = 10_000, expected: Distribution | 'auto' = 'auto'): Promise<ClusterInfo> {
    let unreachable: unknown;
    for (const node of this.nodes) {
      try {
        const info = await this.probeNode(node, timeoutMs, expected);
        this.reached = node;
        return info;
      } catch (err) {
        if (err instanceof UserError) throw err;
        unreachable ??= err;
      }
    }
    throw unreachable;
  }

  private async probeNode(node: string, timeoutMs: number, expected: Distribution | 'auto'): Promise<ClusterInfo> {
    const origin = new URL(node).origin;
    const r = await this.request('GET', '/', undefined, timeoutMs, node);
    if (r.status === 401) throw new UserError(this.unauthorized(origin, r));
    if (r.status === 403) return { distribution: expected === 'opensearch' ? 'opensearch' : 'elasticsearch', version: 'unknown', major: expected === 'opensearch' ? 2 : 8, assumed: true };
    if (r.status !== 200) {
      const message = `GET ${origin}/ answered HTTP ${r.status}: ${summarize(r)}`;
      // Overload and gateway trouble pass; any other 4xx is a configuration problem (a proxy
      // demanding a client certificate, a wrong path prefix) that retrying cannot fix.
      if (r.status >= 400 && r.status < 500 && r.status !== 408 && r.status !== 429) {
        const hint = /certificate/i.test(r.text) ? 'the server requires a TLS client certificate: set output.elasticsearch.tls.cert and tls.key' : 'check output.elasticsearch.nodes (host, port, path)';
        throw new UserError(`${message}: ${hint}`);
      }
      throw new Error(message);
    }
    const info = identifyCluster(r.json);
    if (!info) throw new Error(`GET ${origin}/ did not answer like Elasticsearch or OpenSearch`);
    if (expected !== 'auto' && info.distribution !== expected) {
      throw new UserError(`output.elasticsearch.distribution is "${expected}", but ${origin} is ${describeCluster(info)}: set "distribution" to "${info.distribution}" or "auto"`);
    }
    return info;
  }

  private unauthorized(origin: string, r: EsResponse): string {
    const reason = typeof r.json?.error?.reason === 'string' ? `: ${scrub(r.json.error.reason)}` : '';
    if (!this.authKind) return `Elasticsearch ${origin} requires authentication (HTTP 401${reason}): set output.elasticsearch.auth (username and password, apiKey or bearer)`;
    return `Elasticsearch ${origin} rejected the credentials (HTTP 401, ${this.authKind === 'basic' ? 'basic auth' : this.authKind === 'apiKey' ? 'API key' : 'bearer token'}${reason}): check output.elasticsearch.auth`;
  }

  /** One HTTP request with the connection's TLS and credentials (used by the probe and `doctor`). */
  async request(method: string, path: string, body?: unknown, timeoutMs = 10_000, node = this.reached): Promise<EsResponse> {
    if (this.fingerprint && !this.pinned && this.tlsOptions?.rejectUnauthorized !== false) this.pinned = await this.pinFingerprint(node, timeoutMs);
    const url = new URL(path, `${node}/`);
    // Keep a path prefix of the node URL (https://proxy/es/ + /_bulk).
    url.pathname = `${new URL(node).pathname.replace(/\/$/, '')}${path.split('?')[0]}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.authorization) headers.authorization = this.authorization;
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    return new Promise<EsResponse>((resolve, reject) => {
      const req = (this.https ? httpsRequest : http.request)(
        url,
        { method, headers, timeout: timeoutMs, ...(this.https ? this.tlsFor() : {}), agent: false },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c.length + text.length > 1_000_000 ? '' : c));
          res.on('end', () => {
            let json: unknown;
            try {
              json = text ? JSON.parse(text) : undefined;
            } catch {
              json = undefined;
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error(`${method} ${url.origin}${path} timed out after ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
      req.on('error', (err) => reject(this.explain(url.origin, err)));
      req.end(payload);
    });
  }

  private explain(origin: string, err: unknown): Error {
    const explained = explainTlsFailure(origin, err, TLS_EXPLAIN);
    if (explained) return new UserError(explained);
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ECONNRESET' && this.https) {
      return new Error(`Elasticsearch ${origin}: connection reset during the request (${e.message}); if this persists, check that the URL's port speaks TLS`);
    }
    return Object.assign(new Error(`Elasticsearch ${origin}: ${e.code ? `${e.code} ` : ''}${scrub(e.message)}`.replace(/ +$/, '')), { code: e.code });
  }

  /** Reads the server's chain (without trusting it) and returns the certificate whose fingerprint is pinned. */
  private pinFingerprint(node: string, timeoutMs: number): Promise<string> {
    const u = new URL(node);
    const host = u.hostname.replace(/^\[|\]$/g, '');
    const port = Number(u.port || 443);
    const { ca: _ca, rejectUnauthorized: _r, ...rest } = this.tlsOptions ?? {};
    return new Promise<string>((resolve, reject) => {
      const socket = tls.connect({ host, port, ...(net.isIP(host) ? {} : { servername: host }), ...rest, rejectUnauthorized: false });
      const timer = setTimeout(() => socket.destroy(Object.assign(new Error(`no TLS answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })), timeoutMs);
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        const presented: string[] = [];
        let cert = socket.getPeerCertificate(true) as tls.DetailedPeerCertificate | undefined;
        const seen = new Set<string>();
        let match: string | undefined;
        while (cert && cert.raw && !seen.has(cert.fingerprint256)) {
          seen.add(cert.fingerprint256);
          const x = new X509Certificate(cert.raw);
          presented.push(`${x.subject.replace(/\n/g, ', ')} (${cert.fingerprint256})`);
          if (normalizeFingerprint(cert.fingerprint256) === this.fingerprint) match = x.toString();
          cert = cert.issuerCertificate;
        }
        socket.destroy();
        if (match) resolve(match);
        else
          reject(
            new UserError(
              `Elasticsearch ${u.origin}: no certificate it presents has the SHA-256 fingerprint in output.elasticsearch.tls.caFingerprint (it presents: ${presented.join('; ') || 'none'}); check the fingerprint, or set tls.ca instead`,
            ),
          );
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(this.explain(u.origin, err));
      });
    });
  }

  /**
   * The sender of bulk requests (bulk-http.ts), with the same TLS and credentials as the probe.
   * Its turn starts at the node that answered the probe, so a node found down at the start does
   * not take the first request.
   */
  bulkSender(timeoutMs: number, sockets: number): BulkHttp {
    const first = this.nodes.indexOf(this.reached);
    return new BulkHttp({
      nodes: [...this.nodes.slice(first), ...this.nodes.slice(0, first)],
      timeoutMs,
      sockets,
      ...(this.authorization ? { authorization: this.authorization } : {}),
      ...(this.https ? { tls: this.tlsFor() } : {}),
    });
  }
}
