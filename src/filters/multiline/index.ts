/**
 * multiline: joins the lines of one logical event that arrive as several records (a Java
 * stack trace: `java.lang.X: …`, `\tat …`, `Caused by: …`, `... 12 more`) into the event of
 * the line that started them.
 *
 * Why a filter and not a codec or an input feature: the stream a line belongs to is known only
 * after parsing (the Flume prefix gives `service.name` and `host.name`; several hosts share a
 * partition), so joining has to happen inside the filter chain, after the steps that find the
 * stream and before the steps that parse the joined text. The runtime gives the filter a
 * handle of each record (see `Joiner` in core/component.ts) and settles every record of a
 * group only when the joined event is settled, under the id of its first record.
 *
 * Groups are kept per stream: the Kafka topic and partition always (a group never spans
 * partitions, so committed offsets stay meaningful) plus the `streamBy` fields. A group ends
 * when a line that is not a continuation arrives on its stream, when no line came for
 * `maxWaitMs`, or when the next line would exceed `maxLines` / `maxBytes` (then it is tagged
 * `_multiline_truncated` and the rest starts a new group).
 */
import { Type, type Static } from '@sinclair/typebox';
import type { Filter, FilterSpec, JoinedEvent, Joiner } from '../../core/component.js';
import { addTag, getField, parsePath, setField, type Event, type FieldPath } from '../../core/event.js';

/** Continuation lines of Java stack traces (logback, log4j, java.util.logging). */
export const JAVA_CONTINUATION = ['^\\s', '^Caused by:', '^\\.\\.\\. \\d+ (more|common frames omitted)', '^[\\w.$]+(Exception|Error)'];

export const TRUNCATED_TAG = '_multiline_truncated';
export const ORPHAN_TAG = '_multiline_orphan';
export const JOINED_TAG = 'multiline';

export const multilineConfig = Type.Object(
  {
    field: Type.String({ default: 'message', description: 'Field holding the line; the lines of a group are joined with `\\n` into this field of the first event.' }),
    patterns: Type.Array(Type.String({ minLength: 1 }), {
      default: JAVA_CONTINUATION,
      minItems: 1,
      description:
        'Regular expressions (JavaScript syntax); a line matching any of them is a continuation (with `negate`: a line matching none). Default: Java stack traces, `^\\s`, `^Caused by:`, `^\\.\\.\\. \\d+ (more|common frames omitted)`, `^[\\w.$]+(Exception|Error)`.',
    }),
    extraPatterns: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'More patterns, added to `patterns` (keeps the Java defaults).' })),
    negate: Type.Boolean({ default: false, description: 'As Logstash: a line is a continuation when it matches none of the patterns.' }),
    what: Type.Union([Type.Literal('previous'), Type.Literal('next')], {
      default: 'previous',
      description: 'As Logstash: `previous`, a continuation line belongs to the line before it; `next`, it belongs to the line after it.',
    }),
    streamBy: Type.Array(Type.String({ minLength: 1 }), {
      default: ['service.name', 'host.name'],
      description:
        'Fields that tell streams apart inside one partition (absent fields count as empty). The Kafka topic and partition are always part of the stream; `["@metadata.kafka.key"]` groups by record key.',
    }),
    maxLines: Type.Integer({ minimum: 1, default: 500, description: 'Most lines in one event; a longer group is cut and tagged `_multiline_truncated`.' }),
    maxBytes: Type.Integer({ minimum: 1, default: 1024 * 1024, description: 'Most bytes (UTF-8) of the joined field; a longer group is cut and tagged `_multiline_truncated`.' }),
    maxWaitMs: Type.Integer({
      minimum: 10,
      default: 3000,
      description:
        'A group with no new line for this long goes out as it is. A continuation line arriving later, or whose Kafka record time is more than this after the previous line, starts a new event tagged `_multiline_orphan`.',
    }),
  },
  { additionalProperties: false },
);

export type MultilineConfig = Static<typeof multilineConfig>;

interface Group<M> {
  first: Event;
  lines: string[];
  bytes: number;
  members: M[];
  /** When the last line arrived (ms, the runtime's clock). */
  lastArrival: number;
  /** Kafka record time of the last line (ms), NaN when unknown. */
  lastRecordTime: number;
  orphan: boolean;
}

const KAFKA_TIMESTAMP = parsePath('@metadata.kafka.timestamp');
const KAFKA_TOPIC = parsePath('@metadata.kafka.topic');
const KAFKA_PARTITION = parsePath('@metadata.kafka.partition');

export class MultilineJoiner<M> implements Joiner<M> {
  private readonly field: FieldPath;
  private readonly regexes: RegExp[];
  private readonly streamBy: FieldPath[];
  private readonly open = new Map<string, Group<M>>();
  readonly expireEveryMs: number;

  constructor(private readonly config: MultilineConfig) {
    this.field = parsePath(config.field);
    this.regexes = [...config.patterns, ...(config.extraPatterns ?? [])].map((p) => {
      try {
        return new RegExp(p);
      } catch (err) {
        throw new Error(`invalid pattern ${JSON.stringify(p)}: ${(err as Error).message}`);
      }
    });
    this.streamBy = config.streamBy.map(parsePath);
    this.expireEveryMs = Math.max(10, Math.min(250, Math.floor(config.maxWaitMs / 4)));
  }

  /** Open groups (for tests and metrics). */
  get openGroups(): number {
    return this.open.size;
  }

  continues(event: Event): boolean {
    const value = getField(event, this.field);
    return typeof value === 'string' && this.isContinuation(value);
  }

  private isContinuation(line: string): boolean {
    let matched = false;
    for (const re of this.regexes) {
      if (re.test(line)) {
        matched = true;
        break;
      }
    }
    return matched !== this.config.negate;
  }

  private streamKey(event: Event): string {
    const parts: unknown[] = [getField(event, KAFKA_TOPIC) ?? '', getField(event, KAFKA_PARTITION) ?? ''];
    for (const path of this.streamBy) parts.push(getField(event, path) ?? '');
    return JSON.stringify(parts);
  }

  offer(event: Event, member: M, now: number, continuation = this.continues(event)): JoinedEvent<M>[] {
    const value = getField(event, this.field);
    // Nothing to join (no text): the event goes out alone, open groups are left as they are.
    if (typeof value !== 'string') return [{ event, members: [member] }];
    const key = this.streamKey(event);
    const recordTime = Date.parse(String(getField(event, KAFKA_TIMESTAMP)));
    const out: JoinedEvent<M>[] = [];
    let group = this.open.get(key);
    if (group && recordTime - group.lastRecordTime > this.config.maxWaitMs) {
      // Came later than the wait after the line before it: the group was (or would have been)
      // sent already. Deciding by record times gives the same groups when the partition is re-read.
      out.push(this.close(key, group, false));
      group = undefined;
    }
    const bytes = Buffer.byteLength(value, 'utf8');
    const joins = this.config.what === 'previous' ? continuation : true;
    if (group && joins) {
      if (group.lines.length + 1 > this.config.maxLines || group.bytes + 1 + bytes > this.config.maxBytes) {
        out.push(this.close(key, group, true));
        group = undefined;
      } else {
        group.lines.push(value);
        group.bytes += 1 + bytes;
        group.members.push(member);
        group.lastArrival = now;
        group.lastRecordTime = recordTime;
      }
    } else if (group) {
      out.push(this.close(key, group, false));
      group = undefined;
    }
    if (!group) {
      group = { first: event, lines: [value], bytes, members: [member], lastArrival: now, lastRecordTime: recordTime, orphan: false };
      // A continuation with nothing open to continue: its start went out already (wait or limits) or was never read.
      if (this.config.what === 'previous' && continuation) group.orphan = true;
      this.open.set(key, group);
    }
    // `next`: a line that does not continue ends its group, itself included.
    if (this.config.what === 'next' && !continuation) out.push(this.close(key, group, false));
    return out;
  }

  private close(key: string, group: Group<M>, cut: boolean): JoinedEvent<M> {
    this.open.delete(key);
    const { first } = group;
    if (group.lines.length > 1) {
      setField(first, this.field, group.lines.join('\n'));
      addTag(first, JOINED_TAG);
    }
    if (group.orphan) addTag(first, ORPHAN_TAG);
    if (cut) addTag(first, TRUNCATED_TAG);
    return { event: first, members: group.members };
  }

  expire(now: number): JoinedEvent<M>[] {
    const out: JoinedEvent<M>[] = [];
    for (const [key, group] of this.open) if (now - group.lastArrival >= this.config.maxWaitMs) out.push(this.close(key, group, false));
    return out;
  }

  flush(cutTag = false): JoinedEvent<M>[] {
    const out: JoinedEvent<M>[] = [];
    for (const [key, group] of this.open) out.push(this.close(key, group, cutTag));
    return out;
  }

  discard(match: (first: M) => boolean): M[][] {
    const out: M[][] = [];
    for (const [key, group] of this.open) {
      if (match(group.members[0])) {
        this.open.delete(key);
        out.push(group.members);
      }
    }
    return out;
  }
}

export const multiline: FilterSpec<typeof multilineConfig> = {
  kind: 'filter',
  name: 'multiline',
  summary: 'Join continuation lines (Java stack traces) into the event of the line that started them, per stream',
  config: multilineConfig,
  create(config): Filter {
    const joiner = new MultilineJoiner(config);
    return {
      joiner,
      // The runtime always goes through `joiner`; a lone event has nothing to join.
      process: () => undefined,
    };
  },
};
