/**
 * Compiles one grok expression into a precompiled RegExp plus the table that maps its
 * captures to event fields, in the order Logstash applies them.
 */
import { parsePath, type FieldPath } from '../../core/event.js';
import { GrokSyntaxError, translate, UnknownPatternError } from './translate.js';

export const enum Conv {
  None = 0,
  Int = 1,
  Float = 2,
}

export interface Capture {
  /** Index in the match array. */
  readonly index: number;
  /** Where the value goes (target prefix included). */
  readonly path: FieldPath;
  /** The field as the pattern names it, dotted (`source.ip`), target not included. */
  readonly field: string;
  readonly conv: Conv;
  /** The field is in the `overwrite` list: replace instead of turning it into an array. */
  readonly overwrite: boolean;
  /** Slot of the object that holds the field (see CompiledGrok.parents); -1 for the event root. */
  readonly parent: number;
  /** The last path segment: the key in that object. */
  readonly key: string;
}

/** An object on the way to captured fields: `key` in the slot `parent` (-1: the event root). */
export interface ParentSlot {
  readonly parent: number;
  readonly key: string;
}

export interface CompiledGrok {
  readonly pattern: string;
  /** For inputs without '\n'. */
  readonly re: RegExp;
  /** For inputs with '\n' when the expression uses ^ or $ (Ruby line anchors); null otherwise. */
  readonly reMultiline: RegExp | null;
  readonly captures: readonly Capture[];
  /**
   * The distinct parent objects of the captures (`http.request` for `http.request.method`),
   * each found or created once per match instead of once per capture. null when one capture's
   * field is a parent of another's (then each capture walks its own path, so the later
   * capture sees what the earlier one stored).
   */
  readonly parents: readonly ParentSlot[] | null;
}

export interface CompileOptions {
  /** Pattern lookup (user definitions first, then pattern files, then the library). */
  lookup: (name: string) => string | undefined;
  /** All known pattern names, to suggest one when a name is misspelt. */
  names: () => Iterable<string>;
  namedCapturesOnly: boolean;
  target?: FieldPath;
  /** Dotted field names that may be overwritten. */
  overwrite: ReadonlySet<string>;
}

const BRACKET_REF = /^(?:\[[^[\]]+\])+$/;

/** A capture name as written (`field`, `a.b`, `[a][b]`, `[@metadata][x]`) → field path; throws on a bad or forbidden name. */
export function captureField(name: string, where: string): FieldPath {
  if (name.includes('[') || name.includes(']')) {
    if (!BRACKET_REF.test(name)) throw new Error(`grok: invalid field reference "${name}" in ${where}: use name, a.b or [a][b]`);
  }
  try {
    return parsePath(name);
  } catch (e) {
    throw new Error(`grok: ${(e as Error).message} in ${where}`);
  }
}

function conversion(type: string | undefined, ref: string): Conv {
  if (type === undefined || type === 'string') return Conv.None;
  if (type === 'int') return Conv.Int;
  if (type === 'float') return Conv.Float;
  throw new Error(`grok: unsupported type "${type}" in %{${ref}}: grok converts to int or float only`);
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}

/** The known names closest to a misspelt one (at most 3). */
export function suggest(name: string, names: Iterable<string>): string[] {
  const upper = name.toUpperCase();
  const scored: [number, string][] = [];
  for (const n of names) {
    const d = levenshtein(upper, n);
    if (d <= Math.max(2, Math.floor(name.length / 3))) scored.push([d, n]);
  }
  return scored
    .sort((x, y) => x[0] - y[0] || x[1].localeCompare(y[1]))
    .slice(0, 3)
    .map(([, n]) => n);
}

export function compileGrok(pattern: string, opts: CompileOptions): CompiledGrok {
  const where = `pattern ${JSON.stringify(pattern)}`;
  let t;
  try {
    t = translate(pattern, { resolve: opts.lookup, namedCapturesOnly: opts.namedCapturesOnly });
  } catch (e) {
    if (e instanceof UnknownPatternError) {
      const close = suggest(e.patternName, opts.names());
      throw new Error(`grok: ${e.message} in ${where}${close.length ? `; did you mean ${close.map((n) => `%{${n}}`).join(', ')}?` : ''}`);
    }
    if (e instanceof GrokSyntaxError) throw new Error(`grok: invalid regular expression in ${where}: ${e.message}`);
    throw e;
  }
  let re: RegExp;
  let reMultiline: RegExp | null = null;
  try {
    re = new RegExp(t.source, t.flags);
    if (t.multilineSource !== null) reMultiline = new RegExp(t.multilineSource, t.flags);
  } catch (e) {
    throw new Error(`grok: invalid regular expression in ${where}: ${(e as Error).message}`);
  }

  // Logstash applies captures grouped by group name, in the order each name first appears.
  const order = new Map<string, number>();
  for (const g of t.groups) if (!order.has(g.name)) order.set(g.name, order.size);
  const groups = [...t.groups].sort((a, b) => order.get(a.name)! - order.get(b.name)! || a.index - b.index);

  const parents: ParentSlot[] = [];
  const slotOf = new Map<string, number>();
  const slotFor = (path: FieldPath, length: number): number => {
    if (length === 0) return -1;
    const key = path.slice(0, length).join('.');
    let slot = slotOf.get(key);
    if (slot === undefined) {
      const parent = slotFor(path, length - 1);
      slot = parents.length;
      parents.push({ parent, key: path[length - 1] });
      slotOf.set(key, slot);
    }
    return slot;
  };
  const captures: Capture[] = groups.map((g) => {
    const fieldName = g.grok ? g.grok.field : g.name;
    const rel = captureField(fieldName, where);
    const field = rel.join('.');
    const path = opts.target ? Object.freeze([...opts.target, ...rel]) : rel;
    const overwrite = opts.overwrite.has(field) || (opts.target !== undefined && opts.overwrite.has(path.join('.')));
    const parent = slotFor(path, path.length - 1);
    return { index: g.index, path, field, conv: g.grok ? conversion(g.grok.type, g.name) : Conv.None, overwrite, parent, key: path[path.length - 1] };
  });
  const leafIsParent = captures.some((c) => slotOf.has(c.path.join('.')));
  return { pattern, re, reMultiline, captures, parents: leafIsParent ? null : parents };
}
