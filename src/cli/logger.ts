/**
 * pino JSON logs; human-readable when the destination is a terminal.
 *
 * Secrets never reach a log line: known secret-bearing paths are redacted by pino, and every
 * line is scrubbed of the secret values the loaded pipelines registered (config/secrets.ts)
 * and of URL passwords before it is written. Errors that explain themselves (UserError: a
 * wrong password, an untrusted certificate) are logged as their message, without a stack.
 */
import { createRequire } from 'node:module';
import { pino, type Logger, type LevelWithSilent, type LoggerOptions } from 'pino';
import type PinoPretty from 'pino-pretty';
import { scrub } from '../config/secrets.js';
import { isUserFacing } from '../core/user-error.js';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** Paths that hold credentials wherever a config, request or client error gets logged. */
export const REDACT_PATHS = [
  'password',
  '*.password',
  '*.*.password',
  'passphrase',
  '*.passphrase',
  '*.*.passphrase',
  'apiKey',
  '*.apiKey',
  '*.*.apiKey',
  'bearer',
  '*.bearer',
  '*.*.bearer',
  'authorization',
  'headers.authorization',
  '*.headers.authorization',
  '*.*.headers.authorization',
  'err.meta.meta.request.params.headers.authorization',
  'err.meta.meta.connection.headers.authorization',
  'sasl.password',
  '*.sasl.password',
  'tls.key',
  '*.tls.key',
  '*.*.tls.key',
];

/**
 * Errors of the Kafka and Elasticsearch clients describe operating conditions (a rebalance, a
 * coordinator loading, a connection refused): their stacks say nothing an operator can use.
 */
function isOperational(err: Error): boolean {
  return isUserFacing(err) || err.name.startsWith('KafkaJS') || ['ResponseError', 'ConnectionError', 'TimeoutError', 'NoLivingConnectionsError', 'SerializationError', 'DeserializationError'].includes(err.name);
}

/** An error as a log field: type, message and code; the stack only for unexpected errors (bugs), or at debug level. */
export function serializeError(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const e = err as Error & { code?: unknown; type?: unknown; cause?: unknown };
  const out: Record<string, unknown> = { type: e.name, message: e.message };
  if (e.code !== undefined) out.code = e.code;
  if (typeof e.type === 'string' && e.type !== e.name) out.kind = e.type;
  if (!isOperational(err) && e.stack) out.stack = e.stack;
  return out;
}

/**
 * One key once per line. pino writes a child's bindings and the fields of a call side by side,
 * so a field named like a binding (or a child binding a key its parent bound) appears twice
 * (`"component":"dead-letter","component":"kafkajs"`), which many log shippers reject or
 * collapse. Re-serialised, the last one wins, as `JSON.parse` would have it.
 */
export function withoutDuplicateKeys(line: string): string {
  if (line.charCodeAt(0) !== 123 /* { */) return line;
  try {
    return `${JSON.stringify(JSON.parse(line))}\n`;
  } catch {
    return line;
  }
}

/** pino options of every sluice logger: redaction, error serializer, scrubbing of each line. */
export function loggerOptions(level: LevelWithSilent): LoggerOptions {
  return {
    level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { err: serializeError },
    hooks: { streamWrite: (line) => withoutDuplicateKeys(scrub(line)) },
  };
}

export function createLogger(level: string | undefined, fd: 1 | 2): Logger {
  const resolved = (level ?? process.env.SLUICE_LOG_LEVEL ?? 'info') as LevelWithSilent;
  if (!LOG_LEVELS.includes(resolved)) throw new Error(`unknown log level "${resolved}" (one of: ${LOG_LEVELS.join(', ')})`);
  const tty = fd === 1 ? process.stdout.isTTY : process.stderr.isTTY;
  const options = loggerOptions(resolved);
  if (tty) {
    // Loaded only for a terminal: a container or a service logs JSON, and pino-pretty with its
    // dependencies is ~10 ms of every start-up.
    const pretty = createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
    return pino(options, pretty({ destination: fd, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid' }));
  }
  return pino(options, pino.destination({ fd, sync: false }));
}
