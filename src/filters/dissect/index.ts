/**
 * dissect: splits a field by the delimiters of a pattern, without regular expressions.
 *
 * Mapping syntax (Logstash's): `%{name}` captures up to the next delimiter (the literal text
 * between two fields); the last field takes the rest of the text, or stops at a trailing
 * delimiter if the pattern has one (text after it is ignored). Modifiers:
 *   %{}  %{?name}      skip the value (a named skip can give the key of `%{&name}`)
 *   %{+name}           append to `name`, joined by the delimiter before this field (" " at the start)
 *   %{+name/2}         append in this order (ordinals sort the appended parts)
 *   %{*name} %{&name}  key/value: the value of `*name` (or `?name`) becomes a field name, set to the value of `&name`
 *   %{name->}          right padding: skip repeats of the following delimiter
 */
import { Type } from '@sinclair/typebox';
import type { Filter, FilterSpec } from '../../core/component.js';
import { addTag, getField, parsePath, setDataField, setField, type Event, type FieldPath } from '../../core/event.js';

export const dissectConfig = Type.Object(
  {
    mapping: Type.Record(Type.String(), Type.String(), {
      description: '`{ field: pattern }`: the field to dissect and its pattern, e.g. `{ "message": "%{ts} %{+ts} %{host} %{prog}[%{pid}]: %{msg}" }`.',
    }),
    convertDatatype: Type.Optional(
      Type.Record(Type.String(), Type.Union([Type.Literal('int'), Type.Literal('float')]), {
        description: '`{ field: int|float }`: convert dissected values to numbers (values that are not numbers are left as strings).',
      }),
    ),
    tagOnFailure: Type.Array(Type.String(), { default: ['_dissectfailure'], description: 'Tags added when a field is missing or its text does not fit the pattern (no field is then set).' }),
  },
  { additionalProperties: false },
);

type Kind = 'normal' | 'skip' | 'append' | 'key' | 'value';

interface DField {
  kind: Kind;
  name: string;
  path: FieldPath | undefined;
  ordinal: number;
  pad: boolean;
  /** The delimiter after the field; undefined for a last field that takes the rest. */
  next: string | undefined;
  /** The delimiter before the field (append join string). */
  join: string;
  index: number;
}

export interface Dissector {
  /** Fills `out` (field index → value) and returns true, or false when the text does not fit. */
  match(text: string, out: string[]): boolean;
  fields: DField[];
  prefix: string;
}

const FIELD = /%\{([^}]*)\}/g;

export function compileDissect(pattern: string): Dissector {
  if (pattern === '') throw new Error('dissect: empty mapping pattern');
  const fields: DField[] = [];
  let prefix = '';
  let last = 0;
  let prev = ' ';
  for (const m of pattern.matchAll(FIELD)) {
    const delim = pattern.slice(last, m.index);
    if (fields.length === 0) prefix = delim;
    else {
      if (delim === '') throw new Error(`dissect: fields must be separated by a delimiter in "${pattern}"`);
      fields[fields.length - 1].next = delim;
      prev = delim;
    }
    fields.push(parseField(m[1], pattern, fields.length === 0 ? ' ' : prev, fields.length));
    last = m.index! + m[0].length;
  }
  if (fields.length === 0) throw new Error(`dissect: pattern "${pattern}" has no %{field}`);
  const rest = pattern.slice(last);
  if (rest.includes('%{')) throw new Error(`dissect: unterminated %{ in "${pattern}"`);
  if (rest !== '') fields[fields.length - 1].next = rest;
  const keys = new Set(fields.filter((f) => f.kind === 'key' || (f.kind === 'skip' && f.name)).map((f) => f.name));
  for (const f of fields) {
    if (f.kind === 'value' && !keys.has(f.name)) throw new Error(`dissect: %{&${f.name}} has no matching %{*${f.name}} or %{?${f.name}} in "${pattern}"`);
  }
  const n = fields.length;
  return {
    fields,
    prefix,
    match(text, out) {
      let pos = 0;
      if (prefix) {
        if (!text.startsWith(prefix)) return false;
        pos = prefix.length;
      }
      for (let i = 0; i < n; i++) {
        const f = fields[i];
        const next = f.next;
        if (next === undefined) {
          out[i] = text.slice(pos);
          pos = text.length;
          continue;
        }
        const idx = text.indexOf(next, pos);
        if (idx < 0) return false;
        out[i] = text.slice(pos, idx);
        pos = idx + next.length;
        if (f.pad) while (text.startsWith(next, pos)) pos += next.length;
      }
      return true;
    },
  };
}

function parseField(spec: string, pattern: string, join: string, index: number): DField {
  let s = spec;
  let pad = false;
  if (s.endsWith('->')) {
    pad = true;
    s = s.slice(0, -2);
  }
  let kind: Kind = 'normal';
  const mod = s[0];
  if (s === '') kind = 'skip';
  else if (mod === '?') kind = 'skip';
  else if (mod === '+') kind = 'append';
  else if (mod === '*') kind = 'key';
  else if (mod === '&') kind = 'value';
  if (kind !== 'normal' && s !== '') s = s.slice(1);
  let ordinal = 0;
  const slash = s.lastIndexOf('/');
  if (slash >= 0 && /^\d+$/.test(s.slice(slash + 1))) {
    if (kind !== 'append') throw new Error(`dissect: an ordinal (/N) is only allowed on append fields, in "%{${spec}}" of "${pattern}"`);
    ordinal = Number(s.slice(slash + 1));
    s = s.slice(0, slash);
  }
  if (s === '' && kind !== 'skip') throw new Error(`dissect: missing field name in "%{${spec}}" of "${pattern}"`);
  const path = kind === 'normal' || kind === 'append' ? parsePath(s) : undefined;
  return { kind, name: s, path, ordinal, pad, next: undefined, join, index };
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

export const dissect: FilterSpec<typeof dissectConfig> = {
  kind: 'filter',
  name: 'dissect',
  summary: 'Split a field into fields by the delimiters of a pattern (no regular expressions)',
  config: dissectConfig,
  create(config): Filter {
    const mappings = Object.entries(config.mapping).map(([field, pattern]) => {
      const d = compileDissect(pattern);
      const normals = d.fields.filter((f) => f.kind === 'normal');
      // Appends in ordinal order (stable: pattern order for equal ordinals).
      const appends = d.fields.filter((f) => f.kind === 'append').sort((a, b) => a.ordinal - b.ordinal);
      const values = d.fields.filter((f) => f.kind === 'value');
      const keyIndex = new Map<string, number>();
      for (const f of d.fields) if (f.kind === 'key' || (f.kind === 'skip' && f.name)) keyIndex.set(f.name, f.index);
      return { source: parsePath(field), d, normals, appends, values, keyIndex, out: new Array<string>(d.fields.length) };
    });
    const conversions = Object.entries(config.convertDatatype ?? {}).map(([f, type]) => ({ path: parsePath(f), type }));
    const tags = config.tagOnFailure;
    const fail = (event: Event) => {
      for (const tag of tags) addTag(event, tag);
    };

    return {
      process(event) {
        for (const m of mappings) {
          const text = getField(event, m.source);
          if (typeof text !== 'string' || !m.d.match(text, m.out)) {
            fail(event);
            continue;
          }
          const out = m.out;
          for (const f of m.normals) setField(event, f.path!, out[f.index]);
          // Appended parts: within this dissection first, else onto what the event holds.
          const local = new Map<string, string>();
          for (const f of m.normals) local.set(f.name, out[f.index]);
          for (const f of m.appends) {
            let base = local.get(f.name);
            if (base === undefined) {
              const existing = getField(event, f.path!);
              if (existing !== undefined && existing !== null) base = typeof existing === 'object' ? JSON.stringify(existing) : String(existing);
            }
            const v = base === undefined ? out[f.index] : base + f.join + out[f.index];
            local.set(f.name, v);
            setField(event, f.path!, v);
          }
          for (const f of m.values) {
            const key = out[m.keyIndex.get(f.name)!];
            // The key comes from the data: one literal segment, set without any setter.
            if (key) setDataField(event, key, out[f.index]);
          }
        }
        for (const c of conversions) {
          const v = getField(event, c.path);
          if (typeof v !== 'string') continue;
          const s = v.trim();
          if (!NUMBER.test(s)) continue;
          const n = c.type === 'int' ? Math.trunc(Number(s)) : Number(s);
          if (Number.isFinite(n)) setField(event, c.path, n);
        }
      },
    };
  },
};
