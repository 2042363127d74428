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
import { NO_HEADERS, type AcceptedRecord, type Input, type RecordSink, type SourceRecord } from '../../core/component.js';
import { anyBrokerReachable, brokerList, createKafka, explainBrokersUnavailable, isTransientKafkaLog } from './connection.js';
import { untilAvailable, type Unavailable } from '../../core/waiting.js';
import { PartitionOffsets } from './offsets.js';
import type { KafkaInputConfig } from './index.js';
import { noopMetrics, type ComponentMetrics } from '../../observe/observer.js';

function copyHeaders(headers: SourceRecord['headers']): SourceRecord['headers'] {
  let out: SourceRecord['headers'] | undefined;
  for (const k in headers) {
    out ??= {};
    const v = headers[k];
    const copy = Array.isArray(v) ? v.map((x) => (Buffer.isBuffer(x) ? Buffer.from(x) : x)) : Buffer.isBuffer(v) ? Buffer.from(v) : v;
    // defineProperty: a header named `__proto__` stays a plain own property.
    Object.defineProperty(out, k, { value: copy, enumerable: true, writable: true, configurable: true });
  }
  return out ?? NO_HEADERS;
}

/** Configured topics that do not exist (or no topic matching topicPattern): waited for at start. */
class TopicsMissing extends Error {
  constructor(
    readonly missing: string[],
    readonly pattern?: string,
  ) {
    super(pattern ? `no topic matches /${pattern}/` : `topic(s) ${missing.join(', ')} do not exist`);
  }

  explain(config: KafkaInputConfig): Unavailable {
    const brokers = brokerList(config.brokers).join(',');
    const autoCreate = "consumers never create topics (the brokers' auto.create.topics.enable applies only to producers)";
    if (this.pattern) {
      return {
        what: `Kafka topics matching input.kafka.topicPattern /${this.pattern}/`,
        cause: `none exists on ${brokers}; ${autoCreate}`,
        fix: 'create a matching topic (or start its producer), or correct input.kafka.topicPattern',
      };
    }
    const names = this.missing.map((t) => `"${t}"`).join(', ');
    return {
      what: `Kafka topic${this.missing.length > 1 ? 's' : ''} ${names}`,
      cause: `does not exist on ${brokers} (a typo, or its producer has not started yet); ${autoCreate}`,
      fix: `create it (kafka-topics.sh --bootstrap-server ${brokerList(config.brokers)[0]} --create --topic ${this.missing[0]}) or start its producer, or correct input.kafka.topics`,
    };
  }
}

/** How long close() lets kafkajs finish requests in flight before it cuts their connections. */
const DISCONNECT_GRACE_MS = 2000;

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
  private readonly kafka: ReturnType<typeof createKafka>;
  /** In a start-up wait (which logs its own warning): kafkajs' complaints go to debug. */
  private waiting = false;
  /** Topics subscribed so far (topicPattern: the matching topics at the last check). */
  private subscribed = new Set<string>();
  private topicTimer: NodeJS.Timeout | undefined;
  /** A topicPattern check that rejoins the group with new topics; close() waits for it. */
  private refreshing: Promise<void> | undefined;
  /** consumer.connect() of the start, which a stop does not cut short; close() waits for it. */
  private connecting: Promise<void> | undefined;

  constructor(
    private readonly config: KafkaInputConfig,
    private readonly logger: Logger,
    private readonly metrics: ComponentMetrics = noopMetrics,
    private readonly pipelineFile?: string,
  ) {
    const kafka = createKafka(config, logger, '', { quiet: () => this.waiting || this.stopped });
    this.kafka = kafka;
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
      // Never after a stop: kafkajs takes the connection closed under a JoinGroup that waits
      // (for a dead member's session to expire) for a crash, and would start the consumer
      // again after the pipeline stopped, rejoin and hold partitions in a process that never exits.
      retry: { retries: 8, initialRetryTime: 300, maxRetryTime: 10_000, restartOnFailure: async () => !this.stopped },
    });
  }

  async start(sink: RecordSink, signal?: AbortSignal): Promise<void> {
    this.sink = sink;
    const { consumer, config } = this;
    const { GROUP_JOIN, CRASH, CONNECT, DISCONNECT, REBALANCING } = consumer.events;
    consumer.on(GROUP_JOIN, ({ payload }) => {
      if (!this.stopped) this.onAssignment(payload.memberAssignment);
    });
    consumer.on(CRASH, ({ payload }) => {
      // Errors of a consumer being stopped are the stop's own doing (connections closed under it).
      if (this.stopped) return this.logger.debug({ err: payload.error?.message }, 'kafka consumer ended while stopping');
      if (payload.restart) this.logger.warn({ err: payload.error }, 'kafka consumer crashed; kafkajs restarts it and rejoins the group');
      else this.logger.error({ err: payload.error }, 'kafka consumer crashed and is not restarted');
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

    // Brokers unreachable, topics missing: wait with one warning (src/core/waiting.ts).
    const waitOptions = { logger: this.logger, signal, metrics: this.metrics, dependency: 'kafka', pipelineFile: this.pipelineFile };
    const brokers = brokerList(config.brokers);
    this.waiting = true;
    let topics: { existing: string[]; appeared: boolean };
    try {
      await untilAvailable(
        async () => {
          await anyBrokerReachable(brokers, Math.min(config.connectionTimeoutMs, 5000));
          this.connecting = consumer.connect();
          await this.connecting;
        },
        { ...waitOptions, explain: (err) => explainBrokersUnavailable(config, err) },
      );
      let missingAtFirst = false;
      const existing = await untilAvailable(
        async () => {
          try {
            return await this.matchingTopics();
          } catch (err) {
            if (err instanceof TopicsMissing) missingAtFirst = true;
            throw err;
          }
        },
        { ...waitOptions, explain: (err) => (err instanceof TopicsMissing ? err.explain(config) : explainBrokersUnavailable(config, err)) },
      );
      topics = { existing, appeared: missingAtFirst };
    } finally {
      this.waiting = false;
    }
    if (this.stopped) return;
    // Topics that appeared while we waited are read from their start: nothing of them was read yet.
    const fromBeginning = config.startFrom === 'earliest' || topics.appeared;
    await consumer.subscribe({ topics: config.topicPattern ? [new RegExp(config.topicPattern)] : topics.existing, fromBeginning });
    for (const t of topics.existing) this.subscribed.add(t);
    this.runConsumer();
    this.commitTimer = setInterval(() => void this.commit(), config.commitIntervalMs);
    this.commitTimer.unref();
    if (config.topicPattern) {
      this.topicTimer = setInterval(() => {
        this.refreshing ??= this.consumeNewTopics().finally(() => (this.refreshing = undefined));
      }, config.topicRefreshMs);
      this.topicTimer.unref();
    }
  }

  /**
   * Runs the consumer without waiting for the group join: a join can take a whole session
   * timeout (a dead member still in the group), and readiness already says "not joined".
   */
  private runConsumer(): void {
    void this.consumer
      .run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: this.config.partitionsConsumedConcurrently,
        eachBatch: (payload) => this.onBatch(payload, this.sink!),
      })
      .catch((err) => {
        if (!this.stopped) this.logger.error({ err }, 'kafka consumer failed to start');
      });
  }

  /**
   * The topics to subscribe: the configured ones, which must all exist, or those matching
   * topicPattern, of which there must be one. Throws TopicsMissing otherwise.
   */
  private async matchingTopics(): Promise<string[]> {
    const admin = this.kafka.admin();
    await admin.connect();
    let all: string[];
    try {
      all = await admin.listTopics();
    } finally {
      await admin.disconnect();
    }
    const { topics, topicPattern } = this.config;
    if (topicPattern) {
      const re = new RegExp(topicPattern);
      const matching = all.filter((t) => re.test(t) && !t.startsWith('__'));
      if (matching.length === 0) throw new TopicsMissing([], topicPattern);
      return matching;
    }
    const missing = (topics ?? []).filter((t) => !all.includes(t));
    if (missing.length) throw new TopicsMissing(missing);
    return [...(topics ?? [])];
  }

  /**
   * topicPattern: kafkajs matches a pattern only against the topics that exist when it
   * subscribes. A topic created later is picked up here: the consumer leaves the group,
   * subscribes to it (from its start) and joins again, like a rebalance.
   */
  private async consumeNewTopics(): Promise<void> {
    let matching: string[];
    try {
      matching = await this.matchingTopics();
    } catch (err) {
      this.logger.debug({ err: (err as Error).message }, 'topicPattern check failed; trying again later');
      return;
    }
    const fresh = matching.filter((t) => !this.subscribed.has(t));
    if (fresh.length === 0 || this.stopped) return;
    this.logger.info({ topics: fresh }, 'new topics match topicPattern; rejoining the group to consume them');
    await this.commit();
    await this.consumer.stop();
    if (this.stopped) return;
    await this.consumer.subscribe({ topics: fresh, fromBeginning: true });
    for (const t of fresh) this.subscribed.add(t);
    this.runConsumer();
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
    let lastParked: bigint | undefined;
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
          headers: message.headers ? copyHeaders(message.headers) : NO_HEADERS,
        });
        lastParked = offset;
      }
      last = message.offset;
    }
    if (lastParked !== undefined) this.fetchedUpTo.set(key, lastParked + 1n);
    if (!this.paused) this.handOver(sink);
    if (last !== undefined) resolveOffset(last);
    await heartbeat();
  }

  /** Hands parked records to the runtime in chunks until it pauses the input or none are left. */
  private handOver(sink: RecordSink): void {
    while (!this.paused && !this.stopped && this.parkedHead < this.parked.length) {
      const accepted: AcceptedRecord[] = [];
      let bytes = 0;
      // Parked records come in runs of one partition: its tracker is looked up once per run.
      let runTopic = '';
      let runPartition = -1;
      let tracker: PartitionOffsets | undefined;
      while (this.parkedHead < this.parked.length && accepted.length < HAND_OVER_RECORDS && bytes < HAND_OVER_BYTES) {
        const record = this.parked[this.parkedHead++];
        if (record.partition !== runPartition || record.topic !== runTopic) {
          runTopic = record.topic;
          runPartition = record.partition;
          tracker = this.partitions.get(`${record.topic}:${record.partition}`);
        }
        if (!tracker) continue; // revoked meanwhile: its next owner reads it
        bytes += record.value?.length ?? 0;
        accepted.push(tracker.accept(record, BigInt(record.offset)));
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
        const message = (err as Error).message;
        if (this.stopped || isTransientKafkaLog(message, undefined)) this.logger.debug({ err: message }, 'offset commit not accepted now (rebalance); will retry');
        else this.logger.warn({ err: message }, 'offset commit failed; will retry');
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
    if (this.topicTimer) clearInterval(this.topicTimer);
  }

  async close(): Promise<void> {
    if (this.commitTimer) clearInterval(this.commitTimer);
    if (this.topicTimer) clearInterval(this.topicTimer);
    // A connect or topicPattern rejoin under way would otherwise open connections after the
    // disconnect below and keep the process alive.
    const settled = (p: Promise<unknown> | undefined) => p?.catch(() => undefined);
    await Promise.race([Promise.all([settled(this.connecting), settled(this.refreshing)]), new Promise((r) => setTimeout(r, this.config.connectionTimeoutMs).unref())]);
    await this.commit();
    // kafkajs' disconnect waits for every request in flight. A JoinGroup the coordinator holds
    // for a dead member can stay in flight for a whole session timeout, longer than any
    // shutdown timeout: after a short grace, its connection is cut (the stopped consumer is
    // not restarted, see restartOnFailure), and the member never gets to hold partitions.
    const disconnected = this.consumer.disconnect().catch((err) => this.logger.debug({ err: (err as Error).message }, 'kafka consumer disconnect failed'));
    let timer: NodeJS.Timeout | undefined;
    const inTime = await Promise.race([disconnected.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), DISCONNECT_GRACE_MS)))]);
    clearTimeout(timer);
    if (!inTime) {
      this.logger.debug('kafka requests still in flight at the stop (a group join waiting for the group); closing their connections');
      this.kafka.destroyConnections();
      await disconnected;
    }
  }
}
