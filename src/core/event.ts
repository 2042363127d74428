/**
 * The event model (design notes, "Event model"): an event is a plain JSON object.
 * `@timestamp` is an ISO-8601 string, `message` holds the raw line for text codecs,
 * `tags` is an array of strings and `@metadata` is never indexed.
 *
 * Field references are dotted paths (`client.geo.city_name`). Every access goes through
 * the helpers below, which refuse the keys that would reach an object's prototype, so a
 * hostile field name in a record (`__proto__`, `constructor`) can never pollute anything.
 */

export type Event = Record<string, unknown>;

export interface KafkaMetadata {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  timestamp: string;
  headers: Record<string, string>;
}

const FORBIDDEN = new Set(['__proto__', 'prototype', 'constructor']);

/** A compiled field reference: split once, used many times on the hot path. */
export type FieldPath = readonly string[];

const pathCache = new Map<string, FieldPath>();

export function parsePath(ref: string): FieldPath {
  let path = pathCache.get(ref);
  if (path) return path;
  // Logstash users write [a][b]; accept it as a synonym of a.b.
  const dotted = ref.startsWith('[') ? ref.replace(/^\[|\]$/g, '').split('][').join('.') : ref;
  const parts = dotted.split('.');
  for (const part of parts) {
    if (part === '') throw new Error(`invalid field reference "${ref}": empty path segment`);
    if (FORBIDDEN.has(part)) throw new Error(`invalid field reference "${ref}": "${part}" is not allowed`);
  }
  path = Object.freeze(parts);
  if (pathCache.size < 10_000) pathCache.set(ref, path);
  return path;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function getField(event: Event, path: FieldPath): unknown {
  let cur: unknown = event;
  for (let i = 0; i < path.length; i++) {
    if (!isPlainObject(cur) || !Object.prototype.hasOwnProperty.call(cur, path[i])) return undefined;
    cur = cur[path[i]];
  }
  return cur;
}

export function hasField(event: Event, path: FieldPath): boolean {
  return getField(event, path) !== undefined;
}

/** Sets a field, creating intermediate objects; a non-object in the way is replaced. */
export function setField(event: Event, path: FieldPath, value: unknown): void {
  let cur: Record<string, unknown> = event;
  const last = path.length - 1;
  for (let i = 0; i < last; i++) {
    const key = path[i];
    let next = Object.prototype.hasOwnProperty.call(cur, key) ? cur[key] : undefined;
    if (!isPlainObject(next)) {
      next = {};
      defineField(cur, key, next);
    }
    cur = next as Record<string, unknown>;
  }
  defineField(cur, path[last], value);
}

/**
 * Sets a top-level field whose name comes from the data (keys of parsed JSON merged into the
 * root, kv keys, dissect's `%{&key}`): one literal key, never a path. Data cannot replace
 * `@metadata`: an object under that key is merged into it, except `kafka` (where the record
 * came from, which only sluice writes); anything else there is ignored.
 */
export function setDataField(event: Event, key: string, value: unknown): void {
  if (key !== '@metadata') {
    defineField(event, key, value);
    return;
  }
  if (!isPlainObject(value)) return;
  let metadata = Object.prototype.hasOwnProperty.call(event, '@metadata') ? event['@metadata'] : undefined;
  if (!isPlainObject(metadata)) {
    metadata = {};
    event['@metadata'] = metadata;
  }
  for (const k of Object.keys(value)) if (k !== 'kafka') defineField(metadata as Record<string, unknown>, k, value[k]);
}

/** Removes a field; returns the removed value (undefined when it was absent). */
export function deleteField(event: Event, path: FieldPath): unknown {
  let cur: unknown = event;
  for (let i = 0; i < path.length - 1; i++) {
    if (!isPlainObject(cur) || !Object.prototype.hasOwnProperty.call(cur, path[i])) return undefined;
    cur = cur[path[i]];
  }
  const key = path[path.length - 1];
  if (!isPlainObject(cur) || !Object.prototype.hasOwnProperty.call(cur, key)) return undefined;
  const value = cur[key];
  delete cur[key];
  return value;
}

/** Plain assignment would call a `__proto__` setter; own-property definition never does. */
function defineField(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (FORBIDDEN.has(key)) {
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    obj[key] = value;
  }
}

export function addTag(event: Event, tag: string): void {
  const tags = event.tags;
  if (Array.isArray(tags)) {
    if (!tags.includes(tag)) tags.push(tag);
  } else if (typeof tags === 'string') {
    event.tags = tags === tag ? [tags] : [tags, tag];
  } else {
    event.tags = [tag];
  }
}

export function removeTag(event: Event, tag: string): void {
  const tags = event.tags;
  if (Array.isArray(tags)) event.tags = tags.filter((t) => t !== tag);
}

/** Structured clone for plain JSON values (faster than structuredClone for small events). */
export function cloneEvent<T>(value: T): T {
  if (Array.isArray(value)) return value.map(cloneEvent) as T;
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) defineField(out, key, cloneEvent(value[key]));
    return out as T;
  }
  return value;
}
