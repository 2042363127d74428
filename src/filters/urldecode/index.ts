/**
 * urldecode: decodes percent-encoded (`%20`, `%C3%A9`) text in place. A malformed sequence
 * (`%zz`, a lone `%`, bytes that are not UTF-8) leaves the value unchanged and tags the event.
 * `+` is left alone unless `plusAsSpace` is set (form-encoded query strings). `charset`
 * names the encoding of the decoded bytes (Logstash's `charset`, e.g. `windows-1252`).
 */
import { TextDecoder } from 'node:util';
import { Type } from '@sinclair/typebox';
import type { Filter, FilterSpec } from '../../core/component.js';
import { addTag, getField, isPlainObject, parsePath, setField, type Event } from '../../core/event.js';
import { compileSuccessActions, successActions } from '../../core/success-actions.js';

export const urldecodeConfig = Type.Object(
  {
    field: Type.Optional(Type.String({ minLength: 1, description: "One field to decode (Logstash's `field`); joins `fields` when both are given." })),
    fields: Type.Optional(Type.Array(Type.String(), { description: 'Fields to decode (strings, or arrays of strings). Default: `message` when `field` is not given either.' })),
    allFields: Type.Boolean({ default: false, description: 'Decode every string of the event (nested ones too) except `@timestamp` and `@metadata`; overrides `fields`.' }),
    plusAsSpace: Type.Boolean({ default: false, description: 'Also turn `+` into a space (application/x-www-form-urlencoded).' }),
    charset: Type.String({
      default: 'UTF-8',
      minLength: 1,
      description: 'Encoding of the percent-encoded bytes (WHATWG names: `UTF-8`, `windows-1252`/`cp1252`, `ISO-8859-15`, `Shift_JIS`, …). For UTF-8 a byte sequence that is not UTF-8 is a failure; other charsets decode every byte.',
    }),
    tagOnFailure: Type.Array(Type.String(), { default: ['_urldecodefailure'], description: 'Tags added when a value has a malformed escape sequence.' }),
    ...successActions,
  },
  { additionalProperties: false },
);

const PLUS = /\+/g;
const PERCENT_RUNS = /(?:%[0-9a-fA-F]{2})+/g;

/** Bytes 0x80–0x9F of windows-1252 (Node 20's TextDecoder decodes them as Latin-1 control characters). */
const CP1252_HIGH = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f,
  0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
];

function decodeWindows1252(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += String.fromCharCode(b >= 0x80 && b < 0xa0 ? CP1252_HIGH[b - 0x80] : b);
  return out;
}

export const urldecode: FilterSpec<typeof urldecodeConfig> = {
  kind: 'filter',
  name: 'urldecode',
  summary: 'Decode percent-encoded (URL-encoded) fields',
  config: urldecodeConfig,
  create(config): Filter {
    const names = [...(config.field !== undefined ? [config.field] : []), ...(config.fields ?? [])];
    const paths = (names.length ? names : ['message']).map(parsePath);
    const { allFields, plusAsSpace } = config;
    const tags = config.tagOnFailure;
    const onSuccess = compileSuccessActions(config);
    let failed = false;
    const utf8 = /^utf-?8$/i.test(config.charset);
    let decoder: TextDecoder | undefined;
    if (!utf8) {
      try {
        decoder = new TextDecoder(config.charset);
      } catch {
        throw new Error(`unknown charset "${config.charset}"`);
      }
    }
    const bytesOf = (run: string) => Uint8Array.from(run.match(/%([0-9a-fA-F]{2})/g)!, (h) => parseInt(h.slice(1), 16));

    const decode = (s: string): string => {
      const t = plusAsSpace && s.includes('+') ? s.replace(PLUS, ' ') : s;
      if (!t.includes('%')) return t;
      if (decoder) {
        if (/%(?![0-9a-fA-F]{2})/.test(t)) {
          failed = true;
          return s;
        }
        return t.replace(PERCENT_RUNS, (run) => (decoder!.encoding === 'windows-1252' ? decodeWindows1252(bytesOf(run)) : decoder!.decode(bytesOf(run))));
      }
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
        else onSuccess(event);
      },
    };
  },
};
