/**
 * `sluice process`: raw records (one per line) through the pipeline's codec and filters,
 * with no Kafka and no Elasticsearch. Each event is one JSON line on stdout; each would-be
 * dead letter one JSON line on stderr. Exit 0 whatever the records contain.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { loadPipeline } from '../config/load.js';
import { components } from '../registry.js';
import { buildFilters } from '../runtime/build.js';
import { RecordProcessor } from '../runtime/processor.js';
import { processorOptions } from '../runtime/pipeline.js';
import type { SourceRecord } from '../core/component.js';
import type { Event } from '../core/event.js';
import { createLogger } from './logger.js';

export async function processCommand(file: string, opts: { input?: string; metadata: boolean; logLevel?: string }): Promise<number> {
  const logger = createLogger(opts.logLevel ?? 'warn', 2);
  let processor: RecordProcessor;
  let close: () => Promise<void>;
  try {
    const def = loadPipeline(file, components);
    const built = await buildFilters(def, { pipelineId: def.id, baseDir: def.baseDir, logger });
    close = built.close;
    processor = new RecordProcessor(built.steps, processorOptions(def));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 1;
  }
  const source = opts.input ? createReadStream(opts.input) : process.stdin;
  const lines = createInterface({ input: source, crlfDelay: Infinity });
  const now = String(Date.now());
  let offset = 0;
  let out = '';
  const flushOut = async () => {
    if (out && !process.stdout.write(out)) await once(process.stdout, 'drain');
    out = '';
  };
  let chunk: SourceRecord[] = [];
  const processChunk = async () => {
    const outcomes = processor.processBatch(chunk);
    outcomes.forEach((outcome, i) => {
      if (outcome.kind === 'dead') {
        process.stderr.write(`${JSON.stringify({ reason: outcome.reason, error: outcome.error, stage: outcome.stage, record: chunk[i].value!.toString('utf8') })}\n`);
        return;
      }
      for (const event of outcome.events) out += `${JSON.stringify(opts.metadata ? event : withoutMetadata(event))}\n`;
    });
    chunk = [];
    await flushOut();
  };
  for await (const line of lines) {
    chunk.push({ topic: 'stdin', partition: 0, offset: String(offset++), key: null, value: Buffer.from(line, 'utf8'), timestamp: now, headers: {} });
    if (chunk.length >= 500) await processChunk();
  }
  await processChunk();
  await flushOut();
  await close();
  return 0;
}

function withoutMetadata(event: Event): Event {
  const { '@metadata': _m, ...rest } = event;
  return rest;
}
