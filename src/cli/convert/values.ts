/**
 * Reading a plugin's options the way Logstash reads them (a scalar where a list is expected
 * is a one-element list, a hash may be written as a flat array of pairs, booleans may be
 * barewords or strings), translating `${VAR:default}` into sluice's `${VAR:-default}`, and
 * keeping track of which options were used so that every one left over is reported.
 */
import type { Attribute, PluginNode, Position, ValueNode } from './ast.js';
import type { Report } from './report.js';

/** Thrown by a mapper for something that cannot be converted; the caller reports it. */
export class Unconvertible extends Error {
  constructor(
    readonly pos: Position,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/** Logstash `${VAR}` / `${VAR:default}` → sluice `${VAR}` / `${VAR:-default}`. */
export function envPlaceholders(text: string): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([^}]*))?\}/g, (_, name: string, def: string | undefined) =>
    def === undefined ? `\${${name}}` : `\${${name}:-${def}}`,
  );
}

/** Does the text use a `${VAR}` placeholder? */
export function hasPlaceholder(text: string): boolean {
  return /\$\{[A-Za-z_][A-Za-z0-9_]*(:[^}]*)?\}/.test(text);
}

/** `[a][b]` → `a.b`; a plain name stays as written. */
export function fieldRef(ref: string): string {
  const t = ref.trim();
  if (/^(\[[^\]\[]+\])+$/.test(t)) return t.slice(1, -1).split('][').join('.');
  return t;
}

/** The text of a scalar value (string, number or bareword). */
export function scalarText(v: ValueNode): string | undefined {
  if (v.kind === 'string' || v.kind === 'bareword') return envPlaceholders(v.value);
  if (v.kind === 'number') return v.raw;
  return undefined;
}

export function describeValue(v: ValueNode): string {
  switch (v.kind) {
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'bareword':
      return `the bareword ${v.value}`;
    case 'array':
      return 'an array';
    case 'hash':
      return 'a hash';
    case 'plugin':
      return `the plugin ${v.name}`;
  }
}

export interface ConvertContext {
  report: Report;
  /** A name unique in this conversion, for marker tags. */
  fresh(prefix: string): string;
}

/** Options that only tune Logstash itself; their absence changes nothing in sluice. */
const HARMLESS = new Map<string, string>([
  ['enable_metric', 'sluice always exports metrics (/metrics)'],
  ['periodic_flush', 'not needed: sluice filters do not buffer'],
]);

/** The options of one plugin, read at most once each. */
export class PluginOptions {
  private readonly used = new Set<string>();

  constructor(
    readonly plugin: PluginNode,
    readonly ctx: ConvertContext,
    /** `filter grok`, `input kafka`… for the report. */
    readonly label: string,
  ) {}

  get pos(): Position {
    return this.plugin.pos;
  }

  /** The attribute (the last one when an option is repeated; Logstash keeps the last). */
  attr(name: string): Attribute | undefined {
    this.used.add(name);
    const all = this.plugin.attributes.filter((a) => a.name === name);
    return all[all.length - 1];
  }

  has(name: string): boolean {
    return this.plugin.attributes.some((a) => a.name === name);
  }

  fail(attr: Attribute, reason: string): never {
    throw new Unconvertible(attr.pos, `option ${attr.name}: ${reason}`);
  }

  /** Reports the option as not converted (without failing the plugin). */
  unconverted(name: string, reason: string): void {
    const a = this.attr(name);
    if (a) this.ctx.report.unconverted(a.pos, `${this.label} option ${name}`, reason);
  }

  /** Notes the option as ignored on purpose. */
  ignore(name: string, reason: string): void {
    const a = this.attr(name);
    if (a) this.ctx.report.note(a.pos, `${this.label} option ${name}`, reason);
  }

  str(name: string): string | undefined {
    const a = this.attr(name);
    if (!a) return undefined;
    let v = a.value;
    if (v.kind === 'array' && v.items.length === 1) v = v.items[0];
    const text = scalarText(v);
    if (text === undefined) this.fail(a, `expected a string, found ${describeValue(v)}`);
    return text;
  }

  /** A field reference option (`[a][b]` → `a.b`). */
  field(name: string): string | undefined {
    const s = this.str(name);
    return s === undefined ? undefined : fieldRef(s);
  }

  /** All attributes of a repeated option: Logstash merges repeated list and hash options. */
  private all(name: string): Attribute[] {
    this.used.add(name);
    return this.plugin.attributes.filter((a) => a.name === name);
  }

  list(name: string): string[] | undefined {
    const attrs = this.all(name);
    if (attrs.length === 0) return undefined;
    return attrs.flatMap((a) => {
      const items = a.value.kind === 'array' ? a.value.items : [a.value];
      return items.map((item) => {
        const t = scalarText(item);
        if (t === undefined) this.fail(a, `expected a list of strings, found ${describeValue(item)} in it`);
        return t;
      });
    });
  }

  bool(name: string): boolean | undefined {
    const a = this.attr(name);
    if (!a) return undefined;
    const t = scalarText(a.value);
    if (t === 'true') return true;
    if (t === 'false') return false;
    return this.fail(a, `expected true or false, found ${t === undefined ? describeValue(a.value) : `"${t}"`}`);
  }

  num(name: string): number | undefined {
    const a = this.attr(name);
    if (!a) return undefined;
    const t = scalarText(a.value);
    const n = t === undefined ? NaN : Number(t);
    if (!Number.isFinite(n)) this.fail(a, `expected a number, found ${t === undefined ? describeValue(a.value) : `"${t}"`}`);
    return n;
  }

  /**
   * A hash option as ordered [key, value] pairs: `{ "a" => "b" }` or the older flat array
   * form `[ "a", "b", "c", "d" ]`. Keys may repeat (grok's `match => ["message", p1, "message", p2]`).
   */
  pairs(name: string): Array<[string, ValueNode]> | undefined {
    const attrs = this.all(name);
    if (attrs.length === 0) return undefined;
    return attrs.flatMap((a) => this.pairsOf(a));
  }

  private pairsOf(a: Attribute): Array<[string, ValueNode]> {
    const v = a.value;
    if (v.kind === 'hash') return v.entries.map((e) => [scalarText(e.key) ?? '', e.value] as [string, ValueNode]);
    if (v.kind === 'array') {
      if (v.items.length % 2 !== 0) this.fail(a, 'expected a hash or an array of key, value pairs (an even number of items)');
      const out: Array<[string, ValueNode]> = [];
      for (let k = 0; k < v.items.length; k += 2) {
        const key = scalarText(v.items[k]);
        if (key === undefined) this.fail(a, `expected a string key, found ${describeValue(v.items[k])}`);
        out.push([key, v.items[k + 1]]);
      }
      return out;
    }
    return this.fail(a, `expected a hash, found ${describeValue(v)}`);
  }

  /** A hash of strings. */
  stringMap(name: string): Record<string, string> | undefined {
    const pairs = this.pairs(name);
    if (!pairs) return undefined;
    const out: Record<string, string> = {};
    for (const [k, v] of pairs) {
      const t = scalarText(v);
      if (t === undefined) this.fail(this.attr(name)!, `expected string values, found ${describeValue(v)} for "${k}"`);
      out[k] = t;
    }
    return out;
  }

  /** Reports every option not read so far: a harmless one as a note, any other as not converted. */
  finish(): void {
    for (const a of this.plugin.attributes) {
      if (this.used.has(a.name)) continue;
      this.used.add(a.name);
      const harmless = HARMLESS.get(a.name);
      if (harmless) this.ctx.report.note(a.pos, `${this.label} option ${a.name}`, `ignored: ${harmless}`);
      else this.ctx.report.unconverted(a.pos, `${this.label} option ${a.name}`, 'no equivalent in sluice');
    }
  }
}

/** A JSON value for a Logstash value (hash values of `translate`'s dictionary, `add_field` lists…). */
export function plainValue(v: ValueNode): unknown {
  switch (v.kind) {
    case 'string':
    case 'bareword':
      return envPlaceholders(v.value);
    case 'number':
      return v.value;
    case 'array':
      return v.items.map(plainValue);
    case 'hash':
      return Object.fromEntries(v.entries.map((e) => [scalarText(e.key) ?? '', plainValue(e.value)]));
    case 'plugin':
      return undefined;
  }
}

/**
 * A Ruby (Oniguruma) regular expression as a JavaScript one, for the common subset: the
 * anchors `\A`, `\z`, `\Z`, the hex classes `\h`, `\H` and a leading `(?i)` are rewritten;
 * constructs JavaScript does not have (atomic groups, possessive quantifiers, `\G`, `\K`,
 * Unicode properties, inline options elsewhere) make it unconvertible.
 */
export function rubyRegex(source: string): { source: string; flags: string } | { error: string } {
  let flags = '';
  let src = source;
  const lead = /^\(\?([imx]+)\)/.exec(src);
  if (lead) {
    if (lead[1].includes('x')) return { error: 'extended mode (?x) has no JavaScript equivalent' };
    if (lead[1].includes('i')) flags += 'i';
    if (lead[1].includes('m')) flags += 's'; // Ruby's "m" is "dot matches newline"
    src = src.slice(lead[0].length);
  }
  let out = '';
  for (let k = 0; k < src.length; k++) {
    const c = src[k];
    if (c === '\\' && k + 1 < src.length) {
      const n = src[k + 1];
      k++;
      if (n === 'A') out += '^';
      else if (n === 'z' || n === 'Z') out += '$';
      else if (n === 'h') out += '[0-9a-fA-F]';
      else if (n === 'H') out += '[^0-9a-fA-F]';
      else if ('GKXRp'.includes(n)) return { error: `\\${n} has no JavaScript equivalent` };
      else out += `\\${n}`;
      continue;
    }
    if (c === '(' && src[k + 1] === '?' && (src[k + 2] === '>' || /[imx-]/.test(src[k + 2] ?? ''))) {
      return { error: 'atomic groups and inline options have no JavaScript equivalent' };
    }
    if (c === '+' && /[*+?]/.test(src[k - 1] ?? '') && src[k - 2] !== '\\') {
      return { error: 'possessive quantifiers have no JavaScript equivalent' };
    }
    out += c;
  }
  try {
    new RegExp(out, flags);
  } catch (e) {
    return { error: `not a valid regular expression here: ${(e as Error).message}` };
  }
  return { source: out, flags };
}

/** A value for a template option (`add_field` values): a string, or a list of strings. */
export function templateValue(v: ValueNode): string | string[] {
  if (v.kind === 'array') return v.items.map((i) => scalarText(i) ?? JSON.stringify(plainValue(i)));
  return scalarText(v) ?? JSON.stringify(plainValue(v));
}
