/**
 * One running pipeline: input → processor → output, with the delivery contract's
 * bookkeeping. The runtime knows components only through their interfaces.
 *
 * A record is settled when every event made from it is indexed, dropped on purpose, or
 * the record is acknowledged on the dead-letter topic; only then is `settle` called, and
 * the input commits nothing past an unsettled record. In-flight records and bytes are
 * bounded: the input is paused at the limit and resumed when enough has settled.
 */
import { isAbsolute, relative } from 'node:path';
import type { Logger } from 'pino';
import type { AcceptedRecord, DeadLetterSink, DeliveryResult, Input, Output, RecordSink, SourceRecord } from '../core/component.js';
import type { PipelineDefinition } from '../config/load.js';
import { buildFilters } from './build.js';
import { RecordProcessor, type FinalOutcome, type JoinedOutcome, type Outcome } from './processor.js';
import { SettleGate, type GateTicket } from './settle-gate.js';
import type { ComponentMetrics } from '../observe/observer.js';
import { StartAborted } from '../core/waiting.js';
import type { Event } from '../core/event.js';

/**
 * Longest stretch of record processing without letting the event loop run. Processing is
 * synchronous; without a bound, one fetched batch of slow records (each may take up to
 * limits.filterTimeoutMs) could hold up the consumer's heartbeats until the group drops it.
 */
const PROCESS_SLICE_MS = 50;
/** A pause longer than this is logged at info (and again every minute while it lasts). */
const LONG_PAUSE_MS = 5000;
/** Longest a rebalance holds back the expiry of multiline groups. */
const REBALANCE_HOLD_MS = 60_000;

export interface PipelineStats {
  recordsIn: number;
  eventsOut: number;
  eventsDropped: number;
  deadLettered: Record<string, number>;
  inFlightRecords: number;
  inFlightBytes: number;
  paused: boolean;
}

/** A record between hand-over and settlement: how many outcomes it still waits for. */
interface InFlightRecord {
  accepted: AcceptedRecord;
  bytes: number;
  /** Outcomes not finished yet (plus one while the record is being processed, one while held in a group). */
  refs: number;
  /** The first failure of an event made from it: the record is dead-lettered once, when all are finished. */
  failure?: { reason: string; error: string; stage: string; extra?: Record<string, string> };
  /** Its open group was forgotten (partition revoked, shutdown): released without settling, re-read later. */
  discarded?: boolean;
  /** With a joining filter: its place in the settle gate, and the last offset of the group it starts. */
  ticket?: GateTicket;
  groupUntil?: bigint;
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
  /** Time spent paused so far (ms): the multiline wait does not run while fetching is paused. */
  private pausedTotal = 0;
  private pauseTimer: NodeJS.Timeout | undefined;
  /** Aborted by stop(): ends every start-up wait of the components. */
  private readonly abort = new AbortController();
  private starting: Promise<void> | undefined;
  /** With a joining filter (multiline): records held in open groups, the gate, the expiry timer. */
  private held = new Map<SourceRecord, InFlightRecord>();
  private heldBytes = 0;
  private gate: SettleGate | undefined;
  private expireTimer: NodeJS.Timeout | undefined;
  /** Since when a rebalance is under way (0: none). */
  private rebalancingSince = 0;
  private stopping = false;

  constructor(
    private readonly def: PipelineDefinition,
    private readonly logger: Logger,
    /** Metrics and readiness reporting for the components (`sluice run`); none by default. */
    private readonly metrics?: ComponentMetrics,
  ) {
    this.id = def.id;
  }

  /**
   * Starts the components. Each waits for what it needs (Elasticsearch, Kafka brokers, the
   * topic) with one warning that says what is missing, and starts by itself once it is there;
   * what waiting cannot fix (rejected credentials, an untrusted certificate) throws. A stop
   * meanwhile ends the waits at once: start() then throws StartAborted.
   */
  start(): Promise<void> {
    this.starting = this.startComponents();
    return this.starting;
  }

  private async startComponents(): Promise<void> {
    const { def } = this;
    const { signal } = this.abort;
    const ctx = { pipelineId: def.id, pipelineFile: shownPath(def.file), baseDir: def.baseDir, logger: this.logger, metrics: this.metrics };
    const { steps, close } = await buildFilters(def, ctx);
    this.closeFilters = close;
    this.processor = new RecordProcessor(steps, processorOptions(def));
    if (this.processor.joins) {
      this.processor.clock = () => this.waitClock();
      this.gate = new SettleGate();
      this.expireTimer = setInterval(() => this.expireGroups(), this.processor.expireEveryMs);
      this.expireTimer.unref();
    }
    this.output = def.output.spec.create(def.output.config, ctx);
    this.input = def.input.spec.create(def.input.config, ctx);
    this.deadLetters = def.input.spec.createDeadLetterSink(def.input.config, def.deadLetter, ctx);
    // Both ends at once: an operator sees every missing dependency at the first start.
    const outputs = [this.output.start(signal), this.deadLetters.start(signal)];
    const started = await Promise.allSettled(outputs);
    for (const r of started) if (r.status === 'rejected') throw r.reason;
    if (signal.aborted) throw new StartAborted();
    await this.input.start(this, signal);
    if (signal.aborted) throw new StartAborted();
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

  rebalanceStarted(): void {
    this.rebalancingSince = Date.now();
  }

  /** Open groups of revoked partitions are forgotten, never sent half-read: the next owner re-reads them whole. */
  rebalanceDone(revoked: { topic: string; partition: number }[]): void {
    this.rebalancingSince = 0;
    if (!this.gate || revoked.length === 0) return;
    const keys = new Set(revoked.map((r) => `${r.topic}:${r.partition}`));
    // Their records not processed yet are left to the next owner too: processed here, they
    // could open groups that would go out half-read.
    const kept: AcceptedRecord[] = [];
    const dropped: AcceptedRecord[] = [];
    for (let i = this.pendingHead; i < this.pending.length; i++) {
      const a = this.pending[i];
      (keys.has(`${a.record.topic}:${a.record.partition}`) ? dropped : kept).push(a);
    }
    if (dropped.length) {
      this.pending = kept;
      this.pendingHead = 0;
      for (const a of dropped) this.released(a.record.value?.length ?? 0);
    }
    const groups = this.processor.discardJoined((first) => keys.has(`${first.topic}:${first.partition}`));
    if (groups.length) this.logger.info({ groups: groups.length, partitions: [...keys] }, 'open multiline groups of revoked partitions dropped; their next owner re-reads them');
    this.discardGroups(groups);
    this.gate.forget(keys);
  }

  private discardGroups(groups: SourceRecord[][]): void {
    for (const members of groups) {
      for (const record of members) {
        const state = this.unhold(record);
        if (!state) continue;
        state.discarded = true;
        this.unref(state);
      }
    }
  }

  private unhold(record: SourceRecord): InFlightRecord | undefined {
    const state = this.held.get(record);
    if (!state) return undefined;
    this.held.delete(record);
    this.heldBytes -= state.bytes;
    return state;
  }

  /**
   * The clock of the multiline wait: it stands still while fetching is paused, when the next
   * line of a group may be sitting unread in Kafka or parked in the input. Cutting groups then
   * would depend on how fast Elasticsearch was, and a re-read after a crash would join them
   * differently (a line both in a group and alone).
   */
  private waitClock(): number {
    const now = Date.now();
    return now - this.pausedTotal - (this.stats.paused ? now - this.pausedAt : 0);
  }

  /**
   * Timer: sends the groups whose wait is over. Not while records wait to be processed (their
   * lines may continue a group), nor during a rebalance (the partition may be leaving us).
   * When open groups alone fill the in-flight limits, they are sent as they are, tagged cut.
   */
  private expireGroups(): void {
    // A rebalance that never completes (the consumer restarting) must not hold groups forever.
    const rebalancing = this.rebalancingSince > 0 && Date.now() - this.rebalancingSince < REBALANCE_HOLD_MS;
    if (this.processing || rebalancing || this.stopping || this.held.size === 0) return;
    const { maxInFlightEvents, maxInFlightBytes } = this.def.limits;
    const full = this.stats.paused && (this.held.size * 2 >= maxInFlightEvents || this.heldBytes * 2 >= maxInFlightBytes);
    if (full) this.logger.warn({ heldRecords: this.held.size, heldBytes: this.heldBytes }, 'open multiline groups fill the in-flight limits; sending them as they are (tagged _multiline_truncated)');
    const joined = full ? this.processor.flushJoined(true) : this.processor.expireJoined(this.waitClock());
    for (const j of joined) this.deliverJoined(j);
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
      if (this.gate) this.deliverJoining(chunk, outcomes);
      else for (let i = 0; i < outcomes.length; i++) this.deliver(this.inFlight(chunk[i]), outcomes[i]);
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
    if (this.stopping) this.discardAll();
  }

  /** Shutdown: open groups stay uncommitted and are re-read whole after the restart. */
  private discardAll(): void {
    if (!this.gate) return;
    const groups = this.processor.discardJoined(() => true);
    if (groups.length) this.logger.info({ groups: groups.length }, 'open multiline groups left uncommitted; they are re-read after the restart');
    this.discardGroups(groups);
  }

  private inFlight(accepted: AcceptedRecord): InFlightRecord {
    const state: InFlightRecord = { accepted, bytes: accepted.record.value?.length ?? 0, refs: 1 };
    if (this.gate) state.ticket = this.gate.track(accepted.record);
    return state;
  }

  /**
   * With a joining filter: a record's own events go out as usual; a record whose event went
   * into a group is held until the group comes out (here, or later from the timer). The
   * processing reference of each record is dropped last, so a record held and completed in
   * the same batch is not settled in between.
   */
  private deliverJoining(chunk: AcceptedRecord[], outcomes: Outcome[]): void {
    const states = new Array<InFlightRecord>(outcomes.length);
    for (let i = 0; i < outcomes.length; i++) {
      const state = this.inFlight(chunk[i]);
      states[i] = state;
      const outcome = outcomes[i];
      if (outcome.kind === 'events' && outcome.held) {
        state.refs++;
        this.held.set(state.accepted.record, state);
        this.heldBytes += state.bytes;
        // Its own events (those that did not go into a group), if any, go out as usual.
        if (outcome.events.length) this.deliver(state, outcome, true);
      } else {
        this.deliver(state, outcome, true);
      }
    }
    for (const j of this.processor.takeJoined()) this.deliverJoined(j);
    for (const state of states) this.unref(state);
  }

  private deliverJoined({ members, outcome }: JoinedOutcome): void {
    const states: InFlightRecord[] = [];
    for (const record of members) {
      const state = this.unhold(record);
      if (!state) continue;
      // The reference the group held passes to this outcome (deliverFor takes one per record).
      state.refs--;
      states.push(state);
    }
    // Every member was forgotten meanwhile (revoked partition): nothing to send.
    if (states.length === 0) return;
    if (states.length > 1) states[0].groupUntil = BigInt(states[states.length - 1].accepted.record.offset);
    this.deliverFor(states, outcome);
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

  /**
   * The outcome of one record. `extraRef`: the caller holds a reference on the record and
   * drops it itself (deliverJoining), so the record cannot settle before all its outcomes are known.
   */
  private deliver(state: InFlightRecord, outcome: Outcome, extraRef = false): void {
    if (outcome.kind === 'wait') {
      // A filter awaits an answer (dns): the record waits aside, the records after it go on.
      // (Never with a joining filter: the processor refuses that combination.)
      this.processor.afterWait(state.accepted.record, outcome).then(
        (final) => this.deliver(state, final, extraRef),
        (err) => this.deliver(state, { kind: 'dead', reason: 'filter_error', error: (err as Error).message ?? String(err), stage: outcome.stage }, extraRef),
      );
      return;
    }
    if (!extraRef) {
      // The reference inFlight() took stands for this outcome.
      state.refs--;
    }
    this.deliverFor([state], outcome);
  }

  /**
   * An outcome made from one or more records (first record first): each record settles once
   * every outcome it is part of is finished; the events take the id of the first record.
   */
  private deliverFor(states: InFlightRecord[], outcome: FinalOutcome): void {
    if (states.length === 1 && outcome.kind === 'events' && outcome.events.length === 1) {
      this.deliverOne(states[0], outcome.events[0]);
      return;
    }
    const { stats } = this;
    for (const s of states) s.refs++;
    const finished = () => {
      for (let i = states.length - 1; i >= 0; i--) this.unref(states[i]);
    };
    if (outcome.kind === 'dead') {
      for (const s of states) s.failure ??= outcome;
      finished();
      return;
    }
    const { events } = outcome;
    if (events.length === 0) {
      stats.eventsDropped++;
      finished();
      return;
    }
    const baseId = defaultId(states[0].accepted.record);
    let pending = events.length;
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
          else for (const s of states) outputFailed(s, result);
          if (--pending === 0) finished();
        },
      });
    }
  }

  /**
   * The usual case, one record making one event: its callback is the only thing kept per
   * event until the output answers. A method of its own, so that callback's scope holds the
   * record's state alone, not the closures and lists of deliverFor's general case (which V8
   * kept alive with it: ~6,000 of each in flight, promoted to the old generation).
   */
  private deliverOne(state: InFlightRecord, event: Event): void {
    state.refs++;
    this.output.write({ event, defaultId: defaultId(state.accepted.record), done: (result) => this.singleDone(state, result) });
  }

  /** The output's answer for the one event of a one-record outcome (deliverFor). */
  private singleDone(state: InFlightRecord, result: DeliveryResult): void {
    if (result.ok) this.stats.eventsOut++;
    else outputFailed(state, result);
    this.unref(state);
  }

  /** Drops one reference; the last one settles the record (after dead-lettering it if something failed). */
  private unref(state: InFlightRecord): void {
    if (--state.refs > 0) return;
    const { accepted } = state;
    const finish = () => {
      if (!state.discarded) {
        // settle() is called as a method: an input may implement it on the record's class (the Kafka input does).
        if (state.ticket) this.gate!.done(state.ticket, () => accepted.settle(), state.groupUntil);
        else accepted.settle();
      }
      this.released(state.bytes);
    };
    if (state.failure && !state.discarded) {
      const { reason, error, stage, extra } = state.failure;
      this.deadLetter(accepted.record, reason, error, stage, extra, finish);
    } else finish();
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
      this.pausedTotal += pausedMs;
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
    // A start still waiting ends now; the stop goes on once it has unwound (at once: every
    // wait listens to the signal), so no component starts after this point.
    this.abort.abort();
    await this.starting?.catch(() => undefined);
    await attempt('stopping the input', () => this.input?.stop());
    this.stopping = true;
    if (!this.processing) this.discardAll();
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
    clearInterval(this.expireTimer);
    await attempt('closing the input', () => this.input?.close());
    await this.deadLetters?.stop(Math.max(1000, deadline - Date.now())).catch((err) => this.logger.warn({ err: err.message }, 'dead-letter producer did not close cleanly'));
    await attempt('closing the output', () => this.output?.stop());
    await attempt('closing the filters', () => this.closeFilters?.());
    this.logger.info({ stats: this.stats }, 'pipeline stopped');
  }
}

/** Keeps the output's failure of one of a record's events as the record's failure, unless it has one already. */
function outputFailed(state: InFlightRecord, result: Extract<DeliveryResult, { ok: false }>): void {
  state.failure ??= { reason: result.reason, error: result.error, stage: 'output', extra: result.extra };
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

/** The id of the (first) event of a record: the replayed original's, else `<topic>-<partition>-<offset>`. */
function defaultId(record: SourceRecord): string {
  return replayedId(record) ?? `${record.topic}-${record.partition}-${record.offset}`;
}

/** A path as an operator would type it: relative to the working directory when inside it. */
function shownPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

export function processorOptions(def: PipelineDefinition) {
  return {
    ...def.input.spec.decoding(def.input.config),
    maxRecordBytes: def.limits.maxRecordBytes,
    filterTimeoutMs: def.limits.filterTimeoutMs,
    onFilterTimeout: def.limits.onFilterTimeout,
  };
}
