import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import kafkajs from 'kafkajs';
import { createKafka, kafkajsLogCreator, kafkaSecurityOptions, type ConnectionSettings } from './connection.js';
import { clearSecrets, scrub } from '../../config/secrets.js';
import { UserError } from '../../core/user-error.js';

afterEach(() => clearSecrets());

const base: ConnectionSettings = { brokers: ['127.0.0.1:1'], clientId: 'test', connectionTimeoutMs: 2000, requestTimeoutMs: 2000 };

describe('Kafka security options', () => {
  it('maps sasl to kafkajs and registers the password as a secret', () => {
    const opts = kafkaSecurityOptions({ sasl: { mechanism: 'scram-sha-256', username: 'svc', password: 'kafka-secret-1' } });
    expect(opts).toEqual({ sasl: { mechanism: 'scram-sha-256', username: 'svc', password: 'kafka-secret-1' } });
    expect(scrub('kafka-secret-1')).toBe('***');
  });
  it('builds TLS options from PEM files and explains unusable ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-kafka-tls-'));
    expect(kafkaSecurityOptions({ tls: { rejectUnauthorized: true } })).toEqual({ ssl: { rejectUnauthorized: true } });
    const fail = (tls: NonNullable<ConnectionSettings['tls']>) => {
      try {
        kafkaSecurityOptions({ tls });
      } catch (e) {
        expect(e).toBeInstanceOf(UserError);
        return (e as Error).message;
      }
      throw new Error('expected a UserError');
    };
    expect(fail({ rejectUnauthorized: true, ca: join(dir, 'nope.pem') })).toBe(`input.kafka.tls.ca: cannot read the PEM file ${join(dir, 'nope.pem')} (no such file)`);
    writeFileSync(join(dir, 'cert.pem'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    expect(fail({ rejectUnauthorized: true, cert: join(dir, 'cert.pem') })).toBe('input.kafka.tls: "cert" and "key" go together (a client certificate needs its private key)');
  });
});

describe('the TLS pre-check of createKafka', () => {
  let server: Server | undefined;
  const sockets = new Set<import('node:net').Socket>();
  afterEach(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  async function listen(onConnection: (socket: import('node:net').Socket) => void): Promise<string> {
    server = createServer((s) => {
      sockets.add(s);
      onConnection(s);
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return `127.0.0.1:${(server!.address() as { port: number }).port}`;
  }

  it('says at once that a port answering in plain text does not speak TLS', async () => {
    const broker = await listen((s) => s.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    const admin = createKafka({ ...base, brokers: [broker], tls: { rejectUnauthorized: true } }, pino({ level: 'silent' })).admin();
    const started = Date.now();
    await expect(admin.connect()).rejects.toThrow(/Kafka broker 127\.0\.0\.1:\d+: .*does not speak TLS.*point input\.kafka\.brokers at an SSL or SASL_SSL listener/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('says at once that a port dropping the handshake (a PLAINTEXT Kafka listener) does not speak TLS', async () => {
    const broker = await listen((s) => s.once('data', () => s.destroy()));
    const admin = createKafka({ ...base, brokers: [broker], tls: { rejectUnauthorized: true } }, pino({ level: 'silent' })).admin();
    await expect(admin.connect()).rejects.toThrow(/closed the connection during the TLS handshake, so it does not speak TLS/);
  });
});

describe('kafkajs log levels', () => {
  function levels(quiet = false) {
    const lines: Record<string, any>[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
        cb();
      },
    });
    const log = kafkajsLogCreator(pino({ level: 'trace' }, sink), () => quiet)();
    const entry = (level: number, message: string, extra: Record<string, unknown> = {}) =>
      log({ namespace: 'Connection', level, label: 'ERROR', log: { message, timestamp: 'x', logger: 'kafkajs', ...extra } } as never);
    return { entry, lines };
  }

  it('puts transient states at debug or info and keeps real errors, with the kafkajs namespace in its own key', () => {
    const { entry, lines } = levels();
    entry(kafkajs.logLevel.ERROR, 'Response InitProducerId(key: 22, version: 4)', { error: "The coordinator is loading and hence can't process requests for this group" });
    entry(kafkajs.logLevel.ERROR, 'Response Heartbeat(key: 12, version: 3)', { error: 'The group is rebalancing, so a rejoin is needed' });
    entry(kafkajs.logLevel.WARN, 'The group is rebalancing, re-joining', { groupId: 'g' });
    entry(kafkajs.logLevel.ERROR, 'Crash: KafkaJSNumberOfRetriesExceeded: x');
    entry(kafkajs.logLevel.ERROR, 'Connection error: connect ECONNREFUSED 127.0.0.1:1');
    entry(kafkajs.logLevel.INFO, 'Starting');
    expect(lines.map((l) => l.level)).toEqual([20, 20, 30, 20, 50, 20]);
    expect(lines.every((l) => l.kafkajs === 'Connection' && l.component === undefined)).toBe(true);
  });

  it('puts everything at debug while quiet (a start-up wait, a stop)', () => {
    const { entry, lines } = levels(true);
    entry(kafkajs.logLevel.ERROR, 'Connection error: write after end');
    entry(kafkajs.logLevel.WARN, 'anything');
    expect(lines.map((l) => l.level)).toEqual([20, 20]);
  });
});
