/** pino JSON logs; human-readable when the destination is a terminal. */
import { pino, type Logger, type LevelWithSilent } from 'pino';
import pretty from 'pino-pretty';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

export function createLogger(level: string | undefined, fd: 1 | 2): Logger {
  const resolved = (level ?? process.env.SLUICE_LOG_LEVEL ?? 'info') as LevelWithSilent;
  if (!LOG_LEVELS.includes(resolved)) throw new Error(`unknown log level "${resolved}" (one of: ${LOG_LEVELS.join(', ')})`);
  const tty = fd === 1 ? process.stdout.isTTY : process.stderr.isTTY;
  const options = { level: resolved, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime };
  if (tty) return pino(options, pretty({ destination: fd, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid' }));
  return pino(options, pino.destination({ fd, sync: false }));
}
