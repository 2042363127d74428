/** `sluice run`: several pipelines in one process until SIGTERM/SIGINT, then a graceful stop. */
import { loadPipeline, type PipelineDefinition } from '../config/load.js';
import { Pipeline } from '../runtime/pipeline.js';
import { components } from '../registry.js';
import { pipelineFiles } from './files.js';
import { createLogger } from './logger.js';

export async function runCommand(paths: string[], opts: { shutdownTimeoutMs: number; logLevel?: string }): Promise<number> {
  const logger = createLogger(opts.logLevel, 1);
  let defs: PipelineDefinition[];
  try {
    defs = pipelineFiles(paths).map((file) => loadPipeline(file, components));
    const seen = new Set<string>();
    for (const d of defs) {
      if (seen.has(d.id)) throw new Error(`pipeline id "${d.id}" is used twice (${d.file})`);
      seen.add(d.id);
    }
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 1;
  }
  if (defs.length === 0) {
    process.stderr.write('no pipeline files found\n');
    return 1;
  }

  const pipelines = defs.map((d) => new Pipeline(d, logger.child({ pipeline: d.id })));
  let stopping: Promise<void> | undefined;
  const stopAll = (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal while stopping: exiting now (unsettled records stay uncommitted)');
      process.exit(1);
    }
    logger.info({ signal, timeoutMs: opts.shutdownTimeoutMs }, 'stopping: no more fetching, delivering what is in flight');
    stopping = Promise.all(pipelines.map((p) => p.stop(opts.shutdownTimeoutMs).catch((err) => logger.error({ err, pipeline: p.id }, 'error while stopping')))).then(() => undefined);
    return stopping;
  };
  const done = new Promise<void>((resolve) => {
    process.once('SIGTERM', () => void stopAll('SIGTERM')!.then(resolve));
    process.once('SIGINT', () => void stopAll('SIGINT')!.then(resolve));
  });

  try {
    await Promise.all(pipelines.map((p) => p.start()));
  } catch (err) {
    logger.fatal({ err }, 'a pipeline failed to start');
    if (!stopping) await Promise.allSettled(pipelines.map((p) => p.stop(1000)));
    return 1;
  }
  logger.info({ pipelines: pipelines.map((p) => p.id) }, 'running');
  const statsTimer = setInterval(() => {
    for (const p of pipelines) logger.info({ pipeline: p.id, stats: p.stats }, 'stats');
  }, 30_000);
  statsTimer.unref();
  await done;
  clearInterval(statsTimer);
  logger.info('stopped');
  logger.flush();
  return 0;
}
