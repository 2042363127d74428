/**
 * TLS, SASL and credentials against real secured servers, through the real CLI.
 *
 * The file starts its own secured stack (scripts/stack/secure.ts): a separate Kafka 3.9 with
 * an SSL listener (client certificates required) and a SASL_SSL listener (PLAIN,
 * SCRAM-SHA-256, SCRAM-SHA-512; SCRAM users made by Kafka's storage tool), and nginx
 * terminating TLS with basic auth, API key and bearer checks in front of the shared
 * Elasticsearch (which has no security module of its own). The shared plain stack is only
 * read from (indices are checked on it directly) and written to through sluice.
 *
 *  1. Kafka: one `sluice run` with a pipeline per mode (mTLS, SASL PLAIN, SCRAM-SHA-256,
 *     SCRAM-SHA-512) indexes every record, and the dead-letter producer delivers a bad record
 *     over the same secured connection; `replay --dry-run` and `doctor` connect the same way;
 *     a wrong password, an untrusted CA, a missing client certificate and TLS against a
 *     plaintext port each fail within seconds with one clear line, no stack trace.
 *  2. Elasticsearch through nginx: basic auth with a custom CA, API key with a CA
 *     fingerprint, bearer token with the CA as inline PEM, basic auth plus a client
 *     certificate, credentials in the URL; wrong credentials, no credentials, an untrusted
 *     certificate, a wrong fingerprint, a missing client certificate and https against
 *     plain http fail the same clean way.
 *  3. Secrets: known secrets (from the environment and from *_FILE files, inline PEM keys)
 *     never appear in anything validate, process, run (logs at trace level, /metrics,
 *     /readyz), doctor and replay print, on success and on failure.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeCertificates, newInstanceDir, removeInstanceDir, startSecureKafka, startTlsProxy, type SecureKafka, type TlsProxy } from '../../scripts/stack/secure.js';
import { esCount, services, uniqueName, waitFor } from '../helpers/services.js';
import { startSluice, type Running } from '../helpers/sluice.js';
import { expectNoStackTrace, produce, runCli, tempDir, topicSize, writePipeline, type CliResult } from './helpers.js';

let dir: string;
let kafka: SecureKafka;
let proxy: TlsProxy;
const run = uniqueName('sec');
const work = tempDir('secured');

beforeAll(async () => {
  dir = newInstanceDir();
  const certs = makeCertificates(join(dir, 'certs'));
  [kafka, proxy] = await Promise.all([startSecureKafka({ dir, certs }), startTlsProxy({ upstream: services().esUrl, certs, dir })]);
}, 180_000);

afterAll(async () => {
  await Promise.all([kafka?.stop(), proxy?.stop()]);
  if (dir) removeInstanceDir(dir);
});

/** Stops a running `sluice run` with SIGTERM and returns its exit and output. */
async function stop(r: Running): Promise<{ code: number | null; output: string }> {
  r.child.kill('SIGTERM');
  const { code } = await r.exited;
  return { code, output: r.output() };
}

function expectCleanFailure(r: CliResult, message: RegExp, mustNotContain: string[] = []): void {
  expect(r.code, r.output).toBe(1);
  expect(r.output).toMatch(message);
  expectNoStackTrace(r.output);
  for (const s of mustNotContain) expect(r.output.includes(s), `output contains "${s}"`).toBe(false);
  // The fatal line is one JSON line that says it all.
  const fatal = r.stdout.split('\n').filter((l) => l.includes('"level":60'));
  expect(fatal.length, r.output).toBe(1);
  expect(fatal[0]).toMatch(message);
}

const plainEs = () => ({ nodes: [services().esUrl] });
const plainKafka = () => services().brokers;

// ------------------------------------------------------------------------------------ Kafka

describe('Kafka over TLS and SASL', () => {
  type Mode = 'mtls' | 'plain' | 'scram256' | 'scram512';
  const modes: Mode[] = ['mtls', 'plain', 'scram256', 'scram512'];
  const topic = (m: Mode) => `${run}-k-${m}`;
  const files: Record<string, string> = {};
  const passwordFile = () => {
    const f = join(work, 'scram512.password');
    writeFileSync(f, `${kafka.users.scram512.password}\n`);
    return f;
  };

  function security(m: Mode, password?: string) {
    const tls = { ca: kafka.certs.ca };
    switch (m) {
      case 'mtls':
        return { brokers: [kafka.ssl], tls: { ...tls, cert: kafka.certs.clientCert, key: kafka.certs.clientKey } };
      case 'plain':
        return { brokers: [kafka.saslSsl], tls, sasl: { mechanism: 'plain', username: kafka.users.plain.username, password: password ?? '${KAFKA_PLAIN_PASSWORD}' } };
      case 'scram256':
        return { brokers: [kafka.saslSsl], tls, sasl: { mechanism: 'scram-sha-256', username: kafka.users.scram256.username, password: password ?? '${KAFKA_SCRAM256_PASSWORD}' } };
      case 'scram512':
        return { brokers: [kafka.saslSsl], tls, sasl: { mechanism: 'scram-sha-512', username: kafka.users.scram512.username, password: password ?? '${KAFKA_SCRAM512_PASSWORD}' } };
    }
  }

  function pipeline(id: string, topicName: string, input: object, output: object = { ...plainEs(), index: topicName }) {
    return { id, input: { kafka: { topics: [topicName], groupId: `${id}-group`, codec: 'json', ...input } }, output: { elasticsearch: output } };
  }

  it('indexes through mTLS, SASL PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512, and dead-letters through the same connection', async () => {
    const runDir = join(work, 'kafka-modes');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(runDir);
    for (const m of modes) files[m] = writePipeline(runDir, m, pipeline(`${run}-k-${m}`, topic(m), security(m)));
    const records = (m: Mode) => [...Array.from({ length: 20 }, (_, n) => JSON.stringify({ n, mode: m })), '{"broken json'];
    await Promise.all(modes.map((m) => produce(kafka.internal, topic(m), records(m))));

    const sluice = startSluice(['run', runDir, '--http-port', '0'], {
      KAFKA_PLAIN_PASSWORD: kafka.users.plain.password,
      KAFKA_SCRAM256_PASSWORD: kafka.users.scram256.password,
      KAFKA_SCRAM512_PASSWORD_FILE: passwordFile(),
    });
    try {
      await waitFor(
        'every mode to index its 20 records and dead-letter the broken one',
        async () => {
          if (sluice.child.exitCode !== null) throw new Error(`sluice exited:\n${sluice.output()}`);
          for (const m of modes) {
            if ((await esCount(topic(m))) !== 20) return false;
            if ((await topicSize(kafka.internal, `${run}-k-${m}.dlq`)) !== 1) return false;
          }
          return true;
        },
        60_000,
        500,
      );
    } finally {
      const { code, output } = await stop(sluice);
      expect(code, output).toBe(0);
      expectNoStackTrace(output);
      for (const p of Object.values(kafka.users)) expect(output.includes(p.password)).toBe(false);
    }
  });

  it('replay --dry-run and doctor connect with the same TLS and SASL settings', async () => {
    const env = { KAFKA_SCRAM512_PASSWORD_FILE: passwordFile(), KAFKA_SCRAM256_PASSWORD: kafka.users.scram256.password };
    const [replay, doctor] = await Promise.all([
      runCli(['replay', files.scram512, '--dry-run'], { env, timeoutMs: 60_000 }),
      runCli(['doctor', files.scram256], { env, timeoutMs: 90_000 }),
    ]);
    expect(replay.code, replay.output).toBe(0);
    expect(replay.output).toMatch(/decode_failed/);
    expect(replay.output).toMatch(/would replay\s+1\b/);
    expectNoStackTrace(replay.output);
    expect(doctor.output).toMatch(/^PASS\s+kafka metadata/m);
    expect(doctor.output).toMatch(/^PASS\s+kafka topic /m);
    expect(doctor.output).not.toMatch(/^FAIL\s+kafka/m);
    expectNoStackTrace(doctor.output);
  });

  it('fails at once with one clear line: wrong password, untrusted CA, missing client certificate, TLS on a plaintext port', async () => {
    const wrong = 'not-the-password-4711';
    const cases: Array<[string, object, RegExp]> = [
      ['scram-wrong', security('scram256', wrong), /Kafka rejected the SASL SCRAM-SHA-256 credentials of user \\?"sluice-scram256\\?"/],
      ['plain-wrong', security('plain', wrong), /Kafka rejected the SASL PLAIN credentials of user \\?"sluice-plain\\?"/],
      ['rogue-ca', { ...security('scram512', wrong), tls: { ca: kafka.certs.rogueCa } }, /Kafka broker 127\.0\.0\.1:\d+: TLS certificate not trusted \(SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE/],
      ['no-client-cert', { brokers: [kafka.ssl], tls: { ca: kafka.certs.ca } }, /Kafka broker 127\.0\.0\.1:\d+: the server refused the TLS client authentication .*set input\.kafka\.tls\.cert and input\.kafka\.tls\.key/],
      ['tls-to-plaintext', { brokers: [kafka.internal], tls: { ca: kafka.certs.ca } }, /Kafka broker 127\.0\.0\.1:\d+: .*does not speak TLS/],
    ];
    const results = await Promise.all(
      cases.map(([name, sec]) => {
        const file = writePipeline(work, `fail-${name}`, pipeline(`${run}-f-${name}`, `${run}-f-${name}`, sec));
        return runCli(['run', file, '--http-port', '0'], { timeoutMs: 45_000 });
      }),
    );
    results.forEach((r, i) => {
      expectCleanFailure(r, cases[i][2], [wrong]);
      expect(r.ms, `${cases[i][0]} took ${r.ms} ms`).toBeLessThan(30_000);
    });
  });
});

// ---------------------------------------------------------------------------- Elasticsearch

describe('Elasticsearch over https with credentials (nginx in front of the local Elasticsearch)', () => {
  function pipeline(id: string, output: object, topicName = `${run}-e-unused`) {
    return {
      id,
      input: { kafka: { brokers: plainKafka(), topics: [topicName], groupId: `${id}-group` } },
      output: { elasticsearch: { index: topicName, ...output } },
    };
  }

  it('indexes with basic auth + CA, API key + CA fingerprint, bearer + inline CA, client certificate + basic auth, and URL credentials', async () => {
    const { basic, apiKey, bearer } = proxy.credentials;
    const ca = kafka.certs.ca;
    const outputs: Record<string, object> = {
      basic: { nodes: [proxy.basic], auth: { username: basic.username, password: '${ES_PASSWORD}' }, tls: { ca } },
      apikey: { nodes: [proxy.apiKey], auth: { apiKey: '${ES_API_KEY}' }, tls: { caFingerprint: kafka.certs.caFingerprint } },
      bearer: { nodes: [proxy.bearer], auth: { bearer: '${ES_TOKEN}' }, tls: { ca: '${ES_CA_PEM}' } },
      mtls: { nodes: [proxy.mtls], auth: { username: basic.username, password: '${ES_PASSWORD}' }, tls: { ca, cert: kafka.certs.clientCert, key: kafka.certs.clientKey } },
      url: { nodes: [proxy.basic.replace('https://', `https://${basic.username}:${encodeURIComponent(basic.password)}@`)], tls: { ca } },
    };
    const runDir = join(work, 'es-modes');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(runDir);
    const topicOf = (m: string) => `${run}-e-${m}`;
    for (const [m, out] of Object.entries(outputs)) writePipeline(runDir, m, pipeline(topicOf(m), out, topicOf(m)));
    await Promise.all(Object.keys(outputs).map((m) => produce(plainKafka()[0], topicOf(m), Array.from({ length: 10 }, (_, n) => `line ${n} via ${m}`))));
    const sluice = startSluice(['run', runDir, '--http-port', '0'], {
      ES_PASSWORD: basic.password,
      ES_API_KEY: apiKey,
      ES_TOKEN: bearer,
      ES_CA_PEM: readFileSync(ca, 'utf8'),
    });
    try {
      await waitFor(
        'every mode to index its 10 records through nginx',
        async () => {
          if (sluice.child.exitCode !== null) throw new Error(`sluice exited:\n${sluice.output()}`);
          for (const m of Object.keys(outputs)) if ((await esCount(topicOf(m))) !== 10) return false;
          return true;
        },
        60_000,
        500,
      );
    } finally {
      const { code, output } = await stop(sluice);
      expect(code, output).toBe(0);
      expectNoStackTrace(output);
      for (const s of [basic.password, apiKey, bearer]) expect(output.includes(s)).toBe(false);
    }
  });

  it('fails at once with one clear line: wrong or missing credentials, untrusted certificate, wrong fingerprint, missing client certificate, https on http', async () => {
    const { basic } = proxy.credentials;
    const ca = kafka.certs.ca;
    const wrong = 'wrong-secret-0815';
    const httpPort = new URL(services().esUrl).port;
    const cases: Array<[string, object, RegExp]> = [
      ['basic-wrong', { nodes: [proxy.basic], auth: { username: basic.username, password: wrong }, tls: { ca } }, /Elasticsearch https:\/\/127\.0\.0\.1:\d+ rejected the credentials \(HTTP 401, basic auth\)/],
      ['apikey-wrong', { nodes: [proxy.apiKey], auth: { apiKey: Buffer.from(`id:${wrong}`).toString('base64') }, tls: { ca } }, /rejected the credentials \(HTTP 401, API key: unable to authenticate/],
      ['bearer-wrong', { nodes: [proxy.bearer], auth: { bearer: wrong }, tls: { ca } }, /rejected the credentials \(HTTP 401, bearer token/],
      ['no-auth', { nodes: [proxy.basic], tls: { ca } }, /Elasticsearch https:\/\/127\.0\.0\.1:\d+ requires authentication \(HTTP 401\): set output\.elasticsearch\.auth/],
      ['untrusted', { nodes: [proxy.basic], auth: { username: basic.username, password: wrong } }, /Elasticsearch https:\/\/127\.0\.0\.1:\d+: TLS certificate not trusted \(SELF_SIGNED_CERT_IN_CHAIN.*set output\.elasticsearch\.tls\.ca/],
      ['rogue-ca', { nodes: [proxy.basic], auth: { username: basic.username, password: wrong }, tls: { ca: kafka.certs.rogueCa } }, /TLS certificate not trusted/],
      ['fingerprint', { nodes: [proxy.basic], auth: { username: basic.username, password: wrong }, tls: { caFingerprint: kafka.certs.rogueCaFingerprint } }, /no certificate it presents has the SHA-256 fingerprint in output\.elasticsearch\.tls\.caFingerprint/],
      ['no-client-cert', { nodes: [proxy.mtls], auth: { username: basic.username, password: wrong }, tls: { ca } }, /answered HTTP 400: .*requires a TLS client certificate/],
      ['https-on-http', { nodes: [`https://127.0.0.1:${httpPort}`] }, /does not speak TLS/],
    ];
    const results = await Promise.all(cases.map(([name, out]) => runCli(['run', writePipeline(work, `es-fail-${name}`, pipeline(`${run}-ef-${name}`, out)), '--http-port', '0'], { timeoutMs: 45_000 })));
    results.forEach((r, i) => {
      expectCleanFailure(r, cases[i][2], [wrong, Buffer.from(`id:${wrong}`).toString('base64')]);
      expect(r.ms, `${cases[i][0]} took ${r.ms} ms`).toBeLessThan(30_000);
    });
  });
});

// ---------------------------------------------------------------------------------- secrets

describe('secrets never appear in any output', () => {
  it('validate, process, run (trace logs, /metrics, /readyz), doctor and replay print none of them, on success or failure', async () => {
    const verbs = await helpVerbs();
    const { basic, apiKey, bearer } = proxy.credentials;
    const clientKeyPem = readFileSync(kafka.certs.clientKey, 'utf8');
    const wrongKafka = 'wrong-kafka-secret-9931';
    const wrongEs = 'wrong-es-secret-7719';
    const secretsDir = join(work, 'secrets');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(secretsDir);
    const kafkaPasswordFile = join(secretsDir, 'kafka_password');
    writeFileSync(kafkaPasswordFile, `${kafka.users.scram512.password}\n`);
    const apiKeyFile = join(secretsDir, 'es_api_key');
    writeFileSync(apiKeyFile, apiKey);
    const env = {
      KAFKA_PASSWORD_FILE: kafkaPasswordFile,
      KAFKA_PLAIN_PASSWORD: kafka.users.plain.password,
      ES_PASSWORD: basic.password,
      ES_API_KEY_FILE: apiKeyFile,
      ES_TOKEN: bearer,
      CLIENT_KEY: clientKeyPem,
    };
    const secrets: string[] = [kafka.users.scram512.password, kafka.users.plain.password, basic.password, apiKey, bearer, wrongKafka, wrongEs];
    // Every form a secret could be printed in.
    const forms = (s: string) => [s, encodeURIComponent(s), Buffer.from(s).toString('base64')];
    const needles = [
      ...secrets.flatMap(forms),
      ...forms(`${basic.username}:${basic.password}`),
      ...forms(`${kafka.users.scram512.username}:${kafka.users.scram512.password}`),
      // The private key's body lines.
      ...clientKeyPem.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----')),
    ];

    const topics = { a: `${run}-s-a`, b: `${run}-s-b`, c: `${run}-s-c` };
    const ca = kafka.certs.ca;
    const input = (t: string, sec: object) => ({ kafka: { topics: [t], groupId: `${t}-group`, ...sec } });
    const pipelines = {
      // SCRAM-SHA-512 password from a *_FILE; ES basic auth password from the environment.
      a: {
        id: topics.a,
        input: input(topics.a, { brokers: [kafka.saslSsl], tls: { ca }, sasl: { mechanism: 'scram-sha-512', username: kafka.users.scram512.username, password: '${KAFKA_PASSWORD}' } }),
        output: { elasticsearch: { nodes: [proxy.basic], index: topics.a, auth: { username: basic.username, password: '${ES_PASSWORD}' }, tls: { ca } } },
      },
      // SASL PLAIN; ES API key from a *_FILE.
      b: {
        id: topics.b,
        input: input(topics.b, { brokers: [kafka.saslSsl], tls: { ca }, sasl: { mechanism: 'plain', username: kafka.users.plain.username, password: '${KAFKA_PLAIN_PASSWORD}' } }),
        output: { elasticsearch: { nodes: [proxy.apiKey], index: topics.b, auth: { apiKey: '${ES_API_KEY}' }, tls: { ca } } },
      },
      // mTLS with the private key inline (PEM from the environment); ES bearer token.
      c: {
        id: topics.c,
        input: input(topics.c, { brokers: [kafka.ssl], tls: { ca, cert: kafka.certs.clientCert, key: '${CLIENT_KEY}' } }),
        output: { elasticsearch: { nodes: [proxy.bearer], index: topics.c, auth: { bearer: '${ES_TOKEN}' }, tls: { ca } } },
      },
    };
    const runDir = join(secretsDir, 'pipelines');
    mkdirSync(runDir);
    const files = Object.fromEntries(Object.entries(pipelines).map(([k, p]) => [k, writePipeline(runDir, k, p)])) as Record<keyof typeof pipelines, string>;
    await Promise.all(Object.values(topics).map((t) => produce(kafka.internal, t, [...Array.from({ length: 5 }, (_, n) => `record ${n}`)])));

    const outputs: Array<[string, string]> = [];
    const collect = (what: string, r: { output: string }) => outputs.push([what, r.output]);

    // validate: valid files, and invalid ones whose errors sit right at the secrets.
    const valid = await runCli(['validate', runDir], { env });
    expect(valid.code, valid.output).toBe(0);
    collect('validate (valid)', valid);
    const invalid = {
      saslAsString: { ...pipelines.a, input: { kafka: { ...pipelines.a.input.kafka, sasl: '${KAFKA_PASSWORD}' } } },
      passwordAsObject: { ...pipelines.a, output: { elasticsearch: { ...pipelines.a.output.elasticsearch, auth: { username: 'u', password: { value: '${ES_PASSWORD}' } } } } },
      apiKeyAndBasic: { ...pipelines.b, output: { elasticsearch: { ...pipelines.b.output.elasticsearch, auth: { apiKey: '${ES_API_KEY}', username: basic.username, password: '${ES_PASSWORD}' } } } },
      misspeltKey: { ...pipelines.a, output: { elasticsearch: { ...pipelines.a.output.elasticsearch, auth: { username: basic.username, pasword: '${ES_PASSWORD}' } } } },
      ftpUrlWithCredentials: { ...pipelines.a, output: { elasticsearch: { ...pipelines.a.output.elasticsearch, nodes: [`ftp://${basic.username}:${basic.password}@127.0.0.1:1`] } } },
      keyNotPem: { ...pipelines.c, input: { kafka: { ...pipelines.c.input.kafka, tls: { ca, cert: kafka.certs.clientCert, key: '${ES_TOKEN}' } } } },
    };
    const invalidDir = join(secretsDir, 'invalid');
    mkdirSync(invalidDir);
    for (const [name, p] of Object.entries(invalid)) writePipeline(invalidDir, name, p);
    const invalidRun = await runCli(['validate', invalidDir], { env });
    expect(invalidRun.code).toBe(1);
    expect(invalidRun.stderr).toMatch(/6 of 6 pipeline file\(s\) invalid/);
    expect(invalidRun.stderr).toMatch(/sasl: expected object, found a string \(value not shown: secret\)/);
    collect('validate (invalid)', invalidRun);

    // process: no connections, but logs at trace level.
    const processed = await runCli(['process', files.a, '--log-level', 'trace'], { env, input: 'one\ntwo\n' });
    expect(processed.code, processed.output).toBe(0);
    collect('process', processed);

    // run, successfully, at trace level; /metrics and /readyz while it runs.
    const sluice = startSluice(['run', runDir, '--http-port', '0', '--log-level', 'trace'], env);
    let metricsText = '';
    try {
      await waitFor(
        'the three pipelines to index their records',
        async () => {
          if (sluice.child.exitCode !== null) throw new Error(`sluice exited:\n${sluice.output()}`);
          for (const t of Object.values(topics)) if ((await esCount(t)) !== 5) return false;
          return true;
        },
        60_000,
        500,
      );
      const port = Number(/"port":(\d+)/.exec(sluice.output())?.[1]);
      for (const path of ['/metrics', '/readyz', '/healthz']) metricsText += await (await fetch(`http://127.0.0.1:${port}${path}`)).text();
      expect(metricsText).toMatch(/sluice_/);
    } finally {
      const stopped = await stop(sluice);
      expect(stopped.code, stopped.output).toBe(0);
      collect('run', stopped);
      outputs.push(['/metrics /readyz /healthz', metricsText]);
    }

    // run, failing: wrong Kafka password, wrong ES password (both are secrets too).
    const failing = await Promise.all([
      runCli(['run', files.a, '--http-port', '0', '--log-level', 'trace'], { env: { ...env, ES_PASSWORD: wrongEs } }),
      runCli(['run', files.b, '--http-port', '0', '--log-level', 'trace'], { env: { ...env, KAFKA_PLAIN_PASSWORD: wrongKafka } }),
    ]);
    expect(failing[0].output).toMatch(/rejected the credentials/);
    expect(failing[1].output).toMatch(/rejected the SASL PLAIN credentials/);
    for (const r of failing) {
      expect(r.code).toBe(1);
      collect('run (failing)', r);
    }

    // doctor and replay, when this build has them (they must exist: the issue asks for them).
    expect(verbs).toEqual(expect.arrayContaining(['doctor', 'replay']));
    const others = await Promise.all([
      ...Object.values(files).map((f) => runCli(['doctor', f, '--log-level', 'trace'], { env, timeoutMs: 90_000 })),
      runCli(['doctor', files.a, '--log-level', 'trace'], { env: { ...env, ES_PASSWORD: wrongEs, KAFKA_PASSWORD_FILE: undefined, KAFKA_PASSWORD: wrongKafka }, timeoutMs: 90_000 }),
      runCli(['replay', files.a, '--dry-run', '--log-level', 'trace'], { env, timeoutMs: 60_000 }),
      runCli(['replay', files.b, '--dry-run', '--log-level', 'trace'], { env: { ...env, KAFKA_PLAIN_PASSWORD: wrongKafka }, timeoutMs: 60_000 }),
    ]);
    expect(others[0].output).toMatch(/^PASS\s+elasticsearch https:/m);
    for (const r of others) collect('doctor/replay', r);

    for (const [what, text] of outputs) {
      for (const needle of needles) expect(text.includes(needle), `${what} printed a secret (${needle.slice(0, 6)}...):\n${text}`).toBe(false);
      expectNoStackTrace(text);
    }
  });
});

/** The verbs `bin/sluice --help` lists. */
async function helpVerbs(): Promise<string[]> {
  const help = await runCli(['--help']);
  const commands = help.stdout.split(/^Commands:$/m)[1] ?? '';
  return [...commands.matchAll(/^ {2}([a-z]+)\b/gm)].map((m) => m[1]);
}
