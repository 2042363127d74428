/**
 * de_dot: renames keys that contain dots, which Elasticsearch would otherwise read as object
 * paths (`"host.name": "x"` conflicting with `"host": "y"`). Each dot becomes `separator`
 * (`a.b` → `a_b`), or with `nested` the key becomes sub-objects (`a.b` → `a: { b }`).
 * Top-level keys by default, every level with `recursive`; `@timestamp` and `@metadata` are
 * never touched.
 */
import { Type } from '@sinclair/typebox';
import type { Filter, FilterSpec } from '../../core/component.js';
import { getField, isPlainObject, setField, type Event } from '../../core/event.js';
import { compileSuccessActions, successActions } from '../../core/success-actions.js';

export const deDotConfig = Type.Object(
  {
    fields: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        description:
          'Keys to rename; default: every key. A plain name is one top-level key, dots included (`"a.b"`); `[parent][a.b]` names a key inside an object (the brackets keep the dots as part of the names).',
      }),
    ),
    separator: Type.String({ default: '_', description: 'What replaces each dot.' }),
    nested: Type.Boolean({ default: false, description: 'Turn `a.b` into sub-objects `a: { b }` instead of `a_b` (merged into an object already there).' }),
    recursive: Type.Boolean({ default: false, description: 'Also rename keys inside nested objects (and objects in arrays); costs more on big events.' }),
    ...successActions,
  },
  { additionalProperties: false },
);

const SKIP = new Set(['@timestamp', '@metadata']);

/** `[a][b.c]` → ['a', 'b.c']; a plain name is one key. */
function keyPath(ref: string): string[] {
  const m = /^(\[[^\]]+\])+$/.exec(ref);
  return m ? ref.slice(1, -1).split('][') : [ref];
}

export const de_dot: FilterSpec<typeof deDotConfig> = {
  kind: 'filter',
  name: 'de_dot',
  summary: 'Replace dots in field names with a separator, or turn them into nested objects',
  config: deDotConfig,
  create(config): Filter {
    const { separator, nested, recursive } = config;
    const onSuccess = compileSuccessActions(config);
    const fields = config.fields?.map(keyPath);

    /** Renames the dotted `key` of `obj` (in place); returns true when something changed. */
    const rename = (obj: Record<string, unknown>, key: string): boolean => {
      if (!key.includes('.') || !Object.prototype.hasOwnProperty.call(obj, key)) return false;
      const value = obj[key];
      delete obj[key];
      const parts = key.split('.');
      if (nested && parts.every((p) => p !== '')) {
        const current = getField(obj, parts);
        if (isPlainObject(current) && isPlainObject(value)) for (const k of Object.keys(value)) setField(current, [k], value[k]);
        else setField(obj, parts, value);
      } else setField(obj, [parts.join(separator)], value);
      return true;
    };
    const walk = (v: unknown, depth: number): void => {
      if (depth > 100) return;
      if (Array.isArray(v)) for (const x of v) walk(x, depth + 1);
      else if (isPlainObject(v)) {
        for (const k of Object.keys(v)) rename(v, k);
        for (const k of Object.keys(v)) walk(v[k], depth + 1);
      }
    };

    return {
      process(event: Event) {
        let changed = false;
        if (fields) {
          for (const path of fields) {
            const parent = path.length === 1 ? event : getField(event, path.slice(0, -1));
            if (isPlainObject(parent) && rename(parent, path[path.length - 1])) changed = true;
          }
        } else {
          for (const k of Object.keys(event)) if (!SKIP.has(k) && rename(event, k)) changed = true;
          if (recursive) for (const k of Object.keys(event)) if (!SKIP.has(k)) walk(event[k], 0);
          changed = true;
        }
        if (changed) onSuccess(event);
      },
    };
  },
};
