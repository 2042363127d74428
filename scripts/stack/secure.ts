/**
 * The secured mode of the local stack, for the security tests and for trying TLS/SASL by
 * hand. It never touches the shared plain stack: each instance lives in its own directory
 * (`<SLUICE_SECURE_STACK_DIR or .stack/secure>/<pid>-<random>/`) with its own free ports,
 * and is stopped (and its directory removed) by `stop()`. Instances left behind by a
 * crashed test run are killed and removed by the next start.
 *
 * - makeCertificates(): a test CA, a server certificate for localhost/127.0.0.1 (brokers and
 *   the nginx proxy), a client certificate, and a second "rogue" CA that signed nothing we
 *   serve; made with openssl, the broker keystore as PKCS#12 (openssl) and the truststore
 *   with keytool.
 * - startSecureKafka(): the same Kafka 3.9 as the plain stack (KRaft, one node), with
 *     INTERNAL   PLAINTEXT, inter-broker and test set-up only (creating topics, producing);
 *     SSL        TLS with client certificates required (ssl.client.auth=required);
 *     SASL_SSL   TLS + SASL PLAIN, SCRAM-SHA-256, SCRAM-SHA-512.
 *   SCRAM users are created with Kafka's own storage tool at format time
 *   (`kafka-storage format --add-scram`), the PLAIN user by the broker's JAAS config.
 * - startTlsProxy(): nginx terminating TLS in front of an HTTP upstream (the local
 *   Elasticsearch, which has no security module), one port per authentication mode:
 *   basic (auth_basic), API key and bearer token (`map $http_authorization`), and basic plus
 *   a required client certificate.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto, { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import kafkajs from 'kafkajs';
import { paths, STACK_SRC } from './paths.js';
import { pickFreePorts } from './state.js';
import { JAVA, StackError } from './toolchain.js';
import { currentKafkaVersion, kafkaLogConfigArg } from './kafka-versions.js';
import { resolveKafkaClasspath } from './kafka.js';

const { Kafka, logLevel } = kafkajs;

export const SECURE_ROOT = path.resolve(process.env.SLUICE_SECURE_STACK_DIR ?? path.join(paths.root, 'secure'));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Kills what an abandoned instance left running (only processes whose command line names its directory). */
function reapStale(): void {
  let entries: string[] = [];
  try {
    entries = fs.readdirSync(SECURE_ROOT);
  } catch {
    return;
  }
  for (const name of entries) {
    const dir = path.join(SECURE_ROOT, name);
    const owner = Number(name.split('-')[0]);
    if (Number.isInteger(owner) && owner > 0 && alive(owner)) continue;
    for (const pidFile of ['kafka.pid', 'nginx.pid']) {
      let pid = NaN;
      try {
        pid = Number.parseInt(fs.readFileSync(path.join(dir, pidFile), 'utf8').trim(), 10);
      } catch {
        /* no such process was started */
      }
      if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) continue;
      try {
        const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        if (cmdline.includes(dir)) process.kill(pid, 'SIGKILL');
      } catch {
        /* not ours or gone */
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A fresh instance directory owned by this process. */
export function newInstanceDir(): string {
  reapStale();
  fs.mkdirSync(SECURE_ROOT, { recursive: true });
  const dir = path.join(SECURE_ROOT, `${process.pid}-${crypto.randomBytes(4).toString('hex')}`);
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  return dir;
}

function run(cmd: string, args: string[], cwd: string): void {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  if (r.error) throw new StackError(`${cmd} not found (${r.error.message}); install it (Debian: openssl, a JDK for keytool)`);
  if (r.status !== 0) throw new StackError(`${cmd} ${args.join(' ')} failed (exit ${r.status}):\n${r.stderr}${r.stdout}`);
}

// ------------------------------------------------------------------------------- certificates

export interface Certificates {
  dir: string;
  /** The test CA (PEM file) and its SHA-256 fingerprint (colon-separated hex). */
  ca: string;
  caFingerprint: string;
  /** Server certificate for localhost and 127.0.0.1, its key, and certificate + CA. */
  serverCert: string;
  serverKey: string;
  serverFullchain: string;
  /** Client certificate (CN=sluice-client) and key, signed by the test CA. */
  clientCert: string;
  clientKey: string;
  /** A CA that signed nothing we serve: trusting only it must fail. */
  rogueCa: string;
  rogueCaFingerprint: string;
  /** Broker keystore and truststore (PKCS#12) and their password. */
  keystore: string;
  truststore: string;
  storePassword: string;
}

export function makeCertificates(dir: string): Certificates {
  fs.mkdirSync(dir, { recursive: true });
  const f = (name: string) => path.join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const ca = (name: string, cn: string) =>
    run('openssl', ['req', '-x509', ...ec, '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '7', '-subj', `/CN=${cn}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  ca('ca', 'sluice test CA');
  ca('rogue-ca', 'sluice rogue CA');
  const leaf = (name: string, cn: string, ext: string) => {
    fs.writeFileSync(f(`${name}.ext`), ext);
    run('openssl', ['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`], dir);
    run('openssl', ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', `0x${crypto.randomBytes(8).toString('hex')}`, '-days', '7', '-out', `${name}.pem`, '-extfile', `${name}.ext`], dir);
  };
  leaf('server', 'localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\n');
  leaf('client', 'sluice-client', 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n');
  fs.writeFileSync(f('server-fullchain.pem'), fs.readFileSync(f('server.pem'), 'utf8') + fs.readFileSync(f('ca.pem'), 'utf8'));
  const storePassword = crypto.randomBytes(12).toString('hex');
  run('openssl', ['pkcs12', '-export', '-in', 'server.pem', '-inkey', 'server.key', '-certfile', 'ca.pem', '-name', 'broker', '-out', 'broker.p12', '-passout', `pass:${storePassword}`], dir);
  run('keytool', ['-importcert', '-noprompt', '-alias', 'ca', '-file', 'ca.pem', '-keystore', 'truststore.p12', '-storetype', 'PKCS12', '-storepass', storePassword], dir);
  // nginx workers may run as another user: the test material must be readable.
  for (const name of fs.readdirSync(dir)) fs.chmodSync(f(name), 0o644);
  const fingerprint = (file: string) => new X509Certificate(fs.readFileSync(f(file))).fingerprint256;
  return {
    dir,
    ca: f('ca.pem'),
    caFingerprint: fingerprint('ca.pem'),
    serverCert: f('server.pem'),
    serverKey: f('server.key'),
    serverFullchain: f('server-fullchain.pem'),
    clientCert: f('client.pem'),
    clientKey: f('client.key'),
    rogueCa: f('rogue-ca.pem'),
    rogueCaFingerprint: fingerprint('rogue-ca.pem'),
    keystore: f('broker.p12'),
    truststore: f('truststore.p12'),
    storePassword,
  };
}

// ------------------------------------------------------------------------------------ Kafka

export interface Credentials {
  username: string;
  password: string;
}

export interface SecureKafka {
  dir: string;
  certs: Certificates;
  /** PLAINTEXT listener for test set-up (topics, producing); not for the code under test. */
  internal: string;
  /** SSL listener: TLS, client certificate required. */
  ssl: string;
  /** SASL_SSL listener: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512. */
  saslSsl: string;
  users: { plain: Credentials; scram256: Credentials; scram512: Credentials };
  /** Last lines of the broker's output. */
  output(): string;
  stop(): Promise<void>;
}

export interface SecureKafkaOptions {
  /** Instance directory (default: a new one under SECURE_ROOT). */
  dir?: string;
  /** Certificates to use (default: made in `<dir>/certs`). */
  certs?: Certificates;
  log?: (msg: string) => void;
}

const password = () => crypto.randomBytes(12).toString('base64url');

export async function startSecureKafka(opts: SecureKafkaOptions = {}): Promise<SecureKafka> {
  const log = opts.log ?? (() => {});
  const dir = opts.dir ?? newInstanceDir();
  const certs = opts.certs ?? makeCertificates(path.join(dir, 'certs'));
  const kafkaVersion = currentKafkaVersion();
  const classpath = (await resolveKafkaClasspath(kafkaVersion, log)).join(path.delimiter);
  const [internalPort, sslPort, saslPort, controllerPort] = await pickFreePorts(4);
  const users = {
    plain: { username: 'sluice-plain', password: `plain-${password()}` },
    scram256: { username: 'sluice-scram256', password: `s256-${password()}` },
    scram512: { username: 'sluice-scram512', password: `s512-${password()}` },
  };
  const kafkaDir = path.join(dir, 'kafka');
  fs.mkdirSync(kafkaDir, { recursive: true });
  const props: Record<string, string | number> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@127.0.0.1:${controllerPort}`,
    listeners: `INTERNAL://127.0.0.1:${internalPort},SSL://127.0.0.1:${sslPort},SASL_SSL://127.0.0.1:${saslPort},CONTROLLER://127.0.0.1:${controllerPort}`,
    'advertised.listeners': `INTERNAL://127.0.0.1:${internalPort},SSL://127.0.0.1:${sslPort},SASL_SSL://127.0.0.1:${saslPort}`,
    'listener.security.protocol.map': 'INTERNAL:PLAINTEXT,SSL:SSL,SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name': 'INTERNAL',
    'controller.listener.names': 'CONTROLLER',
    'ssl.keystore.type': 'PKCS12',
    'ssl.keystore.location': certs.keystore,
    'ssl.keystore.password': certs.storePassword,
    'ssl.key.password': certs.storePassword,
    'ssl.truststore.type': 'PKCS12',
    'ssl.truststore.location': certs.truststore,
    'ssl.truststore.password': certs.storePassword,
    'listener.name.ssl.ssl.client.auth': 'required',
    'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
    'listener.name.sasl_ssl.plain.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required user_${users.plain.username}="${users.plain.password}";`,
    'listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
    'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
    'log.dirs': path.join(kafkaDir, 'data'),
    'auto.create.topics.enable': 'true',
    'num.partitions': 1,
    'offsets.topic.replication.factor': 1,
    'offsets.topic.num.partitions': 1,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'transaction.state.log.num.partitions': 1,
    'group.initial.rebalance.delay.ms': 0,
    'num.network.threads': 2,
    'num.io.threads': 2,
  };
  const propsFile = path.join(kafkaDir, 'server.properties');
  fs.writeFileSync(propsFile, `# Written by scripts/stack/secure.ts\n${Object.entries(props).map(([k, v]) => `${k}=${v}`).join('\n')}\n`);
  const jvm = ['-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Djava.awt.headless=true', kafkaLogConfigArg(kafkaVersion, 'tools')];
  const clusterId = crypto.randomBytes(16).toString('base64url').replace(/^-/, 'A');
  const format = spawnSync(
    JAVA,
    [
      '-Xmx256m',
      ...jvm,
      '-cp',
      classpath,
      'kafka.tools.StorageTool',
      'format',
      '-t',
      clusterId,
      '-c',
      propsFile,
      '--add-scram',
      `SCRAM-SHA-256=[name=${users.scram256.username},password=${users.scram256.password}]`,
      '--add-scram',
      `SCRAM-SHA-512=[name=${users.scram512.username},password=${users.scram512.password}]`,
    ],
    { encoding: 'utf8' },
  );
  if (format.status !== 0) throw new StackError(`formatting the secured Kafka (with SCRAM users) failed:\n${format.stdout}\n${format.stderr}`);

  const logFile = path.join(dir, 'kafka.log');
  const fd = fs.openSync(logFile, 'a');
  const child: ChildProcess = spawn(
    JAVA,
    [
      `-Dsluice.stack=secure-kafka@${dir}`,
      '-Xmx384m',
      '-XX:+UseSerialGC',
      '-Djava.awt.headless=true',
      `-Dkafka.logs.dir=${path.join(kafkaDir, 'logs')}`,
      kafkaLogConfigArg(kafkaVersion, 'broker'),
      '-cp',
      classpath,
      'kafka.Kafka',
      propsFile,
    ],
    { cwd: kafkaDir, stdio: ['ignore', fd, fd] },
  );
  fs.closeSync(fd);
  fs.writeFileSync(path.join(dir, 'kafka.pid'), `${child.pid}\n`);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const output = () => tail(logFile);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  };
  const internal = `127.0.0.1:${internalPort}`;
  try {
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (child.exitCode !== null) throw new StackError(`the secured Kafka exited during start-up (${child.exitCode}):\n${output()}`);
      if (await brokerRegistered(internal)) break;
      if (Date.now() > deadline) throw new StackError(`the secured Kafka did not start within 120 s:\n${output()}`);
      await sleep(300);
    }
    await Promise.all([waitForTls(sslPort, deadline), waitForTls(saslPort, deadline)]);
  } catch (err) {
    await stop();
    throw err;
  }
  log(`secured Kafka: INTERNAL ${internal}, SSL 127.0.0.1:${sslPort}, SASL_SSL 127.0.0.1:${saslPort} (${dir})`);
  return { dir, certs, internal, ssl: `127.0.0.1:${sslPort}`, saslSsl: `127.0.0.1:${saslPort}`, users, output, stop };
}

async function brokerRegistered(bootstrap: string): Promise<boolean> {
  const admin = new Kafka({ clientId: 'secure-stack-probe', brokers: [bootstrap], logLevel: logLevel.NOTHING, connectionTimeout: 1000, retry: { retries: 0 } }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.some((b) => b.nodeId === 1);
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** Polls until `port` completes a TLS handshake (certificate checks off: this is only readiness). */
async function waitForTls(port: number, deadline: number): Promise<void> {
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false });
      const done = (v: boolean) => {
        s.destroy();
        resolve(v);
      };
      s.once('secureConnect', () => done(true));
      s.once('error', () => done(false));
      s.setTimeout(2000, () => done(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new StackError(`nothing answers TLS on 127.0.0.1:${port}`);
    await sleep(200);
  }
}

function tail(file: string, bytes = 8000): string {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.slice(-bytes);
  } catch {
    return '(no output)';
  }
}

// ------------------------------------------------------------------------------------ nginx

export interface TlsProxy {
  dir: string;
  /** https://127.0.0.1:<port> for each mode. */
  basic: string;
  apiKey: string;
  bearer: string;
  /** Basic auth and a client certificate signed by the test CA required. */
  mtls: string;
  credentials: { basic: Credentials; apiKey: string; bearer: string };
  output(): string;
  stop(): Promise<void>;
}

export interface TlsProxyOptions {
  /** http://host:port of what to protect (the local Elasticsearch). */
  upstream: string;
  certs: Certificates;
  dir?: string;
  log?: (msg: string) => void;
}

/** `{SSHA}` entry of an htpasswd file (salted SHA-1; nginx's auth_basic reads it). */
function ssha(pw: string): string {
  const salt = crypto.randomBytes(8);
  const digest = crypto.createHash('sha1').update(pw).update(salt).digest();
  return `{SSHA}${Buffer.concat([digest, salt]).toString('base64')}`;
}

const UNAUTHORIZED_BODY = `'{"error":{"type":"security_exception","reason":"unable to authenticate with provided credentials and anonymous access is not allowed for this request"},"status":401}'`;

export async function startTlsProxy(opts: TlsProxyOptions): Promise<TlsProxy> {
  const nginx = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx'].find((p) => fs.existsSync(p)) ?? 'nginx';
  const dir = opts.dir ?? newInstanceDir();
  const ngDir = path.join(dir, 'nginx');
  for (const sub of ['', 'tmp', 'logs']) fs.mkdirSync(path.join(ngDir, sub), { recursive: true });
  fs.chmodSync(path.join(ngDir, 'tmp'), 0o777);
  const upstream = new URL(opts.upstream);
  const [basicPort, apiKeyPort, bearerPort, mtlsPort] = await pickFreePorts(4);
  const credentials = {
    basic: { username: 'sluice-es', password: `es-${password()}` },
    apiKey: Buffer.from(`${crypto.randomBytes(6).toString('hex')}:${password()}`).toString('base64'),
    bearer: `tok-${crypto.randomBytes(24).toString('base64url')}`,
  };
  const htpasswd = path.join(ngDir, 'htpasswd');
  fs.writeFileSync(htpasswd, `${credentials.basic.username}:${ssha(credentials.basic.password)}\n`, { mode: 0o644 });
  const tlsLines = `ssl_certificate ${opts.certs.serverFullchain};\n    ssl_certificate_key ${opts.certs.serverKey};\n    ssl_protocols TLSv1.2 TLSv1.3;`;
  const proxy = `proxy_pass http://es;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Authorization "";
      proxy_read_timeout 120s;`;
  const conf = `# Written by scripts/stack/secure.ts: TLS and authentication in front of ${upstream.origin}
worker_processes 1;
daemon off;
pid ${path.join(ngDir, 'nginx.pid')};
error_log ${path.join(ngDir, 'logs', 'error.log')} warn;
events { worker_connections 256; }
http {
  access_log off;
  default_type application/json;
  map_hash_bucket_size 256;
  client_max_body_size 200m;
  client_body_temp_path ${path.join(ngDir, 'tmp', 'body')};
  proxy_temp_path ${path.join(ngDir, 'tmp', 'proxy')};
  fastcgi_temp_path ${path.join(ngDir, 'tmp', 'fastcgi')};
  uwsgi_temp_path ${path.join(ngDir, 'tmp', 'uwsgi')};
  scgi_temp_path ${path.join(ngDir, 'tmp', 'scgi')};
  upstream es { server ${upstream.host}; keepalive 8; }
  map $http_authorization $api_key_ok { default 0; "ApiKey ${credentials.apiKey}" 1; }
  map $http_authorization $bearer_ok { default 0; "Bearer ${credentials.bearer}" 1; }
  server {
    listen 127.0.0.1:${basicPort} ssl;
    ${tlsLines}
    auth_basic "elasticsearch";
    auth_basic_user_file ${htpasswd};
    location / {
      ${proxy}
    }
  }
  server {
    listen 127.0.0.1:${apiKeyPort} ssl;
    ${tlsLines}
    location / {
      if ($api_key_ok = 0) {
        add_header WWW-Authenticate 'ApiKey' always;
        return 401 ${UNAUTHORIZED_BODY};
      }
      ${proxy}
    }
  }
  server {
    listen 127.0.0.1:${bearerPort} ssl;
    ${tlsLines}
    location / {
      if ($bearer_ok = 0) {
        add_header WWW-Authenticate 'Bearer realm="security"' always;
        return 401 ${UNAUTHORIZED_BODY};
      }
      ${proxy}
    }
  }
  server {
    listen 127.0.0.1:${mtlsPort} ssl;
    ${tlsLines}
    ssl_client_certificate ${opts.certs.ca};
    ssl_verify_client on;
    auth_basic "elasticsearch";
    auth_basic_user_file ${htpasswd};
    location / {
      ${proxy}
    }
  }
}
`;
  const confFile = path.join(ngDir, 'nginx.conf');
  fs.writeFileSync(confFile, conf, { mode: 0o644 });
  const logFile = path.join(ngDir, 'logs', 'stderr.log');
  const fd = fs.openSync(logFile, 'a');
  const child = spawn(nginx, ['-p', ngDir, '-c', confFile, '-e', path.join(ngDir, 'logs', 'error.log')], { cwd: ngDir, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  fs.writeFileSync(path.join(dir, 'nginx.pid'), `${child.pid}\n`);
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const output = () => `${tail(logFile)}\n${tail(path.join(ngDir, 'logs', 'error.log'))}`;
  const stop = async () => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(5000)]);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    }
  };
  const deadline = Date.now() + 20_000;
  try {
    await Promise.race([
      Promise.all([basicPort, apiKeyPort, bearerPort, mtlsPort].map((p) => waitForTls(p, deadline))),
      spawnError.then((e) => {
        throw new StackError(`nginx could not be started (${e.message}): install it (Debian: apt-get install nginx, or scripts/ensure-debian-packages.sh nginx:nginx)`);
      }),
      exited.then(() => {
        throw new StackError(`nginx exited during start-up:\n${output()}`);
      }),
    ]);
  } catch (err) {
    await stop();
    throw err;
  }
  const url = (p: number) => `https://127.0.0.1:${p}`;
  opts.log?.(`TLS proxy for ${upstream.origin}: basic ${url(basicPort)}, API key ${url(apiKeyPort)}, bearer ${url(bearerPort)}, mTLS+basic ${url(mtlsPort)}`);
  return { dir, basic: url(basicPort), apiKey: url(apiKeyPort), bearer: url(bearerPort), mtls: url(mtlsPort), credentials, output, stop };
}

/** Removes an instance directory (after its processes are stopped). */
export function removeInstanceDir(dir: string): void {
  if (path.dirname(dir) === SECURE_ROOT) fs.rmSync(dir, { recursive: true, force: true });
}

/** True when a TCP connection to host:port is accepted (for callers' own checks). */
export function portOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
