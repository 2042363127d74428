/**
 * `sluice replay <pipeline>`: puts dead letters back where they came from, once the cause of
 * their failure is fixed.
 *
 * A bounded run: it reads the pipeline's dead-letter topic up to the end offsets seen at
 * start, selects records by reason, stage, source topic, failure time and count, and
 * re-produces each one to its source topic (or `--to`) with its original key, value,
 * timestamp and headers. The `sluice.dlq.*` headers are dropped except the attempt count, so a
 * record that fails again is dead-lettered with attempt + 1; `sluice.replay.of` carries the
 * default id of the original record, so the replayed record indexes as the document the
 * original would have been and a second replay overwrites instead of duplicating.
 *
 * Producing is idempotent with acks=all. With `--group`, progress is committed in that
 * consumer group after each acknowledged batch, so an interrupted replay resumes.
 */
import { randomBytes } from 'node:crypto';
import kafkajs, { type Admin, type Consumer, type EachBatchPayload, type IHeaders, type Message, type Producer, type TopicMessages } from 'kafkajs';
import cliProgress from 'cli-progress';
import type { Logger } from 'pino';
import { loadPipeline, type PipelineDefinition } from '../config/load.js';
import { components } from '../registry.js';
import { createKafka, type ConnectionSettings } from '../inputs/kafka/connection.js';
import { DLQ_PREFIX } from '../inputs/kafka/dead-letter.js';
import { REPLAY_OF_HEADER } from '../runtime/pipeline.js';
import { createLogger } from './logger.js';

export { REPLAY_EXIT_CODES } from './exit-codes.js';

export interface ReplayOptions {
  reason?: string;
  stage?: string;
  sourceTopic?: string;
  since?: string;
  until?: string;
  limit?: string;
  to?: string;
  group?: string;
  maxAttempts?: string;
  force?: boolean;
  dryRun?: boolean;
  logLevel?: string;
}

interface Selection {
  reasons?: Set<string>;
  stages?: string[];
  sourceTopics?: Set<string>;
  since?: Date;
  until?: Date;
  limit?: number;
  maxAttempts: number;
  force: boolean;
}

/** What the `sluice.dlq.*` headers of a dead letter say. */
export interface DeadLetterInfo {
  reason?: string;
  error?: string;
  stage?: string;
  pipeline?: string;
  sourceTopic?: string;
  sourcePartition?: string;
  sourceOffset?: string;
  sourceTimestamp?: string;
  failedAt?: string;
  attempt: number;
}

class UsageError extends Error {}

const list = (v: string | undefined) =>
  v === undefined
    ? undefined
    : v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** ISO-8601 (or anything Date.parse reads), or a duration before `now`: `90m`, `6h`, `2d`. */
export function parseTime(value: string, option: string, now = Date.now()): Date {
  const rel = /^(\d+(?:\.\d+)?)\s*([smhdw])$/.exec(value.trim());
  if (rel) return new Date(now - Number(rel[1]) * UNITS[rel[2]]);
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new UsageError(`${option} "${value}": expected an ISO-8601 time (2026-05-01T12:00:00Z) or a duration ago (90m, 6h, 2d)`);
  return new Date(t);
}

function positiveInt(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${option} "${value}": expected a whole number of at least 1`);
  return n;
}

export function parseSelection(opts: ReplayOptions, now = Date.now()): Selection {
  const reasons = list(opts.reason);
  const stages = list(opts.stage);
  const topics = list(opts.sourceTopic);
  const sel: Selection = {
    reasons: reasons && new Set(reasons),
    stages,
    sourceTopics: topics && new Set(topics),
    since: opts.since !== undefined ? parseTime(opts.since, '--since', now) : undefined,
    until: opts.until !== undefined ? parseTime(opts.until, '--until', now) : undefined,
    limit: positiveInt(opts.limit, '--limit'),
    maxAttempts: positiveInt(opts.maxAttempts ?? '3', '--max-attempts')!,
    force: Boolean(opts.force),
  };
  if (sel.since && sel.until && sel.since >= sel.until) throw new UsageError(`--since (${sel.since.toISOString()}) must be before --until (${sel.until.toISOString()})`);
  return sel;
}

function headerText(v: IHeaders[string]): string | undefined {
  if (v === undefined) return undefined;
  if (Array.isArray(v)) return headerText(v[v.length - 1]);
  return Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
}

export function deadLetterInfo(headers: IHeaders | undefined): DeadLetterInfo {
  const h = (name: string) => headerText(headers?.[`${DLQ_PREFIX}${name}`]);
  const attempt = Number(h('attempt'));
  return {
    reason: h('reason'),
    error: h('error'),
    stage: h('stage'),
    pipeline: h('pipeline'),
    sourceTopic: h('source.topic'),
    sourcePartition: h('source.partition'),
    sourceOffset: h('source.offset'),
    sourceTimestamp: h('source.timestamp'),
    failedAt: h('failed_at'),
    attempt: Number.isInteger(attempt) && attempt > 0 ? attempt : 1,
  };
}

/** Does the record pass the filters (everything but --max-attempts and --limit)? */
export function matches(info: DeadLetterInfo, sel: Selection): boolean {
  if (sel.reasons && !sel.reasons.has(info.reason ?? '')) return false;
  if (sel.stages) {
    const stage = info.stage ?? '';
    if (!sel.stages.some((s) => stage === s || stage.startsWith(`${s}:`))) return false;
  }
  if (sel.sourceTopics && !sel.sourceTopics.has(info.sourceTopic ?? '')) return false;
  if (sel.since || sel.until) {
    const t = info.failedAt ? Date.parse(info.failedAt) : NaN;
    if (Number.isNaN(t)) return false;
    if (sel.since && t < sel.since.getTime()) return false;
    if (sel.until && t >= sel.until.getTime()) return false;
  }
  return true;
}

/** The record to produce: original key, value, timestamp and headers; attempt count and original id kept. */
export function replayMessage(message: { key: Buffer | null; value: Buffer | null; headers?: IHeaders }, info: DeadLetterInfo): Message {
  const headers: IHeaders = {};
  for (const [k, v] of Object.entries(message.headers ?? {})) {
    if (!k.startsWith(DLQ_PREFIX) && v !== undefined) headers[k] = v;
  }
  headers[`${DLQ_PREFIX}attempt`] = String(info.attempt);
  if (headers[REPLAY_OF_HEADER] === undefined && info.sourceTopic && info.sourcePartition && info.sourceOffset) {
    headers[REPLAY_OF_HEADER] = `${info.sourceTopic}-${info.sourcePartition}-${info.sourceOffset}`;
  }
  const ts = info.sourceTimestamp ? Date.parse(info.sourceTimestamp) : NaN;
  return { key: message.key, value: message.value, headers, ...(Number.isNaN(ts) ? {} : { timestamp: String(ts) }) };
}

interface Tally {
  count: number;
  sample: string;
}

class Summary {
  scanned = 0;
  selected = 0;
  replayed = 0;
  atMaxAttempts = 0;
  notMatching = 0;
  notSluice = 0;
  readonly byReason = new Map<string, Tally>();
  readonly byStage = new Map<string, Tally>();
  readonly bySourceTopic = new Map<string, Tally>();
  readonly byTarget = new Map<string, number>();

  count(info: DeadLetterInfo): void {
    const add = (m: Map<string, Tally>, k: string | undefined) => {
      const key = k ?? '(none)';
      const t = m.get(key);
      if (t) t.count++;
      else m.set(key, { count: 1, sample: info.error ?? '' });
    };
    add(this.byReason, info.reason);
    add(this.byStage, info.stage);
    add(this.bySourceTopic, info.sourceTopic);
  }
}

function oneLine(s: string, max: number): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function table(title: string, rows: Map<string, Tally>): string {
  const entries = [...rows.entries()].sort((a, b) => b[1].count - a[1].count || a[0].localeCompare(b[0]));
  const w0 = Math.max(title.length, ...entries.map(([k]) => k.length));
  const w1 = Math.max(5, ...entries.map(([, t]) => String(t.count).length));
  const lines = [`${title.toUpperCase().padEnd(w0)}  ${'COUNT'.padStart(w1)}  SAMPLE ERROR`];
  for (const [k, t] of entries) lines.push(`${k.padEnd(w0)}  ${String(t.count).padStart(w1)}  ${oneLine(t.sample, 110)}`);
  return lines.join('\n');
}

/** Shows progress: a bar with rate and ETA on a terminal, plain lines (every 2 s) otherwise. */
class Progress {
  private bar: cliProgress.SingleBar | undefined;
  private readonly started = Date.now();
  /** Plain progress lines: the first after 2 s, then every 2 s, and a last one at the end. */
  private lastLine = this.started;

  constructor(
    private readonly total: number,
    private readonly summary: Summary,
    private readonly verb: string,
  ) {
    if (process.stderr.isTTY) {
      this.bar = new cliProgress.SingleBar(
        {
          stream: process.stderr,
          format: `${verb} |{bar}| {percentage}% | {value}/{total} read | {selected} selected | {rate} rec/s | ETA {eta_formatted}`,
          hideCursor: true,
          etaBuffer: 50,
          fps: 5,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(total, 0, { selected: 0, rate: '0' });
    }
  }

  private rate(): number {
    const secs = (Date.now() - this.started) / 1000;
    return secs > 0 ? this.summary.scanned / secs : 0;
  }

  update(): void {
    const { scanned, selected } = this.summary;
    const rate = this.rate();
    if (this.bar) {
      this.bar.update(scanned, { selected, rate: rate.toFixed(0) });
      return;
    }
    const now = Date.now();
    if (now - this.lastLine < 2000) return;
    this.lastLine = now;
    const eta = rate > 0 ? Math.ceil((this.total - scanned) / rate) : undefined;
    process.stderr.write(
      `${this.verb}: ${scanned}/${this.total} read (${this.total ? Math.floor((scanned / this.total) * 100) : 100}%), ${selected} selected, ${this.summary.replayed} replayed, ${rate.toFixed(0)} rec/s, ETA ${eta === undefined ? '?' : `${eta}s`}\n`,
    );
  }

  stop(): void {
    if (this.bar) {
      this.bar.update(this.summary.scanned, { selected: this.summary.selected, rate: this.rate().toFixed(0) });
      this.bar.stop();
    } else {
      this.lastLine = 0;
      this.update();
    }
  }
}

interface PartitionRange {
  partition: number;
  start: bigint;
  end: bigint;
}

export async function replayCommand(file: string, opts: ReplayOptions): Promise<number> {
  let def: PipelineDefinition;
  let sel: Selection;
  let logger: Logger;
  try {
    // Replay reports through its own output; kafkajs's warnings (partitioner, idempotence) are noise here.
    logger = createLogger(opts.logLevel ?? 'error', 2);
    def = loadPipeline(file, components);
    if (def.input.spec.name !== 'kafka') throw new UsageError(`${file}: replay needs a pipeline with a kafka input (this one has "${def.input.spec.name}")`);
    sel = parseSelection(opts);
    if (opts.to !== undefined && !opts.to.trim()) throw new UsageError('--to needs a topic name');
    if (opts.group !== undefined && !opts.group.trim()) throw new UsageError('--group needs a consumer group name');
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  try {
    return await replay(def, sel, opts, logger);
  } catch (err) {
    process.stderr.write(`replay failed: ${(err as Error).message}\n`);
    return 1;
  }
}

async function replay(def: PipelineDefinition, sel: Selection, opts: ReplayOptions, logger: Logger): Promise<number> {
  const dlq = def.deadLetter.topic;
  const dryRun = Boolean(opts.dryRun);
  const kafka = createKafka(def.input.config as ConnectionSettings, logger, '-replay');
  const admin: Admin = kafka.admin();
  const started = Date.now();
  await admin.connect();
  let consumer: Consumer | undefined;
  let producer: Producer | undefined;
  const ephemeralGroup = opts.group ? undefined : `sluice-replay-${def.id}-${randomBytes(4).toString('hex')}`;
  const groupId = opts.group ?? ephemeralGroup!;
  try {
    const topics = new Set(await admin.listTopics());
    if (!topics.has(dlq)) {
      process.stdout.write(`dead-letter topic ${dlq} does not exist: nothing was dead-lettered yet for pipeline ${def.id}; nothing to replay\n`);
      return 0;
    }
    if (opts.to && !dryRun && !topics.has(opts.to)) throw new Error(`--to topic ${opts.to} does not exist (create it first)`);

    // The bounded range: from the committed offset (with --group) or the start, to the end seen now.
    const ends = await admin.fetchTopicOffsets(dlq);
    const committed = new Map<number, bigint>();
    if (opts.group) {
      const fetched = await admin.fetchOffsets({ groupId: opts.group, topics: [dlq] });
      for (const p of fetched[0]?.partitions ?? []) if (Number(p.offset) >= 0) committed.set(p.partition, BigInt(p.offset));
    }
    const ranges: PartitionRange[] = ends
      .map((o) => {
        const low = BigInt(o.low);
        const c = committed.get(o.partition);
        return { partition: o.partition, start: c !== undefined && c > low ? c : low, end: BigInt(o.high) };
      })
      .sort((a, b) => a.partition - b.partition);
    const total = ranges.reduce((n, r) => n + Number(r.end > r.start ? r.end - r.start : 0n), 0);
    const summary = new Summary();
    const header = `${dryRun ? 'dry run: ' : ''}replay of ${dlq} (pipeline ${def.id}): ${total} record(s) to read in ${ranges.length} partition(s)` +
      (opts.group ? `, group ${opts.group}${committed.size ? ' (resuming)' : ''}` : '');
    process.stdout.write(`${header}\n`);
    if (total === 0) {
      process.stdout.write(opts.group && committed.size ? `nothing left: group ${opts.group} has already read ${dlq} to its end\n` : 'nothing to replay\n');
      return 0;
    }

    const pending = new Map(ranges.filter((r) => r.end > r.start).map((r) => [r.partition, r]));
    const progress = new Progress(total, summary, dryRun ? 'scanning' : 'replaying');
    let finish!: (err?: Error) => void;
    const finished = new Promise<Error | undefined>((resolve) => (finish = resolve));
    let done = false;
    let interrupted = false;
    let limitReached = false;
    const onSignal = () => {
      interrupted = true;
      finish();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);

    if (!dryRun) {
      // The Java client's partitioner (murmur2 of the key): a replayed record lands where Kafka's own producers would put it.
      producer = kafka.producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner, idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, retry: { retries: 8, initialRetryTime: 300, maxRetryTime: 10_000 } });
      await producer.connect();
    }
    consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 250, sessionTimeout: 30_000, retry: { retries: 5 } });
    await consumer.connect();
    await consumer.subscribe({ topics: [dlq], fromBeginning: true });
    const knownTopics = topics;
    let current: Promise<void> = Promise.resolve();

    const onBatch = async ({ batch, resolveOffset, heartbeat }: EachBatchPayload) => {
      const range = pending.get(batch.partition);
      if (done || !range) return;
      const out = new Map<string, Message[]>();
      let last: string | undefined;
      for (const m of batch.messages) {
        if (done || interrupted) break;
        const offset = BigInt(m.offset);
        if (offset >= range.end) break;
        if (offset < range.start) continue;
        last = m.offset;
        summary.scanned++;
        const info = deadLetterInfo(m.headers);
        if (!info.reason && !opts.to) {
          summary.notSluice++;
          continue;
        }
        if (!matches(info, sel)) {
          summary.notMatching++;
          continue;
        }
        if (info.attempt >= sel.maxAttempts && !sel.force) {
          summary.atMaxAttempts++;
          continue;
        }
        const target = opts.to ?? info.sourceTopic;
        if (!target) {
          summary.notSluice++;
          continue;
        }
        summary.selected++;
        summary.count(info);
        if (!dryRun) {
          let msgs = out.get(target);
          if (!msgs) out.set(target, (msgs = []));
          msgs.push(replayMessage(m, info));
        }
        if (sel.limit !== undefined && summary.selected >= sel.limit) {
          limitReached = true;
          break;
        }
      }
      if (!dryRun && out.size > 0) {
        const missing = [...out.keys()].filter((t) => !knownTopics.has(t));
        if (missing.length) {
          for (const t of await admin.listTopics()) knownTopics.add(t);
          const still = missing.filter((t) => !knownTopics.has(t));
          if (still.length) throw new Error(`target topic(s) ${still.join(', ')} do not exist (recreate them, or use --to <topic>)`);
        }
        const topicMessages: TopicMessages[] = [...out].map(([topic, messages]) => ({ topic, messages }));
        await producer!.sendBatch({ topicMessages, acks: -1 });
        for (const [topic, messages] of out) {
          summary.replayed += messages.length;
          summary.byTarget.set(topic, (summary.byTarget.get(topic) ?? 0) + messages.length);
        }
      }
      if (last !== undefined) {
        // Progress is remembered only once everything before it is acknowledged (and never in a dry run).
        if (opts.group && !dryRun) await consumer!.commitOffsets([{ topic: dlq, partition: batch.partition, offset: (BigInt(last) + 1n).toString() }]);
        resolveOffset(last);
        range.start = BigInt(last) + 1n;
      }
      progress.update();
      if (range.start >= range.end) {
        pending.delete(batch.partition);
        consumer!.pause([{ topic: dlq, partitions: [batch.partition] }]);
      }
      if (pending.size === 0 || limitReached || interrupted) finish();
      await heartbeat();
    };

    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) => {
        const p = onBatch(payload).catch((err: Error) => {
          done = true;
          finish(err);
        });
        current = p;
        return p;
      },
    });
    const failure = await finished;
    done = true;
    await current;
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    progress.stop();

    const secs = ((Date.now() - started) / 1000).toFixed(1);
    const out: string[] = [];
    if (dryRun) {
      if (summary.selected > 0) out.push('', table('reason', summary.byReason), '', table('stage', summary.byStage), '', table('source topic', summary.bySourceTopic), '');
    }
    out.push(`read ${summary.scanned} of ${total} record(s) in ${secs} s`);
    out.push(`  selected       ${summary.selected}${sel.limit !== undefined ? ` (--limit ${sel.limit}${limitReached ? ', reached' : ''})` : ''}`);
    if (dryRun) out.push(`  would replay   ${summary.selected}${opts.to ? ` to ${opts.to}` : ' to their source topics'}`);
    else out.push(`  replayed       ${summary.replayed}${summary.byTarget.size ? ` (${[...summary.byTarget].map(([t, n]) => `${n} to ${t}`).join(', ')})` : ''}`);
    out.push(`  skipped        ${summary.atMaxAttempts} at --max-attempts ${sel.maxAttempts}${summary.atMaxAttempts ? ' (add --force to replay them)' : ''}`);
    out.push(`  not matching   ${summary.notMatching}`);
    if (summary.notSluice) out.push(`  not from sluice ${summary.notSluice} (no sluice.dlq.* headers: use --to <topic> to replay them)`);
    if (dryRun) out.push('dry run: nothing was produced and no progress was committed');
    else if (opts.group) out.push(`progress committed in consumer group ${opts.group}: the same command resumes after the last replayed record`);
    process.stdout.write(`${out.join('\n')}\n`);

    if (failure) {
      process.stderr.write(`replay failed after ${summary.replayed} acknowledged record(s): ${failure.message}${opts.group ? `\nrun the same command again to resume (group ${opts.group})` : ''}\n`);
      return 1;
    }
    if (interrupted) {
      process.stderr.write(`interrupted after ${summary.replayed} acknowledged record(s)${opts.group ? `; run the same command again to resume (group ${opts.group})` : ''}\n`);
      return 130;
    }
    return summary.atMaxAttempts > 0 ? 3 : 0;
  } finally {
    await consumer?.disconnect().catch(() => {});
    await producer?.disconnect().catch(() => {});
    if (ephemeralGroup && consumer) await admin.deleteGroups([ephemeralGroup]).catch(() => {});
    await admin.disconnect().catch(() => {});
  }
}
