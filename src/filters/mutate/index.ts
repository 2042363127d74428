/**
 * mutate: general field surgery, in Logstash's fixed order (whatever the order of the keys
 * in the config):
 *
 *   coerce → rename → update → replace → convert → gsub → uppercase → capitalize →
 *   lowercase → strip → split → join → merge → copy → addField → removeField → addTag →
 *   removeTag
 *
 * Use several mutate filters when another order is needed.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { Filter, FilterSpec } from '../../core/component.js';
import {
  addTag,
  cloneEvent,
  deleteField,
  getField,
  isPlainObject,
  parsePath,
  removeTag,
  setField,
  type Event,
  type FieldPath,
} from '../../core/event.js';
import { compileTemplate, type Template } from '../../core/template.js';

const fieldMap = (description: string) => Type.Optional(Type.Record(Type.String(), Type.String(), { description }));
const fieldList = (description: string) => Type.Optional(Type.Array(Type.String(), { description }));

const ConvertType = Type.Union(
  [Type.Literal('integer'), Type.Literal('float'), Type.Literal('boolean'), Type.Literal('string'), Type.Literal('integer_eu'), Type.Literal('float_eu')],
  { description: 'Target type.' },
);

export const mutateConfig = Type.Object(
  {
    coerce: fieldMap('`{ field: value }`: set a field that exists but is null to a value (a template).'),
    rename: fieldMap('`{ from: to }`: move a field to a new name (overwriting it); absent fields are skipped.'),
    update: fieldMap('`{ field: value }`: set a field to a value (a template) only if the field exists.'),
    replace: fieldMap('`{ field: value }`: set a field to a value (a template), creating it if needed.'),
    convert: Type.Optional(
      Type.Record(Type.String(), ConvertType, {
        description:
          '`{ field: type }` with type integer, float, boolean, string, integer_eu or float_eu (`1.000,5`). Arrays are converted element by element. Numbers may use `,` as thousands separator (`.` for the _eu types); integer truncates decimals; boolean accepts true/false, t/f, yes/no, y/n, 1/0. A value that cannot be converted is left as it is and the event is tagged with `tagOnFailure`.',
      }),
    ),
    gsub: Type.Optional(
      Type.Array(
        Type.Object(
          {
            field: Type.String({ description: 'Field to change (a string or an array of strings; other values are skipped).' }),
            pattern: Type.String({ description: 'Regular expression (JavaScript syntax); every match is replaced.' }),
            replacement: Type.String({ description: 'Replacement text; `\\1`…`\\9` and `\\k<name>` insert captured groups (Logstash style), everything else is literal.' }),
          },
          { additionalProperties: false },
        ),
        { description: 'Regex substitutions on string fields, applied in order.' },
      ),
    ),
    uppercase: fieldList('Fields to upper-case (strings or arrays of strings).'),
    capitalize: fieldList('Fields to capitalize: first letter upper case, the rest lower case.'),
    lowercase: fieldList('Fields to lower-case.'),
    strip: fieldList('Fields whose leading and trailing whitespace is removed.'),
    split: fieldMap('`{ field: separator }`: split a string into an array. As in Logstash (Ruby), trailing empty items are dropped and the separator " " splits on runs of whitespace.'),
    join: fieldMap('`{ field: separator }`: join an array into a string.'),
    merge: fieldMap('`{ dest: src }`: append src to dest (both made arrays), or merge two objects.'),
    copy: fieldMap('`{ src: dest }`: copy a field (deeply) to another, overwriting it.'),
    addField: Type.Optional(
      Type.Record(Type.String(), Type.Union([Type.String(), Type.Array(Type.String())]), {
        description:
          '`{ field: value }`: add fields; names and values are templates (`%{host}`). A list of values adds each of them. As in Logstash, adding to a field that already exists appends, making it an array.',
      }),
    ),
    removeField: fieldList('Fields to remove (templates allowed).'),
    addTag: fieldList('Tags to add (templates allowed).'),
    removeTag: fieldList('Tags to remove (templates allowed).'),
    tagOnFailure: Type.Array(Type.String(), { default: ['_mutate_error'], description: 'Tags added when a value cannot be converted.' }),
  },
  { additionalProperties: false },
);

type Config = Static<typeof mutateConfig>;
type ConvertName = Static<typeof ConvertType>;
/** Returns false when the event could not be changed as asked (conversion failure). */
/**
 * One operation on the event: a function changing it in place (false: a value could not be
 * converted), or the removal of top-level fields, which builds a new event without them:
 * `delete` of a key that is not the last one added turns a V8 object into a slow dictionary,
 * which costs more than the copy in every later access and in JSON serialisation (measured:
 * removing `timestamp` then serialising took 4.8 s per million events with delete, 2.2–2.5 s
 * with the copy).
 */
type Op = ((event: Event) => boolean) | { readonly removeTopLevel: ReadonlySet<string> };

/** The event without these top-level fields: itself when it has none of them, else a copy. */
function withoutTopLevel(event: Event, keys: ReadonlySet<string>): Event {
  let found = false;
  for (const k of keys) if (Object.hasOwn(event, k)) found = true;
  if (!found) return event;
  const copy: Event = {};
  for (const k of Object.keys(event)) {
    if (keys.has(k)) continue;
    // A `__proto__` key (from data) stays an own property; plain assignment would set the prototype.
    if (k === '__proto__') Object.defineProperty(copy, k, { value: event[k], enumerable: true, writable: true, configurable: true });
    else copy[k] = event[k];
  }
  return copy;
}

/** Applies `fn` to a string or to each string of an array, in place. */
function mapStrings(event: Event, path: FieldPath, fn: (s: string) => string): void {
  const v = getField(event, path);
  if (typeof v === 'string') setField(event, path, fn(v));
  else if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (typeof v[i] === 'string') v[i] = fn(v[i] as string);
  }
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const THOUSANDS = /,/g;
const EU_THOUSANDS = /\./g;

function toNumber(v: unknown, eu: boolean): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v !== 'string') return undefined;
  let s = v.trim();
  s = eu ? s.replace(EU_THOUSANDS, '').replace(',', '.') : s.replace(THOUSANDS, '');
  if (!NUMBER.test(s)) return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
}

const TRUE = new Set(['true', 't', 'yes', 'y', '1', '1.0']);
const FALSE = new Set(['false', 'f', 'no', 'n', '0', '0.0']);

/** Converts one value; undefined means "cannot". */
function convertOne(v: unknown, type: ConvertName): unknown {
  if (v === null) return null;
  switch (type) {
    case 'integer':
    case 'integer_eu': {
      const n = toNumber(v, type === 'integer_eu');
      return n === undefined ? undefined : Math.trunc(n);
    }
    case 'float':
    case 'float_eu':
      return toNumber(v, type === 'float_eu');
    case 'boolean': {
      if (typeof v === 'boolean') return v;
      const s = typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim().toLowerCase() : undefined;
      if (s === undefined) return undefined;
      return TRUE.has(s) ? true : FALSE.has(s) ? false : undefined;
    }
    case 'string':
      return typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
}

/** Translates a Logstash (Ruby) replacement into a JavaScript one. */
export function rubyReplacement(replacement: string): string {
  let out = '';
  for (let i = 0; i < replacement.length; i++) {
    const c = replacement[i];
    if (c === '$') out += '$$';
    else if (c === '\\' && i + 1 < replacement.length) {
      const n = replacement[i + 1];
      if (n >= '0' && n <= '9') {
        out += n === '0' ? '$&' : `$${n}`;
        i++;
      } else if (n === 'k' && replacement[i + 2] === '<') {
        const end = replacement.indexOf('>', i + 3);
        if (end < 0) out += c;
        else {
          out += `$<${replacement.slice(i + 3, end)}>`;
          i = end;
        }
      } else if (n === '\\') {
        out += '\\';
        i++;
      } else out += c;
    } else out += c;
  }
  return out;
}

function rubySplit(s: string, sep: string): string[] {
  let parts: string[];
  if (sep === ' ') {
    const t = s.trim();
    parts = t === '' ? [] : t.split(/\s+/);
  } else parts = s.split(sep);
  let end = parts.length;
  while (end > 0 && parts[end - 1] === '') end--;
  return end === parts.length ? parts : parts.slice(0, end);
}

function capitalize(s: string): string {
  if (s === '') return s;
  const first = String.fromCodePoint(s.codePointAt(0)!);
  return first.toUpperCase() + s.slice(first.length).toLowerCase();
}

const entries = <V>(m: Record<string, V> | undefined): Array<[string, V]> => (m ? Object.entries(m) : []);

/** A field name that may be a template: parsed once when constant. */
function fieldRef(name: string): (event: Event) => FieldPath | undefined {
  const t = compileTemplate(name);
  if (t.constant) {
    const p = parsePath(name);
    return () => p;
  }
  return (event) => {
    try {
      return parsePath(t.render(event));
    } catch {
      return undefined; // a rendered name that is not a valid reference: nothing to do
    }
  };
}

function buildOps(config: Config): Op[] {
  const ops: Op[] = [];
  const ok = true;

  for (const [f, value] of entries(config.coerce)) {
    const p = parsePath(f);
    const t = compileTemplate(value);
    ops.push((e) => {
      if (getField(e, p) === null) setField(e, p, t.render(e));
      return ok;
    });
  }
  for (const [from, to] of entries(config.rename)) {
    const src = parsePath(from);
    const dst = parsePath(to);
    ops.push((e) => {
      const v = deleteField(e, src);
      if (v !== undefined) setField(e, dst, v);
      return ok;
    });
  }
  for (const [f, value] of entries(config.update)) {
    const p = parsePath(f);
    const t = compileTemplate(value);
    ops.push((e) => {
      if (getField(e, p) !== undefined) setField(e, p, t.render(e));
      return ok;
    });
  }
  for (const [f, value] of entries(config.replace)) {
    const p = parsePath(f);
    const t = compileTemplate(value);
    ops.push((e) => {
      setField(e, p, t.render(e));
      return ok;
    });
  }
  for (const [f, type] of entries(config.convert)) {
    const p = parsePath(f);
    ops.push((e) => {
      const v = getField(e, p);
      if (v === undefined) return ok;
      if (Array.isArray(v)) {
        let good = true;
        for (let i = 0; i < v.length; i++) {
          const c = convertOne(v[i], type);
          if (c === undefined) good = false;
          else v[i] = c;
        }
        return good;
      }
      const c = convertOne(v, type);
      if (c === undefined) return false;
      setField(e, p, c);
      return ok;
    });
  }
  for (const g of config.gsub ?? []) {
    const p = parsePath(g.field);
    let re: RegExp;
    try {
      re = new RegExp(g.pattern, 'g');
    } catch (err) {
      throw new Error(`mutate: invalid gsub pattern for field "${g.field}": ${(err as Error).message}`);
    }
    const replacement = rubyReplacement(g.replacement);
    ops.push((e) => {
      mapStrings(e, p, (s) => s.replace(re, replacement));
      return ok;
    });
  }
  const stringOp = (list: string[] | undefined, fn: (s: string) => string) => {
    for (const f of list ?? []) {
      const p = parsePath(f);
      ops.push((e) => {
        mapStrings(e, p, fn);
        return ok;
      });
    }
  };
  stringOp(config.uppercase, (s) => s.toUpperCase());
  stringOp(config.capitalize, capitalize);
  stringOp(config.lowercase, (s) => s.toLowerCase());
  stringOp(config.strip, (s) => s.trim());
  for (const [f, sep] of entries(config.split)) {
    const p = parsePath(f);
    ops.push((e) => {
      const v = getField(e, p);
      if (typeof v === 'string') setField(e, p, rubySplit(v, sep));
      return ok;
    });
  }
  for (const [f, sep] of entries(config.join)) {
    const p = parsePath(f);
    ops.push((e) => {
      const v = getField(e, p);
      if (Array.isArray(v)) setField(e, p, v.map((x) => (x === null || x === undefined ? '' : typeof x === 'object' ? JSON.stringify(x) : String(x))).join(sep));
      return ok;
    });
  }
  for (const [dest, src] of entries(config.merge)) {
    const d = parsePath(dest);
    const s = parsePath(src);
    ops.push((e) => {
      const added = getField(e, s);
      if (added === undefined) return ok;
      const current = getField(e, d);
      if (isPlainObject(current) !== isPlainObject(added) && current !== undefined) return ok; // Logstash: cannot merge a hash and a non-hash
      if (isPlainObject(current) && isPlainObject(added)) {
        for (const k of Object.keys(added)) setField(current, [k], cloneEvent(added[k]));
        return ok;
      }
      const base = current === undefined ? [] : Array.isArray(current) ? current : [current];
      const more = Array.isArray(added) ? added : [added];
      setField(e, d, base.concat(cloneEvent(more)));
      return ok;
    });
  }
  for (const [src, dest] of entries(config.copy)) {
    const s = parsePath(src);
    const d = parsePath(dest);
    ops.push((e) => {
      const v = getField(e, s);
      if (v !== undefined) setField(e, d, cloneEvent(v));
      return ok;
    });
  }
  for (const [name, value] of entries(config.addField)) {
    const ref = fieldRef(name);
    const values = (Array.isArray(value) ? value : [value]).map((v) => compileTemplate(v));
    ops.push((e) => {
      const p = ref(e);
      if (!p) return ok;
      for (const t of values) {
        const v = t.render(e);
        const current = getField(e, p);
        if (current === undefined) setField(e, p, Array.isArray(value) ? [v] : v);
        else if (Array.isArray(current)) current.push(v);
        else setField(e, p, [current, v]);
      }
      return ok;
    });
  }
  for (const name of config.removeField ?? []) {
    // Constant top-level names are removed by copying (see Op), several in one copy.
    if (compileTemplate(name).constant && parsePath(name).length === 1) {
      const last = ops[ops.length - 1];
      if (typeof last === 'object') (last.removeTopLevel as Set<string>).add(parsePath(name)[0]);
      else ops.push({ removeTopLevel: new Set([parsePath(name)[0]]) });
      continue;
    }
    const ref = fieldRef(name);
    ops.push((e) => {
      const p = ref(e);
      if (p) deleteField(e, p);
      return ok;
    });
  }
  const tagOp = (list: string[] | undefined, fn: (e: Event, tag: string) => void) => {
    for (const tag of list ?? []) {
      const t: Template = compileTemplate(tag);
      ops.push((e) => {
        fn(e, t.render(e));
        return ok;
      });
    }
  };
  tagOp(config.addTag, addTag);
  tagOp(config.removeTag, removeTag);
  return ops;
}

export const mutate: FilterSpec<typeof mutateConfig> = {
  kind: 'filter',
  name: 'mutate',
  summary: 'Rename, copy, replace, convert, gsub, split, join, merge fields; add and remove fields and tags',
  config: mutateConfig,
  create(config): Filter {
    const ops = buildOps(config);
    const tags = config.tagOnFailure;
    return {
      process(event) {
        let failed = false;
        let current = event;
        for (let i = 0; i < ops.length; i++) {
          const op = ops[i];
          if (typeof op === 'function') {
            if (!op(current)) failed = true;
          } else current = withoutTopLevel(current, op.removeTopLevel);
        }
        if (failed) for (const tag of tags) addTag(current, tag);
        return current === event ? undefined : [current];
      },
    };
  },
};
