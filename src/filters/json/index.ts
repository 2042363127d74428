/**
 * json: parses a JSON string field into the event root or a target field.
 *
 * Nesting is bounded by `maxDepth`: the text is scanned before parsing, so a hostile
 * 100,000-deep `[[[[…` is refused cheaply instead of building a structure that would make
 * later recursive steps (cloning, serialising) overflow the stack.
 */
import { Type } from '@sinclair/typebox';
import type { Filter, FilterSpec } from '../../core/component.js';
import { addTag, deleteField, getField, isPlainObject, parsePath, setDataField, setField, type Event } from '../../core/event.js';

export const jsonConfig = Type.Object(
  {
    field: Type.String({ default: 'message', description: 'The field holding the JSON text.' }),
    target: Type.Optional(
      Type.String({
        description:
          'Where the parsed value goes. Without it, the parsed object is merged into the event root (top-level keys overwrite existing fields) and a JSON text that is not an object is a failure.',
      }),
    ),
    removeSource: Type.Boolean({ default: false, description: 'Remove the source field after a successful parse (unless it is also the target or was overwritten by the parsed object).' }),
    maxDepth: Type.Integer({ minimum: 1, maximum: 10_000, default: 64, description: 'Deepest nesting of objects and arrays accepted; deeper documents are a failure.' }),
    skipOnInvalidJson: Type.Boolean({ default: false, description: 'Leave events whose field is not valid JSON untouched, without a failure tag.' }),
    tagOnFailure: Type.Array(Type.String(), { default: ['_jsonparsefailure'], description: 'Tags added when the field is not valid JSON (or too deep, or not an object without `target`).' }),
  },
  { additionalProperties: false },
);

/** True when the JSON text nests deeper than `max` (brackets inside strings do not count). */
export function jsonTooDeep(text: string, max: number): boolean {
  // Depth d needs at least 2d characters: short texts cannot be too deep.
  if (text.length <= 2 * max) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > max) return true;
    } else if (c === 125 || c === 93) depth--;
  }
  return false;
}

export const json: FilterSpec<typeof jsonConfig> = {
  kind: 'filter',
  name: 'json',
  summary: 'Parse a JSON string field into the event or a target field',
  config: jsonConfig,
  create(config): Filter {
    const source = parsePath(config.field);
    const target = config.target !== undefined ? parsePath(config.target) : undefined;
    const sameField = config.target !== undefined && target!.join('.') === source.join('.');
    const { maxDepth, removeSource, skipOnInvalidJson } = config;
    const tags = config.tagOnFailure;
    const fail = (event: Event) => {
      if (!skipOnInvalidJson) for (const tag of tags) addTag(event, tag);
    };

    return {
      process(event) {
        const text = getField(event, source);
        if (text === undefined || text === null) return;
        if (typeof text !== 'string') return fail(event);
        if (text.trim() === '') return;
        if (jsonTooDeep(text, maxDepth)) return fail(event);
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          // SyntaxError, or RangeError on pathological input: both are the record's fault.
          return fail(event);
        }
        if (target) {
          setField(event, target, parsed);
          if (removeSource && !sameField) deleteField(event, source);
          return;
        }
        if (!isPlainObject(parsed)) return fail(event);
        let overwritten = false;
        for (const key of Object.keys(parsed)) {
          if (key === '@timestamp') {
            mergeTimestamp(event, parsed[key]);
            continue;
          }
          if (key === source[0] && source.length === 1) overwritten = true;
          // One literal key (no dotted-path interpretation); setField never calls a
          // `__proto__` setter, so a hostile key stays a plain own property.
          setDataField(event, key, parsed[key]);
        }
        if (removeSource && !overwritten) deleteField(event, source);
      },
    };
  },
};

/** Like Logstash: a parsed `@timestamp` must be a valid date, else it is kept as `_@timestamp`. */
function mergeTimestamp(event: Event, value: unknown): void {
  if (typeof value === 'string') {
    const ms = Date.parse(value);
    if (!Number.isNaN(ms)) {
      event['@timestamp'] = new Date(ms).toISOString();
      return;
    }
  }
  event['_@timestamp'] = value;
  addTag(event, '_timestampparsefailure');
}
