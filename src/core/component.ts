/**
 * The contract between the runtime and the components (inputs, filters, outputs).
 *
 * Each component lives in its own folder (src/inputs/<name>, src/filters/<name>,
 * src/outputs/<name>) and exports one spec: its name, a TypeBox config schema (the single
 * source of its TypeScript type, its ajv validator, the generated docs and the published
 * pipeline JSON Schema) and a factory. The runtime only ever sees these interfaces.
 */
import type { Static, TSchema } from '@sinclair/typebox';
import type { Logger } from 'pino';
import type { Event } from './event.js';
import type { ComponentMetrics } from '../observe/observer.js';
import type { DiagnosticContext } from './diagnostics.js';

export interface ComponentContext {
  /** The pipeline's id, for logs, metrics and dead-letter headers. */
  pipelineId: string;
  /** The pipeline file, for hints such as `sluice doctor <file>` (absent for pipelines built in code). */
  pipelineFile?: string;
  /** Directory of the pipeline file: relative paths in a config resolve against it. */
  baseDir: string;
  logger: Logger;
  /** Where components report metrics and readiness (`sluice run`); absent means no-op. */
  metrics?: ComponentMetrics;
}

// ---------------------------------------------------------------- filters

/**
 * What a filter returns for one event:
 * - `undefined`: the (possibly modified in place) event goes on;
 * - `null`: the event is dropped on purpose (it counts as settled);
 * - an array: the event is replaced by these events (split); an empty array drops it.
 */
export type FilterResult = void | null | Event[];

export interface Filter {
  process(event: Event): FilterResult;
  /** Present on filters that join the events of several records into one (multiline). */
  joiner?: Joiner;
  /** True for filters that may throw AwaitBeforeRetry (dns): the runtime then sets records aside to wait. */
  mayWait?: boolean;
  close?(): void | Promise<void>;
}

/** A group of events joined into one, with the handles of the records they came from (first first). */
export interface JoinedEvent<M = unknown> {
  event: Event;
  members: M[];
}

/**
 * A filter that holds events across records (multiline). The runtime offers it each event
 * together with an opaque handle of the event's record, instead of calling `process`; the
 * filter keeps events in open groups and hands back whole groups, with the handles of all
 * the records they were made of, once they are complete. The runtime settles those records
 * only when the joined event is settled, and ids the event after its first record.
 */
export interface Joiner<M = unknown> {
  /**
   * Whether the event's line continues a group (the pattern test: user regexes, so the runtime
   * runs it under the filter time limit). Pure: no state changes.
   */
  continues(event: Event): boolean;
  /**
   * Takes an event, with the result of `continues` for it (computed here when absent);
   * returns the groups that are complete now (the event itself is held).
   */
  offer(event: Event, member: M, now: number, continues?: boolean): JoinedEvent<M>[];
  /** Groups with no new line for their maximum wait, as they are. */
  expire(now: number): JoinedEvent<M>[];
  /** Every open group, as it is (end of input); with `cutTag`, tagged as cut short (limits reached). */
  flush(cutTag?: boolean): JoinedEvent<M>[];
  /** Forgets the open groups whose first member matches (partition revoked, shutdown); returns their members. */
  discard(match: (first: M) => boolean): M[][];
  /** How often the runtime should call `expire` while groups are open. */
  readonly expireEveryMs: number;
}

export interface FilterSpec<S extends TSchema = TSchema> {
  kind: 'filter';
  name: string;
  summary: string;
  config: S;
  /**
   * The tag the runtime adds when this filter exceeds its time limit and the pipeline is
   * configured to tag rather than dead-letter (grok: `_groktimeout`). Default `_filtertimeout`.
   */
  timeoutTag?: string;
  /**
   * Builds the filter. Throw an Error with a clear message for semantic config errors
   * (a bad regex, a missing file): `sluice validate` reports it at the filter's position.
   */
  create(config: Static<S>, ctx: ComponentContext): Filter | Promise<Filter>;
}

/**
 * A filter signals a failure that is the record's fault (not a bug) by throwing this;
 * the runtime dead-letters the record with the given reason.
 */
export class FilterError extends Error {
  constructor(
    message: string,
    readonly reason: string = 'filter_error',
  ) {
    super(message);
    this.name = 'FilterError';
  }
}

/**
 * A filter that needs an answer it does not have yet (a DNS lookup) throws this from
 * `process` instead of blocking the partition: the runtime sets the record aside, lets other
 * records go on, waits for `ready`, then processes the record again from its raw bytes. By
 * then the filter has the answer (it keeps it at least until that re-run) and completes
 * synchronously. `ready` must settle within the filter's own time limit; it may reject
 * (a failed lookup is an answer too). Filters before the waiting one run again on the
 * re-run, which is harmless because filters are deterministic (uuid excepted: its value is
 * simply drawn again).
 */
export class AwaitBeforeRetry extends Error {
  constructor(readonly ready: Promise<unknown>) {
    super('the filter waits for an asynchronous answer; the runtime processes the record again once it is there');
    this.name = 'AwaitBeforeRetry';
  }
}

// ---------------------------------------------------------------- inputs

/** One record as it came from the source, before decoding. */
export interface SourceRecord {
  topic: string;
  partition: number;
  /** Kafka offsets are int64: kept as decimal strings. */
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  /** Milliseconds since the epoch, as a decimal string (Kafka's record timestamp). */
  timestamp: string;
  /** As Kafka has them: a key may repeat, so a value may be a list. */
  headers: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
}

/** The headers of a record without any (most records): one shared, frozen object instead of one each. */
export const NO_HEADERS: SourceRecord['headers'] = Object.freeze({});

/** A record handed to the runtime, with the callback that settles it. */
export interface AcceptedRecord {
  record: SourceRecord;
  /**
   * Called exactly once, when the record is settled in the sense of the delivery contract;
   * always as a method (`accepted.settle()`), so an input may define it on a class.
   */
  settle(): void;
}

/**
 * The runtime's side of an input. Records come in batches (what one fetch returned), in
 * source order per partition. The input owns its offsets and commits only settled ones.
 */
export interface RecordSink {
  accept(batch: AcceptedRecord[]): void;
  /** A rebalance began: partitions may be taken away; nothing should be made final from now on. */
  rebalanceStarted?(): void;
  /**
   * The new assignment is known. Unsettled records of `revoked` partitions will be re-read by
   * their next owner, so the runtime forgets what it holds of them that is not final (open
   * multiline groups).
   */
  rebalanceDone?(revoked: { topic: string; partition: number }[]): void;
}

export interface Input {
  /**
   * Connects and starts consuming. Waits for brokers and topics that are not there yet
   * (src/core/waiting.ts) until `signal` aborts; throws for what waiting cannot fix.
   */
  start(sink: RecordSink, signal?: AbortSignal): Promise<void>;
  /** Stop fetching (backpressure); records already accepted still settle. */
  pause(): void;
  resume(): void;
  /** Stop fetching for good; records already accepted still settle. */
  stop(): Promise<void>;
  /** Commit what is settled and disconnect (after the runtime has drained). */
  close(): Promise<void>;
}

export interface DeadLetter {
  record: SourceRecord;
  reason: string;
  error: string;
  stage: string;
  /** Extra `sluice.dlq.*` headers, e.g. `es.status` (the prefix is added by the sink). */
  extra?: Record<string, string>;
}

/** Where records that cannot be indexed go; resolves only once durably acknowledged. */
export interface DeadLetterSink {
  /** Waits for the brokers like Input.start, until `signal` aborts. */
  start(signal?: AbortSignal): Promise<void>;
  send(letter: DeadLetter): Promise<void>;
  /** Waits at most `timeoutMs` for unacknowledged letters (their records then stay uncommitted). */
  stop(timeoutMs?: number): Promise<void>;
}

export interface InputSpec<S extends TSchema = TSchema> {
  kind: 'input';
  name: string;
  summary: string;
  config: S;
  create(config: Static<S>, ctx: ComponentContext): Input;
  /** Dead letters are written through the input's own connection settings. */
  createDeadLetterSink(config: Static<S>, deadLetter: DeadLetterConfig, ctx: ComponentContext): DeadLetterSink;
  /** How the input's records are decoded: the codec, and what to do with undecodable ones. */
  decoding(config: Static<S>): Decoding;
  /** `sluice doctor`'s checks for this input (connectivity, topics, ...), reported to ctx.report. */
  diagnose?(config: Static<S>, ctx: DiagnosticContext): Promise<void>;
}

export interface Decoding {
  codec: string;
  /** `dead_letter` (reason `decode_failed`), or `tag`: index the raw text in `message`, tagged `_decodefailure`. */
  onError: 'dead_letter' | 'tag';
  /** Deepest JSON nesting the `json` codec accepts (default 64). */
  maxJsonDepth?: number;
}

export interface DeadLetterConfig {
  topic: string;
  partitions?: number;
  replicationFactor?: number;
}

// ---------------------------------------------------------------- outputs

export type DeliveryResult =
  | { ok: true }
  | { ok: false; reason: string; error: string; extra?: Record<string, string> };

/** An event ready for the output, with the id that makes redelivery idempotent. */
export interface OutputEvent {
  event: Event;
  /** Default id `<topic>-<partition>-<offset>[-<n>]` (design notes, delivery contract). */
  defaultId: string;
  done(result: DeliveryResult): void;
}

export interface Output {
  /** Connects; waits for an unreachable cluster like Input.start, until `signal` aborts. */
  start(signal?: AbortSignal): Promise<void>;
  /** Takes ownership of the event; `done` is called exactly once. */
  write(item: OutputEvent): void;
  /** Sends everything buffered and waits for every outstanding `done`. */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

export interface OutputSpec<S extends TSchema = TSchema> {
  kind: 'output';
  name: string;
  summary: string;
  config: S;
  create(config: Static<S>, ctx: ComponentContext): Output;
  /** `sluice doctor`'s checks for this output (connectivity, permissions, ...), reported to ctx.report. */
  diagnose?(config: Static<S>, ctx: DiagnosticContext): Promise<void>;
}

export type ComponentSpec = InputSpec | FilterSpec | OutputSpec;
