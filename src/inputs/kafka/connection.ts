/**
 * Kafka connection settings shared by everything that talks to Kafka for a pipeline: the
 * input's consumer, the dead-letter producer, `replay` and `doctor`. Every client is made by
 * createKafka(), so TLS and SASL configured here reach all of them.
 *
 * Security: `tls` (custom CA, optional client certificate) and `sasl` (PLAIN, SCRAM-SHA-256,
 * SCRAM-SHA-512), natively through kafkajs. Before a client connects over TLS, one handshake
 * plus an ApiVersions round trip is made to the first reachable bootstrap broker: a broker
 * certificate that is not trusted, a host name it does not cover, a missing client
 * certificate or a listener that does not speak TLS then fails at once with a one-line
 * message, instead of kafkajs retrying what can never succeed. SASL authentication failures
 * are non-retriable in kafkajs and are reported the same way.
 */
import { createRequire } from 'node:module';
import net from 'node:net';
import tls from 'node:tls';
import { Type, type Static } from '@sinclair/typebox';
import kafkajs, { type KafkaConfig, type logLevel as LogLevel, type SASLOptions } from 'kafkajs';
import type { Logger } from 'pino';
import { registerCompressionCodecs } from './compression.js';
import { checkTlsMaterial, explainTlsFailure, pemOrFile, readPem } from '../../config/tls.js';
import { registerCredentials, scrub, secret } from '../../config/secrets.js';
import { UserError } from '../../core/user-error.js';
import type { Unavailable } from '../../core/waiting.js';

const { Kafka, logLevel } = kafkajs;

export const kafkaTlsSchema = Type.Object(
  {
    ca: Type.Optional(
      pemOrFile(
        'CA certificate(s) that signed the brokers\' certificates: a PEM file path (relative to the pipeline file) or PEM text (e.g. `${KAFKA_CA_PEM}`). Default: the system\'s trusted CAs.',
      ),
    ),
    cert: Type.Optional(pemOrFile('Client certificate (PEM file or text), for brokers that require TLS client authentication (`ssl.client.auth=required`). Needs `key`.')),
    key: Type.Optional(pemOrFile('Private key of the client certificate (PEM file or text). Inline PEM is treated as a secret.', { secret: true })),
    passphrase: Type.Optional(secret({ description: 'Passphrase of an encrypted `key`.' })),
    rejectUnauthorized: Type.Boolean({
      default: true,
      description: 'Verify the brokers\' certificates and host names. `false` accepts any certificate (encryption without authentication of the broker): for tests only.',
    }),
    servername: Type.Optional(Type.String({ minLength: 1, description: 'Host name to expect in the brokers\' certificates (and to send as SNI) instead of the broker address.' })),
  },
  { additionalProperties: false, description: 'Connect with TLS (listeners `SSL` and `SASL_SSL`). `{}` uses the system\'s CAs.' },
);

export const kafkaSaslSchema = Type.Object(
  {
    mechanism: Type.Union([Type.Literal('plain'), Type.Literal('scram-sha-256'), Type.Literal('scram-sha-512')], {
      description: 'SASL mechanism the listener enables: `plain`, `scram-sha-256` or `scram-sha-512`. Use `plain` only together with `tls`.',
    }),
    username: Type.String({ minLength: 1, description: 'SASL user name.' }),
    password: secret({ description: 'SASL password; put it in a secret: `"${KAFKA_PASSWORD}"` with `KAFKA_PASSWORD_FILE=/run/secrets/...`.' }),
  },
  { additionalProperties: false, description: 'Authenticate with SASL (listeners `SASL_SSL` and `SASL_PLAINTEXT`).' },
);

export const connectionProperties = {
  brokers: Type.Array(Type.String({ minLength: 1 }), {
    minItems: 1,
    description: 'Bootstrap brokers as host:port. An entry may hold a comma-separated list, so one `${KAFKA_BROKERS}` can carry several.',
  }),
  clientId: Type.String({ default: 'sluice', description: 'Client id sent to the brokers (shows in broker logs and quotas).' }),
  connectionTimeoutMs: Type.Integer({ minimum: 100, default: 10000, description: 'Time to establish a connection to a broker.' }),
  requestTimeoutMs: Type.Integer({ minimum: 100, default: 30000, description: 'Time to wait for a broker to answer a request.' }),
  tls: Type.Optional(kafkaTlsSchema),
  sasl: Type.Optional(kafkaSaslSchema),
};

export const connectionSchema = Type.Object(connectionProperties);
export type ConnectionSettings = Static<typeof connectionSchema>;

export function brokerList(brokers: readonly string[]): string[] {
  return brokers.flatMap((b) => b.split(',')).map((b) => b.trim()).filter(Boolean);
}

/**
 * Protocol errors that are normal, retried states of a healthy cluster: a coordinator loading
 * its offsets after a start, a group rebalancing, a leader moving. kafkajs logs the failed
 * response at error level and retries it; an operator can do nothing about it.
 */
const TRANSIENT_KAFKA_ERRORS = [
  'GROUP_LOAD_IN_PROGRESS',
  'GROUP_COORDINATOR_NOT_AVAILABLE',
  'NOT_COORDINATOR_FOR_GROUP',
  'REBALANCE_IN_PROGRESS',
  'UNKNOWN_MEMBER_ID',
  'ILLEGAL_GENERATION',
  'MEMBER_ID_REQUIRED',
  'LEADER_NOT_AVAILABLE',
  'NOT_LEADER_FOR_PARTITION',
  'REPLICA_NOT_AVAILABLE',
  'FENCED_LEADER_EPOCH',
  'UNKNOWN_LEADER_EPOCH',
  'OFFSET_NOT_AVAILABLE',
  'PREFERRED_LEADER_NOT_AVAILABLE',
  'FETCH_SESSION_ID_NOT_FOUND',
  'INVALID_FETCH_SESSION_EPOCH',
  'NOT_CONTROLLER',
  'UNSTABLE_OFFSET_COMMIT',
  'CONCURRENT_TRANSACTIONS',
];

/** The messages kafkajs logs for TRANSIENT_KAFKA_ERRORS (from its own error table). */
const transientMessages: string[] = (() => {
  try {
    const require = createRequire(import.meta.url);
    const { errorCodes } = require('kafkajs/src/protocol/error.js') as { errorCodes: { type: string; message: string }[] };
    return errorCodes.filter((e) => TRANSIENT_KAFKA_ERRORS.includes(e.type)).map((e) => e.message);
  } catch {
    return [];
  }
})();

/** kafkajs' own words for a consumer rejoining its group: what a rebalance is. */
const REJOINING = /^(The group is rebalancing, re-joining|The coordinator is not aware of this member, re-joining the group|.*, resync group)$/;
/** Lines our own handlers report better (CRASH event) or that say nothing to an operator. */
const ECHOED = /^(Crash: |Restarting the consumer in |Response without match|Consumer is not aware of all assigned partitions)/;

export function isTransientKafkaLog(message: string, error: unknown): boolean {
  const text = `${message} ${typeof error === 'string' ? error : ''}`;
  return transientMessages.some((m) => text.includes(m));
}

/**
 * Routes kafkajs's own logging into pino at a level that does not drown the operator:
 * kafkajs' info goes to debug; retried transient states (TRANSIENT_KAFKA_ERRORS) to debug,
 * rejoins to info; while `quiet()` (a start-up wait that logs its own warning, or a stop),
 * everything to debug. The kafkajs namespace goes in `kafkajs`, never in `component`, which
 * the logger's own bindings already carry.
 */
export function kafkajsLogCreator(logger: Logger, quiet: () => boolean) {
  return () =>
    ({ namespace, level, log }: { namespace: string; level: LogLevel; label: string; log: { message: string; [k: string]: unknown } }) => {
      // kafkajs attaches stack traces to connection errors; they say nothing an operator can act on.
      const { message, stack, ...rest } = log;
      const fields: Record<string, unknown> = { kafkajs: namespace || 'kafkajs', ...rest };
      if (stack !== undefined && logger.isLevelEnabled('debug')) fields.stack = stack;
      let to: 'error' | 'warn' | 'info' | 'debug' | 'trace';
      if (level === logLevel.ERROR || level === logLevel.WARN) {
        if (quiet() || ECHOED.test(message) || isTransientKafkaLog(message, rest.error)) to = 'debug';
        else if (REJOINING.test(message)) to = 'info';
        else to = level === logLevel.ERROR ? 'error' : 'warn';
      } else to = level === logLevel.INFO ? 'debug' : 'trace';
      logger[to](fields, message);
    };
}

const SASL_NAMES = { plain: 'PLAIN', 'scram-sha-256': 'SCRAM-SHA-256', 'scram-sha-512': 'SCRAM-SHA-512' } as const;

/**
 * The `ssl` and `sasl` options of a kafkajs client for these settings (also for clients made
 * elsewhere, e.g. by `doctor`). Reads the PEM files; throws UserError when one is unusable.
 */
export function kafkaSecurityOptions(settings: Pick<ConnectionSettings, 'tls' | 'sasl'>): { ssl?: tls.ConnectionOptions; sasl?: SASLOptions } {
  const out: { ssl?: tls.ConnectionOptions; sasl?: SASLOptions } = {};
  const t = settings.tls;
  if (t) {
    const ssl: tls.ConnectionOptions = { rejectUnauthorized: t.rejectUnauthorized ?? true };
    if (t.ca) ssl.ca = [readPem(t.ca, 'input.kafka.tls.ca')];
    if (t.cert) ssl.cert = readPem(t.cert, 'input.kafka.tls.cert');
    if (t.key) ssl.key = readPem(t.key, 'input.kafka.tls.key', { secret: true });
    if (t.passphrase) ssl.passphrase = t.passphrase;
    if (t.servername) ssl.servername = t.servername;
    checkTlsMaterial('input.kafka.tls', { ca: ssl.ca as string[] | undefined, cert: ssl.cert as string | undefined, key: ssl.key as string | undefined, passphrase: ssl.passphrase });
    out.ssl = ssl;
  }
  const s = settings.sasl;
  if (s) {
    registerCredentials(s.username, s.password);
    out.sasl = { mechanism: s.mechanism, username: s.username, password: s.password } as SASLOptions;
  }
  return out;
}

const TLS_EXPLAIN = {
  what: 'Kafka broker',
  property: 'input.kafka.tls',
  plainHint: 'point input.kafka.brokers at an SSL or SASL_SSL listener, or remove input.kafka.tls for a PLAINTEXT one',
};

function splitHostPort(address: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(address.trim());
  return m ? { host: m[1], port: Number(m[2]) } : { host: address.trim(), port: 9092 };
}

/** An ApiVersions v0 request: answered by every broker before any authentication. */
function apiVersionsRequest(clientId: string): Buffer {
  const id = Buffer.from(clientId.slice(0, 100), 'utf8');
  const body = Buffer.alloc(2 + 2 + 4 + 2 + id.length);
  body.writeInt16BE(18, 0);
  body.writeInt16BE(0, 2);
  body.writeInt32BE(1, 4);
  body.writeInt16BE(id.length, 8);
  id.copy(body, 10);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length, 0);
  return Buffer.concat([size, body]);
}

type Preflight = { ok: true } | { ok: false; fatal: boolean; message: string };

/** One TLS handshake and ApiVersions round trip to `address`. */
function tlsPreflight(address: string, ssl: tls.ConnectionOptions, clientId: string, timeoutMs: number): Promise<Preflight> {
  const { host, port } = splitHostPort(address);
  return new Promise((resolve) => {
    const socket = tls.connect({ host, port, ...(net.isIP(host) ? {} : { servername: host }), ...ssl });
    let settled = false;
    let tcp = false;
    let secured = false;
    socket.once('connect', () => (tcp = true));
    socket.once('secureConnect', () => (secured = true));
    /** The port took the TCP connection but dropped it during the handshake: not a TLS listener. */
    const notTls = (): Preflight => ({
      ok: false,
      fatal: true,
      message: `Kafka broker ${address}: closed the connection during the TLS handshake, so it does not speak TLS: ${TLS_EXPLAIN.plainHint}`,
    });
    const done = (r: Preflight) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => done({ ok: false, fatal: false, message: `${address}: no TLS answer within ${timeoutMs} ms` }), timeoutMs);
    socket.once('secureConnect', () => socket.write(apiVersionsRequest(clientId)));
    let received = 0;
    socket.on('data', (d: Buffer) => {
      received += d.length;
      if (received >= 8) done({ ok: true });
    });
    socket.once('end', () => done(tcp && !secured ? notTls() : { ok: false, fatal: false, message: `${address}: the broker closed the TLS connection without answering` }));
    socket.once('error', (err) => {
      const explained = explainTlsFailure(address, err, TLS_EXPLAIN);
      if (explained) done({ ok: false, fatal: true, message: explained });
      else if (tcp && !secured && (err as NodeJS.ErrnoException).code === 'ECONNRESET') done(notTls());
      else done({ ok: false, fatal: false, message: `${address}: ${(err as Error).message}` });
    });
  });
}

/** Turns what kafkajs throws on connect into a one-line UserError when it is a credentials problem. */
function explainConnectError(err: unknown, settings: ConnectionSettings): unknown {
  const e = err as { name?: string; message?: string };
  if (e.name === 'KafkaJSSASLAuthenticationError' && settings.sasl) {
    return new UserError(
      `Kafka rejected the SASL ${SASL_NAMES[settings.sasl.mechanism]} credentials of user "${settings.sasl.username}" (${scrub(e.message ?? '')}): check input.kafka.sasl (user, password, mechanism enabled on the listener)`,
    );
  }
  if (e.name === 'KafkaJSSASLAuthenticationError' || (e.name === 'KafkaJSConnectionError' && /SASL/.test(e.message ?? ''))) {
    return new UserError(`Kafka requires SASL authentication (${scrub(e.message ?? '')}): set input.kafka.sasl`);
  }
  return err;
}

type Connectable = { connect(): Promise<void> };

export interface CreateKafkaOptions {
  /** While true, everything kafkajs logs goes to debug (a start-up wait with its own warning, a stop). */
  quiet?: () => boolean;
}

/** A kafkajs client made by createKafka: it can also cut every connection it opened. */
export type SluiceKafka = InstanceType<typeof Kafka> & {
  /**
   * Destroys every socket of this client. For a stop that cannot wait: kafkajs' disconnect
   * waits for every request in flight, and a JoinGroup held by the coordinator (until a dead
   * member's session expires) can be in flight for a whole session timeout.
   */
  destroyConnections(): void;
};

/** The sockets kafkajs opens (like its default factory: TLS with SNI, keep-alive), kept so they can be destroyed. */
function trackingSocketFactory(sockets: Set<net.Socket>): NonNullable<KafkaConfig['socketFactory']> {
  return ({ host, port, ssl, onConnect }) => {
    const socket = ssl ? tls.connect({ host, port, ...(net.isIP(host) ? {} : { servername: host }), ...ssl }, onConnect) : net.connect({ host, port }, onConnect);
    socket.setKeepAlive(true, 60_000);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    return socket;
  };
}

export function createKafka(settings: ConnectionSettings, logger: Logger, clientSuffix = '', opts: CreateKafkaOptions = {}): SluiceKafka {
  registerCompressionCodecs();
  const security = kafkaSecurityOptions(settings);
  const brokers = brokerList(settings.brokers);
  const sockets = new Set<net.Socket>();
  const config: KafkaConfig = {
    socketFactory: trackingSocketFactory(sockets),
    clientId: `${settings.clientId}${clientSuffix}`,
    brokers,
    connectionTimeout: settings.connectionTimeoutMs,
    requestTimeout: settings.requestTimeoutMs,
    logLevel: logLevel.INFO,
    logCreator: kafkajsLogCreator(logger, opts.quiet ?? (() => false)),
    retry: { initialRetryTime: 300, retries: 8, maxRetryTime: 10_000 },
    ...security,
  };

  const preflight = async () => {
    if (!security.ssl) return;
    for (const address of brokers) {
      let r = await tlsPreflight(address, security.ssl, config.clientId!, settings.connectionTimeoutMs);
      // A connection dropped mid-handshake may be a broker restarting: ask once more.
      if (!r.ok && r.fatal && /closed the connection during the TLS handshake/.test(r.message)) r = await tlsPreflight(address, security.ssl, config.clientId!, settings.connectionTimeoutMs);
      if (r.ok) return;
      if (r.fatal) throw new UserError(r.message);
      logger.debug({ check: 'kafka-tls' }, `TLS pre-check: ${r.message}`);
    }
    // No broker answered: not a certificate problem; kafkajs retries the connection as usual.
  };
  const guard = <T extends Connectable>(client: T): T => {
    const connect = client.connect.bind(client);
    client.connect = async () => {
      await preflight();
      try {
        await connect();
      } catch (err) {
        throw explainConnectError(err, settings);
      }
    };
    return client;
  };

  class GuardedKafka extends Kafka {
    override producer(...args: Parameters<InstanceType<typeof Kafka>['producer']>) {
      return guard(super.producer(...args));
    }
    override consumer(...args: Parameters<InstanceType<typeof Kafka>['consumer']>) {
      return guard(super.consumer(...args));
    }
    override admin(...args: Parameters<InstanceType<typeof Kafka>['admin']>) {
      return guard(super.admin(...args));
    }
    destroyConnections(): void {
      // With an error: kafkajs fails the requests in flight on a socket error (not on a bare
      // close), and only then does its disconnect stop waiting for them.
      for (const socket of sockets) socket.destroy(new Error('connection closed by sluice at shutdown'));
      sockets.clear();
    }
  }
  return new GuardedKafka(config);
}

/**
 * Resolves once a TCP connection to one of `brokers` succeeds; else throws, naming each
 * broker and why. A quick first check before kafkajs connects: kafkajs retries an unreachable
 * bootstrap list for about 35 s before it says anything usable.
 */
export async function anyBrokerReachable(brokers: string[], timeoutMs: number): Promise<void> {
  const failures: string[] = [];
  for (const address of brokers) {
    const { host, port } = splitHostPort(address);
    const error = await new Promise<string | undefined>((resolve) => {
      const socket = net.connect({ host, port });
      const timer = setTimeout(() => done(`no answer within ${timeoutMs} ms`), timeoutMs);
      const done = (why: string | undefined) => {
        clearTimeout(timer);
        socket.destroy();
        resolve(why);
      };
      socket.once('connect', () => done(undefined));
      socket.once('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
    });
    if (error === undefined) return;
    failures.push(`${address}: ${error}`);
  }
  throw new Error(failures.join(', '));
}

/** The start-up warning for brokers that cannot be reached (or do not answer like Kafka). */
export function explainBrokersUnavailable(settings: Pick<ConnectionSettings, 'brokers'>, err: unknown): Unavailable {
  const list = brokerList(settings.brokers).join(',');
  return {
    what: `Kafka brokers ${list}`,
    cause: `not reachable (${scrub((err as Error).message ?? String(err))})`,
    fix: "start Kafka, or correct input.kafka.brokers; if a broker answers but names an address this host cannot reach, correct the brokers' advertised.listeners",
  };
}
