/**
 * From one source record to the events it becomes: size check, decoding, `@metadata.kafka`,
 * then the filter chain. Shared by `sluice run` and `sluice process`, so what `process`
 * prints is exactly what `run` would index.
 */
import type { Filter, SourceRecord } from '../core/component.js';
import type { Event } from '../core/event.js';
import { codecs, DecodeError, type Codec } from '../codecs/index.js';
import type { Condition } from '../core/condition.js';

export interface ChainStep {
  label: string;
  filter: Filter;
  when?: Condition;
}

export type Outcome =
  | { kind: 'events'; events: Event[] }
  | { kind: 'dead'; reason: string; error: string; stage: string };

function headerText(v: unknown): string {
  if (Array.isArray(v)) return v.map(headerText).join(',');
  return Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
}

export class RecordProcessor {
  private readonly codec: Codec;

  constructor(
    codecName: string,
    private readonly steps: ChainStep[],
    private readonly maxRecordBytes: number,
  ) {
    const codec = codecs[codecName];
    if (!codec) throw new Error(`unknown codec "${codecName}"`);
    this.codec = codec;
  }

  process(record: SourceRecord): Outcome {
    const value = record.value ?? Buffer.alloc(0);
    if (value.length > this.maxRecordBytes) {
      return { kind: 'dead', reason: 'too_large', error: `record value is ${value.length} bytes, more than limits.maxRecordBytes (${this.maxRecordBytes})`, stage: 'input' };
    }
    let event: Event;
    try {
      event = this.codec.decode(value);
    } catch (err) {
      if (err instanceof DecodeError) return { kind: 'dead', reason: 'decode_failed', error: err.message, stage: 'input' };
      throw err;
    }
    if (event['@timestamp'] === undefined) {
      const ms = Number(record.timestamp);
      event['@timestamp'] = new Date(Number.isFinite(ms) && ms > 0 ? ms : Date.now()).toISOString();
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(record.headers)) if (v !== undefined) headers[k] = headerText(v);
    // Filebeat's JSON carries its own @metadata (beat, type, version): keep it beside ours.
    const existing = event['@metadata'];
    const metadata: Record<string, unknown> = existing && typeof existing === 'object' && !Array.isArray(existing) ? (existing as Record<string, unknown>) : {};
    metadata.kafka = {
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      key: record.key ? record.key.toString('utf8') : null,
      timestamp: new Date(Number(record.timestamp)).toISOString(),
      headers,
    };
    event['@metadata'] = metadata;
    return this.runChain(event);
  }

  runChain(event: Event): Outcome {
    let events: Event[] = [event];
    for (const step of this.steps) {
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
    return { kind: 'events', events };
  }
}
