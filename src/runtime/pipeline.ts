/**
 * One running pipeline: input → processor → output, with the delivery contract's
 * bookkeeping. The runtime knows components only through their interfaces.
 *
 * A record is settled when every event made from it is indexed, dropped on purpose, or
 * the record is acknowledged on the dead-letter topic; only then is `settle` called, and
 * the input commits nothing past an unsettled record. In-flight records and bytes are
 * bounded: the input is paused at the limit and resumed when enough has settled.
 */
import type { Logger } from 'pino';
import type { AcceptedRecord, DeadLetterSink, DeliveryResult, Input, Output, RecordSink, SourceRecord } from '../core/component.js';
import type { PipelineDefinition } from '../config/load.js';
import { buildFilters } from './build.js';
import { RecordProcessor, type Outcome } from './processor.js';

export interface PipelineStats {
  recordsIn: number;
  eventsOut: number;
  eventsDropped: number;
  deadLettered: Record<string, number>;
  inFlightRecords: number;
  inFlightBytes: number;
  paused: boolean;
}

export class Pipeline implements RecordSink {
  readonly id: string;
  private input!: Input;
  private output!: Output;
  private deadLetters!: DeadLetterSink;
  private processor!: RecordProcessor;
  readonly stats: PipelineStats = { recordsIn: 0, eventsOut: 0, eventsDropped: 0, deadLettered: {}, inFlightRecords: 0, inFlightBytes: 0, paused: false };
  private drainWaiters: (() => void)[] = [];
  private closeFilters: (() => Promise<void>) | undefined;

  constructor(
    private readonly def: PipelineDefinition,
    private readonly logger: Logger,
  ) {
    this.id = def.id;
  }

  async start(): Promise<void> {
    const { def } = this;
    const ctx = { pipelineId: def.id, baseDir: def.baseDir, logger: this.logger };
    const { steps, close } = await buildFilters(def, ctx);
    this.closeFilters = close;
    this.processor = new RecordProcessor(steps, processorOptions(def));
    this.output = def.output.spec.create(def.output.config, ctx);
    this.input = def.input.spec.create(def.input.config, ctx);
    this.deadLetters = def.input.spec.createDeadLetterSink(def.input.config, def.deadLetter, ctx);
    await this.output.start();
    await this.deadLetters.start();
    await this.input.start(this);
    this.logger.info({ deadLetterTopic: def.deadLetter.topic, filters: steps.length }, 'pipeline started');
  }

  accept(batch: AcceptedRecord[]): void {
    const { stats } = this;
    for (const { record } of batch) {
      stats.recordsIn++;
      stats.inFlightRecords++;
      stats.inFlightBytes += record.value?.length ?? 0;
    }
    if (!stats.paused && (stats.inFlightRecords >= this.def.limits.maxInFlightEvents || stats.inFlightBytes >= this.def.limits.maxInFlightBytes)) {
      stats.paused = true;
      this.input.pause();
      this.logger.debug({ inFlightRecords: stats.inFlightRecords, inFlightBytes: stats.inFlightBytes }, 'in-flight limit reached; fetching paused');
    }
    const outcomes = this.processor.processBatch(batch.map((a) => a.record));
    for (let i = 0; i < batch.length; i++) this.deliver(batch[i], outcomes[i]);
  }

  private deliver({ record, settle }: AcceptedRecord, outcome: Outcome): void {
    const { stats } = this;
    const bytes = record.value?.length ?? 0;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      settle();
      this.released(bytes);
    };
    if (outcome.kind === 'dead') {
      this.deadLetter(record, outcome.reason, outcome.error, outcome.stage, undefined, finish);
      return;
    }
    const { events } = outcome;
    if (events.length === 0) {
      stats.eventsDropped++;
      finish();
      return;
    }
    let pending = events.length;
    let failure: Extract<DeliveryResult, { ok: false }> | undefined;
    const baseId = `${record.topic}-${record.partition}-${record.offset}`;
    events.forEach((event, n) => {
      this.output.write({
        event,
        defaultId: events.length === 1 ? baseId : `${baseId}-${n}`,
        done: (result) => {
          if (result.ok) stats.eventsOut++;
          else failure ??= result;
          if (--pending === 0) {
            if (failure) this.deadLetter(record, failure.reason, failure.error, 'output', failure.extra, finish);
            else finish();
          }
        },
      });
    });
  }

  private deadLetter(record: SourceRecord, reason: string, error: string, stage: string, extra: Record<string, string> | undefined, finish: () => void): void {
    this.stats.deadLettered[reason] = (this.stats.deadLettered[reason] ?? 0) + 1;
    this.logger.warn({ reason, stage, error: error.slice(0, 300), topic: record.topic, partition: record.partition, offset: record.offset }, 'record dead-lettered');
    void this.deadLetters.send({ record, reason, error, stage, extra }).then(finish);
  }

  private released(bytes: number): void {
    const { stats } = this;
    stats.inFlightRecords--;
    stats.inFlightBytes -= bytes;
    const { maxInFlightEvents, maxInFlightBytes } = this.def.limits;
    // Resume with some headroom so fetching does not flap on every settled record.
    if (stats.paused && stats.inFlightRecords < maxInFlightEvents * 0.8 && stats.inFlightBytes < maxInFlightBytes * 0.8) {
      stats.paused = false;
      this.input.resume();
      this.logger.debug('in-flight below limits; fetching resumed');
    }
    if (stats.inFlightRecords === 0 && this.drainWaiters.length) {
      const waiters = this.drainWaiters;
      this.drainWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** Stop fetching, deliver what is in flight (up to `timeoutMs`), commit, disconnect. */
  async stop(timeoutMs: number): Promise<void> {
    await this.input.stop();
    const drained = new Promise<boolean>((resolve) => {
      if (this.stats.inFlightRecords === 0) return resolve(true);
      this.drainWaiters.push(() => resolve(true));
      void this.output.flush();
    });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const ok = await Promise.race([drained, timedOut]);
    clearTimeout(timer);
    if (!ok) this.logger.warn({ inFlight: this.stats.inFlightRecords }, 'shutdown timeout: unsettled records stay uncommitted and will be re-read');
    await this.input.close();
    await this.deadLetters.stop().catch((err) => this.logger.warn({ err: err.message }, 'dead-letter producer did not close cleanly'));
    await this.output.stop();
    await this.closeFilters?.();
    this.logger.info({ stats: this.stats }, 'pipeline stopped');
  }
}

export function processorOptions(def: PipelineDefinition) {
  return {
    ...def.input.spec.decoding(def.input.config),
    maxRecordBytes: def.limits.maxRecordBytes,
    filterTimeoutMs: def.limits.filterTimeoutMs,
    onFilterTimeout: def.limits.onFilterTimeout,
  };
}
