/**
 * From source records to the events they become: size check, decoding, `@metadata.kafka`,
 * then the filter chain. Shared by `sluice run`, `sluice process` and `sluice test`, so
 * what `process` prints is exactly what `run` would index.
 *
 * Bounded time: JavaScript regexes cannot be cancelled from inside, and one line that makes
 * a pattern backtrack catastrophically would otherwise stall its partition forever. Batches
 * therefore run inside `vm.Script#runInContext` with a timeout, which has V8 interrupt the
 * running code (regex backtracking included). Work is cut into slices of a fraction of the
 * limit, so a timeout can only fire when a single event has used most of it; that event is
 * then tagged and re-run without the interrupted step, or dead-lettered, and the batch goes
 * on with the next record.
 */
import vm from 'node:vm';
import type { Filter, SourceRecord } from '../core/component.js';
import { addTag, type Event } from '../core/event.js';
import { formatIsoUtc } from '../core/joda.js';
import { codecs, DecodeError, plainCodec, type Codec } from '../codecs/index.js';
import type { Condition } from '../core/condition.js';

export interface ChainStep {
  label: string;
  filter: Filter;
  when?: Condition;
  /** Tag added when this step is interrupted and the pipeline tags rather than dead-letters. */
  timeoutTag?: string;
}

export type Outcome =
  | { kind: 'events'; events: Event[] }
  | { kind: 'dead'; reason: string; error: string; stage: string };

export interface ProcessorOptions {
  codec: string;
  onError?: 'dead_letter' | 'tag';
  /** Deepest JSON nesting the `json` codec accepts. */
  maxJsonDepth?: number;
  maxRecordBytes: number;
  filterTimeoutMs: number;
  onFilterTimeout: 'tag' | 'dead_letter';
}

function headerText(v: unknown): string {
  if (Array.isArray(v)) return v.map(headerText).join(',');
  return Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
}

const DEFAULT_TIMEOUT_TAG = '_filtertimeout';
export const DECODE_FAILURE_TAG = '_decodefailure';
const TIMEOUT_CODE = 'ERR_SCRIPT_EXECUTION_TIMEOUT';

export class RecordProcessor {
  private readonly codec: Codec;
  /** Index of the step running right now: tells which step a timeout interrupted. */
  private currentStep = -1;
  private readonly script = new vm.Script('run()');
  /** One context for the processor's life (creating one costs far more than a call). */
  private readonly context: vm.Context;
  private guarded: () => unknown = () => undefined;
  private readonly sliceMs: number;
  /** A record is being processed inside the guarded run (see processBatch). */
  private inRecord = false;

  constructor(
    private readonly steps: ChainStep[],
    private readonly options: ProcessorOptions,
  ) {
    const codec = codecs[options.codec];
    if (!codec) throw new Error(`unknown codec "${options.codec}"`);
    this.codec = codec;
    this.sliceMs = Math.max(1, options.filterTimeoutMs / 4);
    this.context = vm.createContext({ run: () => this.guarded() });
  }

  /** Runs `fn` so that V8 interrupts it after the time limit (throws ERR_SCRIPT_EXECUTION_TIMEOUT). */
  private runGuarded<T>(fn: () => T): T {
    this.guarded = fn;
    return this.script.runInContext(this.context, { timeout: this.options.filterTimeoutMs }) as T;
  }

  /** Processes records in order; every record gets exactly one outcome. */
  /**
   * With `budgetMs`, returns early once that much time has passed (after at least one
   * record): the outcomes of the records processed so far, in order. `sluice run` processes
   * the rest after letting the event loop run, so Kafka heartbeats are never held up for
   * long by a batch of slow records.
   */
  processBatch(records: readonly SourceRecord[], budgetMs?: number): Outcome[] {
    const outcomes: Outcome[] = new Array(records.length);
    let next = 0;
    const budgetEnd = budgetMs === undefined ? Infinity : performance.now() + budgetMs;
    // The slice loop runs inside the guarded script; `next` advances as records finish.
    const run = () => {
      const deadline = Math.min(performance.now() + this.sliceMs, budgetEnd);
      while (next < records.length) {
        this.inRecord = true;
        const outcome = this.process(records[next]);
        this.inRecord = false;
        outcomes[next] = outcome;
        next++;
        if (performance.now() > deadline) return;
      }
    };
    while (next < records.length) {
      if (next > 0 && performance.now() > budgetEnd) {
        outcomes.length = next;
        break;
      }
      try {
        this.runGuarded(run);
      } catch (err) {
        if ((err as { code?: string }).code !== TIMEOUT_CODE) throw err;
        // Interrupted between two records (a starved CPU can stretch a slice past the whole
        // limit): no record is to blame; go on (a record that had just finished is processed
        // again, which gives the same outcome). Blaming records[next] here dead-lettered a
        // record that was never slow, or one past the end of the batch.
        if (!this.inRecord) continue;
        this.inRecord = false;
        outcomes[next] = this.timedOut(records[next], this.currentStep, new Set());
        next++;
      }
    }
    return outcomes;
  }

  /** A record whose chain was interrupted in step `stepIndex`. */
  private timedOut(record: SourceRecord, stepIndex: number, skipped: Set<number>): Outcome {
    const step = this.steps[stepIndex];
    const label = step ? step.label : 'input';
    if (!step || this.options.onFilterTimeout === 'dead_letter') {
      return { kind: 'dead', reason: 'filter_timeout', error: `processing took longer than limits.filterTimeoutMs (${this.options.filterTimeoutMs} ms) in ${label}`, stage: step ? `filter:${label}` : 'input' };
    }
    skipped.add(stepIndex);
    const tags = [...skipped].map((i) => this.steps[i].timeoutTag ?? DEFAULT_TIMEOUT_TAG);
    // Filters are deterministic: re-running the record without the interrupted step gives
    // the event that step would have received, minus that step's work.
    try {
      const outcome = this.runGuarded(() => this.process(record, skipped));
      if (outcome.kind === 'events') for (const e of outcome.events) for (const t of tags) addTag(e, t);
      return outcome;
    } catch (err) {
      if ((err as { code?: string }).code !== TIMEOUT_CODE) throw err;
      return this.timedOut(record, this.currentStep, skipped);
    }
  }

  process(record: SourceRecord, skip?: ReadonlySet<number>): Outcome {
    this.currentStep = -1;
    const value = record.value ?? Buffer.alloc(0);
    if (value.length > this.options.maxRecordBytes) {
      return { kind: 'dead', reason: 'too_large', error: `record value is ${value.length} bytes, more than limits.maxRecordBytes (${this.options.maxRecordBytes})`, stage: 'input' };
    }
    let event: Event;
    try {
      event = this.codec.decode(value, { maxJsonDepth: this.options.maxJsonDepth });
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      if (this.options.onError !== 'tag') return { kind: 'dead', reason: 'decode_failed', error: err.message, stage: 'input' };
      event = { message: plainCodec.decode(value).message, tags: [DECODE_FAILURE_TAG] };
    }
    const recordTime = this.isoTime(record.timestamp);
    if (event['@timestamp'] === undefined) event['@timestamp'] = recordTime;
    const headers: Record<string, string> = {};
    for (const k in record.headers) {
      const v = record.headers[k];
      if (v === undefined) continue;
      // defineProperty: a header named `__proto__` stays a plain own property (plain
      // assignment for the others: defineProperty on every header was a hot-path cost).
      if (k === '__proto__') Object.defineProperty(headers, k, { value: headerText(v), enumerable: true, writable: true, configurable: true });
      else headers[k] = headerText(v);
    }
    // Filebeat's JSON carries its own @metadata (beat, type, version): keep it beside ours.
    const existing = event['@metadata'];
    const metadata: Record<string, unknown> = existing && typeof existing === 'object' && !Array.isArray(existing) ? (existing as Record<string, unknown>) : {};
    metadata.kafka = {
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      key: record.key ? record.key.toString('utf8') : null,
      timestamp: recordTime,
      headers,
    };
    event['@metadata'] = metadata;
    return this.runChain(event, skip);
  }

  /** ISO-8601 of a record timestamp; records of one batch mostly share it, so the last is kept. */
  private lastTimestamp = '';
  private lastIso = '';
  private isoTime(timestamp: string): string {
    if (timestamp !== this.lastTimestamp) {
      const ms = Number(timestamp);
      // Records without a timestamp (-1) get the current time, never a cached one.
      if (!(Number.isFinite(ms) && ms > 0)) return formatIsoUtc(Date.now());
      this.lastIso = formatIsoUtc(ms);
      this.lastTimestamp = timestamp;
    }
    return this.lastIso;
  }

  private runChain(event: Event, skip?: ReadonlySet<number>): Outcome {
    let events: Event[] = [event];
    for (let s = 0; s < this.steps.length; s++) {
      if (skip?.has(s)) continue;
      const step = this.steps[s];
      this.currentStep = s;
      let next: Event[] | undefined;
      for (let i = 0; i < events.length; i++) {
        const ev = events[i];
        let result;
        if (step.when && !step.when(ev)) result = undefined;
        else {
          try {
            result = step.filter.process(ev);
          } catch (err) {
            return { kind: 'dead', reason: (err as { reason?: string }).reason ?? 'filter_error', error: (err as Error).message ?? String(err), stage: `filter:${step.label}` };
          }
        }
        // Only allocate a new list when a filter dropped or split something.
        if (result === undefined) {
          if (next) next.push(ev);
        } else {
          next ??= events.slice(0, i);
          if (result !== null) for (const e of result) next.push(e);
        }
      }
      if (next) events = next;
      if (events.length === 0) break;
    }
    this.currentStep = -1;
    return { kind: 'events', events };
  }
}
