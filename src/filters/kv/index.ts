/**
 * kv: extracts `key=value` pairs from a string field (`a=1 b="two words" c=[x y]`).
 *
 * The text is scanned left to right in linear time (no backtracking regex over the whole
 * text): a pair is a key, a value separator, then either a quoted/bracketed value followed
 * by a field separator or the end, or an unquoted value up to the next field separator.
 * Tokens without a value separator are skipped.
 */
import { Type } from '@sinclair/typebox';
import type { Filter, FilterSpec } from '../../core/component.js';
import { addTag, getField, parsePath, setDataField, setField, type Event } from '../../core/event.js';

const Transform = Type.Union([Type.Literal('lowercase'), Type.Literal('uppercase'), Type.Literal('capitalize')]);

export const kvConfig = Type.Object(
  {
    field: Type.String({ default: 'message', description: 'The field holding the text to parse.' }),
    target: Type.Optional(Type.String({ description: 'Put the pairs under this object field (replacing what it held) instead of at the event root, where they overwrite existing fields.' })),
    fieldSplit: Type.String({ default: ' ', minLength: 1, description: 'Characters that separate pairs: each character is a separator (`"&"` for query strings, `" ,"` for both).' }),
    valueSplit: Type.String({ default: '=', minLength: 1, description: 'Characters that separate a key from its value; each character is a separator.' }),
    fieldSplitPattern: Type.Optional(Type.String({ description: 'A regular expression separating pairs (overrides `fieldSplit`), e.g. `", *"`. Must not match the empty string.' })),
    valueSplitPattern: Type.Optional(Type.String({ description: 'A regular expression separating keys from values (overrides `valueSplit`), e.g. `" *: *"`.' })),
    includeKeys: Type.Optional(Type.Array(Type.String(), { description: 'Keep only these keys (compared after `trimKey` and `transformKey`, before `prefix`).' })),
    excludeKeys: Type.Optional(Type.Array(Type.String(), { description: 'Drop these keys.' })),
    prefix: Type.String({ default: '', description: 'Prepended to every key.' }),
    trimKey: Type.String({ default: '', description: 'Characters removed from both ends of keys.' }),
    trimValue: Type.String({ default: '', description: 'Characters removed from both ends of values.' }),
    transformKey: Type.Optional(Type.Union(Transform.anyOf, { description: 'Change the case of keys: lowercase, uppercase or capitalize.' })),
    transformValue: Type.Optional(Type.Union(Transform.anyOf, { description: 'Change the case of values: lowercase, uppercase or capitalize.' })),
    includeBrackets: Type.Boolean({ default: true, description: 'Treat values wrapped in (), [] or <> as one value, like quoted ones ("…" and \'…\' always are); the wrapping is removed.' }),
    allowDuplicateValues: Type.Boolean({ default: true, description: 'A key seen several times gets an array of its values; when false, repeated identical key/value pairs are kept once.' }),
    allowEmptyValues: Type.Boolean({ default: false, description: 'Keep keys whose value is empty (`a=`).' }),
    defaultKeys: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'Keys added with these values when the text does not have them.' })),
    tagOnFailure: Type.Array(Type.String(), { default: ['_kv_filter_error'], description: 'Tags added when the field is not a string.' }),
  },
  { additionalProperties: false },
);

interface Finder {
  /** Index of the next separator at or after `from`, or -1; `len` is its length. */
  find(text: string, from: number): number;
  len: number;
  reset(): void;
}

function charFinder(chars: string): Finder {
  const set = new Set(chars);
  const single = chars.length === 1 ? chars : undefined;
  let lastFrom = -1;
  let lastFound = -1;
  return {
    len: 1,
    reset() {
      lastFrom = -1;
    },
    find(text, from) {
      // Searches only ever move forward within one text: reuse the last answer when valid.
      if (lastFrom >= 0 && from >= lastFrom && (lastFound < 0 || from <= lastFound)) return lastFound;
      let found = -1;
      if (single !== undefined) found = text.indexOf(single, from);
      else {
        for (let i = from; i < text.length; i++) {
          if (set.has(text[i])) {
            found = i;
            break;
          }
        }
      }
      lastFrom = from;
      lastFound = found;
      return found;
    },
  };
}

function regexFinder(source: string, option: string): Finder {
  let re: RegExp;
  try {
    re = new RegExp(source, 'g');
  } catch (err) {
    throw new Error(`kv: invalid ${option} "${source}": ${(err as Error).message}`);
  }
  if (new RegExp(`^(?:${source})$`).test('')) throw new Error(`kv: ${option} "${source}" must not match the empty string`);
  let lastFrom = -1;
  let lastFound = -1;
  let lastLen = 0;
  const finder: Finder = {
    len: 0,
    reset() {
      lastFrom = -1;
    },
    find(text, from) {
      if (lastFrom >= 0 && from >= lastFrom && (lastFound < 0 || from <= lastFound)) {
        finder.len = lastLen;
        return lastFound;
      }
      re.lastIndex = from;
      let m = re.exec(text);
      while (m && m[0].length === 0) {
        re.lastIndex = m.index + 1;
        m = re.exec(text);
      }
      lastFrom = from;
      lastFound = m ? m.index : -1;
      lastLen = m ? m[0].length : 0;
      finder.len = lastLen;
      return lastFound;
    },
  };
  return finder;
}

function trimmer(chars: string): (s: string) => string {
  if (chars === '') return (s) => s;
  const set = new Set(chars);
  return (s) => {
    let a = 0;
    let b = s.length;
    while (a < b && set.has(s[a])) a++;
    while (b > a && set.has(s[b - 1])) b--;
    return a === 0 && b === s.length ? s : s.slice(a, b);
  };
}

function transformer(t: 'lowercase' | 'uppercase' | 'capitalize' | undefined): (s: string) => string {
  switch (t) {
    case 'lowercase':
      return (s) => s.toLowerCase();
    case 'uppercase':
      return (s) => s.toUpperCase();
    case 'capitalize':
      return (s) => (s === '' ? s : s[0].toUpperCase() + s.slice(1).toLowerCase());
    default:
      return (s) => s;
  }
}

export const kv: FilterSpec<typeof kvConfig> = {
  kind: 'filter',
  name: 'kv',
  summary: 'Extract key=value pairs from a string field',
  config: kvConfig,
  create(config): Filter {
    const source = parsePath(config.field);
    const target = config.target !== undefined ? parsePath(config.target) : undefined;
    const fs = config.fieldSplitPattern !== undefined ? regexFinder(config.fieldSplitPattern, 'fieldSplitPattern') : charFinder(config.fieldSplit);
    const vs = config.valueSplitPattern !== undefined ? regexFinder(config.valueSplitPattern, 'valueSplitPattern') : charFinder(config.valueSplit);
    const closers = new Map<string, string>([['"', '"'], ["'", "'"]]);
    if (config.includeBrackets) {
      closers.set('(', ')');
      closers.set('[', ']');
      closers.set('<', '>');
    }
    const include = config.includeKeys ? new Set(config.includeKeys) : undefined;
    const exclude = config.excludeKeys ? new Set(config.excludeKeys) : undefined;
    const trimKey = trimmer(config.trimKey);
    const trimValue = trimmer(config.trimValue);
    const tKey = transformer(config.transformKey);
    const tValue = transformer(config.transformValue);
    const { prefix, allowDuplicateValues, allowEmptyValues } = config;
    const defaults = Object.entries(config.defaultKeys ?? {});
    const tags = config.tagOnFailure;
    // Last position of each closing character (forward-only cache, reset per event).
    const closeFrom = new Map<string, number>();
    const closeAt = new Map<string, number>();

    function findClose(text: string, ch: string, from: number): number {
      const f = closeFrom.get(ch);
      const at = closeAt.get(ch)!;
      if (f !== undefined && from >= f && (at < 0 || from <= at)) return at;
      const idx = text.indexOf(ch, from);
      closeFrom.set(ch, from);
      closeAt.set(ch, idx);
      return idx;
    }

    let result: Record<string, unknown> = {};
    function emit(rawKey: string, rawValue: string): void {
      const key = tKey(trimKey(rawKey));
      if (key === '') return;
      if (include && !include.has(key)) return;
      if (exclude && exclude.has(key)) return;
      const value = tValue(trimValue(rawValue));
      if (value === '' && !allowEmptyValues) return;
      const k = prefix + key;
      if (!Object.prototype.hasOwnProperty.call(result, k)) {
        setField(result, [k], value);
        return;
      }
      const current = result[k];
      if (Array.isArray(current)) {
        if (allowDuplicateValues || !current.includes(value)) current.push(value);
      } else if (allowDuplicateValues || current !== value) setField(result, [k], [current, value]);
    }

    function parse(text: string): Record<string, unknown> {
      fs.reset();
      vs.reset();
      closeFrom.clear();
      result = {};
      const len = text.length;
      let pos = 0;
      while (pos < len) {
        const f = fs.find(text, pos);
        if (f === pos) {
          pos += fs.len;
          continue;
        }
        const fLen = fs.len;
        const v = vs.find(text, pos);
        if (v < 0) break;
        if (f >= 0 && f < v) {
          pos = f + fLen;
          continue;
        }
        const key = text.slice(pos, v);
        const start = v + vs.len;
        const close = closers.get(text[start]);
        if (close !== undefined) {
          const q = findClose(text, close, start + 1);
          if (q >= 0 && (q + 1 === len || fs.find(text, q + 1) === q + 1)) {
            emit(key, text.slice(start + 1, q));
            pos = q + 1;
            continue;
          }
        }
        const end = fs.find(text, start);
        if (end < 0) {
          emit(key, text.slice(start));
          break;
        }
        emit(key, text.slice(start, end));
        pos = end;
      }
      for (const [k, value] of defaults) {
        if (!Object.prototype.hasOwnProperty.call(result, k)) setField(result, [k], value);
      }
      return result;
    }

    return {
      process(event: Event) {
        const text = getField(event, source);
        if (text === undefined || text === null) return;
        if (typeof text !== 'string') {
          for (const tag of tags) addTag(event, tag);
          return;
        }
        const result = parse(text);
        const keys = Object.keys(result);
        if (keys.length === 0) return;
        if (target) setField(event, target, result);
        else for (const k of keys) setDataField(event, k, result[k]);
      },
    };
  },
};
