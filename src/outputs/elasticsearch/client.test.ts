import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EsConnection } from './client.js';
import { clearSecrets, scrub } from '../../config/secrets.js';
import { UserError } from '../../core/user-error.js';
import { explainTlsFailure, cleanTlsMessage } from '../../config/tls.js';

afterEach(() => clearSecrets());

const fails = (settings: ConstructorParameters<typeof EsConnection>[0]) => {
  try {
    new EsConnection(settings);
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return (e as Error).message;
  }
  throw new Error('expected a UserError');
};

describe('EsConnection settings', () => {
  it('moves URL credentials into basic auth and out of every URL', () => {
    const c = new EsConnection({ nodes: ['https://elastic:p%40ss-word@es1:9200,https://es2:9200/'] });
    expect(c.nodes).toEqual(['https://es1:9200', 'https://es2:9200']);
    expect(c.describeAuth()).toBe('basic');
    expect(scrub('p@ss-word')).toBe('***');
  });
  it('takes exactly one kind of credentials', () => {
    expect(new EsConnection({ nodes: ['https://es:9200'], auth: { apiKey: 'a2V5' } }).describeAuth()).toBe('apiKey');
    expect(new EsConnection({ nodes: ['https://es:9200'], auth: { bearer: 'tok' } }).describeAuth()).toBe('bearer');
    expect(fails({ nodes: ['https://es:9200'], auth: { apiKey: 'k', bearer: 't' } })).toMatch(/exactly one of "username" and "password", "apiKey" or "bearer"/);
    expect(fails({ nodes: ['https://es:9200'], auth: { username: 'u' } })).toMatch(/"username" and "password" go together/);
    expect(fails({ nodes: ['https://es:9200'], auth: {} })).toMatch(/auth: empty/);
    expect(fails({ nodes: ['https://u:p@es:9200'], auth: { bearer: 't' } })).toMatch(/credentials both in a node URL and in "auth"/);
  });
  it('refuses TLS settings for http:// nodes, mixed schemes and non-URLs, without echoing credentials', () => {
    expect(fails({ nodes: ['http://es:9200'], tls: { rejectUnauthorized: true } })).toMatch(/tls is set, but the nodes are http:\/\/ URLs/);
    expect(fails({ nodes: ['http://es:9200', 'https://es2:9200'] })).toMatch(/mixes http:\/\/ and https:\/\//);
    expect(fails({ nodes: ['ftp://u:never-shown@es'] })).toBe('output.elasticsearch.nodes: "ftp://es" must start with http:// or https://');
    expect(fails({ nodes: ['u:never-shown@es:9200'] })).toBe('output.elasticsearch.nodes: an entry must start with http:// or https://');
    expect(fails({ nodes: ['not a url'] })).toMatch(/"not a url" is not a URL/);
  });
  it('reads the CA file and says clearly when it cannot', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-es-tls-'));
    expect(fails({ nodes: ['https://es:9200'], tls: { ca: join(dir, 'missing.pem'), rejectUnauthorized: true } })).toBe(`output.elasticsearch.tls.ca: cannot read the PEM file ${join(dir, 'missing.pem')} (no such file)`);
    writeFileSync(join(dir, 'not.pem'), 'hello');
    expect(fails({ nodes: ['https://es:9200'], tls: { ca: join(dir, 'not.pem'), rejectUnauthorized: true } })).toMatch(/is not a PEM file/);
    writeFileSync(join(dir, 'bad.pem'), '-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n');
    expect(fails({ nodes: ['https://es:9200'], tls: { ca: join(dir, 'bad.pem'), rejectUnauthorized: true } })).toMatch(/tls\.ca: not a usable CA certificate/);
  });
});

describe('TLS failures in words', () => {
  const opts = { what: 'Elasticsearch', property: 'output.elasticsearch.tls', plainHint: 'use http://' };
  it('names the cause and the setting to fix', () => {
    expect(explainTlsFailure('https://es:9200', Object.assign(new Error('self-signed certificate in certificate chain'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' }), opts)).toBe(
      'Elasticsearch https://es:9200: TLS certificate not trusted (SELF_SIGNED_CERT_IN_CHAIN: self-signed certificate in certificate chain): set output.elasticsearch.tls.ca to the CA certificate that signed it',
    );
    const eproto = Object.assign(new Error('write EPROTO 800C85C7407F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/openssl/ssl/record/ssl3_record.c:350:\n'), { code: 'EPROTO' });
    expect(explainTlsFailure('https://es:9200', eproto, opts)).toBe('Elasticsearch https://es:9200: does not speak TLS (wrong version number): use http://');
    expect(explainTlsFailure('https://es:9200', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), opts)).toBeUndefined();
    expect(cleanTlsMessage('no openssl internals here')).toBe('no openssl internals here');
  });
});
