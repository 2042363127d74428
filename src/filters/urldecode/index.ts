/**
 * urldecode: decodes percent-encoded (`%20`, `%C3%A9`) text in place. A malformed sequence
 * (`%zz`, a lone `%`, bytes that are not UTF-8) leaves the value unchanged and tags the event.
 * `+` is left alone unless `plusAsSpace` is set (form-encoded query strings).
 */
import { Type } from '@sinclair/typebox';
import type { Filter, FilterSpec } from '../../core/component.js';
import { addTag, getField, isPlainObject, parsePath, setField, type Event } from '../../core/event.js';

export const urldecodeConfig = Type.Object(
  {
    fields: Type.Array(Type.String(), { default: ['message'], description: 'Fields to decode (strings, or arrays of strings).' }),
    allFields: Type.Boolean({ default: false, description: 'Decode every string of the event (nested ones too) except `@timestamp` and `@metadata`; overrides `fields`.' }),
    plusAsSpace: Type.Boolean({ default: false, description: 'Also turn `+` into a space (application/x-www-form-urlencoded).' }),
    tagOnFailure: Type.Array(Type.String(), { default: ['_urldecodefailure'], description: 'Tags added when a value has a malformed escape sequence.' }),
  },
  { additionalProperties: false },
);

const PLUS = /\+/g;

export const urldecode: FilterSpec<typeof urldecodeConfig> = {
  kind: 'filter',
  name: 'urldecode',
  summary: 'Decode percent-encoded (URL-encoded) fields',
  config: urldecodeConfig,
  create(config): Filter {
    const paths = config.fields.map(parsePath);
    const { allFields, plusAsSpace } = config;
    const tags = config.tagOnFailure;
    let failed = false;

    const decode = (s: string): string => {
      const t = plusAsSpace && s.includes('+') ? s.replace(PLUS, ' ') : s;
      if (!t.includes('%')) return t;
      try {
        return decodeURIComponent(t);
      } catch {
        failed = true;
        return s;
      }
    };
    const deep = (v: unknown): unknown => {
      if (typeof v === 'string') return decode(v);
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) v[i] = deep(v[i]);
      } else if (isPlainObject(v)) {
        for (const k of Object.keys(v)) {
          const d = deep(v[k]);
          if (d !== v[k]) setField(v, [k], d);
        }
      }
      return v;
    };

    return {
      process(event: Event) {
        failed = false;
        if (allFields) {
          for (const k of Object.keys(event)) {
            if (k === '@timestamp' || k === '@metadata') continue;
            const d = deep(event[k]);
            if (d !== event[k]) setField(event, [k], d);
          }
        } else {
          for (const p of paths) {
            const v = getField(event, p);
            if (typeof v === 'string') {
              const d = decode(v);
              if (d !== v) setField(event, p, d);
            } else if (Array.isArray(v)) {
              for (let i = 0; i < v.length; i++) if (typeof v[i] === 'string') v[i] = decode(v[i] as string);
            }
          }
        }
        if (failed) for (const tag of tags) addTag(event, tag);
      },
    };
  },
};
