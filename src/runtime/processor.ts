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
import { AwaitBeforeRetry, type Filter, type JoinedEvent, type Joiner, type SourceRecord } from '../core/component.js';
import { addTag, cloneEvent, type Event } from '../core/event.js';
import { formatIsoUtc } from '../core/joda.js';
import { codecs, DecodeError, plainCodec, type Codec } from '../codecs/index.js';
import type { Condition } from '../core/condition.js';

export interface FilterChainStep {
  label: string;
  filter: Filter;
  when?: Condition;
  /** Tag added when this step is interrupted and the pipeline tags rather than dead-letters. */
  timeoutTag?: string;
}

/** A conditional block: each event runs the steps of the first branch whose `when` holds, else `otherwise`. */
export interface BranchChainStep {
  label: string;
  branches: { when: Condition; steps: ChainStep[] }[];
  otherwise: ChainStep[];
}

export type ChainStep = FilterChainStep | BranchChainStep;

/**
 * The chain as the processor runs it: every filter step gets a number (depth first, in file
 * order), which is what a timeout names and what a re-run skips.
 */
type Node =
  | { index: number; step: FilterChainStep }
  | { branches: { when: Condition; nodes: Node[] }[]; otherwise: Node[] };

export type Outcome =
  /** `held`: (also) an event of the record went into an open multiline group; it settles with that group. */
  | { kind: 'events'; events: Event[]; held?: boolean }
  | { kind: 'dead'; reason: string; error: string; stage: string }
  /** A filter awaits an asynchronous answer (AwaitBeforeRetry): pass the outcome to `afterWait`. */
  | { kind: 'wait'; until: Promise<unknown>; stage: string };

export type FinalOutcome = Exclude<Outcome, { kind: 'wait' }>;

/** Re-runs of one record after waits; more means a filter that never gets its answer. */
export const MAX_WAITS = 16;

/** The outcome of an event joined from several records (multiline), first record first. */
export interface JoinedOutcome {
  members: SourceRecord[];
  outcome: FinalOutcome;
}

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
/** Re-runs of a record interrupted while the process was starved (see `starved`), before it counts as slow. */
const MAX_STARVED_RETRIES = 5;

/** Shared `events` outcomes holding only a count (see processBatch's countOnly); index 2n + held. */
const countedOutcomes: Outcome[] = [];
function counted(events: number, held = false): Outcome {
  return (countedOutcomes[2 * events + (held ? 1 : 0)] ??= { kind: 'events', events: new Array<Event>(events), held });
}

export class RecordProcessor {
  private readonly codec: Codec;
  /** Index of the step running right now: tells which step a timeout interrupted. */
  private currentStep = -1;
  private readonly script = new vm.Script('run()');
  /** One context for the processor's life (creating one costs far more than a call). */
  private readonly context: vm.Context;
  private guarded: () => unknown = () => undefined;
  private readonly sliceMs: number;
  /** Filter steps by number (see Node). */
  private readonly steps: FilterChainStep[] = [];
  private readonly chain: Node[];
  /** The chain's joining step (multiline), if any: its number, its place in the top-level chain and its joiner. */
  private readonly joinStep: number;
  private readonly joinPosition: number;
  private readonly joiner: Joiner<SourceRecord> | undefined;
  /** The record being processed: the handle the joiner keeps for its events. */
  private currentRecord: SourceRecord | undefined;
  /** Set once an event of the current record went into the joiner (a re-run after a timeout must not offer it twice). */
  /** Events of the current record queued for the joiner; on a re-run that many are in already. */
  private offered = 0;
  private rerun = false;
  private offeredInRerun = 0;
  /** Events that passed the joining step's pattern test, in order, for applyOffers. */
  private offers: { event: Event; member: SourceRecord; continues: boolean }[] = [];
  /** The clock of the joiner's wait (the runtime stops it while fetching is paused). */
  clock: () => number = Date.now;
  /** Groups completed while processing records, not yet run through the rest of the chain. */
  private completed: JoinedEvent<SourceRecord>[] = [];
  /** The index (in the batch) of the record whose processing started last (see processBatch). */
  private started = -1;

  constructor(
    steps: ChainStep[],
    private readonly options: ProcessorOptions,
  ) {
    this.chain = this.number(steps);
    const codec = codecs[options.codec];
    if (!codec) throw new Error(`unknown codec "${options.codec}"`);
    this.codec = codec;
    const joining = this.steps.flatMap((step, i) => (step.filter.joiner ? [i] : []));
    if (joining.length > 1) throw new Error(`only one joining filter (multiline) per pipeline; found ${joining.map((i) => this.steps[i].label).join(', ')}`);
    this.joinStep = joining.length ? joining[0] : -1;
    this.joinPosition = this.chain.findIndex((n) => 'index' in n && n.index === this.joinStep);
    // Joined events come out of one place in the chain; a branch would give them several.
    if (joining.length && this.joinPosition < 0) throw new Error(`${this.steps[this.joinStep].label}: a multiline (joining) filter cannot be inside a conditional block; use its \`when\` instead`);
    // A record set aside to wait would reach the joiner after the records behind it.
    const waiting = this.steps.find((s) => s.filter.mayWait);
    if (joining.length && waiting) throw new Error(`${waiting.label}: a filter that waits for answers (dns) cannot share a pipeline with a multiline (joining) filter`);
    this.joiner = joining.length ? (this.steps[joining[0]].filter.joiner as Joiner<SourceRecord>) : undefined;
    this.sliceMs = Math.max(1, options.filterTimeoutMs / 4);
    this.context = vm.createContext({ run: () => this.guarded() });
  }

  private number(steps: ChainStep[]): Node[] {
    return steps.map((step): Node => {
      if ('branches' in step) {
        return { branches: step.branches.map((b) => ({ when: b.when, nodes: this.number(b.steps) })), otherwise: this.number(step.otherwise) };
      }
      this.steps.push(step);
      return { index: this.steps.length - 1, step };
    });
  }

  /** Runs `fn` so that V8 interrupts it after the time limit (throws ERR_SCRIPT_EXECUTION_TIMEOUT). */
  private runGuarded<T>(fn: () => T): T {
    this.guarded = fn;
    this.guardCpu = process.cpuUsage();
    return this.script.runInContext(this.context, { timeout: this.options.filterTimeoutMs }) as T;
  }

  /** CPU time of the process when the last guarded run started. */
  private guardCpu = process.cpuUsage();

  /**
   * Whether the last interrupt came from a starved process rather than slow work. V8's limit
   * is wall time: on a host whose CPU is taken by others (a container at its CPU quota, a
   * node under load) a normal record can pass it while the process barely ran. If the
   * process used less than half the limit in CPU time since the guarded run started, the
   * work was not slow, and the record is run again instead of being tagged or dead-lettered.
   */
  private starved(): boolean {
    const used = process.cpuUsage(this.guardCpu);
    return (used.user + used.system) / 1000 < this.options.filterTimeoutMs / 2;
  }

  /** A record interrupted while the process was starved: run again, at most MAX_STARVED_RETRIES times. */
  private retryStarved(record: SourceRecord): Outcome {
    for (let left = MAX_STARVED_RETRIES; left > 0; left--) {
      try {
        // As a re-run: events of this record already queued for the joiner are not offered again.
        return this.runGuarded(() => this.process(record, undefined, true));
      } catch (err) {
        if ((err as { code?: string }).code !== TIMEOUT_CODE) throw err;
        if (!this.starved()) break;
      }
    }
    return this.interrupted(record, this.currentStep);
  }

  /** Processes records in order; every record gets exactly one outcome. */
  /**
   * With `budgetMs`, returns early once that much time has passed (after at least one
   * record): the outcomes of the records processed so far, in order. `sluice run` processes
   * the rest after letting the event loop run, so Kafka heartbeats are never held up for
   * long by a batch of slow records.
   */
  processBatch(records: readonly SourceRecord[], budgetMs?: number, countOnly = false): Outcome[] {
    const outcomes: Outcome[] = new Array(records.length);
    let next = 0;
    this.started = -1;
    const budgetEnd = budgetMs === undefined ? Infinity : performance.now() + budgetMs;
    // The slice loop runs inside the guarded script; `next` advances as records finish.
    const run = () => {
      const deadline = Math.min(performance.now() + this.sliceMs, budgetEnd);
      while (next < records.length) {
        this.started = next;
        const outcome = this.process(records[next]);
        // countOnly (`process --discard`): the events are let go at once (a shared outcome
        // with as many holes stands for them), so they die young even in a large batch.
        outcomes[next] = countOnly && outcome.kind === 'events' ? counted(outcome.events.length, outcome.held) : outcome;
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
        // limit): no record is to blame. A record that had finished keeps its outcome; one not
        // started yet is simply processed next. Blaming records[next] here dead-lettered a
        // record that was never slow, or one past the end of the batch.
        if (outcomes[next] !== undefined) next++;
        else if (this.started === next) {
          // The records before the interrupted one first, in order.
          this.applyOffers();
          outcomes[next] = this.starved() ? this.retryStarved(records[next]) : this.interrupted(records[next], this.currentStep);
          next++;
        }
      }
      this.applyOffers();
    }
    return outcomes;
  }

  /**
   * Completes an outcome: for a `wait`, waits, then processes the record again (guarded
   * like any batch), as often as filters ask, at most MAX_WAITS times.
   */
  async afterWait(record: SourceRecord, outcome: Outcome): Promise<FinalOutcome> {
    for (let waits = 0; outcome.kind === 'wait'; waits++) {
      if (waits >= MAX_WAITS) {
        outcome.until.catch(() => undefined); // a rejection no one awaits would crash the process
        return { kind: 'dead', reason: 'filter_timeout', error: `a filter still waited for an answer after ${MAX_WAITS} re-runs`, stage: outcome.stage };
      }
      await outcome.until.catch(() => undefined);
      outcome = this.processBatch([record])[0];
    }
    return outcome;
  }

  /** processBatch, then every wait completed: for callers that want final outcomes only (`sluice process`, `sluice test`). */
  async processAll(records: readonly SourceRecord[], countOnly = false): Promise<FinalOutcome[]> {
    const outcomes = this.processBatch(records, undefined, countOnly);
    // Only records that wait need a promise each: most chunks have none (a promise per record
    // was ~3 % of `process --discard`).
    const waits: Promise<void>[] = [];
    for (let i = 0; i < outcomes.length; i++) {
      const o = outcomes[i];
      if (o.kind === 'wait') waits.push(this.afterWait(records[i], o).then((final) => void (outcomes[i] = final)));
    }
    if (waits.length > 0) await Promise.all(waits);
    return outcomes as FinalOutcome[];
  }

  /**
   * A record interrupted by the time limit. In the joining step, it is tried once more as it
   * is: that step only tests the line against its patterns, and leaving a line out of its
   * group would make a re-read of the partition (which would join it) disagree with what was
   * indexed; a line that times out twice goes on alone.
   */
  private interrupted(record: SourceRecord, stepIndex: number): Outcome {
    if (stepIndex >= 0 && stepIndex === this.joinStep) {
      try {
        return this.runGuarded(() => this.process(record, undefined, true));
      } catch (err) {
        if ((err as { code?: string }).code !== TIMEOUT_CODE) throw err;
        stepIndex = this.currentStep;
      }
    }
    return this.timedOut(record, stepIndex, new Set());
  }

  /**
   * Hands the events queued by the joining step to the joiner, outside the time guard: only
   * the pattern test runs under the guard, so an interrupt can never leave a group half-updated.
   */
  private applyOffers(): void {
    if (this.offers.length === 0) return;
    const now = this.clock();
    for (const o of this.offers) for (const done of this.joiner!.offer(o.event, o.member, now, o.continues)) this.completed.push(done);
    this.offers = [];
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
    for (let starvedLeft = MAX_STARVED_RETRIES; ; starvedLeft--) {
      try {
        const outcome = this.runGuarded(() => this.process(record, skipped, true));
        this.applyOffers();
        if (outcome.kind === 'events') for (const e of outcome.events) for (const t of tags) addTag(e, t);
        return outcome;
      } catch (err) {
        if ((err as { code?: string }).code !== TIMEOUT_CODE) throw err;
        if (starvedLeft > 0 && this.starved()) continue;
        return this.timedOut(record, this.currentStep, skipped);
      }
    }
  }

  process(record: SourceRecord, skip?: ReadonlySet<number>, rerun = false): Outcome {
    this.currentStep = -1;
    this.currentRecord = record;
    this.rerun = rerun;
    this.offeredInRerun = 0;
    if (!rerun) this.offered = 0;
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
    const outcome = this.runChain([event], this.chain, skip);
    if (this.offered > 0 && outcome.kind === 'events') outcome.held = true;
    return outcome;
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

  /** Runs the events through `nodes` (the chain, or the part of it after the joining step). */
  private runChain(events: Event[], nodes: Node[], skip?: ReadonlySet<number>): Outcome {
    const result = this.runNodes(events, nodes, skip);
    this.currentStep = -1;
    return Array.isArray(result) ? { kind: 'events', events: result } : result;
  }

  /** Runs `events` through `nodes`; a filter error ends the record's processing as a dead letter, a wait sets it aside. */
  private runNodes(events: Event[], nodes: Node[], skip?: ReadonlySet<number>): Event[] | Exclude<Outcome, { kind: 'events' }> {
    for (const node of nodes) {
      if (!('index' in node)) {
        // Each event takes exactly one branch, chosen before any of that branch's filters run.
        const out: Event[] = [];
        for (const ev of events) {
          const branch = node.branches.find((b) => b.when(ev));
          const branchNodes = branch ? branch.nodes : node.otherwise;
          if (branchNodes.length === 0) {
            out.push(ev);
            continue;
          }
          const result = this.runNodes([ev], branchNodes, skip);
          if (!Array.isArray(result)) return result;
          for (const e of result) out.push(e);
        }
        events = out;
        if (events.length === 0) break;
        continue;
      }
      if (skip?.has(node.index)) continue;
      const step = node.step;
      this.currentStep = node.index;
      if (node.index === this.joinStep) {
        events = this.offer(events, step);
        if (events.length === 0) break;
        continue;
      }
      let next: Event[] | undefined;
      for (let i = 0; i < events.length; i++) {
        const ev = events[i];
        let result;
        if (step.when && !step.when(ev)) result = undefined;
        else {
          try {
            result = step.filter.process(ev);
          } catch (err) {
            if (err instanceof AwaitBeforeRetry) return { kind: 'wait', until: err.ready, stage: `filter:${step.label}` };
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
    return events;
  }

  /** Whether the chain joins records (multiline); then the runtime drives the methods below. */
  get joins(): boolean {
    return this.joiner !== undefined;
  }

  /** How often `expireJoined` should run while groups are open. */
  get expireEveryMs(): number {
    return this.joiner?.expireEveryMs ?? 1000;
  }

  /** Groups completed by the records processed since the last call, through the rest of the chain. */
  takeJoined(): JoinedOutcome[] {
    this.applyOffers();
    if (this.completed.length === 0) return [];
    const groups = this.completed;
    this.completed = [];
    return groups.map((g) => this.finishJoined(g));
  }

  /** Groups whose wait is over, through the rest of the chain. */
  expireJoined(now: number): JoinedOutcome[] {
    return this.joiner ? this.joiner.expire(now).map((g) => this.finishJoined(g)) : [];
  }

  /** Every open group (end of input; `cut`: limits reached), through the rest of the chain. */
  flushJoined(cut = false): JoinedOutcome[] {
    return this.joiner ? this.joiner.flush(cut).map((g) => this.finishJoined(g)) : [];
  }

  /** Forgets open groups whose first record matches; returns their records. */
  discardJoined(match: (first: SourceRecord) => boolean): SourceRecord[][] {
    return this.joiner ? this.joiner.discard(match) : [];
  }

  /**
   * The steps after the joining one, for a joined event, under the same time limit as a
   * record. A joined event cannot be rebuilt from one record, so it is kept as it came out of
   * the joiner and re-run from that copy without the interrupted step.
   */
  private finishJoined({ event, members }: JoinedEvent<SourceRecord>): JoinedOutcome {
    const rest = this.chain.slice(this.joinPosition + 1);
    if (rest.length === 0) return { members, outcome: { kind: 'events', events: [event] } };
    const pristine = cloneEvent(event);
    const skipped = new Set<number>();
    let starvedLeft = MAX_STARVED_RETRIES;
    for (let attempt = 0; ; attempt++) {
      const input = attempt > 0 ? cloneEvent(pristine) : event;
      try {
        // No filter after the joining step can wait (see the constructor).
        const outcome = this.runGuarded(() => this.runChain([input], rest, skipped)) as FinalOutcome;
        if (outcome.kind === 'events') for (const e of outcome.events) for (const i of skipped) addTag(e, this.steps[i].timeoutTag ?? DEFAULT_TIMEOUT_TAG);
        return { members, outcome };
      } catch (err) {
        if ((err as { code?: string }).code !== TIMEOUT_CODE) throw err;
        if (starvedLeft-- > 0 && this.starved()) continue;
        const step = this.steps[this.currentStep];
        if (!step || this.options.onFilterTimeout === 'dead_letter' || skipped.has(this.currentStep)) {
          const label = step ? step.label : 'input';
          const outcome: FinalOutcome = { kind: 'dead', reason: 'filter_timeout', error: `processing took longer than limits.filterTimeoutMs (${this.options.filterTimeoutMs} ms) in ${label}`, stage: step ? `filter:${label}` : 'input' };
          return { members, outcome };
        }
        skipped.add(this.currentStep);
      }
    }
  }

  /** The joining step: events it applies to go into its groups; the others go on. */
  private offer(events: Event[], step: FilterChainStep): Event[] {
    const rest: Event[] = [];
    for (const ev of events) {
      if (step.when && !step.when(ev)) rest.push(ev);
      else if (this.rerun && this.offeredInRerun < this.offered) {
        // Re-run after a timeout later in the chain: this event is queued for its group already.
        this.offeredInRerun++;
      } else {
        const continues = this.joiner!.continues(ev);
        this.offers.push({ event: ev, member: this.currentRecord!, continues });
        this.offered++;
        if (this.rerun) this.offeredInRerun++;
      }
    }
    return rest;
  }
}
