/**
 * `npm run stack:secure`: the secured mode of the local stack, for trying TLS, SASL and
 * Elasticsearch credentials by hand. Starts (or reuses) the plain stack for Elasticsearch,
 * then a separate secured Kafka and nginx in front of Elasticsearch (scripts/stack/secure.ts),
 * writes `<instance>/env` and one example pipeline per mode into `<instance>/pipelines/`,
 * prints how to use them, and runs until Ctrl-C, when it stops what it started here.
 */
import fs from 'node:fs';
import kafkajs from 'kafkajs';
import path from 'node:path';
import { ensureStack } from './stack.js';
import { makeCertificates, newInstanceDir, removeInstanceDir, startSecureKafka, startTlsProxy } from './secure.js';
import { StackError } from './toolchain.js';

const log = (msg: string) => console.error(`[stack:secure] ${msg}`);

async function main(): Promise<void> {
  const plain = await ensureStack({ log, useEnv: false });
  const dir = newInstanceDir();
  const certs = makeCertificates(path.join(dir, 'certs'));
  const [kafka, proxy] = await Promise.all([startSecureKafka({ dir, certs, log }), startTlsProxy({ upstream: plain.esUrl, certs, dir, log })]);
  const stop = async () => {
    log('stopping the secured Kafka and nginx...');
    await Promise.all([kafka.stop(), proxy.stop()]);
    removeInstanceDir(dir);
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());

  const env: Record<string, string> = {
    KAFKA_SSL_BROKERS: kafka.ssl,
    KAFKA_SASL_SSL_BROKERS: kafka.saslSsl,
    KAFKA_SETUP_BROKERS: kafka.internal,
    KAFKA_CA: certs.ca,
    KAFKA_CLIENT_CERT: certs.clientCert,
    KAFKA_CLIENT_KEY: certs.clientKey,
    KAFKA_PLAIN_USER: kafka.users.plain.username,
    KAFKA_PLAIN_PASSWORD: kafka.users.plain.password,
    KAFKA_SCRAM256_USER: kafka.users.scram256.username,
    KAFKA_SCRAM256_PASSWORD: kafka.users.scram256.password,
    KAFKA_SCRAM512_USER: kafka.users.scram512.username,
    KAFKA_SCRAM512_PASSWORD: kafka.users.scram512.password,
    ES_BASIC_URL: proxy.basic,
    ES_APIKEY_URL: proxy.apiKey,
    ES_BEARER_URL: proxy.bearer,
    ES_MTLS_URL: proxy.mtls,
    ES_USER: proxy.credentials.basic.username,
    ES_PASSWORD: proxy.credentials.basic.password,
    ES_API_KEY: proxy.credentials.apiKey,
    ES_TOKEN: proxy.credentials.bearer,
    ES_CA_FINGERPRINT: certs.caFingerprint,
  };
  fs.writeFileSync(path.join(dir, 'env'), Object.entries(env).map(([k, v]) => `${k}=${v}`).join('\n') + '\n', { mode: 0o600 });

  const pipelinesDir = path.join(dir, 'pipelines');
  fs.mkdirSync(pipelinesDir);
  const examples: Record<string, { input: object; output: object }> = {
    'mtls-basic': {
      input: { brokers: ['${KAFKA_SSL_BROKERS}'], tls: { ca: '${KAFKA_CA}', cert: '${KAFKA_CLIENT_CERT}', key: '${KAFKA_CLIENT_KEY}' } },
      output: { nodes: ['${ES_BASIC_URL}'], auth: { username: '${ES_USER}', password: '${ES_PASSWORD}' }, tls: { ca: '${KAFKA_CA}' } },
    },
    'scram256-apikey': {
      input: { brokers: ['${KAFKA_SASL_SSL_BROKERS}'], tls: { ca: '${KAFKA_CA}' }, sasl: { mechanism: 'scram-sha-256', username: '${KAFKA_SCRAM256_USER}', password: '${KAFKA_SCRAM256_PASSWORD}' } },
      output: { nodes: ['${ES_APIKEY_URL}'], auth: { apiKey: '${ES_API_KEY}' }, tls: { caFingerprint: '${ES_CA_FINGERPRINT}' } },
    },
    'scram512-bearer': {
      input: { brokers: ['${KAFKA_SASL_SSL_BROKERS}'], tls: { ca: '${KAFKA_CA}' }, sasl: { mechanism: 'scram-sha-512', username: '${KAFKA_SCRAM512_USER}', password: '${KAFKA_SCRAM512_PASSWORD}' } },
      output: { nodes: ['${ES_BEARER_URL}'], auth: { bearer: '${ES_TOKEN}' }, tls: { ca: '${KAFKA_CA}' } },
    },
    'plain-mtls': {
      input: { brokers: ['${KAFKA_SASL_SSL_BROKERS}'], tls: { ca: '${KAFKA_CA}' }, sasl: { mechanism: 'plain', username: '${KAFKA_PLAIN_USER}', password: '${KAFKA_PLAIN_PASSWORD}' } },
      output: { nodes: ['${ES_MTLS_URL}'], auth: { username: '${ES_USER}', password: '${ES_PASSWORD}' }, tls: { ca: '${KAFKA_CA}', cert: '${KAFKA_CLIENT_CERT}', key: '${KAFKA_CLIENT_KEY}' } },
    },
  };
  for (const [name, { input, output }] of Object.entries(examples)) {
    const pipeline = {
      id: `secure-${name}`,
      input: { kafka: { ...input, topics: [`secure-${name}`], groupId: `secure-${name}` } },
      output: { elasticsearch: { ...output, index: `secure-${name}` } },
    };
    fs.writeFileSync(path.join(pipelinesDir, `${name}.json`), JSON.stringify(pipeline, null, 2) + '\n');
  }

  // The example topics, with a few records each, made through the set-up listener.
  const setup = new kafkajs.Kafka({ clientId: 'stack-secure', brokers: [kafka.internal], logLevel: kafkajs.logLevel.NOTHING });
  const admin = setup.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: Object.keys(examples).map((name) => ({ topic: `secure-${name}`, numPartitions: 1 })) });
  await admin.disconnect();
  const producer = setup.producer();
  await producer.connect();
  for (const name of Object.keys(examples)) {
    await producer.send({ topic: `secure-${name}`, messages: Array.from({ length: 3 }, (_, n) => ({ value: `sample record ${n} for ${name}` })) });
  }
  await producer.disconnect();

  console.log(`secured Kafka  SSL (client certificate required) ${kafka.ssl}
               SASL_SSL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) ${kafka.saslSsl}
               PLAINTEXT for set-up (creating topics, producing) ${kafka.internal}
nginx → ${plain.esUrl}
               basic ${proxy.basic}   API key ${proxy.apiKey}   bearer ${proxy.bearer}   client certificate + basic ${proxy.mtls}
credentials, paths and addresses: ${path.join(dir, 'env')}
example pipelines (one per mode): ${pipelinesDir}

  set -a; . ${path.join(dir, 'env')}; set +a
  ./bin/sluice doctor ${path.join(pipelinesDir, 'scram256-apikey.json')}
  ./bin/sluice run ${pipelinesDir}

Ctrl-C stops the secured Kafka and nginx (the plain stack keeps running).`);
  await new Promise(() => {});
}

main().catch((err: unknown) => {
  console.error(err instanceof StackError ? `[stack:secure] error: ${err.message}` : err);
  process.exit(1);
});
