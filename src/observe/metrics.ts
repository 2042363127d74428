/**
 * Prometheus metrics and readiness for `sluice run` (prom-client). One registry per process;
 * every series carries the `pipeline` label. Pipeline-level counts (records in, events out,
 * dropped, dead letters, in-flight, paused) are read from the runtime's `Pipeline.stats` at
 * scrape time; the components report the rest through `ComponentMetrics`.
 *
 * Names follow the Prometheus conventions: counters end in `_total`, durations are
 * `_seconds`, sizes `_bytes`. docs/operations.md explains each one.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { PipelineStats } from '../runtime/pipeline.js';
import type { ComponentMetrics } from './observer.js';
import { SLUICE_VERSION } from '../core/version.js';

/**
 * `sluice_build_info{version,node} 1`: which sluice and Node.js a process runs (an info metric,
 * joined to other series in queries). `max` across `--workers`: all run the same build.
 */
export function registerBuildInfo(registry: Registry): Gauge<string> {
  const g = new Gauge({ name: 'sluice_build_info', help: 'Always 1; the labels say the sluice version and the Node.js version of the process.', labelNames: ['version', 'node'], registers: [registry], aggregator: 'max' });
  g.set({ version: SLUICE_VERSION, node: process.versions.node }, 1);
  return g;
}

/** How long a pipeline with lag may go without settling anything before /readyz says it is stalled. */
export const DEFAULT_STALL_MS = 60_000;

export class SluiceMetrics {
  readonly registry = new Registry();
  private readonly monitors: PipelineMonitor[] = [];

  private readonly reg = [this.registry];
  readonly recordsIn = new Counter({ name: 'sluice_records_in_total', help: 'Records taken from Kafka.', labelNames: ['pipeline'], registers: this.reg });
  readonly eventsOut = new Counter({ name: 'sluice_events_out_total', help: 'Events indexed by Elasticsearch (bulk item 2xx, or 409 for create).', labelNames: ['pipeline'], registers: this.reg });
  readonly eventsDropped = new Counter({ name: 'sluice_events_dropped_total', help: 'Records whose events were all dropped on purpose by filters.', labelNames: ['pipeline'], registers: this.reg });
  readonly deadLetters = new Counter({ name: 'sluice_dead_letters_total', help: 'Records sent to the dead-letter topic, by reason.', labelNames: ['pipeline', 'reason'], registers: this.reg });
  readonly deadLetterErrors = new Counter({ name: 'sluice_dead_letter_errors_total', help: 'Failed attempts to produce to the dead-letter topic (each is retried).', labelNames: ['pipeline'], registers: this.reg });
  readonly retries = new Counter({ name: 'sluice_retries_total', help: 'Documents sent to Elasticsearch again after a retryable failure (429, 5xx, connection error, timeout).', labelNames: ['pipeline'], registers: this.reg });
  readonly bulkDuration = new Histogram({
    name: 'sluice_bulk_request_duration_seconds',
    help: 'Duration of Elasticsearch bulk requests, by outcome (ok, item_errors, failed).',
    labelNames: ['pipeline', 'outcome'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: this.reg,
  });
  readonly esErrors = new Counter({ name: 'sluice_elasticsearch_errors_total', help: 'Elasticsearch errors by type: bulk item error types (mapper_parsing_exception, es_rejected_execution_exception) and request failures (ConnectionError, TimeoutError, http_<status>).', labelNames: ['pipeline', 'type'], registers: this.reg });
  readonly inFlightEvents = new Gauge({ name: 'sluice_in_flight_events', help: 'Records taken from Kafka and not yet settled (bounded by limits.maxInFlightEvents).', labelNames: ['pipeline'], registers: this.reg });
  readonly inFlightBytes = new Gauge({ name: 'sluice_in_flight_bytes', help: 'Bytes of record values in flight (bounded by limits.maxInFlightBytes).', labelNames: ['pipeline'], registers: this.reg });
  readonly paused = new Gauge({ name: 'sluice_paused', help: '1 while fetching from Kafka is paused because the in-flight limits are reached.', labelNames: ['pipeline'], registers: this.reg });
  readonly lag = new Gauge({ name: 'sluice_consumer_lag', help: 'Records behind: the partition high watermark at the last fetch minus the committed offset.', labelNames: ['pipeline', 'topic', 'partition'], registers: this.reg });
  readonly committed = new Gauge({ name: 'sluice_committed_offset', help: 'The last committed offset (next offset to read) per partition.', labelNames: ['pipeline', 'topic', 'partition'], registers: this.reg });
  readonly assigned = new Gauge({ name: 'sluice_assigned_partitions', help: 'Partitions assigned to this process by the consumer group.', labelNames: ['pipeline'], registers: this.reg });
  // aggregator: with --workers, a pipeline is ready only when it is ready in every worker.
  readonly ready = new Gauge({ name: 'sluice_ready', help: '1 when the pipeline is ready in the sense of /readyz.', labelNames: ['pipeline'], registers: this.reg, aggregator: 'min' });

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    registerBuildInfo(this.registry);
    // process_* and nodejs_* (CPU, memory, event-loop lag, GC): the usual Node.js process metrics.
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** The reporter for one pipeline; `stats` is read at every scrape. */
  pipeline(id: string, stats: () => PipelineStats, opts: { stallMs?: number } = {}): PipelineMonitor {
    const m = new PipelineMonitor(this, id, stats, opts.stallMs ?? DEFAULT_STALL_MS);
    this.monitors.push(m);
    return m;
  }

  get pipelines(): readonly PipelineMonitor[] {
    return this.monitors;
  }

  /** The Prometheus text exposition, with the pipeline stats brought up to date first. */
  async render(): Promise<string> {
    for (const m of this.monitors) m.sync();
    return this.registry.metrics();
  }

  /** The metrics as JSON (for the --workers supervisor, which sums them over its workers). */
  async snapshot(): ReturnType<Registry['getMetricsAsJSON']> {
    for (const m of this.monitors) m.sync();
    return this.registry.getMetricsAsJSON();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Every pipeline's readiness; the process is ready when all are. */
  readiness(now = Date.now()): { ready: boolean; pipelines: Record<string, Readiness> } {
    const pipelines: Record<string, Readiness> = {};
    for (const m of this.monitors) pipelines[m.id] = m.readiness(now);
    return { ready: this.monitors.length > 0 && Object.values(pipelines).every((p) => p.ready), pipelines };
  }
}

export interface Readiness {
  ready: boolean;
  /** Why not ready (empty when ready). */
  reasons: string[];
  kafka: { state: string; assignedPartitions: number; lag: number | null; lastProgress: string | null };
  elasticsearch: { state: 'unknown' | 'ok' | 'failing'; lastSuccess: string | null; lastFailure: string | null; lastError: string | null };
}

interface PartitionState {
  topic: string;
  partition: number;
  highWatermark?: bigint;
  committed?: bigint;
  /** Where fetching started in this process, standing in for the committed offset until the first commit. */
  firstFetched?: bigint;
}

const iso = (t: number | undefined) => (t === undefined ? null : new Date(t).toISOString());

/** One pipeline's reporter: implements the components' `ComponentMetrics` and keeps readiness state. */
export class PipelineMonitor implements ComponentMetrics {
  private kafka: 'starting' | 'connected' | 'joined' | 'rebalancing' | 'crashed' | 'disconnected' = 'starting';
  private kafkaDetail: string | undefined;
  private partitions = new Map<string, PartitionState>();
  private assignedCount = 0;
  private lastProgressAt: number | undefined;
  private esLastOk: number | undefined;
  private esLastFailure: number | undefined;
  private esLastError: string | undefined;
  private stopping = false;
  private started = false;
  /** Start-up waits in progress, by dependency: what is missing. */
  private waits = new Map<string, string>();
  /** Stats values already added to the counters (counters only move forward by deltas). */
  private seen = { recordsIn: 0, eventsOut: 0, eventsDropped: 0, deadLettered: {} as Record<string, number> };

  constructor(
    private readonly metrics: SluiceMetrics,
    readonly id: string,
    private readonly stats: () => PipelineStats,
    private readonly stallMs: number,
  ) {
    const l = { pipeline: id };
    // Series exist from the start (at 0), so dashboards and alerts see them before the first event.
    for (const c of [metrics.recordsIn, metrics.eventsOut, metrics.eventsDropped, metrics.retries, metrics.deadLetterErrors]) c.inc(l, 0);
    metrics.paused.set(l, 0);
    metrics.ready.set(l, 0);
    metrics.assigned.set(l, 0);
  }

  /** The pipeline finished starting (connected to both ends, consumer running). */
  markStarted(): void {
    this.started = true;
    this.lastProgressAt ??= Date.now();
  }

  /** The pipeline is shutting down: not ready any more. */
  markStopping(): void {
    this.stopping = true;
    this.metrics.ready.set({ pipeline: this.id }, 0);
  }

  // ---------------------------------------------------------------- ComponentMetrics

  waiting(dependency: string, reason: string | undefined): void {
    if (reason === undefined) this.waits.delete(dependency);
    else this.waits.set(dependency, reason);
  }

  kafkaState(state: 'connected' | 'disconnected' | 'rebalancing' | 'crashed', detail?: string): void {
    // A connect does not undo a join; kafkajs reports `connected` before the group join.
    if (state === 'connected' && this.kafka === 'joined') return;
    this.kafka = state;
    this.kafkaDetail = detail;
  }

  kafkaAssigned(assignment: Record<string, number[]>): void {
    this.kafka = 'joined';
    this.kafkaDetail = undefined;
    const keep = new Set<string>();
    for (const [topic, parts] of Object.entries(assignment)) {
      for (const partition of parts) {
        const key = `${topic}:${partition}`;
        keep.add(key);
        if (!this.partitions.has(key)) this.partitions.set(key, { topic, partition });
      }
    }
    for (const [key, p] of this.partitions) {
      if (keep.has(key)) continue;
      this.partitions.delete(key);
      const labels = { pipeline: this.id, topic: p.topic, partition: String(p.partition) };
      this.metrics.lag.remove(labels);
      this.metrics.committed.remove(labels);
    }
    this.assignedCount = keep.size;
    this.metrics.assigned.set({ pipeline: this.id }, keep.size);
    this.lastProgressAt = Date.now();
  }

  private partition(topic: string, partition: number): PartitionState {
    const key = `${topic}:${partition}`;
    let p = this.partitions.get(key);
    if (!p) {
      p = { topic, partition };
      this.partitions.set(key, p);
    }
    return p;
  }

  kafkaFetched(topic: string, partition: number, highWatermark: string, firstOffset: string): void {
    const p = this.partition(topic, partition);
    p.highWatermark = BigInt(highWatermark);
    p.firstFetched ??= BigInt(firstOffset);
  }

  kafkaCommitted(offsets: readonly { topic: string; partition: number; offset: string }[]): void {
    for (const o of offsets) {
      const p = this.partition(o.topic, o.partition);
      const next = BigInt(o.offset);
      if (p.committed === undefined || next > p.committed) this.lastProgressAt = Date.now();
      p.committed = next;
    }
  }

  deadLetterSendFailed(): void {
    this.metrics.deadLetterErrors.inc({ pipeline: this.id });
  }

  bulkRequest(seconds: number, outcome: 'ok' | 'item_errors' | 'failed', error?: string): void {
    this.metrics.bulkDuration.observe({ pipeline: this.id, outcome }, seconds);
    if (outcome === 'failed') {
      this.esLastFailure = Date.now();
      this.esLastError = error;
    } else {
      this.esLastOk = Date.now();
    }
  }

  elasticsearchError(type: string): void {
    this.metrics.esErrors.inc({ pipeline: this.id, type });
  }

  retried(documents: number): void {
    this.metrics.retries.inc({ pipeline: this.id }, documents);
  }

  // ---------------------------------------------------------------- scrape and readiness

  private lagOf(p: PartitionState): number | undefined {
    if (p.highWatermark === undefined) return undefined;
    const base = p.committed ?? p.firstFetched;
    if (base === undefined) return undefined;
    const lag = p.highWatermark - base;
    return Number(lag > 0n ? lag : 0n);
  }

  /** Brings the series that mirror `Pipeline.stats` and the partition gauges up to date. */
  sync(): void {
    const s = this.stats();
    const l = { pipeline: this.id };
    const { seen, metrics } = this;
    const add = (c: Counter<string>, now: number, before: number, labels: Record<string, string> = l) => {
      if (now > before) c.inc(labels, now - before);
    };
    add(metrics.recordsIn, s.recordsIn, seen.recordsIn);
    add(metrics.eventsOut, s.eventsOut, seen.eventsOut);
    add(metrics.eventsDropped, s.eventsDropped, seen.eventsDropped);
    seen.recordsIn = s.recordsIn;
    seen.eventsOut = s.eventsOut;
    seen.eventsDropped = s.eventsDropped;
    for (const [reason, n] of Object.entries(s.deadLettered)) {
      add(metrics.deadLetters, n, seen.deadLettered[reason] ?? 0, { pipeline: this.id, reason });
      seen.deadLettered[reason] = n;
    }
    metrics.inFlightEvents.set(l, s.inFlightRecords);
    metrics.inFlightBytes.set(l, s.inFlightBytes);
    metrics.paused.set(l, s.paused ? 1 : 0);
    for (const p of this.partitions.values()) {
      const labels = { pipeline: this.id, topic: p.topic, partition: String(p.partition) };
      const lag = this.lagOf(p);
      if (lag !== undefined) metrics.lag.set(labels, lag);
      if (p.committed !== undefined) metrics.committed.set(labels, Number(p.committed));
    }
    metrics.ready.set(l, this.readiness().ready ? 1 : 0);
  }

  readiness(now = Date.now()): Readiness {
    const reasons: string[] = [];
    let lag: number | null = null;
    for (const p of this.partitions.values()) {
      const v = this.lagOf(p);
      if (v !== undefined) lag = (lag ?? 0) + v;
    }
    if (this.stopping) reasons.push('pipeline is stopping');
    else if (!this.started && this.waits.size) for (const why of this.waits.values()) reasons.push(`waiting: ${why}`);
    else if (!this.started) reasons.push('pipeline is starting (connecting to Elasticsearch and Kafka)');
    if (!this.stopping && this.started) {
      if (this.kafka === 'crashed') reasons.push(`kafka consumer crashed and is restarting: ${this.kafkaDetail ?? 'unknown error'}`);
      else if (this.kafka === 'rebalancing') reasons.push('consumer group is rebalancing');
      else if (this.kafka !== 'joined') reasons.push(`kafka consumer has not joined its group (${this.kafka})`);
      const failing = this.esLastFailure !== undefined && (this.esLastOk === undefined || this.esLastFailure > this.esLastOk);
      if (failing) reasons.push(`elasticsearch bulk requests failing since ${iso(this.esLastFailure)}: ${this.esLastError ?? 'unknown error'}`);
      if (lag && this.lastProgressAt !== undefined && now - this.lastProgressAt > this.stallMs) {
        reasons.push(`no progress for ${Math.round((now - this.lastProgressAt) / 1000)} s with ${lag} record(s) of lag`);
      }
    }
    const esState = this.esLastFailure === undefined && this.esLastOk === undefined ? 'unknown' : this.esLastFailure !== undefined && (this.esLastOk === undefined || this.esLastFailure > this.esLastOk) ? 'failing' : 'ok';
    return {
      ready: reasons.length === 0,
      reasons,
      kafka: { state: this.kafka, assignedPartitions: this.assignedCount, lag, lastProgress: iso(this.lastProgressAt) },
      elasticsearch: { state: esState, lastSuccess: iso(this.esLastOk), lastFailure: iso(this.esLastFailure), lastError: this.esLastError ?? null },
    };
  }
}
