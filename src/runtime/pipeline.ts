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
import type { ComponentMetrics } from '../observe/observer.js';

/**
 * Longest stretch of record processing without letting the event loop run. Processing is
 * synchronous; without a bound, one fetched batch of slow records (each may take up to
 * limits.filterTimeoutMs) could hold up the consumer's heartbeats until the group drops it.
 */
const PROCESS_SLICE_MS = 50;
/** A pause longer than this is logged at info (and again every minute while it lasts). */
const LONG_PAUSE_MS = 5000;

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
  /** Accepted records not processed yet, from `pendingHead` on (see processPending). */
  private pending: AcceptedRecord[] = [];
  private pendingHead = 0;
  private processing = false;
  private pausedAt = 0;
  private pauseTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly def: PipelineDefinition,
    private readonly logger: Logger,
    /** Metrics and readiness reporting for the components (`sluice run`); none by default. */
    private readonly metrics?: ComponentMetrics,
  ) {
    this.id = def.id;
  }

  async start(): Promise<void> {
    const { def } = this;
    const ctx = { pipelineId: def.id, baseDir: def.baseDir, logger: this.logger, metrics: this.metrics };
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
      this.pausedAt = Date.now();
      this.schedulePauseLog(LONG_PAUSE_MS);
    }
    for (const a of batch) this.pending.push(a);
    if (!this.processing) this.processPending();
  }

  /**
   * Processes pending records in order, in slices of about PROCESS_SLICE_MS with the event
   * loop running in between: heartbeats, fetches, commits and bulk responses never wait for a
   * whole batch of slow records.
   */
  private processPending(): void {
    this.processing = true;
    const started = performance.now();
    while (this.pendingHead < this.pending.length) {
      const chunk = this.pending.slice(this.pendingHead, this.pendingHead + 1000);
      const budget = Math.max(0, PROCESS_SLICE_MS - (performance.now() - started));
      const outcomes = this.processor.processBatch(
        chunk.map((a) => a.record),
        budget,
      );
      this.pendingHead += outcomes.length;
      for (let i = 0; i < outcomes.length; i++) this.deliver(chunk[i], outcomes[i]);
      if (this.pendingHead > 4096 && this.pendingHead * 2 > this.pending.length) {
        this.pending = this.pending.slice(this.pendingHead);
        this.pendingHead = 0;
      }
      if (this.pendingHead < this.pending.length && performance.now() - started >= PROCESS_SLICE_MS) {
        setImmediate(() => this.processPending());
        return;
      }
    }
    this.pending = [];
    this.pendingHead = 0;
    this.processing = false;
  }

  /** While fetching stays paused, says so at info: the operator sees the output holding things up. */
  private schedulePauseLog(afterMs: number): void {
    clearTimeout(this.pauseTimer);
    this.pauseTimer = setTimeout(() => {
      const { stats } = this;
      if (!stats.paused) return;
      const { maxInFlightEvents, maxInFlightBytes } = this.def.limits;
      this.logger.info(
        { pausedMs: Date.now() - this.pausedAt, inFlightRecords: stats.inFlightRecords, inFlightBytes: stats.inFlightBytes, maxInFlightEvents, maxInFlightBytes },
        'fetching paused: in-flight limits reached, waiting for records to settle (Elasticsearch or the dead-letter topic slow or unreachable)',
      );
      this.schedulePauseLog(60_000);
    }, afterMs);
    this.pauseTimer.unref();
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
    const baseId = replayedId(record) ?? `${record.topic}-${record.partition}-${record.offset}`;
    // No closure below may refer to `events` (or `outcome`): the `done` callbacks live until
    // Elasticsearch answers, and an event graph kept that long is promoted to V8's old
    // generation, whose collection is what made GC the largest cost end to end (measured:
    // 20,000 events held in flight after serialising cost ~40 % more CPU per event than
    // holding only their NDJSON).
    const single = events.length === 1;
    for (let n = 0; n < events.length; n++) {
      this.output.write({
        event: events[n],
        defaultId: single ? baseId : `${baseId}-${n}`,
        done: (result) => {
          if (result.ok) stats.eventsOut++;
          else failure ??= result;
          if (--pending === 0) {
            if (failure) this.deadLetter(record, failure.reason, failure.error, 'output', failure.extra, finish);
            else finish();
          }
        },
      });
    }
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
      clearTimeout(this.pauseTimer);
      const pausedMs = Date.now() - this.pausedAt;
      if (pausedMs >= LONG_PAUSE_MS) this.logger.info({ pausedMs }, 'in-flight below limits; fetching resumed');
      else this.logger.debug({ pausedMs }, 'in-flight below limits; fetching resumed');
      // Last: resuming hands over parked records at once, which can reach the limits and pause
      // again (with its own timer for the "fetching paused" log, which must not be cleared here).
      this.input.resume();
    }
    if (stats.inFlightRecords === 0 && this.drainWaiters.length) {
      const waiters = this.drainWaiters;
      this.drainWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** Stop fetching, deliver what is in flight (up to `timeoutMs`), commit, disconnect. */
  async stop(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    // Also after a failed start (a component never connected, or was never created): every
    // step runs even when an earlier one fails, so no client is left holding the process open.
    const attempt = async (what: string, fn: () => Promise<unknown> | undefined) => {
      try {
        await fn();
      } catch (err) {
        this.logger.warn({ err: (err as Error).message }, `${what} failed while stopping`);
      }
    };
    await attempt('stopping the input', () => this.input?.stop());
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
    clearTimeout(this.pauseTimer);
    await attempt('closing the input', () => this.input?.close());
    await this.deadLetters?.stop(Math.max(1000, deadline - Date.now())).catch((err) => this.logger.warn({ err: err.message }, 'dead-letter producer did not close cleanly'));
    await attempt('closing the output', () => this.output?.stop());
    await attempt('closing the filters', () => this.closeFilters?.());
    this.logger.info({ stats: this.stats }, 'pipeline stopped');
  }
}

/**
 * `sluice replay` marks each record it re-produces with the default id of the record it
 * replays (`<topic>-<partition>-<offset>` of the original), so a replayed record indexes as
 * the document the original would have been, and replaying it twice overwrites it.
 */
export const REPLAY_OF_HEADER = 'sluice.replay.of';

function replayedId(record: SourceRecord): string | undefined {
  let v = record.headers[REPLAY_OF_HEADER];
  if (Array.isArray(v)) v = v[v.length - 1];
  const id = v === undefined ? undefined : Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
  return id && id.length <= 512 ? id : undefined;
}

export function processorOptions(def: PipelineDefinition) {
  return {
    ...def.input.spec.decoding(def.input.config),
    maxRecordBytes: def.limits.maxRecordBytes,
    filterTimeoutMs: def.limits.filterTimeoutMs,
    onFilterTimeout: def.limits.onFilterTimeout,
  };
}
