/**
 * fingerprint: a stable hash of some fields, typically used as the Elasticsearch document
 * id so that the same content is indexed once. The default target is under `@metadata`, so
 * the hash can be used as the id without being indexed.
 *
 * Values are hashed as their text: strings as they are, numbers and booleans in decimal,
 * objects and arrays as JSON with keys sorted (so key order does not change the hash).
 * With `concatenateSources` the sources (sorted by name) are combined as
 * `|name1|value1|name2|value2|` (Logstash's format; a missing field is an empty value) and
 * hashed once. Without it, each source present is hashed and the last one wins; an array
 * gives an array of hashes.
 */
import { createHash, createHmac } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { Filter, FilterSpec } from '../../core/component.js';
import { getField, isPlainObject, parsePath, setField, type Event } from '../../core/event.js';
import { murmur3_128, murmur3_32 } from './murmur3.js';

export const fingerprintConfig = Type.Object(
  {
    sources: Type.Array(Type.String(), { default: ['message'], minItems: 1, description: 'Fields whose values are hashed.' }),
    method: Type.Union(
      [
        Type.Literal('sha1'),
        Type.Literal('sha256'),
        Type.Literal('sha384'),
        Type.Literal('sha512'),
        Type.Literal('md5'),
        Type.Literal('murmur3'),
        Type.Literal('murmur3_128'),
      ],
      {
        default: 'sha1',
        description:
          'Hash function. sha*/md5 give hex (or base64) text; murmur3 gives a 32-bit unsigned integer (as Logstash), murmur3_128 the 128-bit x64 variant as hex (or base64) text.',
      },
    ),
    key: Type.Optional(Type.String({ description: 'When set, an HMAC with this key is computed instead of a plain digest (ignored by the murmur3 methods). A secret: never printed.', sensitive: true })),
    concatenateSources: Type.Boolean({ default: false, description: 'Hash all sources together as `|name|value|…|` instead of each one separately.' }),
    concatenateAllFields: Type.Boolean({ default: false, description: 'Hash every field of the event except `@metadata` (overrides `sources`).' }),
    target: Type.String({ default: '@metadata.fingerprint', description: 'Where the hash is written. The default is never indexed; set the output document id from it.' }),
    base64: Type.Boolean({ default: false, description: 'Encode digests in base64 instead of hex.' }),
  },
  { additionalProperties: false },
);

/** JSON with object keys sorted, for a hash independent of key order. */
function stableJson(v: unknown): string {
  if (Array.isArray(v)) return '[' + v.map((x) => (x === undefined ? 'null' : stableJson(x))).join(',') + ']';
  if (isPlainObject(v)) {
    const keys = Object.keys(v).sort();
    return '{' + keys.map((k) => JSON.stringify(k) + ':' + stableJson(v[k])).join(',') + '}';
  }
  return JSON.stringify(v) ?? 'null';
}

function asText(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'object') return stableJson(v);
  return String(v);
}

export const fingerprint: FilterSpec<typeof fingerprintConfig> = {
  kind: 'filter',
  name: 'fingerprint',
  summary: 'Hash fields (SHA, MD5, HMAC, MurmurHash3) into a field, e.g. for a document id',
  config: fingerprintConfig,
  create(config): Filter {
    const sources = config.sources.map((s) => ({ name: s, path: parsePath(s) }));
    const sorted = [...sources].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const target = parsePath(config.target);
    const encoding = config.base64 ? 'base64' : 'hex';
    const { method, key } = config;

    let hash: (text: string) => string | number;
    if (method === 'murmur3') hash = (text) => murmur3_32(Buffer.from(text, 'utf8'));
    else if (method === 'murmur3_128') hash = (text) => murmur3_128(Buffer.from(text, 'utf8')).toString(encoding);
    else if (key !== undefined) hash = (text) => createHmac(method, key).update(text, 'utf8').digest(encoding);
    else hash = (text) => createHash(method).update(text, 'utf8').digest(encoding);

    const all = (event: Event) => {
      let s = '';
      for (const k of Object.keys(event).sort()) {
        if (k === '@metadata') continue;
        s += '|' + k + '|' + asText(event[k]);
      }
      return s + '|';
    };

    return {
      process(event) {
        if (config.concatenateAllFields) {
          setField(event, target, hash(all(event)));
          return;
        }
        if (config.concatenateSources) {
          let s = '';
          for (const src of sorted) s += '|' + src.name + '|' + asText(getField(event, src.path));
          setField(event, target, hash(s + '|'));
          return;
        }
        for (const src of sources) {
          const v = getField(event, src.path);
          if (v === undefined) continue;
          setField(event, target, Array.isArray(v) ? v.map((x) => hash(asText(x))) : hash(asText(v)));
        }
      },
    };
  },
};
