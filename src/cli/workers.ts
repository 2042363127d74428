/**
 * `sluice run --workers N`: N worker processes (Node's cluster module) running the same
 * pipelines, under one supervisor. A pipeline process parses on one core; workers are how one
 * container uses several. Every worker is a member of each pipeline's consumer group, exactly
 * like N replicas, so delivery is unchanged: Kafka splits the partitions, each worker commits
 * only what it settled, and a worker that dies leaves its uncommitted records to the next
 * owner.
 *
 * The supervisor:
 * - validates the pipeline files once before forking (a bad file is exit 1, not N crashes);
 * - restarts a worker that exits on its own, after a backoff (1 s doubling to 30 s, back to
 *   1 s once a worker has run for a minute); a worker that fails before it ever ran during
 *   the first start makes the whole command exit 1, as a single process would;
 * - on SIGTERM/SIGINT sends SIGTERM to every worker, waits for their graceful stops, and
 *   exits 0 only if every worker did;
 * - serves /healthz, /readyz (ready when every worker is up and ready) and /metrics (the sum
 *   over the workers, aggregated by prom-client; `sluice_ready` is the minimum) plus
 *   `sluice_worker_restarts_total` and `sluice_workers_running`.
 */
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, Counter, Gauge, Registry } from 'prom-client';
import { createLogger } from './logger.js';
import { loadRunPipelines, startListener, WORKER_ANSWERING, WORKER_RUNNING, WORKER_SCRAPE, type HttpOptions, type ScrapeReply } from './run.js';
import { registerBuildInfo } from '../observe/metrics.js';
import { takeOverSignals } from './boot-signals.js';

const RESTART_MIN_MS = 1000;
const RESTART_MAX_MS = 30_000;
/** A worker that ran this long is healthy again: its next crash restarts it after the minimum delay. */
const STABLE_AFTER_MS = 60_000;
const SCRAPE_TIMEOUT_MS = 5000;

interface Slot {
  id: number;
  worker: Worker | undefined;
  running: boolean;
  /** The worker answers scrapes (also while its pipelines wait for Kafka or Elasticsearch). */
  answering: boolean;
  startedAt: number;
  everRan: boolean;
  restartDelayMs: number;
  restartTimer: NodeJS.Timeout | undefined;
}

export async function superviseWorkers(paths: string[], opts: { workers: number; shutdownTimeoutMs: number; logLevel?: string; http?: HttpOptions }): Promise<number> {
  const logger = createLogger(opts.logLevel, 1).child({ supervisor: true });
  const defs = loadRunPipelines(paths);
  if (typeof defs === 'string') {
    process.stderr.write(`${defs}\n`);
    return 1;
  }

  const registry = new Registry();
  const restarts = new Counter({ name: 'sluice_worker_restarts_total', help: 'Worker processes restarted after they exited on their own (run --workers).', registers: [registry] });
  const running = new Gauge({ name: 'sluice_workers_running', help: 'Worker processes running (run --workers).', registers: [registry] });
  registerBuildInfo(registry);

  const slots: Slot[] = Array.from({ length: opts.workers }, (_, id) => ({ id, worker: undefined, running: false, answering: false, startedAt: 0, everRan: false, restartDelayMs: RESTART_MIN_MS, restartTimer: undefined }));
  let stopping = false;
  let failed: string | undefined;
  const countRunning = () => running.set(slots.filter((s) => s.running).length);
  let resolveAllExited: () => void = () => undefined;
  const allExited = new Promise<void>((r) => (resolveAllExited = r));
  // The first start is over when every worker ran once, or one failed, or a signal came.
  let resolveFirstStart: () => void = () => undefined;
  const firstStart = new Promise<void>((r) => (resolveFirstStart = r));
  const checkAllExited = () => {
    if ((stopping || failed) && slots.every((s) => !s.worker && !s.restartTimer)) resolveAllExited();
  };

  const stopAll = (why: string) => {
    for (const s of slots) {
      if (s.restartTimer) clearTimeout(s.restartTimer);
      s.restartTimer = undefined;
      if (s.worker && !s.worker.isDead()) s.worker.process.kill('SIGTERM');
    }
    logger.info({ reason: why, timeoutMs: opts.shutdownTimeoutMs }, 'stopping the workers');
    resolveFirstStart();
    checkAllExited();
  };

  const fork = (slot: Slot) => {
    slot.restartTimer = undefined;
    slot.running = false;
    slot.answering = false;
    slot.startedAt = Date.now();
    const worker = cluster.fork({ SLUICE_WORKER_ID: String(slot.id) });
    slot.worker = worker;
    logger.info({ worker: slot.id, pid: worker.process.pid }, 'worker started');
    worker.on('message', (message: { type?: string }) => {
      if (message?.type === WORKER_ANSWERING) slot.answering = true;
      if (message?.type !== WORKER_RUNNING) return;
      slot.running = true;
      slot.everRan = true;
      countRunning();
      if (slots.every((s) => s.everRan)) resolveFirstStart();
    });
    worker.on('exit', (code, signal) => {
      const ranMs = Date.now() - slot.startedAt;
      slot.worker = undefined;
      slot.running = false;
      slot.answering = false;
      countRunning();
      if (stopping || failed) {
        logger.info({ worker: slot.id, pid: worker.process.pid, code, signal }, 'worker stopped');
        // Ended by our own SIGTERM: it had not installed its handler yet (still loading), so
        // it had connected and fetched nothing, and there was nothing to stop gracefully.
        const killedBooting = signal === 'SIGTERM' && stopping;
        if (code !== 0 && !killedBooting) failed ??= `worker ${slot.id} exited with ${signal ?? `code ${code}`} while stopping`;
        return checkAllExited();
      }
      // Never ran (a restarted worker keeps everRan): the first start failed, as a single
      // process would.
      if (!slot.everRan) {
        failed = `worker ${slot.id} failed to start (exit ${signal ?? `code ${code}`}); see its log above`;
        logger.fatal({ worker: slot.id, code, signal }, failed);
        stopAll('a worker failed to start');
        return;
      }
      if (ranMs >= STABLE_AFTER_MS) slot.restartDelayMs = RESTART_MIN_MS;
      const delay = slot.restartDelayMs;
      slot.restartDelayMs = Math.min(RESTART_MAX_MS, slot.restartDelayMs * 2);
      logger.error({ worker: slot.id, pid: worker.process.pid, code, signal, restartInMs: delay }, 'worker exited unexpectedly; restarting it (its uncommitted records are read again by the next owner of its partitions)');
      restarts.inc();
      slot.restartTimer = setTimeout(() => fork(slot), delay);
    });
  };

  // Workers run `sluice run` with the same arguments (cluster re-runs this script); the
  // supervisor alone listens for HTTP.
  for (const slot of slots) fork(slot);

  const onSignal = (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal while stopping: killing the workers (unsettled records stay uncommitted)');
      for (const s of slots) s.worker?.process.kill('SIGKILL');
      process.exit(1);
    }
    stopping = true;
    stopAll(signal);
  };
  takeOverSignals();
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));

  const http = opts.http ? await startListener(workerMetrics(slots, registry), opts.http, logger, `/healthz /readyz /metrics, summed over ${opts.workers} workers`) : undefined;
  if (http === 'fatal') {
    stopping = true;
    stopAll('no HTTP listener');
    await allExited;
    return 1;
  }

  await firstStart;
  if (!failed && !stopping) logger.info({ workers: opts.workers }, 'all workers running');

  await allExited;
  await http?.close();
  if (failed) {
    logger.error(failed);
    logger.flush();
    return 1;
  }
  logger.info('stopped');
  logger.flush();
  return 0;
}

/** /readyz and /metrics of the supervisor: asks every running worker, then sums. */
function workerMetrics(slots: Slot[], own: Registry) {
  let nextRequest = 1;
  const scrapeAll = async (): Promise<{ slot: Slot; reply: ScrapeReply | undefined }[]> =>
    Promise.all(
      slots.map(async (slot) => {
        const worker = slot.worker;
        if (!worker || !slot.answering || !worker.isConnected()) return { slot, reply: undefined };
        const requestId = nextRequest++;
        const reply = await new Promise<ScrapeReply | undefined>((resolve) => {
          const timer = setTimeout(() => finish(undefined), SCRAPE_TIMEOUT_MS);
          const onMessage = (m: ScrapeReply) => {
            if (m?.type === WORKER_SCRAPE && m.requestId === requestId) finish(m);
          };
          const finish = (r: ScrapeReply | undefined) => {
            clearTimeout(timer);
            worker.off('message', onMessage);
            worker.off('exit', onExit);
            resolve(r);
          };
          const onExit = () => finish(undefined);
          worker.on('message', onMessage);
          worker.on('exit', onExit);
          worker.send({ type: WORKER_SCRAPE, requestId });
        });
        return { slot, reply };
      }),
    );
  return {
    contentType: own.contentType,
    async readiness() {
      const replies = await scrapeAll();
      const workers = replies.map(({ slot, reply }) => ({
        worker: slot.id,
        pid: slot.worker?.process.pid ?? null,
        state: !slot.worker ? 'restarting' : !slot.running ? 'starting' : reply ? 'running' : 'not answering',
        ready: reply?.readiness.ready ?? false,
        pipelines: reply?.readiness.pipelines ?? {},
      }));
      return { ready: workers.every((w) => w.ready), workers };
    },
    async render() {
      const replies = await scrapeAll();
      const all = [await own.getMetricsAsJSON(), ...replies.flatMap(({ reply }) => (reply ? [reply.metrics] : []))];
      return AggregatorRegistry.aggregate(all).metrics();
    },
  };
}
