import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { clearSecrets, registerCredentials, registerSecret, registerSecretsIn, safeUrl, scrub } from './secrets.js';
import { loadPipeline } from './load.js';
import { SourceErrors, interpolate } from './source.js';
import { components } from '../registry.js';
import { kafkaInputConfig } from '../inputs/kafka/index.js';
import { elasticsearchOutputConfig } from '../outputs/elasticsearch/index.js';
import { loggerOptions, serializeError } from '../cli/logger.js';
import { UserError } from '../core/user-error.js';

afterEach(() => clearSecrets());

describe('scrub', () => {
  it('replaces registered secrets in every form they travel in', () => {
    registerCredentials('alice', 's3cr3t-pw');
    const b64 = Buffer.from('alice:s3cr3t-pw').toString('base64');
    const text = `pw=s3cr3t-pw basic=${b64} url=${encodeURIComponent('s3cr3t-pw')} raw64=${Buffer.from('s3cr3t-pw').toString('base64')}`;
    expect(scrub(text)).toBe('pw=*** basic=*** url=*** raw64=***');
  });
  it('strips the password of any URL, registered or not', () => {
    expect(scrub('connect https://bob:hunter22@es.local:9200/x failed')).toBe('connect https://bob:***@es.local:9200/x failed');
    expect(safeUrl('https://bob:hunter22@es.local:9200/')).toBe('https://es.local:9200');
  });
  it('leaves very short values alone (they would mangle text) and is a no-op without secrets', () => {
    registerSecret('abc');
    expect(scrub('abc def')).toBe('abc def');
  });
});

describe('finding secrets in config', () => {
  it('registers values at sensitive properties, inline private keys and URL passwords, nothing else', () => {
    registerSecretsIn(kafkaInputConfig, {
      brokers: ['b:9093'],
      groupId: 'group-name',
      sasl: { mechanism: 'scram-sha-512', username: 'sluice-user', password: 'kafka-pass-1' },
      tls: { ca: '/etc/ca.pem', key: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n', passphrase: 'key-pass-22' },
    });
    registerSecretsIn(elasticsearchOutputConfig, { nodes: ['https://user:url-pass-3@es:9200'], auth: { apiKey: 'api-key-44' } });
    const out = scrub('kafka-pass-1 key-pass-22 url-pass-3 api-key-44 AAAA -----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n group-name sluice-user /etc/ca.pem scram-sha-512');
    expect(out).toBe('*** *** *** *** AAAA *** group-name sluice-user /etc/ca.pem scram-sha-512');
  });
  it('a key given as a file path is not a secret (its content is, once read)', () => {
    registerSecretsIn(kafkaInputConfig, { brokers: ['b'], groupId: 'g', tls: { key: '/run/secrets/client.key' } });
    expect(scrub('/run/secrets/client.key')).toBe('/run/secrets/client.key');
  });
  it('a value read through VAR_FILE is a secret', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-secrets-'));
    writeFileSync(join(dir, 'pw'), 'from-a-file-99\n');
    expect(interpolate('${PW}', { PW_FILE: join(dir, 'pw') }, () => {})).toBe('from-a-file-99');
    expect(scrub('x from-a-file-99 y')).toBe('x *** y');
  });
});

describe('validation errors never quote a secret', () => {
  const pipeline = (kafka: object, es: object = {}) =>
    JSON.stringify({ id: 'p', input: { kafka: { brokers: ['b:1'], topics: ['t'], groupId: 'g', ...kafka } }, output: { elasticsearch: { nodes: ['http://es:9200'], ...es } } }, null, 2);
  const errorsOf = (text: string) => {
    try {
      loadPipeline('p.json', components, {}, text);
    } catch (e) {
      expect(e).toBeInstanceOf(SourceErrors);
      return (e as Error).message;
    }
    throw new Error('expected errors');
  };
  it('describes a secret found where something else was expected by its type only', () => {
    const msg = errorsOf(pipeline({ sasl: 'alice:topsecret-1' }, { auth: { username: 'u', password: { value: 'topsecret-2' } }, tls: 'topsecret-3' }));
    expect(msg).toMatch(/\$\.input\.kafka\.sasl: expected object, found a string \(value not shown: secret\)/);
    expect(msg).toMatch(/\$\.output\.elasticsearch\.auth\.password: expected string, found an object \(value not shown: secret\)/);
    expect(msg).toMatch(/\$\.output\.elasticsearch\.tls: expected object, found a string \(value not shown: secret\)/);
    expect(msg).not.toMatch(/topsecret/);
  });
  it('still quotes ordinary values', () => {
    expect(errorsOf(pipeline({ codec: 'xml' }))).toMatch(/codec: expected one of "plain", "json", found "xml"/);
    expect(errorsOf(pipeline({ sasl: { mechanism: 'gssapi', username: 'u', password: 'p' } }))).toMatch(/mechanism: expected one of "plain", "scram-sha-256", "scram-sha-512", found "gssapi"/);
  });
});

describe('logging', () => {
  function capture(fn: (log: pino.Logger) => void): string {
    let out = '';
    const dest = new Writable({
      write(chunk, _enc, cb) {
        out += chunk;
        cb();
      },
    });
    const log = pino(loggerOptions('trace'), dest);
    fn(log);
    return out;
  }
  it('redacts credential paths and scrubs registered secrets from every line', () => {
    registerSecret('registered-secret-1');
    const out = capture((log) => {
      log.info({ sasl: { password: 'p1-visible?' }, config: { auth: { password: 'p2-visible?', apiKey: 'k-visible?' } }, headers: { authorization: 'Basic xyz' } }, 'hello');
      log.warn('failed with registered-secret-1 at https://u:pw-in-url@host');
    });
    expect(out).not.toMatch(/visible\?|Basic xyz|registered-secret-1|pw-in-url/);
    expect(out).toMatch(/\[redacted\]/);
    expect(out).toMatch(/failed with \*\*\* at https:\/\/u:\*\*\*@host/);
  });
  it('logs errors that explain themselves without a stack, bugs with one', () => {
    expect(serializeError(new UserError('wrong password'))).toEqual({ type: 'UserError', message: 'wrong password' });
    const kafkaError = Object.assign(new Error('The coordinator is loading'), { name: 'KafkaJSProtocolError', type: 'GROUP_LOAD_IN_PROGRESS', code: 14 });
    expect(serializeError(kafkaError)).toEqual({ type: 'KafkaJSProtocolError', message: 'The coordinator is loading', code: 14, kind: 'GROUP_LOAD_IN_PROGRESS' });
    expect((serializeError(new TypeError('x is undefined')) as { stack?: string }).stack).toMatch(/TypeError: x is undefined\n\s+at /);
  });
});
