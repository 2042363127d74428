/**
 * truncate: shortens string fields to at most `lengthBytes` bytes of UTF-8, never cutting
 * inside a character (a multi-byte character that would not fit is dropped whole).
 * Strings inside arrays and objects under the named fields are truncated too. Without
 * `fields`, every string of the event is, except `@timestamp` and `@metadata`.
 */
import { Type } from '@sinclair/typebox';
import type { Filter, FilterSpec } from '../../core/component.js';
import { getField, isPlainObject, parsePath, setField } from '../../core/event.js';

export const truncateConfig = Type.Object(
  {
    lengthBytes: Type.Integer({ minimum: 1, description: 'Maximum length of each string, in bytes of UTF-8.' }),
    fields: Type.Optional(Type.Array(Type.String(), { description: 'Fields to truncate (with everything nested under them); default: all fields.' })),
  },
  { additionalProperties: false },
);

/** The longest prefix of `s` whose UTF-8 encoding has at most `max` bytes. */
export function truncateUtf8(s: string, max: number): string {
  // Each UTF-16 unit takes at most 3 bytes: short strings need no counting.
  if (s.length * 3 <= max) return s;
  if (s.length <= max && Buffer.byteLength(s, 'utf8') <= max) return s;
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let size: number;
    let units = 1;
    if (c < 0x80) size = 1;
    else if (c < 0x800) size = 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      size = 4;
      units = 2;
    } else size = 3; // BMP, or a lone surrogate (encoded as U+FFFD)
    if (bytes + size > max) return s.slice(0, i);
    bytes += size;
    i += units - 1;
  }
  return s;
}

function truncateDeep(v: unknown, max: number): unknown {
  if (typeof v === 'string') return truncateUtf8(v, max);
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = truncateDeep(v[i], max);
    return v;
  }
  if (isPlainObject(v)) {
    for (const k of Object.keys(v)) {
      const t = truncateDeep(v[k], max);
      if (t !== v[k]) setField(v, [k], t);
    }
  }
  return v;
}

export const truncate: FilterSpec<typeof truncateConfig> = {
  kind: 'filter',
  name: 'truncate',
  summary: 'Truncate strings to a number of UTF-8 bytes without splitting characters',
  config: truncateConfig,
  create(config): Filter {
    const max = config.lengthBytes;
    const paths = config.fields?.map(parsePath);
    return {
      process(event) {
        if (paths) {
          for (const p of paths) {
            const v = getField(event, p);
            if (v === undefined) continue;
            const t = truncateDeep(v, max);
            if (t !== v) setField(event, p, t);
          }
          return;
        }
        for (const k of Object.keys(event)) {
          if (k === '@timestamp' || k === '@metadata') continue;
          const t = truncateDeep(event[k], max);
          if (t !== event[k]) setField(event, [k], t);
        }
      },
    };
  },
};
