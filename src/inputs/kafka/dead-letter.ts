/**
 * The dead-letter producer (design notes, "Dead-letter records"): the source record's key,
 * value and headers unchanged, plus `sluice.dlq.*` headers. Idempotent producer with
 * acks=all; a letter's promise resolves only once Kafka acknowledged it, because the source
 * offset may be committed only after that. Sending is retried until it succeeds.
 */
import kafkajs, { type Admin, type Message, type Producer } from 'kafkajs';
import type { Logger } from 'pino';
import type { DeadLetter, DeadLetterConfig, DeadLetterSink } from '../../core/component.js';
import { createKafka, type ConnectionSettings } from './connection.js';

const MAX_ERROR_BYTES = 2048;
export const DLQ_PREFIX = 'sluice.dlq.';

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
    if (!k.startsWith(DLQ_PREFIX) && v !== undefined) headers[k] = v;
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

  constructor(
    connection: ConnectionSettings,
    private readonly settings: DeadLetterConfig,
    private readonly pipelineId: string,
    private readonly logger: Logger,
  ) {
    const kafka = createKafka(connection, logger, '-dlq');
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 10_000 },
    });
    this.admin = kafka.admin();
  }

  async start(): Promise<void> {
    await this.admin.connect();
    try {
      const existing = await this.admin.listTopics();
      if (!existing.includes(this.settings.topic)) {
        await this.admin.createTopics({
          waitForLeaders: true,
          topics: [{ topic: this.settings.topic, numPartitions: this.settings.partitions ?? 1, replicationFactor: this.settings.replicationFactor ?? -1 }],
        });
        this.logger.info({ topic: this.settings.topic }, 'created dead-letter topic');
      }
    } finally {
      await this.admin.disconnect();
    }
    await this.producer.connect();
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
        const batch = this.queue.splice(0, 500);
        const messages: Message[] = batch.map(({ letter }) => ({
          key: letter.record.key,
          value: letter.record.value,
          headers: deadLetterHeaders(letter, this.pipelineId),
        }));
        for (let attempt = 1; ; attempt++) {
          try {
            await this.producer.send({ topic: this.settings.topic, acks: -1, messages });
            break;
          } catch (err) {
            const delay = Math.min(30_000, 500 * 2 ** Math.min(attempt, 6)) * Math.random();
            this.logger.error({ err: (err as Error).message, attempt, letters: messages.length }, 'dead-letter produce failed; retrying');
            await new Promise((r) => setTimeout(r, delay));
          }
        }
        for (const p of batch) p.resolve();
      }
    } finally {
      this.flushing = undefined;
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.flushing;
    await this.producer.disconnect();
  }
}
