/**
 * grok: parses a text field with named regular-expression patterns, compatible with
 * Logstash's grok filter as its users write it (`%{NAME:field:int}`, `(?<field>…)`,
 * `[a][b]` field names, pattern files, overwrite, break_on_match, ECS and legacy pattern
 * sets). Expressions are translated from Oniguruma to one precompiled JavaScript RegExp each
 * (see translate.ts); the standard library lives in patterns/.
 *
 * Bounded time: a badly written expression can still backtrack catastrophically on some
 * input. grok itself never loops; the runtime's watchdog around the filter chain stops such
 * a match and tags the event `_groktimeout` (or dead-letters it), see `timeoutTag`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import type { ComponentContext, Filter, FilterSpec } from '../../core/component.js';
import { addTag, getField, parsePath, type Event, type FieldPath } from '../../core/event.js';
import { compileGrok, Conv, type CompiledGrok } from './compile.js';
import { toFloat, toInt } from './convert.js';
import { patternLibrary } from './patterns/index.js';

const patternList = (description?: string) => Type.Array(Type.String({ minLength: 1 }), { minItems: 1, ...(description ? { description } : {}) });

export const grokConfig = Type.Object(
  {
    field: Type.String({
      default: 'message',
      description: 'The field to parse (used with `patterns`). An array field is parsed element by element; a number is parsed as its text.',
    }),
    patterns: Type.Optional(
      patternList(
        'Grok expressions tried in order on `field`; with `breakOnMatch` the first that matches wins. Example: `["%{HTTPD_COMBINEDLOG}"]`, `["%{IP:client} %{WORD:method} %{URIPATHPARAM:request} %{NUMBER:bytes:int}"]`.',
      ),
    ),
    match: Type.Optional(
      Type.Record(Type.String(), Type.Union([Type.String({ minLength: 1 }), patternList()]), {
        description:
          'Logstash-style alternative to `field` + `patterns`: field → expression or list of expressions, tried field by field in the order written. Give either `patterns` or `match`.',
      }),
    ),
    patternDefinitions: Type.Record(Type.String({ pattern: '^[A-Za-z0-9_]+$' }), Type.String(), {
      default: {},
      description: 'Extra patterns, NAME → regular expression (may use %{OTHER}). They override library and file patterns of the same name.',
    }),
    patternsDir: Type.Array(Type.String(), {
      default: [],
      description:
        'Directories of pattern files (relative to the pipeline file). Every file matching `patternsFilesGlob` is read; the format is one `NAME regex` per line, `#` starts a comment line.',
    }),
    patternsFilesGlob: Type.String({
      default: '*',
      description: 'Which files of `patternsDir` to read (`*`, `?` and `{a,b}` wildcards; `*` skips dot files).',
    }),
    patternFiles: Type.Array(Type.String(), {
      default: [],
      description: 'Pattern files to read (relative to the pipeline file), in the same format; read after `patternsDir`, so their definitions win.',
    }),
    overwrite: Type.Array(Type.String(), {
      default: [],
      description:
        'Fields a capture may replace. A capture into any other field that already holds a string turns it into an array [old, new] (Logstash behaviour); the usual case is `["message"]`.',
    }),
    tagOnFailure: Type.Array(Type.String(), { default: ['_grokparsefailure'], description: 'Tags added when no expression matches.' }),
    breakOnMatch: Type.Boolean({ default: true, description: 'Stop at the first expression that matches; false applies every matching expression.' }),
    keepEmptyCaptures: Type.Boolean({ default: false, description: 'Keep captures that matched the empty string (as "") instead of leaving the field out.' }),
    namedCapturesOnly: Type.Boolean({
      default: true,
      description: 'Only keep `%{NAME:field}` and `(?<field>…)` captures. When false, a bare `%{NAME}` is kept too, in a field called NAME.',
    }),
    target: Type.Optional(Type.String({ description: 'Put all captures under this field (e.g. `parsed` gives parsed.clientip) instead of the event root.' })),
    ecsCompatibility: Type.Union([Type.Literal('v1'), Type.Literal('v8'), Type.Literal('disabled')], {
      default: 'v1',
      description:
        'Which standard pattern set to use: "v1" (or "v8", the same set) captures into ECS field names (source.address, http.request.method, …); "disabled" uses the legacy names (clientip, verb, …).',
    }),
  },
  { additionalProperties: false },
);

type GrokConfig = Static<typeof grokConfig>;

// ------------------------------------------------------------------ pattern files

/** Reads a pattern file in the Logstash format: `NAME regex` per line; lines starting with # are comments. */
export function parsePatternFile(text: string, into: Map<string, string>): void {
  for (const raw of text.split(/\r?\n/)) {
    if (/^\s*#/.test(raw)) continue;
    const line = raw.replace(/^\s+/, '');
    const m = /^(\S+)\s+([\s\S]*)$/.exec(line);
    if (!m || m[2] === '') continue; // blank or malformed (no pattern): skipped, as Logstash does
    into.set(m[1], m[2]);
  }
}

function globToRegExp(glob: string): RegExp {
  let src = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i];
    if (ch === '*') src += '[^/]*';
    else if (ch === '?') src += '[^/]';
    else if (ch === '{') {
      const end = glob.indexOf('}', i);
      if (end < 0) src += '\\{';
      else {
        src += '(?:' + glob.slice(i + 1, end).split(',').map((p) => p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|') + ')';
        i = end;
      }
    } else src += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^(?!\\.)${src}$`);
}

function readPatternFile(path: string, into: Map<string, string>): void {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`grok: cannot read pattern file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  parsePatternFile(text, into);
}

function loadUserPatterns(config: GrokConfig, ctx: ComponentContext): Map<string, string> {
  const defs = new Map<string, string>();
  const glob = globToRegExp(config.patternsFilesGlob);
  for (const dir of config.patternsDir) {
    const abs = resolve(ctx.baseDir, dir);
    let entries: string[];
    try {
      if (!statSync(abs).isDirectory()) throw new Error('not a directory');
      entries = readdirSync(abs).sort();
    } catch (e) {
      throw new Error(`grok: patternsDir "${dir}" (${abs}) is not a readable directory: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    for (const name of entries) {
      if (!glob.test(name)) continue;
      const file = join(abs, name);
      if (statSync(file).isFile()) readPatternFile(file, defs);
    }
  }
  for (const file of config.patternFiles) readPatternFile(resolve(ctx.baseDir, file), defs);
  for (const [name, def] of Object.entries(config.patternDefinitions)) defs.set(name, def);
  return defs;
}

// ------------------------------------------------------------------ matching

interface FieldMatcher {
  readonly path: FieldPath;
  readonly groks: readonly CompiledGrok[];
  /** Per expression, its generated capture storage (see compileApplier), or null. */
  readonly appliers: readonly (Applier | null)[];
}

function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/**
 * Applies one capture the way Logstash's grok does: set the field, or, when it exists and is
 * not in `overwrite`, turn a string into [old, new] and append to an array. One walk down
 * the path creates the missing parents. Plain assignment is safe here: every path segment
 * went through parsePath, which refuses __proto__, prototype and constructor.
 */
function store(event: Event, path: FieldPath, value: string | number, overwrite: boolean): void {
  let obj: Record<string, unknown> = event;
  const last = path.length - 1;
  for (let i = 0; i < last; i++) {
    const key = path[i];
    const next = Object.hasOwn(obj, key) ? obj[key] : undefined;
    if (typeof next === 'object' && next !== null && !Array.isArray(next)) obj = next as Record<string, unknown>;
    else {
      const created: Record<string, unknown> = {};
      obj[key] = created;
      obj = created;
    }
  }
  const key = path[last];
  const current = Object.hasOwn(obj, key) ? obj[key] : undefined;
  if (overwrite || current === undefined || current === null) obj[key] = value;
  else if (Array.isArray(current)) current.push(value);
  else if (typeof current === 'string') obj[key] = [current, value];
  // any other existing value (number, object, boolean) is left as it is, like Logstash does
}

/** Stores one match's captures into an event: see compileApplier. */
type Applier = (event: Event, m: RegExpExecArray) => void;

/**
 * One expression's capture storage as straight-line JavaScript, generated once: what store()
 * does, capture by capture, with each parent object (CompiledGrok.parents) found or created
 * once per match, and each field name a constant in the code. With the names in variables,
 * every store and lookup went through V8's generic (megamorphic) keyed access, ~11 % of the
 * grok + date filter stage; with constants each site gets its own inline cache. Names reach
 * the code only as JSON string literals (and went through parsePath, which refuses
 * __proto__, prototype and constructor). null when the expression has no parent table (a
 * field that is another's parent: store() walks paths).
 */
function compileApplier(compiled: CompiledGrok, keepEmptyCaptures: boolean): Applier | null {
  const slots = compiled.parents;
  if (slots === null) return null;
  const lit = (key: string) => JSON.stringify(key);
  const objectOf = (slot: number) => (slot < 0 ? 'event' : `p${slot}`);
  /** Code that finds or creates the object of `slot` (and its parents) unless this match already did. */
  const ensure = (slot: number): string => {
    if (slot < 0) return '';
    const { parent, key } = slots[slot];
    const up = objectOf(parent);
    return (
      `if (p${slot} === undefined) {\n${ensure(parent)}` +
      `  cur = hasOwn(${up}, ${lit(key)}) ? ${up}[${lit(key)}] : undefined;\n` +
      `  if (typeof cur === 'object' && cur !== null && !isArray(cur)) p${slot} = cur;\n` +
      `  else { p${slot} = {}; ${up}[${lit(key)}] = p${slot}; }\n}\n`
    );
  };
  let body = `let raw, value, cur${slots.map((_, i) => `, p${i}`).join('')};\n`;
  for (const cap of compiled.captures) {
    const obj = objectOf(cap.parent);
    const key = lit(cap.key);
    body += `raw = m[${cap.index}];\n`;
    if (cap.conv === Conv.None) body += `if (raw !== undefined${keepEmptyCaptures ? '' : ' && raw.length !== 0'}) {\nvalue = raw;\n`;
    else body += `if (raw !== undefined) {\nvalue = ${cap.conv === Conv.Int ? 'toInt' : 'toFloat'}(raw);\n`;
    body += ensure(cap.parent);
    if (cap.overwrite) body += `${obj}[${key}] = value;\n`;
    else {
      body +=
        `cur = hasOwn(${obj}, ${key}) ? ${obj}[${key}] : undefined;\n` +
        `if (cur === undefined || cur === null) ${obj}[${key}] = value;\n` +
        `else if (isArray(cur)) cur.push(value);\n` +
        `else if (typeof cur === 'string') ${obj}[${key}] = [cur, value];\n`;
    }
    body += '}\n';
  }
  const make = new Function('hasOwn', 'isArray', 'toInt', 'toFloat', `'use strict';\nreturn function applyCaptures(event, m) {\n${body}};`);
  return make(Object.hasOwn, Array.isArray, toInt, toFloat) as Applier;
}

export const grok: FilterSpec<typeof grokConfig> = {
  kind: 'filter',
  name: 'grok',
  summary: 'Parse text into fields with named regular-expression patterns (Logstash grok compatible)',
  config: grokConfig,
  timeoutTag: '_groktimeout',
  create(config, ctx): Filter {
    const library = patternLibrary(config.ecsCompatibility === 'disabled' ? 'legacy' : 'ecs');
    const user = loadUserPatterns(config, ctx);
    const lookup = (name: string) => user.get(name) ?? library.get(name);
    const names = () => new Set([...user.keys(), ...library.keys()]);

    const target = config.target !== undefined ? parsePath(config.target) : undefined;
    const overwrite = new Set(config.overwrite.map((f) => parsePath(f).join('.')));
    const compile = (p: string) => compileGrok(p, { lookup, names, namedCapturesOnly: config.namedCapturesOnly, target, overwrite });

    if (config.patterns !== undefined && config.match !== undefined) throw new Error('grok: give either `patterns` (with `field`) or `match`, not both');
    const spec: [string, string[]][] =
      config.match !== undefined
        ? Object.entries(config.match).map(([f, p]) => [f, typeof p === 'string' ? [p] : p])
        : config.patterns !== undefined
          ? [[config.field, config.patterns]]
          : [];
    if (spec.length === 0) throw new Error('grok: no pattern to match: set `patterns` (e.g. ["%{HTTPD_COMBINEDLOG}"]) or `match`');
    const matchers: FieldMatcher[] = spec.map(([field, patterns]) => {
      const groks = patterns.map(compile);
      return { path: parsePath(field), groks, appliers: groks.map((g) => compileApplier(g, config.keepEmptyCaptures)) };
    });

    const { breakOnMatch, keepEmptyCaptures } = config;
    const tags = config.tagOnFailure;

    /** Tries the expressions on one text; applies the captures of the first (or every) match. */
    const matchText = (groks: readonly CompiledGrok[], appliers: readonly (Applier | null)[], text: string, event: Event): boolean => {
      let matched = false;
      let multiline = -1; // lazily computed: does the text contain '\n'?
      for (let g = 0; g < groks.length; g++) {
        const compiled = groks[g];
        let re = compiled.re;
        if (compiled.reMultiline !== null) {
          if (multiline < 0) multiline = text.indexOf('\n') >= 0 ? 1 : 0;
          if (multiline === 1) re = compiled.reMultiline;
        }
        const m = re.exec(text);
        if (m === null) continue;
        matched = true;
        const apply = appliers[g];
        if (apply !== null) {
          apply(event, m);
          if (breakOnMatch) break;
          continue;
        }
        // No parent table (a field that is another's parent): each capture walks its path.
        const caps = compiled.captures;
        for (let c = 0; c < caps.length; c++) {
          const cap = caps[c];
          const raw = m[cap.index];
          if (raw === undefined) continue; // the group did not take part in the match
          let value: string | number;
          if (cap.conv === Conv.None) {
            if (raw.length === 0 && !keepEmptyCaptures) continue;
            value = raw;
          } else value = cap.conv === Conv.Int ? toInt(raw) : toFloat(raw);
          store(event, cap.path, value, cap.overwrite);
        }
        if (breakOnMatch) break;
      }
      return matched;
    };

    return {
      process(event) {
        let matched = false;
        for (let f = 0; f < matchers.length; f++) {
          const { path, groks, appliers } = matchers[f];
          const value = getField(event, path);
          let ok = false;
          if (Array.isArray(value)) {
            // a snapshot of the length: captures into the same field append to it
            for (let i = 0, n = value.length; i < n; i++) ok = matchText(groks, appliers, asText(value[i]), event) || ok;
          } else ok = matchText(groks, appliers, asText(value), event);
          if (ok) {
            matched = true;
            if (breakOnMatch) break;
          }
        }
        if (!matched) for (const tag of tags) addTag(event, tag);
      },
    };
  },
};
