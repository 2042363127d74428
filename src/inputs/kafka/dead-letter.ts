/**
 * The dead-letter producer (design notes, "Dead-letter records"): the source record's key,
 * value and headers unchanged, plus `sluice.dlq.*` headers. Idempotent producer with
 * acks=all; a letter's promise resolves only once Kafka acknowledged it, because the source
 * offset may be committed only after that. Sending is retried until it succeeds.
 */
import kafkajs, { type Admin, type Message, type Producer } from 'kafkajs';
import type { Logger } from 'pino';
import type { DeadLetter, DeadLetterConfig, DeadLetterSink } from '../../core/component.js';
import { anyBrokerReachable, brokerList, createKafka, explainBrokersUnavailable, type ConnectionSettings } from './connection.js';
import { untilAvailable } from '../../core/waiting.js';

/** The brokers answer but refuse to create the dead-letter topic (ACLs, policy). */
class TopicNotCreated extends Error {}
import { noopMetrics, type ComponentMetrics } from '../../observe/observer.js';

const MAX_ERROR_BYTES = 2048;
export const DLQ_PREFIX = 'sluice.dlq.';
/** Header set when a letter was too large for the dead-letter topic: the original value's size in bytes. */
export const TRUNCATED_HEADER = `${DLQ_PREFIX}value_truncated`;
/** Bytes of letters per produce request: Kafka refuses a record batch above the topic's max.message.bytes (1 MB by default). */
const BATCH_BYTES = 512 * 1024;
/** Value sizes tried, in turn, for a single letter the topic refuses as too large. */
const TRUNCATE_TO = [256 * 1024, 16 * 1024, 0];

function letterBytes(letter: DeadLetter): number {
  return (letter.record.value?.length ?? 0) + (letter.record.key?.length ?? 0) + Math.min(letter.error.length, MAX_ERROR_BYTES) + 1024;
}

/** Kafka refused the request for its size: sending the same bytes again can never succeed. */
function isTooLarge(err: unknown): boolean {
  for (let e = err as { type?: string; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (e.type === 'MESSAGE_TOO_LARGE' || e.type === 'RECORD_LIST_TOO_LARGE') return true;
  }
  return false;
}

/** The letter with a shorter value and the original size in a header, or undefined when it cannot shrink. */
function truncated(message: Message): Message | undefined {
  const value = Buffer.isBuffer(message.value) ? message.value : Buffer.from(message.value ?? '');
  const to = TRUNCATE_TO.find((n) => n < value.length);
  if (to === undefined) return undefined;
  const headers = { ...message.headers };
  headers[TRUNCATED_HEADER] ??= String(value.length);
  return { ...message, value: value.subarray(0, to), headers };
}

export function truncateUtf8(s: string, maxBytes: number): string {
  const buf = Buffer.from(s, 'utf8');
  if (buf.length <= maxBytes) return s;
  // Cut at a character boundary: drop continuation bytes at the cut.
  let end = maxBytes - 3;
  while (end > 0 && (buf[end] & 0xc0) === 0x80) end--;
  return `${buf.subarray(0, end).toString('utf8')}...`;
}

function headerString(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) return headerString(v[v.length - 1]);
  return Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
}

export function deadLetterHeaders(letter: DeadLetter, pipelineId: string, now = new Date()): Message['headers'] {
  const { record } = letter;
  const previous = Number(headerString(record.headers[`${DLQ_PREFIX}attempt`]));
  const headers: NonNullable<Message['headers']> = {};
  // The source's own headers first, unchanged; any sluice.dlq.* from an earlier failure is replaced.
  for (const [k, v] of Object.entries(record.headers)) {
    // defineProperty: a header named `__proto__` stays a plain own property.
    if (!k.startsWith(DLQ_PREFIX) && v !== undefined) Object.defineProperty(headers, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  const add = (name: string, value: string) => {
    headers[`${DLQ_PREFIX}${name}`] = value;
  };
  add('reason', letter.reason);
  add('error', truncateUtf8(letter.error, MAX_ERROR_BYTES));
  add('stage', letter.stage);
  add('pipeline', pipelineId);
  add('source.topic', record.topic);
  add('source.partition', String(record.partition));
  add('source.offset', record.offset);
  add('source.timestamp', new Date(Number(record.timestamp)).toISOString());
  add('failed_at', now.toISOString());
  add('attempt', String(Number.isInteger(previous) && previous > 0 ? previous + 1 : 1));
  for (const [k, v] of Object.entries(letter.extra ?? {})) add(k, v);
  return headers;
}

interface Pending {
  letter: DeadLetter;
  resolve: () => void;
}

export class KafkaDeadLetterSink implements DeadLetterSink {
  private producer: Producer;
  private admin: Admin;
  private queue: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private stopped = false;
  /** Partitions of the dead-letter topic; each produce request goes to one of them, in turn. */
  private partitionCount = 1;
  private nextPartition = 0;
  private readonly sourceTopics: string[];
  private readonly connection: ConnectionSettings;
  /** In the start-up wait (which logs its own warning): kafkajs' complaints go to debug. */
  private waiting = false;

  constructor(
    connection: ConnectionSettings,
    private readonly settings: DeadLetterConfig,
    private readonly pipelineId: string,
    private readonly logger: Logger,
    private readonly metrics: ComponentMetrics = noopMetrics,
    private readonly pipelineFile?: string,
  ) {
    // The input's config is passed as the connection settings: its topics size the dead-letter topic.
    this.sourceTopics = (connection as { topics?: string[] }).topics ?? [];
    this.connection = connection;
    const kafka = createKafka(connection, logger, '-dlq', { quiet: () => this.waiting || this.stopped });
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
      // The idempotent producer keeps its guarantees only with unlimited retries; failures
      // still show up in the logs (kafkajs logs each failed attempt), and send() waits.
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300, maxRetryTime: 10_000 },
    });
    this.admin = kafka.admin();
  }

  async start(signal?: AbortSignal): Promise<void> {
    const { connection } = this;
    this.waiting = true;
    try {
      await untilAvailable(
        async () => {
          await anyBrokerReachable(brokerList(connection.brokers), Math.min(connection.connectionTimeoutMs, 5000));
          await this.prepareTopic();
        },
        {
          logger: this.logger,
          signal,
          metrics: this.metrics,
          dependency: 'dead-letter',
          pipelineFile: this.pipelineFile,
          explain: (err) =>
            err instanceof TopicNotCreated
              ? {
                  what: `dead-letter topic "${this.settings.topic}"`,
                  cause: `cannot be created (${err.message})`,
                  fix: 'create it yourself, or allow this client to create topics (ACL CREATE), or set deadLetter.topic to an existing topic',
                }
              : explainBrokersUnavailable(connection, err),
        },
      );
      await this.producer.connect();
    } finally {
      this.waiting = false;
    }
  }

  /** Creates the dead-letter topic when it does not exist, and learns its partitions. */
  private async prepareTopic(): Promise<void> {
    await this.admin.connect();
    try {
      const existing = await this.admin.listTopics();
      if (!existing.includes(this.settings.topic)) {
        // Not kafkajs' waitForLeaders: on a fresh multi-broker cluster it gives up on a broker
        // that does not know the new topic yet ("This server does not host this
        // topic-partition") and `sluice run` would fail to start. Polled below instead.
        try {
          await this.admin.createTopics({
            waitForLeaders: false,
            topics: [
              {
                topic: this.settings.topic,
                numPartitions: this.settings.partitions ?? 1,
                replicationFactor: this.settings.replicationFactor ?? -1,
                configEntries: await this.sizeConfig(),
              },
            ],
          });
        } catch (err) {
          const e = err as Error & { type?: string };
          if (/Connection|NumberOfRetriesExceeded/.test(e.name)) throw err;
          throw new TopicNotCreated(e.message);
        }
        await this.waitForLeaders();
        this.logger.info({ topic: this.settings.topic }, 'created dead-letter topic');
      }
      this.partitionCount = await this.countPartitions();
    } finally {
      await this.admin.disconnect();
    }
  }

  private async countPartitions(): Promise<number> {
    try {
      const { topics } = await this.admin.fetchTopicMetadata({ topics: [this.settings.topic] });
      return Math.max(1, topics[0]?.partitions.length ?? 1);
    } catch {
      return 1;
    }
  }

  /** Until every partition of the new topic has a leader (at most a minute; the producer retries anyway). */
  private async waitForLeaders(): Promise<void> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        const { topics } = await this.admin.fetchTopicMetadata({ topics: [this.settings.topic] });
        if (topics[0]?.partitions.length && topics[0].partitions.every((p) => p.leader >= 0)) return;
      } catch (err) {
        if (Date.now() > deadline) throw err;
      }
      if (Date.now() > deadline) return;
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /**
   * A dead letter carries its record's exact bytes, so the topic must take any record the
   * source topics took: their largest max.message.bytes plus room for the headers. Without
   * that (pattern subscriptions, no DescribeConfigs permission) the broker default applies,
   * and a letter that does not fit is truncated (TRUNCATED_HEADER) rather than retried forever.
   */
  private async sizeConfig(): Promise<{ name: string; value: string }[]> {
    if (this.sourceTopics.length === 0) return [];
    try {
      const { resources } = await this.admin.describeConfigs({
        includeSynonyms: false,
        resources: this.sourceTopics.map((name) => ({ type: kafkajs.ConfigResourceTypes.TOPIC, name, configNames: ['max.message.bytes'] })),
      });
      let max = 0;
      for (const r of resources) for (const e of r.configEntries) if (e.configName === 'max.message.bytes') max = Math.max(max, Number(e.configValue) || 0);
      return max > 0 ? [{ name: 'max.message.bytes', value: String(max + 64 * 1024) }] : [];
    } catch (err) {
      // A source topic that does not exist yet is the input's to report (it waits for it).
      const missing = (err as { type?: string }).type === 'UNKNOWN_TOPIC_OR_PARTITION';
      this.logger[missing ? 'debug' : 'warn']({ err: (err as Error).message }, 'cannot read max.message.bytes of the source topics; the dead-letter topic gets the broker default');
      return [];
    }
  }

  send(letter: DeadLetter): Promise<void> {
    return new Promise((resolve) => {
      this.queue.push({ letter, resolve });
      if (!this.flushing) this.flushing = this.flushLoop();
    });
  }

  /** Sends queued letters in batches until the queue is empty; retries each batch until acknowledged. */
  private async flushLoop(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        // Bounded by count and bytes: Kafka refuses a whole record batch above the topic's
        // max.message.bytes, however small each letter is.
        let count = 0;
        let bytes = 0;
        while (count < this.queue.length && count < 500) {
          const b = letterBytes(this.queue[count].letter);
          if (count > 0 && bytes + b > BATCH_BYTES) break;
          bytes += b;
          count++;
        }
        const batch = this.queue.splice(0, count);
        // One partition per request, never several: kafkajs (2.2.4) keeps the acknowledgements
        // of a multi-broker send across its retries, so when a partition's leader dies and the
        // partition moves to a broker that already acknowledged its share, send() resolves
        // without ever writing that partition's records (tulios/kafkajs#1303, #1798): lost
        // letters. Keys stay in the records; only the choice of partition ignores them.
        const partition = this.nextPartition++ % this.partitionCount;
        const messages: Message[] = batch.map(({ letter }) => ({
          partition,
          key: letter.record.key,
          value: letter.record.value,
          headers: deadLetterHeaders(letter, this.pipelineId),
        }));
        // Stopping: leave the letters unacknowledged, so their records stay uncommitted and
        // are read again on the next start.
        if (!(await this.deliver(messages))) return;
        for (const p of batch) p.resolve();
      }
    } finally {
      this.flushing = undefined;
    }
  }

  /**
   * Produces until Kafka acknowledges (false: stopped first). A request refused for its size
   * is never retried as it is: it is split, and a single letter too large for the topic is
   * sent with a truncated value and its original size in TRUNCATED_HEADER.
   */
  private async deliver(messages: Message[]): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.producer.send({ topic: this.settings.topic, acks: -1, messages });
        return true;
      } catch (err) {
        if (this.stopped) return false;
        if (isTooLarge(err)) {
          if (messages.length > 1) {
            const half = Math.ceil(messages.length / 2);
            return (await this.deliver(messages.slice(0, half))) && (await this.deliver(messages.slice(half)));
          }
          const smaller = truncated(messages[0]);
          if (smaller) {
            const h = messages[0].headers ?? {};
            this.logger.error(
              { topic: h[`${DLQ_PREFIX}source.topic`], partition: h[`${DLQ_PREFIX}source.partition`], offset: h[`${DLQ_PREFIX}source.offset`], bytes: smaller.headers?.[TRUNCATED_HEADER], keptBytes: (smaller.value as Buffer).length },
              `dead letter too large for the dead-letter topic (max.message.bytes); sent with its value truncated and the ${TRUNCATED_HEADER} header`,
            );
            return this.deliver([smaller]);
          }
        }
        const delay = Math.min(30_000, 500 * 2 ** Math.min(attempt, 6)) * Math.random();
        this.metrics.deadLetterSendFailed();
        this.logger.error({ err: (err as Error).message, attempt, letters: messages.length }, 'dead-letter produce failed; retrying');
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  /** Waits up to `timeoutMs` for letters being sent, then disconnects whatever remains. */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.flushing, new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
    if (this.flushing) this.logger.warn({ unsent: this.queue.length }, 'dead letters still unacknowledged at shutdown; their records stay uncommitted');
    await this.producer.disconnect();
  }
}
