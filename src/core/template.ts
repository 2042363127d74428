/**
 * `%{field}` and `%{+yyyy.MM.dd}` templates, as in Logstash's sprintf format: used in
 * index names, added fields and tags. Compiled once into parts; rendering is a loop.
 */
import { getField, parsePath, type Event, type FieldPath } from './event.js';
import { formatJoda, tokenizeJoda, type JodaToken } from './joda.js';

type Part =
  | { kind: 'text'; text: string }
  | { kind: 'field'; path: FieldPath; ref: string }
  /** `byDay`: the pattern names nothing finer than a day, so one UTC day renders one text (kept in `day`/`text`). */
  | { kind: 'date'; tokens: JodaToken[]; byDay: boolean; day: number; text: string }
  | { kind: 'epoch' };

export interface Template {
  readonly source: string;
  /** True when the template has no `%{...}` reference and always renders to `source`. */
  readonly constant: boolean;
  render(event: Event): string;
  /** The field references the template reads (for validation and docs). */
  readonly fields: readonly string[];
}

const REF = /%\{([^}]*)\}/g;
const DAY_MS = 86_400_000;
/** Joda letters whose value depends on the UTC day alone (era, century, years, week years, month, day, weekday). */
const DAY_LETTERS = new Set(['G', 'C', 'Y', 'y', 'u', 'x', 'w', 'M', 'd', 'D', 'e', 'E']);

export function compileTemplate(source: string): Template {
  const parts: Part[] = [];
  let last = 0;
  for (const m of source.matchAll(REF)) {
    if (m.index! > last) parts.push({ kind: 'text', text: source.slice(last, m.index) });
    const inner = m[1].trim();
    if (inner === '+%s') parts.push({ kind: 'epoch' });
    else if (inner.startsWith('+')) {
      const tokens = tokenizeJoda(inner.slice(1));
      const byDay = tokens.every((t) => t.kind === 'literal' || DAY_LETTERS.has(t.letter));
      parts.push({ kind: 'date', tokens, byDay, day: NaN, text: '' });
    }
    else {
      if (inner === '') throw new Error(`empty field reference in template "${source}"`);
      parts.push({ kind: 'field', path: parsePath(inner), ref: inner });
    }
    last = m.index! + m[0].length;
  }
  if (last < source.length) parts.push({ kind: 'text', text: source.slice(last) });
  const constant = parts.every((p) => p.kind === 'text');
  const fields = parts.flatMap((p) => (p.kind === 'field' ? [p.ref] : []));
  // Text and day dates only (`logs-%{+yyyy.MM.dd}`, the usual index name): one string per UTC
  // day, the same string for every event of the day rather than a new one per event.
  const byDayOnly = !constant && parts.every((p) => p.kind === 'text' || (p.kind === 'date' && p.byDay));
  let lastDay = NaN;
  let lastText = '';
  return {
    source,
    constant,
    fields,
    render(event: Event): string {
      if (constant) return source;
      const day = byDayOnly ? Math.floor(eventTime(event) / DAY_MS) : NaN;
      if (day === lastDay) return lastText;
      let out = '';
      for (const p of parts) {
        switch (p.kind) {
          case 'text':
            out += p.text;
            break;
          case 'field': {
            const v = getField(event, p.path);
            // Logstash leaves an unresolved reference as written; so do we, so a missing
            // field shows up in the index name instead of silently merging indices.
            if (v === undefined || v === null) out += `%{${p.ref}}`;
            else out += typeof v === 'object' ? JSON.stringify(v) : String(v);
            break;
          }
          case 'date': {
            // A day part beside field references (`%{service}-%{+yyyy.MM.dd}`) is formatted once per day, not per event.
            const ms = eventTime(event);
            if (!p.byDay) out += formatJoda(p.tokens, ms);
            else {
              const partDay = Math.floor(ms / DAY_MS);
              if (partDay !== p.day) {
                p.text = formatJoda(p.tokens, ms);
                p.day = partDay;
              }
              out += p.text;
            }
            break;
          }
          case 'epoch':
            out += String(Math.floor(eventTime(event) / 1000));
            break;
        }
      }
      if (byDayOnly) {
        lastDay = day;
        lastText = out;
      }
      return out;
    },
  };
}

let lastTimestamp: string | undefined;
let lastTimestampMs = 0;

/** The event's `@timestamp` in ms; events without a valid one use the current time. */
export function eventTime(event: Event): number {
  const ts = event['@timestamp'];
  if (typeof ts === 'string') {
    // Events in a row often share their timestamp text (the date filter hands out one string per second of logs).
    if (ts === lastTimestamp) return lastTimestampMs;
    const ms = Date.parse(ts);
    if (!Number.isNaN(ms)) {
      lastTimestamp = ts;
      lastTimestampMs = ms;
      return ms;
    }
  } else if (typeof ts === 'number') return ts;
  return Date.now();
}
