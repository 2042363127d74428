/**
 * Translates grok expressions (Oniguruma regular expressions in Ruby syntax, as Logstash
 * compiles them, plus `%{NAME:field:type}` references) into one JavaScript RegExp source.
 *
 * Semantics follow Logstash's grok, which compiles the expanded expression with Ruby's
 * `Regexp::MULTILINE` option:
 * - `.` matches any character including newline (Ruby "multiline" = JS dotAll); `(?-m)`
 *   turns that off for a group (then `.` is `[^\n]`).
 * - `^` and `$` are always line anchors in Ruby. The translation emits two variants: one for
 *   inputs without a newline (plain `^`/`$`, which V8 optimises) and one with look-arounds
 *   for multi-line inputs. `\A`, `\z`, `\Z` and `\G` are input anchors.
 * - Atomic groups `(?>X)` and possessive quantifiers `X*+ X++ X?+` become
 *   `(?:(?=(X))\N)`: a look-ahead never backtracks into itself, so the back-reference
 *   consumes exactly what X matched first, as an atomic group does. In Ruby syntax
 *   `{n,m}+` is not possessive but a second quantifier, and `{n}?` means `(?:X{n})?`.
 * - Isolated options `(?imx-imx)` apply to the end of the enclosing group, including the
 *   alternatives after them (`a(?i)b|c` is `a(?i:b|c)` in Oniguruma).
 * - Character classes are built as sets of UTF-16 code units, which gives exact Ruby
 *   meanings for `\s` (`[ \t\n\v\f\r]`), `\h` (hex digit), `\w`, `\d`, POSIX brackets
 *   (`[[:alpha:]]`, `[[:^digit:]]`, ASCII definitions), nested classes and `&&`
 *   intersections, and ASCII case folding under `(?i)`.
 * - Group names may hold any character but `>` (`(?<[source][ip]>…)`, `(?<@metadata.x>…)`);
 *   every capture is emitted as a numbered JS group (named JS groups would make V8 build a
 *   `groups` object on every match) and reported with its Oniguruma name and index.
 * - Plain `( … )` groups do not capture (grok only keeps named captures) unless the
 *   expression uses numbered back-references.
 *
 * - The RegExp has flag `s` and not `u`: Ruby-style identity escapes (`\-`, `\"`, `\@`) stay
 *   valid, V8 keeps its fast paths, and `.` or a negated class takes one UTF-16 code unit
 *   (Oniguruma takes one code point: only counted repetitions over astral characters differ).
 * - Whitespace and comments of an `(?x)` expression are ignored only in its own text, not in
 *   the definitions it references (Logstash's textual expansion would also strip them there).
 *
 * Not supported (a clear error): Unicode properties `\p{…}`, `\K`, `\X`, subexpression
 * calls `\g<…>`, conditionals `(?(…)…)`, absent operator `(?~…)`.
 * Known differences that cannot be expressed with a JS RegExp: a capture inside a repeated
 * group is reset by JS at the start of each repetition (Oniguruma keeps the last value that
 * matched), a back-reference is case-sensitive even under `(?i)`, POSIX brackets are ASCII,
 * and inside a look-behind atomic groups and possessive quantifiers are ordinary ones (JS
 * matches look-behinds right to left, where the emulation does not hold).
 */

export class GrokSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GrokSyntaxError';
  }
}

/** Raised when a `%{NAME}` reference names no known pattern. */
export class UnknownPatternError extends GrokSyntaxError {
  constructor(
    readonly patternName: string,
    readonly chain: readonly string[],
  ) {
    super(`unknown grok pattern %{${patternName}}${chain.length ? ` (referenced from %{${chain.join('} → %{')}})` : ''}`);
    this.name = 'UnknownPatternError';
  }
}

export interface GroupInfo {
  /** The Oniguruma group name: `NAME:field` / `NAME:field:type` for a grok reference, the name for `(?<name>…)`. */
  readonly name: string;
  /** For `%{NAME:field[:type]}` references. */
  readonly grok?: { readonly pattern: string; readonly field: string; readonly type?: string };
  /** Index of the capture in the compiled RegExp's match array. */
  readonly index: number;
}

export interface TranslateOptions {
  /** Looks up a grok pattern definition; without a resolver `%{…}` is ordinary text. */
  resolve?: (name: string) => string | undefined;
  /** Only `%{NAME:field}` and `(?<name>…)` capture; `%{NAME}` alone does not (default true). */
  namedCapturesOnly?: boolean;
  /** Initial dot-matches-newline state (default true, as grok's Regexp::MULTILINE). */
  dotAll?: boolean;
  /** Initial case-insensitivity (default false). */
  ignoreCase?: boolean;
}

export interface Translation {
  /** Source for inputs that contain no `\n`. */
  readonly source: string;
  /** Source for inputs that contain `\n`; null when the expression has no `^`/`$` (then `source` serves both). */
  readonly multilineSource: string | null;
  readonly flags: string;
  readonly groups: readonly GroupInfo[];
}

// ------------------------------------------------------------------ code-unit sets

/** Sorted, merged, inclusive ranges [lo0, hi0, lo1, hi1, …] over 0..0xFFFF. */
type CharSet = number[];
const MAX = 0xffff;

function normalize(ranges: number[]): CharSet {
  const pairs: [number, number][] = [];
  for (let i = 0; i < ranges.length; i += 2) pairs.push([ranges[i], ranges[i + 1]]);
  pairs.sort((a, b) => a[0] - b[0]);
  const out: number[] = [];
  for (const [lo, hi] of pairs) {
    const n = out.length;
    if (n && lo <= out[n - 1] + 1) out[n - 1] = Math.max(out[n - 1], hi);
    else out.push(lo, hi);
  }
  return out;
}
function negate(set: CharSet): CharSet {
  const out: number[] = [];
  let next = 0;
  for (let i = 0; i < set.length; i += 2) {
    if (set[i] > next) out.push(next, set[i] - 1);
    next = set[i + 1] + 1;
  }
  if (next <= MAX) out.push(next, MAX);
  return out;
}
function intersect(a: CharSet, b: CharSet): CharSet {
  return negate(normalize([...negate(a), ...negate(b)]));
}
function caseFold(set: CharSet): CharSet {
  const extra: number[] = [];
  for (let i = 0; i < set.length; i += 2) {
    const lo = set[i];
    const hi = set[i + 1];
    const uLo = Math.max(lo, 0x41);
    const uHi = Math.min(hi, 0x5a);
    if (uLo <= uHi) extra.push(uLo + 32, uHi + 32);
    const lLo = Math.max(lo, 0x61);
    const lHi = Math.min(hi, 0x7a);
    if (lLo <= lHi) extra.push(lLo - 32, lHi - 32);
  }
  return extra.length ? normalize([...set, ...extra]) : set;
}
function sameSet(a: CharSet, b: CharSet): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

const c = (s: string) => s.charCodeAt(0);
const DIGIT: CharSet = [0x30, 0x39];
const WORD: CharSet = normalize([0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a]);
const SPACE: CharSet = normalize([0x09, 0x0d, 0x20, 0x20]); // Ruby \s: \t \n \v \f \r and space
const HEX: CharSet = normalize([0x30, 0x39, 0x41, 0x46, 0x61, 0x66]);
const NOT_DIGIT = negate(DIGIT);
const NOT_WORD = negate(WORD);
const NOT_SPACE = negate(SPACE);
const POSIX: Record<string, CharSet> = {
  alnum: normalize([0x30, 0x39, 0x41, 0x5a, 0x61, 0x7a]),
  alpha: normalize([0x41, 0x5a, 0x61, 0x7a]),
  ascii: [0, 0x7f],
  blank: normalize([0x09, 0x09, 0x20, 0x20]),
  cntrl: normalize([0, 0x1f, 0x7f, 0x7f]),
  digit: DIGIT,
  graph: [0x21, 0x7e],
  lower: [0x61, 0x7a],
  print: [0x20, 0x7e],
  punct: normalize([0x21, 0x2f, 0x3a, 0x40, 0x5b, 0x60, 0x7b, 0x7e]),
  space: SPACE,
  upper: [0x41, 0x5a],
  word: WORD,
  xdigit: HEX,
};

/** One code unit, escaped so that it is literal both inside and outside a class, with or without the u flag. */
function lit(code: number): string {
  if (code < 0x20 || (code >= 0x7f && code <= 0xff)) return '\\x' + code.toString(16).padStart(2, '0');
  if (code > 0xff) {
    // Printable BMP characters are kept as they are, except the private-use code points the
    // translator uses as placeholders and the line separators.
    if ((code >= 0xe000 && code <= 0xe0ff) || code === 0x2028 || code === 0x2029 || (code >= 0xd800 && code <= 0xdfff)) {
      return '\\u' + code.toString(16).padStart(4, '0');
    }
    return String.fromCharCode(code);
  }
  const ch = String.fromCharCode(code);
  return '\\^$.*+?()[]{}|/-'.includes(ch) ? '\\' + ch : ch;
}

function emitSet(set: CharSet): string {
  if (set.length === 0) return '[]';
  if (set.length === 2 && set[0] === 0 && set[1] === MAX) return '[\\s\\S]';
  if (set.length === 2 && set[0] === set[1]) return lit(set[0]);
  if (sameSet(set, DIGIT)) return '\\d';
  if (sameSet(set, NOT_DIGIT)) return '\\D';
  if (sameSet(set, WORD)) return '\\w';
  if (sameSet(set, NOT_WORD)) return '\\W';
  const neg = negate(set);
  const useNeg = neg.length < set.length;
  const body = useNeg ? neg : set;
  let s = useNeg ? '[^' : '[';
  for (let i = 0; i < body.length; i += 2) {
    const lo = body[i];
    const hi = body[i + 1];
    s += lit(lo);
    if (hi > lo + 1) s += '-';
    if (hi > lo) s += lit(hi);
  }
  return s + ']';
}

// ------------------------------------------------------------------ translator

interface Flags {
  i: boolean;
  m: boolean; // Ruby "multiline": dot matches newline
  x: boolean;
}

const enum Kind {
  Group,
  Implicit,
  Atomic,
  LookAhead,
  LookBehind,
}

interface Open {
  kind: Kind;
  saved: Flags;
  start: number;
  atomicId?: string;
}

// Placeholders (private-use code points; `lit` never emits them raw).
const BREF_OPEN = '\ue000';
const BREF_CLOSE = '\ue001';
const LINE_START = '\ue002';
const LINE_END = '\ue003';

const GROK_REF = /%\{([A-Za-z0-9_]+)(?::([^}:]*)(?::([^}]*))?)?\}/y;

class Translator {
  private out: string[] = [];
  private flags: Flags;
  private atomStart = -1;
  private atomQuantifiable = false;
  private atomWrap = false;
  private atomQuantified = false;
  private nextId = 0;
  private plainCount = 0;
  readonly groups: { name: string; grok?: GroupInfo['grok']; id: string }[] = [];
  usesNumberedBackrefs = false;
  private expanding: string[] = [];
  private lookbehinds = 0;

  constructor(
    private readonly opts: TranslateOptions,
    private readonly capturePlain: boolean,
  ) {
    this.flags = { i: opts.ignoreCase ?? false, m: opts.dotAll ?? true, x: false };
  }

  result(): string {
    return this.out.join('');
  }

  private err(msg: string, text: string, pos: number): GrokSyntaxError {
    const where = this.expanding.length ? ` in %{${this.expanding[this.expanding.length - 1]}}` : '';
    return new GrokSyntaxError(`${msg} at position ${pos}${where} of /${text}/`);
  }

  private id(prefix: string): string {
    return prefix + this.nextId++;
  }

  private bref(id: string): string {
    return BREF_OPEN + id + BREF_CLOSE;
  }

  private setAtom(start: number, opts: { quantifiable?: boolean; wrap?: boolean } = {}): void {
    this.atomStart = start;
    this.atomQuantifiable = opts.quantifiable ?? true;
    this.atomWrap = opts.wrap ?? false;
    this.atomQuantified = false;
  }

  private noAtom(): void {
    this.atomStart = -1;
  }

  private emitAtom(text: string, opts?: { quantifiable?: boolean; wrap?: boolean }): void {
    const start = this.out.length;
    this.out.push(text);
    this.setAtom(start, opts);
  }

  private emitChar(code: number): void {
    if (this.flags.i && ((code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a))) {
      this.emitAtom(emitSet(caseFold([code, code])));
    } else {
      this.emitAtom(lit(code));
    }
  }

  private emitCodePoint(cp: number): void {
    if (cp > 0xffff) {
      const s = String.fromCodePoint(cp);
      this.emitAtom(lit(s.charCodeAt(0)) + lit(s.charCodeAt(1)), { wrap: true });
    } else this.emitChar(cp);
  }

  private emitClassSet(set: CharSet): void {
    this.emitAtom(emitSet(this.flags.i ? caseFold(set) : set));
  }

  private quantify(q: string, mode: 'greedy' | 'lazy' | 'possessive', text: string, pos: number): void {
    if (this.atomStart < 0) throw this.err('target of repeat operator is not specified', text, pos);
    if (!this.atomQuantifiable) throw this.err('target of repeat operator is invalid', text, pos);
    let atom = this.out.splice(this.atomStart).join('');
    if (this.atomQuantified || this.atomWrap) atom = '(?:' + atom + ')';
    atom += q;
    if (mode === 'lazy') atom += '?';
    // Inside a look-behind JS matches right to left, where the look-ahead + back-reference
    // emulation does not hold: there a possessive quantifier is kept greedy.
    if (mode === 'possessive' && this.lookbehinds === 0) {
      const id = this.id('a');
      atom = `(?:(?=(?<${id}>${atom}))${this.bref(id)})`;
    }
    this.out.push(atom);
    this.atomWrap = false;
    this.atomQuantified = true;
  }

  /** Translates one expression text (the top-level pattern or a grok definition). */
  translateText(text: string): void {
    const stack: Open[] = [];
    const n = text.length;
    let i = 0;
    const closeImplicit = () => {
      while (stack.length && stack[stack.length - 1].kind === Kind.Implicit) {
        const top = stack.pop()!;
        this.out.push(')');
        this.flags = top.saved;
      }
    };
    while (i < n) {
      const ch = text[i];
      if (this.flags.x) {
        if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === '\f' || ch === '\v') {
          i++;
          continue;
        }
        if (ch === '#') {
          while (i < n && text[i] !== '\n') i++;
          continue;
        }
      }
      switch (ch) {
        case '\\':
          i = this.escape(text, i);
          break;
        case '[': {
          const [set, end] = this.parseClass(text, i);
          this.emitClassSet(set);
          i = end;
          break;
        }
        case '.':
          this.emitAtom(this.flags.m ? '.' : '[^\\n]');
          i++;
          break;
        case '^':
          this.emitAtom(LINE_START, { quantifiable: false });
          i++;
          break;
        case '$':
          this.emitAtom(LINE_END, { quantifiable: false });
          i++;
          break;
        case '|':
          this.out.push('|');
          this.noAtom();
          i++;
          break;
        case '(':
          i = this.openGroup(text, i, stack);
          break;
        case ')': {
          closeImplicit();
          const top = stack.pop();
          if (!top) throw this.err('unmatched close parenthesis', text, i);
          if (top.kind === Kind.Atomic) this.out.push('))' + this.bref(top.atomicId!) + ')');
          else this.out.push(')');
          if (top.kind === Kind.LookBehind) this.lookbehinds--;
          this.flags = top.saved;
          this.setAtom(top.start, { quantifiable: top.kind !== Kind.LookBehind, wrap: top.kind === Kind.LookAhead });
          i++;
          break;
        }
        case '*':
        case '+':
        case '?':
          i = this.simpleQuantifier(text, i);
          break;
        case '{': {
          const q = /\{(\d*)(?:(,)(\d*))?\}/y;
          q.lastIndex = i;
          const m = q.exec(text);
          if (m && (m[1] !== '' || (m[2] && m[3] !== ''))) {
            const min = m[1] === '' ? 0 : Number(m[1]);
            const max = m[2] ? (m[3] === '' ? undefined : Number(m[3])) : min;
            if (max !== undefined && max < min) throw this.err('upper bound must be greater than lower bound in interval', text, i);
            const qs = `{${min}${m[2] ? ',' + (max ?? '') : ''}}`;
            i = q.lastIndex;
            if (text[i] === '?' && m[2]) {
              this.quantify(qs, 'lazy', text, i);
              i++;
            } else {
              // `{n}?` in Ruby syntax is an optional exact repetition; `{n,m}+` is another quantifier.
              this.quantify(qs, 'greedy', text, i);
            }
          } else {
            this.emitChar(c('{'));
            i++;
          }
          break;
        }
        case '%': {
          if (this.opts.resolve && text[i + 1] === '{') {
            if (/^%\{[A-Za-z0-9_]+=/.test(text.slice(i, i + 200))) {
              throw this.err('inline definitions %{NAME=regex} are not supported (define the pattern in patternDefinitions)', text, i);
            }
            GROK_REF.lastIndex = i;
            const m = GROK_REF.exec(text);
            if (m) {
              i += m[0].length; // before recursing: the nested translation reuses GROK_REF
              this.grokReference(m[1], m[2], m[3], m[0].slice(2, -1));
              break;
            }
          }
          this.emitChar(c('%'));
          i++;
          break;
        }
        default: {
          const cp = text.codePointAt(i)!;
          this.emitCodePoint(cp);
          i += cp > 0xffff ? 2 : 1;
        }
      }
    }
    closeImplicit();
    if (stack.length) throw this.err('end pattern with unmatched parenthesis', text, n);
  }

  private simpleQuantifier(text: string, i: number): number {
    const q = text[i];
    const next = text[i + 1];
    if (next === '?') {
      this.quantify(q, 'lazy', text, i);
      return i + 2;
    }
    if (next === '+') {
      this.quantify(q, 'possessive', text, i);
      return i + 2;
    }
    this.quantify(q, 'greedy', text, i);
    return i + 1;
  }

  private grokReference(name: string, field: string | undefined, type: string | undefined, inner: string): void {
    const definition = this.opts.resolve!(name);
    if (definition === undefined) throw new UnknownPatternError(name, this.expanding);
    if (this.expanding.includes(name)) {
      throw new GrokSyntaxError(`grok pattern %{${name}} refers to itself (%{${[...this.expanding, name].join('} → %{')}})`);
    }
    if (this.expanding.length >= 64) throw new GrokSyntaxError(`grok patterns nest more than 64 levels deep at %{${name}}`);
    const named = field !== undefined && field !== '';
    const capture = named || this.opts.namedCapturesOnly === false;
    const start = this.out.length;
    const saved = this.flags;
    this.flags = { ...saved, x: false };
    if (capture) {
      const id = this.id('g');
      this.groups.push({
        name: named ? inner : name,
        grok: { pattern: name, field: named ? field! : name, type: named && type !== undefined && type !== '' ? type : undefined },
        id,
      });
      this.out.push(`(?<${id}>`);
    } else this.out.push('(?:');
    this.expanding.push(name);
    this.noAtom();
    this.translateText(definition);
    this.expanding.pop();
    this.out.push(')');
    this.flags = saved;
    this.setAtom(start);
  }

  private openGroup(text: string, i: number, stack: Open[]): number {
    const start = this.out.length;
    const saved = this.flags;
    const push = (kind: Kind, opener: string, extra: Partial<Open> = {}) => {
      stack.push({ kind, saved, start, ...extra });
      this.out.push(opener);
      this.noAtom();
    };
    if (text[i + 1] !== '?') {
      if (this.capturePlain) {
        const id = 'c' + ++this.plainCount;
        this.groups.push({ name: '', id });
        push(Kind.Group, `(?<${id}>`);
      } else push(Kind.Group, '(?:');
      return i + 1;
    }
    const t = text[i + 2];
    if (t === ':') {
      push(Kind.Group, '(?:');
      return i + 3;
    }
    if (t === '=' || t === '!') {
      push(Kind.LookAhead, '(?' + t);
      return i + 3;
    }
    if (t === '>') {
      if (this.lookbehinds > 0) {
        // see quantify(): inside a look-behind an atomic group is an ordinary group
        push(Kind.Group, '(?:');
        return i + 3;
      }
      const atomicId = this.id('a');
      push(Kind.Atomic, `(?:(?=(?<${atomicId}>`, { atomicId });
      return i + 3;
    }
    if (t === '<' && (text[i + 3] === '=' || text[i + 3] === '!')) {
      push(Kind.LookBehind, '(?<' + text[i + 3]);
      this.lookbehinds++;
      return i + 4;
    }
    if (t === '<' || t === "'") {
      const close = t === '<' ? '>' : "'";
      const end = text.indexOf(close, i + 3);
      if (end < 0) throw this.err('invalid group name', text, i);
      const name = text.slice(i + 3, end);
      if (name === '') throw this.err('group name is empty', text, i);
      const id = this.id('g');
      this.groups.push({ name, id });
      push(Kind.Group, `(?<${id}>`);
      return end + 1;
    }
    if (t === '#') {
      const end = text.indexOf(')', i + 3);
      if (end < 0) throw this.err('end pattern in group', text, i);
      return end + 1; // comment: no atom change
    }
    if (t === '(') throw this.err('conditional groups (?(…)…) are not supported', text, i);
    if (t === '~') throw this.err('the absent operator (?~…) is not supported', text, i);
    // Options: (?imx-imx) or (?imx-imx:subexp)
    const opt = /\(\?([imxadu]*)(?:-([imx]*))?([:)])/y;
    opt.lastIndex = i;
    const m = opt.exec(text);
    if (!m) throw this.err('undefined group option', text, i);
    const flags = { ...this.flags };
    for (const f of m[1]) if (f === 'i' || f === 'm' || f === 'x') flags[f] = true;
    for (const f of m[2] ?? '') if (f === 'i' || f === 'm' || f === 'x') flags[f] = false;
    if (m[3] === ':') {
      push(Kind.Group, '(?:');
      this.flags = flags;
    } else {
      // Isolated option: applies to the end of the enclosing group, alternatives included.
      push(Kind.Implicit, '(?:');
      this.flags = flags;
    }
    return opt.lastIndex;
  }

  private escape(text: string, i: number): number {
    const e = text[i + 1];
    if (e === undefined) throw this.err('end pattern at escape', text, i);
    const simple: Record<string, number> = { t: 9, n: 10, r: 13, f: 12, v: 11, a: 7, e: 0x1b };
    if (e in simple) {
      this.emitChar(simple[e]);
      return i + 2;
    }
    switch (e) {
      case 'd':
        this.emitClassSet(DIGIT);
        return i + 2;
      case 'D':
        this.emitClassSet(NOT_DIGIT);
        return i + 2;
      case 'w':
        this.emitClassSet(WORD);
        return i + 2;
      case 'W':
        this.emitClassSet(NOT_WORD);
        return i + 2;
      case 's':
        this.emitClassSet(SPACE);
        return i + 2;
      case 'S':
        this.emitClassSet(NOT_SPACE);
        return i + 2;
      case 'h':
        this.emitClassSet(HEX);
        return i + 2;
      case 'H':
        this.emitClassSet(negate(HEX));
        return i + 2;
      case 'b':
      case 'B':
        this.emitAtom('\\' + e, { quantifiable: false });
        return i + 2;
      case 'A':
      case 'G':
        this.emitAtom('^', { quantifiable: false });
        return i + 2;
      case 'z':
        this.emitAtom('$', { quantifiable: false });
        return i + 2;
      case 'Z':
        this.emitAtom('(?=\\n?$)', { quantifiable: false });
        return i + 2;
      case 'R':
        this.emitAtom('(?:\\r\\n|[\\n\\v\\f\\r\\x85\\u2028\\u2029])');
        return i + 2;
      case 'N':
        this.emitAtom('[^\\n]');
        return i + 2;
      case 'O':
        this.emitAtom('[\\s\\S]');
        return i + 2;
      case 'x':
      case 'u':
      case 'c':
      case 'C':
      case '0': {
        const [code, end] = this.charEscape(text, i);
        this.emitCodePoint(code);
        return end;
      }
      case 'k': {
        const m = /\\k(?:<([^>]+)>|'([^']+)')/y;
        m.lastIndex = i;
        const r = m.exec(text);
        if (!r) throw this.err('invalid backref', text, i);
        const ref = r[1] ?? r[2];
        if (/^\d+$/.test(ref)) this.numberedBackref(Number(ref));
        else this.emitAtom(this.bref('?' + ref));
        return m.lastIndex;
      }
      case 'p':
      case 'P':
        throw this.err('Unicode property escapes (\\p{…}) are not supported', text, i);
      case 'K':
      case 'X':
      case 'g':
      case 'y':
      case 'Y':
        throw this.err(`\\${e} is not supported`, text, i);
      default:
        if (e >= '1' && e <= '9') {
          const m = /\d+/y;
          m.lastIndex = i + 1;
          const digits = m.exec(text)![0];
          this.numberedBackref(Number(digits));
          return i + 1 + digits.length;
        }
        {
          const cp = text.codePointAt(i + 1)!;
          this.emitCodePoint(cp);
          return i + 1 + (cp > 0xffff ? 2 : 1);
        }
    }
  }

  private numberedBackref(n: number): void {
    this.usesNumberedBackrefs = true;
    this.emitAtom(this.bref('c' + n));
  }

  /** Character escapes shared by classes and the main text: \xHH \x{H…} \uHHHH \cX \C-X \0oo. Returns [code point, end]. */
  private charEscape(text: string, i: number): [number, number] {
    const e = text[i + 1];
    let m: RegExpExecArray | null;
    const at = (re: RegExp) => {
      re.lastIndex = i;
      return re.exec(text);
    };
    if (e === 'x') {
      if ((m = at(/\\x\{([0-9A-Fa-f]{1,8})\}/y))) {
        const cp = parseInt(m[1], 16);
        if (cp > 0x10ffff) throw this.err('too big wide-char value', text, i);
        return [cp, i + m[0].length];
      }
      if ((m = at(/\\x([0-9A-Fa-f]{1,2})/y))) return [parseInt(m[1], 16), i + m[0].length];
      throw this.err('invalid \\x escape', text, i);
    }
    if (e === 'u') {
      if ((m = at(/\\u([0-9A-Fa-f]{4})/y))) return [parseInt(m[1], 16), i + m[0].length];
      throw this.err('invalid Unicode escape', text, i);
    }
    if (e === 'c' || e === 'C') {
      if ((m = at(/\\(?:c|C-)(.)/y))) return [m[1].charCodeAt(0) & 0x1f, i + m[0].length];
      throw this.err('invalid control-code syntax', text, i);
    }
    if (e === '0') {
      m = at(/\\0([0-7]{0,2})/y)!;
      return [m[1] ? parseInt(m[1], 8) : 0, i + m[0].length];
    }
    throw this.err('invalid escape', text, i);
  }

  /** Parses a class starting at text[i] === '['; returns the set (before case folding) and the index after `]`. */
  private parseClass(text: string, i: number): [CharSet, number] {
    let j = i + 1;
    let negated = false;
    if (text[j] === '^') {
      negated = true;
      j++;
    }
    let ranges: number[] = [];
    let first = true;
    let result: CharSet | null = null; // left side of an && intersection
    for (;;) {
      if (j >= text.length) throw this.err('premature end of char-class', text, i);
      const ch = text[j];
      if (ch === ']' && !first) {
        j++;
        break;
      }
      if (ch === '&' && text[j + 1] === '&') {
        const left = normalize(ranges);
        result = result ? intersect(result, left) : left;
        ranges = [];
        j += 2;
        first = false;
        continue;
      }
      first = false;
      // One item: a set (escape class, POSIX bracket, nested class) or a single code point.
      let single: number | null = null;
      if (ch === '[') {
        const posix = /\[:(\^?)([a-z]+):\]/y;
        posix.lastIndex = j;
        const m = posix.exec(text);
        if (m) {
          const set = POSIX[m[2]];
          if (!set) throw this.err(`invalid POSIX bracket type [:${m[2]}:]`, text, j);
          ranges.push(...(m[1] ? negate(set) : set));
          j = posix.lastIndex;
        } else {
          const [set, end] = this.parseClass(text, j);
          ranges.push(...set);
          j = end;
        }
        continue;
      }
      if (ch === '\\') {
        const e = text[j + 1];
        const sets: Record<string, CharSet> = { d: DIGIT, D: NOT_DIGIT, w: WORD, W: NOT_WORD, s: SPACE, S: NOT_SPACE, h: HEX, H: negate(HEX) };
        const simple: Record<string, number> = { t: 9, n: 10, r: 13, f: 12, v: 11, a: 7, e: 0x1b, b: 8 };
        if (e === undefined) throw this.err('premature end of char-class', text, i);
        if (e in sets) {
          ranges.push(...sets[e]);
          j += 2;
          continue;
        }
        if (e === 'p' || e === 'P') throw this.err('Unicode property escapes (\\p{…}) are not supported', text, j);
        if (e in simple) {
          single = simple[e];
          j += 2;
        } else if (e === 'x' || e === 'u' || e === 'c' || e === 'C' || e === '0') {
          const [code, end] = this.charEscape(text, j);
          single = code;
          j = end;
        } else if (e >= '1' && e <= '7') {
          const m = /\\([0-7]{1,3})/y;
          m.lastIndex = j;
          const r = m.exec(text)!;
          single = parseInt(r[1], 8);
          j += r[0].length;
        } else {
          single = text.codePointAt(j + 1)!;
          j += 1 + (single > 0xffff ? 2 : 1);
        }
      } else {
        single = text.codePointAt(j)!;
        j += single > 0xffff ? 2 : 1;
      }
      // A range `a-z` (a trailing or leading '-' is literal).
      let hi = single;
      if (text[j] === '-' && text[j + 1] !== undefined && text[j + 1] !== ']' && text[j + 1] !== '[') {
        let k = j + 1;
        let end: number | null = null;
        if (text[k] === '\\') {
          const e = text[k + 1];
          const simple: Record<string, number> = { t: 9, n: 10, r: 13, f: 12, v: 11, a: 7, e: 0x1b, b: 8 };
          if (e !== undefined && 'dDwWsShHpP'.includes(e)) end = null;
          else if (e !== undefined && e in simple) {
            end = simple[e];
            k += 2;
          } else if (e === 'x' || e === 'u' || e === 'c' || e === 'C' || e === '0') {
            const [code, after] = this.charEscape(text, k);
            end = code;
            k = after;
          } else if (e !== undefined) {
            end = text.codePointAt(k + 1)!;
            k += 1 + (end > 0xffff ? 2 : 1);
          }
        } else {
          end = text.codePointAt(k)!;
          k += end > 0xffff ? 2 : 1;
        }
        if (end !== null) {
          if (end < single) throw this.err('empty range in char class', text, j);
          hi = end;
          j = k;
        }
      }
      pushRange(ranges, single, hi);
    }
    let set = normalize(ranges);
    if (result) set = intersect(result, set);
    if (negated) set = negate(set);
    return [set, j];
  }
}

/** Adds a code point range; astral code points become their surrogate pairs (exact only for single characters). */
function pushRange(ranges: number[], lo: number, hi: number): void {
  if (hi <= 0xffff) {
    ranges.push(lo, hi);
    return;
  }
  if (lo <= 0xffff) ranges.push(lo, 0xffff);
  // Without the u flag a class works on UTF-16 code units: accept any surrogate of the range.
  const s1 = String.fromCodePoint(Math.max(lo, 0x10000));
  const s2 = String.fromCodePoint(hi);
  ranges.push(s1.charCodeAt(0), s2.charCodeAt(0), 0xdc00, 0xdfff);
}

/** Rewrites internal group ids to plain numbered groups and resolves back-reference placeholders. */
function finish(raw: string, named: Map<string, string>): { body: string; numbers: Map<string, number> } {
  const numbers = new Map<string, number>();
  let n = 0;
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i];
    if (ch === '\\') {
      i++;
      continue;
    }
    if (ch === '[') {
      for (i++; i < raw.length && raw[i] !== ']'; i++) if (raw[i] === '\\') i++;
      continue;
    }
    if (ch === '(' && raw[i + 1] === '?' && raw[i + 2] === '<' && raw[i + 3] !== '=' && raw[i + 3] !== '!') {
      const end = raw.indexOf('>', i);
      numbers.set(raw.slice(i + 3, end), ++n);
    }
  }
  let body = raw.replace(/\(\?<([gac]\d+)>/g, '(');
  body = body.replace(new RegExp(`${BREF_OPEN}([^${BREF_CLOSE}]*)${BREF_CLOSE}`, 'g'), (_, id: string) => {
    let target = id;
    if (id.startsWith('?')) {
      const name = id.slice(1);
      const g = named.get(name);
      if (g === undefined) throw new GrokSyntaxError(`undefined name <${name}> reference`);
      target = g;
    }
    const num = numbers.get(target);
    if (num === undefined) throw new GrokSyntaxError(`invalid backref number/name ${id.replace(/^c/, '\\')}`);
    return `(?:\\${num})`;
  });
  return { body, numbers };
}

/** Translates a grok expression; throws GrokSyntaxError (or UnknownPatternError) with a clear message. */
export function translate(pattern: string, opts: TranslateOptions = {}): Translation {
  let t = new Translator(opts, false);
  t.translateText(pattern);
  if (t.usesNumberedBackrefs) {
    t = new Translator(opts, true);
    t.translateText(pattern);
  }
  const named = new Map<string, string>();
  for (const g of t.groups) if (g.name !== '' && !g.grok && !named.has(g.name)) named.set(g.name, g.id);
  for (const g of t.groups) if (g.grok && !named.has(g.name)) named.set(g.name, g.id);
  const { body, numbers } = finish(t.result(), named);
  const hasLineAnchors = body.includes(LINE_START) || body.includes(LINE_END);
  const source = body.replaceAll(LINE_START, '^').replaceAll(LINE_END, '$');
  const multilineSource = hasLineAnchors ? body.replaceAll(LINE_START, '(?<![^\\n])').replaceAll(LINE_END, '(?![^\\n])') : null;
  const groups: GroupInfo[] = [];
  for (const g of t.groups) {
    if (g.id.startsWith('c')) continue;
    groups.push(g.grok ? { name: g.name, grok: g.grok, index: numbers.get(g.id)! } : { name: g.name, index: numbers.get(g.id)! });
  }
  return { source, multilineSource, flags: 's', groups };
}
