/** `sluice run`: several pipelines in one process until SIGTERM/SIGINT, then a graceful stop. */
import { loadPipeline, type PipelineDefinition } from '../config/load.js';
import { Pipeline } from '../runtime/pipeline.js';
import { components } from '../registry.js';
import { pipelineFiles } from './files.js';
import { createLogger } from './logger.js';
import { SluiceMetrics } from '../observe/metrics.js';
import { startHttpServer, type HttpServer, type HttpSource } from '../observe/server.js';
import type { Logger } from 'pino';
import { isStartAborted } from '../core/waiting.js';
import { takeOverSignals } from './boot-signals.js';

export interface HttpOptions {
  address: string;
  port: number;
  /** Set by the operator (flag or env): a port that cannot be bound is then fatal, not a warning. */
  explicit: boolean;
}

export async function runCommand(
  paths: string[],
  opts: {
    shutdownTimeoutMs: number;
    logLevel?: string;
    http?: HttpOptions;
    /** Set in a worker process of `run --workers N` (cli/workers.ts): no listener, IPC to the supervisor. */
    worker?: { id: number };
  },
): Promise<number> {
  const baseLogger = createLogger(opts.logLevel, 1);
  const logger = opts.worker ? baseLogger.child({ worker: opts.worker.id }) : baseLogger;
  const defs = loadRunPipelines(paths);
  if (typeof defs === 'string') {
    process.stderr.write(`${defs}\n`);
    return 1;
  }

  const metrics = new SluiceMetrics();
  const pipelines = defs.map((d) => {
    const monitor = metrics.pipeline(d.id, () => pipeline.stats);
    const pipeline: Pipeline = new Pipeline(d, logger.child({ pipeline: d.id }), monitor);
    return { pipeline, monitor };
  });
  let stopping: Promise<void> | undefined;
  const stopAll = (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal while stopping: exiting now (unsettled records stay uncommitted)');
      process.exit(1);
    }
    logger.info({ signal, timeoutMs: opts.shutdownTimeoutMs }, 'stopping: no more fetching, delivering what is in flight');
    for (const { monitor } of pipelines) monitor.markStopping();
    stopping = Promise.all(pipelines.map(({ pipeline: p }) => p.stop(opts.shutdownTimeoutMs).catch((err) => logger.error({ err, pipeline: p.id }, 'error while stopping')))).then(() => undefined);
    return stopping;
  };
  // The graceful stop replaces bin/sluice's exit-while-loading in one step, before anything
  // below waits: a stop while the listener binds or a pipeline waits is always graceful.
  takeOverSignals();
  const done = new Promise<void>((resolve) => {
    process.once('SIGTERM', () => void stopAll('SIGTERM')!.then(resolve));
    // A worker stops when its supervisor says so (SIGTERM): Ctrl-C reaches the whole process
    // group, and a second signal from the supervisor would turn the graceful stop into an exit.
    if (opts.worker) process.on('SIGINT', () => logger.debug('SIGINT ignored in a worker: the supervisor stops the workers'));
    else process.once('SIGINT', () => void stopAll('SIGINT')!.then(resolve));
  });
  if (opts.worker) answerSupervisor(metrics);
  const http = opts.http ? await startListener(metrics, opts.http, logger) : undefined;
  if (http === 'fatal') return 1;

  // A pipeline waits for what it needs (brokers, its topic, Elasticsearch): start() returns
  // once it runs, throws StartAborted when a stop came first (not an error), or throws for
  // what waiting cannot fix (rejected credentials, an untrusted certificate).
  try {
    if (!stopping) await Promise.all(pipelines.map(({ pipeline, monitor }) => pipeline.start().then(() => monitor.markStarted())));
  } catch (err) {
    if (!stopping && !isStartAborted(err)) {
      logger.fatal({ err }, 'a pipeline failed to start');
      await Promise.allSettled(pipelines.map(({ pipeline: p }) => p.stop(1000)));
      await http?.close();
      logger.flush();
      return 1;
    }
  }
  if (!stopping) {
    logger.info({ pipelines: pipelines.map(({ pipeline: p }) => p.id) }, 'running');
    if (opts.worker) process.send?.({ type: WORKER_RUNNING });
  }
  const statsTimer = setInterval(() => {
    for (const { pipeline: p } of pipelines) logger.info({ pipeline: p.id, stats: p.stats }, 'stats');
  }, 30_000);
  statsTimer.unref();
  await done;
  clearInterval(statsTimer);
  await http?.close();
  logger.info('stopped');
  logger.flush();
  return 0;
}

/** The pipeline files of `run`, loaded and checked; or the message saying why they cannot run. */
export function loadRunPipelines(paths: string[]): PipelineDefinition[] | string {
  let defs: PipelineDefinition[];
  try {
    defs = pipelineFiles(paths).map((file) => loadPipeline(file, components));
  } catch (err) {
    return (err as Error).message;
  }
  const seen = new Set<string>();
  for (const d of defs) {
    if (seen.has(d.id)) return `pipeline id "${d.id}" is used twice (${d.file})`;
    seen.add(d.id);
  }
  return defs.length ? defs : 'no pipeline files found';
}

/**
 * The /healthz /readyz /metrics listener. A port that cannot be bound is fatal when the
 * operator chose the address or port ('fatal': exit 1), else a warning and no listener.
 */
export async function startListener(source: HttpSource, http: HttpOptions, logger: Logger, what = '/healthz /readyz /metrics'): Promise<HttpServer | undefined | 'fatal'> {
  try {
    const server = await startHttpServer(source, http);
    logger.info({ address: server.address, port: server.port }, `http listening on ${server.address}:${server.port} (${what})`);
    return server;
  } catch (err) {
    const msg = `cannot listen on ${http.address}:${http.port} for /healthz /readyz /metrics: ${(err as Error).message}`;
    if (http.explicit) {
      logger.fatal(`${msg} (choose another --http-port / SLUICE_HTTP_PORT)`);
      logger.flush();
      return 'fatal';
    }
    logger.warn(`${msg}; running without the HTTP endpoint (set --http-port / SLUICE_HTTP_PORT to make this fatal)`);
    return undefined;
  }
}

/** Messages between the `run --workers N` supervisor and its workers (over the cluster IPC channel). */
export const WORKER_RUNNING = 'sluice:running';
/** A worker answers scrapes from now on (sent before its pipelines start, which may wait). */
export const WORKER_ANSWERING = 'sluice:answering';
export const WORKER_SCRAPE = 'sluice:scrape';

export interface ScrapeReply {
  type: typeof WORKER_SCRAPE;
  requestId: number;
  metrics: Awaited<ReturnType<SluiceMetrics['snapshot']>>;
  readiness: ReturnType<SluiceMetrics['readiness']>;
}

/** A worker answers the supervisor's scrapes with its metrics and readiness. */
function answerSupervisor(metrics: SluiceMetrics): void {
  process.send?.({ type: WORKER_ANSWERING });
  process.on('message', (message: { type?: string; requestId?: number }) => {
    if (message?.type !== WORKER_SCRAPE) return;
    void metrics.snapshot().then((snapshot) => {
      const reply: ScrapeReply = { type: WORKER_SCRAPE, requestId: message.requestId ?? 0, metrics: snapshot, readiness: metrics.readiness() };
      if (process.connected) process.send?.(reply);
    });
  });
}
