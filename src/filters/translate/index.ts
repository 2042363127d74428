/**
 * translate: looks a field's value up in a dictionary and writes the translation.
 *
 * The dictionary is inline (`dictionary`) and/or read from a file (`dictionaryPath`, JSON
 * object or two-column CSV, relative to the pipeline file) once at start-up; file entries
 * override inline ones. Restart (or reload) the pipeline to pick up a changed file.
 *
 * Matching:
 * - exact (default): the whole value equals a key (a Map lookup);
 * - exact + regex: keys are regular expressions, the first key (in dictionary order) that
 *   matches anywhere in the value wins (anchor with ^…$ for whole-value matches);
 * - not exact: every occurrence of any key inside the value is replaced by its translation
 *   (keys are literal text, or regular expressions with `regex`); longer literal keys win.
 * An array value is translated element by element into an array (unmatched elements give
 * the fallback, or null).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Type } from '@sinclair/typebox';
import type { Filter, FilterSpec } from '../../core/component.js';
import { getField, isPlainObject, parsePath, setField } from '../../core/event.js';
import { compileTemplate } from '../../core/template.js';
import { parseCsvLine } from '../csv/index.js';

export const translateConfig = Type.Object(
  {
    field: Type.String({ description: 'The field whose value is looked up (strings, numbers and booleans are looked up as text).' }),
    target: Type.String({ default: 'translation', description: 'Where the translation is written.' }),
    dictionary: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'Inline dictionary `{ key: translation }` (translations may be any JSON value).' })),
    dictionaryPath: Type.Optional(
      Type.String({ description: 'A dictionary file, relative to the pipeline file: `.json` (one object) or `.csv` (two columns: key, translation). Read once at start-up.' }),
    ),
    exact: Type.Boolean({ default: true, description: 'Match the whole value (true) or replace every key occurring inside it (false).' }),
    regex: Type.Boolean({ default: false, description: 'Treat the dictionary keys as regular expressions.' }),
    fallback: Type.Optional(Type.String({ description: 'Written when nothing matches (a template, e.g. `unknown %{code}`); without it nothing is written.' })),
    override: Type.Boolean({ default: false, description: 'Overwrite the target when it already exists (by default the event is left alone).' }),
  },
  { additionalProperties: false },
);

function loadDictionary(file: string): Map<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`translate: cannot read dictionary file "${file}": ${(err as Error).message}`);
  }
  const ext = path.extname(file).toLowerCase();
  const map = new Map<string, unknown>();
  if (ext === '.json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new Error(`translate: dictionary file "${file}" is not valid JSON: ${(err as Error).message}`);
    }
    if (!isPlainObject(parsed)) throw new Error(`translate: dictionary file "${file}" must hold a JSON object`);
    for (const k of Object.keys(parsed)) map.set(k, parsed[k]);
  } else if (ext === '.csv') {
    const lines = text.split(/\r?\n/);
    lines.forEach((line, i) => {
      if (line === '') return;
      const row = parseCsvLine(line, ',', '"');
      if (!row || row.length < 2) throw new Error(`translate: dictionary file "${file}" line ${i + 1}: expected "key,translation"`);
      map.set(row[0] ?? '', row[1] ?? '');
    });
  } else throw new Error(`translate: dictionary file "${file}" must be .json or .csv`);
  return map;
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function compileRegex(source: string): RegExp {
  try {
    return new RegExp(source);
  } catch (err) {
    throw new Error(`translate: invalid regular expression key "${source}": ${(err as Error).message}`);
  }
}

/** Returns the translation, or undefined when nothing matches. */
type Lookup = (value: string) => unknown;

function buildLookup(dict: Map<string, unknown>, exact: boolean, regex: boolean): Lookup {
  if (exact && !regex) return (v) => dict.get(v);
  if (exact) {
    const rules = [...dict].map(([k, t]) => [compileRegex(k), t] as const);
    return (v) => {
      for (const [re, t] of rules) if (re.test(v)) return t;
      return undefined;
    };
  }
  if (dict.size === 0) return () => undefined;
  if (!regex) {
    const keys = [...dict.keys()].filter((k) => k !== '').sort((a, b) => b.length - a.length);
    const union = new RegExp(keys.map(escapeRegex).join('|'), 'g');
    return (v) => {
      let found = false;
      const out = v.replace(union, (m) => {
        found = true;
        const t = dict.get(m);
        return typeof t === 'string' ? t : JSON.stringify(t);
      });
      return found ? out : undefined;
    };
  }
  const rules = [...dict].map(([k, t]) => {
    compileRegex(k);
    return { whole: new RegExp(`^(?:${k})$`), t };
  });
  const union = new RegExp([...dict.keys()].map((k) => `(?:${k})`).join('|'), 'g');
  return (v) => {
    let found = false;
    const out = v.replace(union, (m) => {
      const rule = rules.find((r) => r.whole.test(m));
      if (!rule) return m;
      found = true;
      return typeof rule.t === 'string' ? rule.t : JSON.stringify(rule.t);
    });
    return found ? out : undefined;
  };
}

export const translate: FilterSpec<typeof translateConfig> = {
  kind: 'filter',
  name: 'translate',
  summary: 'Replace or enrich a value from a dictionary (inline, JSON or CSV file; exact, substring or regex)',
  config: translateConfig,
  create(config, ctx): Filter {
    if (config.dictionary === undefined && config.dictionaryPath === undefined) throw new Error('translate: set "dictionary" or "dictionaryPath"');
    const dict = new Map<string, unknown>(Object.entries(config.dictionary ?? {}));
    if (config.dictionaryPath !== undefined) {
      for (const [k, v] of loadDictionary(path.resolve(ctx.baseDir, config.dictionaryPath))) dict.set(k, v);
    }
    const lookup = buildLookup(dict, config.exact, config.regex);
    const source = parsePath(config.field);
    const target = parsePath(config.target);
    const fallback = config.fallback !== undefined ? compileTemplate(config.fallback) : undefined;
    const override = config.override;
    const one = (v: unknown): unknown => (typeof v === 'string' ? lookup(v) : typeof v === 'number' || typeof v === 'boolean' ? lookup(String(v)) : undefined);

    return {
      process(event) {
        const value = getField(event, source);
        if (value === undefined || value === null) return;
        if (!override && getField(event, target) !== undefined) return;
        if (Array.isArray(value)) {
          const fb = fallback?.render(event) ?? null;
          setField(
            event,
            target,
            value.map((v) => {
              const t = one(v);
              return t === undefined ? fb : structuredCloneIfObject(t);
            }),
          );
          return;
        }
        const t = one(value);
        if (t !== undefined) setField(event, target, structuredCloneIfObject(t));
        else if (fallback) setField(event, target, fallback.render(event));
      },
    };
  },
};

/** Dictionary values are shared: give each event its own copy of an object translation. */
function structuredCloneIfObject(v: unknown): unknown {
  return typeof v === 'object' && v !== null ? structuredClone(v) : v;
}
