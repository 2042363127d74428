/**
 * The Kafka input: a kafkajs consumer in a consumer group that hands records to the
 * runtime as fast as the runtime accepts them, and commits per partition only the offset
 * of the first record not yet settled.
 *
 * Fetching and settling are decoupled: `eachBatch` returns as soon as the batch is handed
 * over, so heartbeats never wait for Elasticsearch. Memory is bounded by the runtime, which
 * pauses the input when its in-flight limits are reached.
 *
 * One fetch can hold far more records than the in-flight limits (1 MiB of gzip'd log lines
 * per partition is tens of thousands of records), so records are handed over in small chunks
 * and the hand-over stops as soon as the runtime pauses the input. The rest of the batch is
 * parked here, undecoded, and handed over first on resume; while anything is parked the
 * topics stay paused in kafkajs, so parked records never exceed what fetches already
 * returned (bounded by maxBytes / maxBytesPerPartition).
 */
import kafkajs, { type Consumer, type EachBatchPayload } from 'kafkajs';
import type { Logger } from 'pino';
import type { AcceptedRecord, Input, RecordSink, SourceRecord } from '../../core/component.js';
import { createKafka } from './connection.js';
import { PartitionOffsets } from './offsets.js';
import type { KafkaInputConfig } from './index.js';
import { noopMetrics, type ComponentMetrics } from '../../observe/observer.js';

function copyHeaders(headers: SourceRecord['headers']): SourceRecord['headers'] {
  const out: SourceRecord['headers'] = {};
  for (const k in headers) {
    const v = headers[k];
    const copy = Array.isArray(v) ? v.map((x) => (Buffer.isBuffer(x) ? Buffer.from(x) : x)) : Buffer.isBuffer(v) ? Buffer.from(v) : v;
    // defineProperty: a header named `__proto__` stays a plain own property.
    Object.defineProperty(out, k, { value: copy, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** Records per hand-over to the runtime: how far one hand-over can overshoot the in-flight limits. */
const HAND_OVER_RECORDS = 500;
const HAND_OVER_BYTES = 1024 * 1024;

export class KafkaInput implements Input {
  private consumer: Consumer;
  /** Trackers of the partitions assigned in the current generation, by "topic:partition". */
  private partitions = new Map<string, PartitionOffsets>();
  private commitTimer: NodeJS.Timeout | undefined;
  private committing: Promise<void> = Promise.resolve();
  private paused = false;
  private stopped = false;
  private sink: RecordSink | undefined;
  /** Set by kafkajs' COMMIT_OFFSETS event: the coordinator acknowledged a commit. */
  private commitAcknowledged = false;
  /** Fetched records not handed over yet (the runtime was full), in fetch order, from `parkedHead` on. */
  private parked: SourceRecord[] = [];
  private parkedHead = 0;
  /** Per partition, the offset after the last record parked or handed over in this generation. */
  private fetchedUpTo = new Map<string, bigint>();

  constructor(
    private readonly config: KafkaInputConfig,
    private readonly logger: Logger,
    private readonly metrics: ComponentMetrics = noopMetrics,
  ) {
    const kafka = createKafka(config, logger);
    this.consumer = kafka.consumer({
      groupId: config.groupId,
      sessionTimeout: config.sessionTimeoutMs,
      heartbeatInterval: config.heartbeatIntervalMs,
      maxBytesPerPartition: config.maxBytesPerPartition,
      maxBytes: config.maxBytes,
      maxWaitTimeInMs: config.maxWaitMs,
      allowAutoTopicCreation: false,
      // Finite on purpose: kafkajs never looks for a new group coordinator after connection
      // errors, so when the coordinator's broker dies, heartbeats and commits would go to it
      // forever. After ~40 s of consecutive failures the runner crashes instead, and kafkajs
      // restarts the consumer (retriable errors), which finds the new coordinator and rejoins.
      retry: { retries: 8, initialRetryTime: 300, maxRetryTime: 10_000 },
    });
  }

  async start(sink: RecordSink): Promise<void> {
    this.sink = sink;
    const { consumer, config } = this;
    const { GROUP_JOIN, CRASH, CONNECT, DISCONNECT, REBALANCING } = consumer.events;
    consumer.on(GROUP_JOIN, ({ payload }) => this.onAssignment(payload.memberAssignment));
    consumer.on(CRASH, ({ payload }) => {
      this.logger.error({ err: payload.error, restart: payload.restart }, 'kafka consumer crashed');
      this.metrics.kafkaState('crashed', payload.error?.message);
    });
    consumer.on(CONNECT, () => this.metrics.kafkaState('connected'));
    consumer.on(DISCONNECT, () => this.metrics.kafkaState('disconnected'));
    consumer.on(REBALANCING, () => this.metrics.kafkaState('rebalancing'));
    // Partitions may be revoked: commit what is settled now (the coordinator still accepts
    // commits of the ending generation), so their next owner re-reads as little as possible.
    consumer.on(REBALANCING, () => {
      sink.rebalanceStarted?.();
      void this.commit();
    });
    consumer.on(consumer.events.COMMIT_OFFSETS, () => {
      this.commitAcknowledged = true;
    });
    await consumer.connect();
    const topics: (string | RegExp)[] = [...(config.topics ?? [])];
    if (config.topicPattern) topics.push(new RegExp(config.topicPattern));
    await consumer.subscribe({ topics, fromBeginning: config.startFrom === 'earliest' });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: config.partitionsConsumedConcurrently,
      eachBatch: (payload) => this.onBatch(payload, sink),
    });
    this.commitTimer = setInterval(() => void this.commit(), config.commitIntervalMs);
    this.commitTimer.unref();
  }

  private async onBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload, sink: RecordSink): Promise<void> {
    const key = `${batch.topic}:${batch.partition}`;
    this.metrics.kafkaFetched(batch.topic, batch.partition, batch.highWatermark, batch.firstOffset() ?? batch.highWatermark);
    let tracker = this.partitions.get(key);
    if (!tracker) {
      tracker = new PartitionOffsets();
      this.partitions.set(key, tracker);
    }
    const seenUpTo = this.fetchedUpTo.get(key);
    let last: string | undefined;
    for (const message of batch.messages) {
      if (!isRunning() || isStale()) break;
      const offset = BigInt(message.offset);
      if (!tracker.isDuplicate(offset) && (seenUpTo === undefined || offset >= seenUpTo)) {
        this.parked.push({
          topic: batch.topic,
          partition: batch.partition,
          offset: message.offset,
          // Copies: kafkajs hands out slices of the whole decompressed fetch, and one record
          // still in flight would keep all of it (megabytes) alive.
          key: message.key ? Buffer.from(message.key) : null,
          value: message.value ? Buffer.from(message.value) : null,
          timestamp: message.timestamp,
          headers: message.headers ? copyHeaders(message.headers) : {},
        });
        this.fetchedUpTo.set(key, offset + 1n);
      }
      last = message.offset;
    }
    if (!this.paused) this.handOver(sink);
    if (last !== undefined) resolveOffset(last);
    await heartbeat();
  }

  /** Hands parked records to the runtime in chunks until it pauses the input or none are left. */
  private handOver(sink: RecordSink): void {
    while (!this.paused && !this.stopped && this.parkedHead < this.parked.length) {
      const accepted: AcceptedRecord[] = [];
      let bytes = 0;
      while (this.parkedHead < this.parked.length && accepted.length < HAND_OVER_RECORDS && bytes < HAND_OVER_BYTES) {
        const record = this.parked[this.parkedHead++];
        const tracker = this.partitions.get(`${record.topic}:${record.partition}`);
        if (!tracker) continue; // revoked meanwhile: its next owner reads it
        bytes += record.value?.length ?? 0;
        accepted.push({ record, settle: tracker.accept(BigInt(record.offset)) });
      }
      if (accepted.length) sink.accept(accepted);
    }
    if (this.parkedHead === this.parked.length) {
      this.parked = [];
      this.parkedHead = 0;
    } else if (this.parkedHead > 4096 && this.parkedHead * 2 > this.parked.length) {
      this.parked = this.parked.slice(this.parkedHead);
      this.parkedHead = 0;
    }
  }

  /**
   * A new generation: partitions we lost are abandoned uncommitted (their in-flight work may
   * still finish, but its settlement is ignored and the new owner re-reads from the last
   * commit; default ids make the re-read overwrite, not duplicate). Partitions we keep keep
   * their trackers, which skip the records kafkajs re-fetches from the committed offset.
   */
  private onAssignment(assignment: Record<string, number[]>): void {
    const assigned = new Set(Object.entries(assignment).flatMap(([topic, parts]) => parts.map((p) => `${topic}:${p}`)));
    const revoked: { topic: string; partition: number }[] = [];
    for (const key of [...this.partitions.keys()]) {
      if (!assigned.has(key)) {
        const lost = this.partitions.get(key)!;
        if (lost.unsettled > 0) this.logger.info({ partition: key, unsettled: lost.unsettled }, 'partition revoked with unsettled records; the next owner re-reads them');
        this.partitions.delete(key);
        const sep = key.lastIndexOf(':');
        revoked.push({ topic: key.slice(0, sep), partition: Number(key.slice(sep + 1)) });
      }
    }
    this.sink?.rebalanceDone?.(revoked);
    // kafkajs fetches every assigned partition again from its committed offset: parked
    // records come back (or go to their new owner), accepted ones are skipped by the trackers.
    this.parked = [];
    this.parkedHead = 0;
    this.fetchedUpTo.clear();
    // Commit every kept partition again in the new generation, whatever we think was committed.
    for (const tracker of this.partitions.values()) tracker.resetCommitted();
    this.logger.info({ assignment }, 'partitions assigned');
    this.metrics.kafkaAssigned(assignment);
    if (this.paused) this.applyPause();
  }

  /** Commits every partition whose settled watermark moved. Serialised. */
  commit(): Promise<void> {
    this.committing = this.committing.then(async () => {
      const offsets: { topic: string; partition: number; offset: string }[] = [];
      const trackers: [PartitionOffsets, bigint][] = [];
      for (const [key, tracker] of this.partitions) {
        const next = tracker.takeCommit();
        if (next === undefined) continue;
        const sep = key.lastIndexOf(':');
        offsets.push({ topic: key.slice(0, sep), partition: Number(key.slice(sep + 1)), offset: next.toString() });
        trackers.push([tracker, next]);
      }
      if (offsets.length === 0) return;
      try {
        this.commitAcknowledged = false;
        await this.consumer.commitOffsets(offsets);
        // kafkajs resolves without committing anything while its consumer is not running
        // (restarting after a crash, joining): not a commit, so the next tick tries again.
        if (!this.commitAcknowledged) {
          this.logger.debug({ offsets }, 'commit not sent (consumer not in the group right now); will retry');
          return;
        }
        for (const [tracker, next] of trackers) tracker.markCommitted(next);
        this.metrics.kafkaCommitted(offsets);
        this.logger.debug({ offsets }, 'committed');
      } catch (err) {
        // A rebalance in progress rejects commits; the next tick (or the new owner) catches up.
        this.logger.warn({ err: (err as Error).message }, 'offset commit failed; will retry');
      }
    });
    return this.committing;
  }

  /** Every topic this input reads: the configured ones and those of assigned partitions (topicPattern). */
  private topicsToPause(): { topic: string }[] {
    const topics = new Set([...this.partitions.keys()].map((k) => k.slice(0, k.lastIndexOf(':'))));
    for (const t of this.config.topics ?? []) topics.add(t);
    for (const { topic } of this.consumer.paused()) topics.add(topic);
    return [...topics].map((topic) => ({ topic }));
  }

  private applyPause(): void {
    // While kafkajs restarts a crashed consumer it has no consumer group and pause/resume
    // throw; the restarted one starts unpaused and onAssignment pauses it again if needed.
    try {
      this.consumer.pause(this.topicsToPause());
    } catch (err) {
      this.logger.debug({ err: (err as Error).message }, 'pause deferred until the consumer has rejoined');
    }
  }

  pause(): void {
    if (this.paused || this.stopped) return;
    this.paused = true;
    this.applyPause();
  }

  resume(): void {
    if (!this.paused || this.stopped) return;
    this.paused = false;
    // Parked records first; fetching resumes only once they are all taken.
    if (this.sink) this.handOver(this.sink);
    if (!this.paused) {
      try {
        // Whole topics, as they were paused. Resuming the listed partitions instead (what
        // `consumer.paused()` returns) leaves kafkajs' topic-wide pause in place with
        // exceptions for those partitions: a partition assigned in a later rebalance would
        // then stay paused for good (found by the consumer-group fault test).
        this.consumer.resume(this.topicsToPause());
      } catch (err) {
        this.logger.debug({ err: (err as Error).message }, 'resume deferred until the consumer has rejoined');
      }
    }
  }

  /**
   * Stops fetching by pausing every topic. The consumer stays in the group so that the
   * final commit in close() is still accepted (kafkajs leaves the group on stop).
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.applyPause();
    this.paused = true;
    this.stopped = true;
  }

  async close(): Promise<void> {
    if (this.commitTimer) clearInterval(this.commitTimer);
    await this.commit();
    await this.consumer.disconnect();
  }
}
