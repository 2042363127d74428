/**
 * The `when` condition language: a small, safe, compiled expression language over one
 * event. It is parsed once into closures; nothing is ever evaluated as JavaScript, and an
 * expression can read the event's fields and nothing else.
 *
 *   expr    := or
 *   or      := xor (("or" | "||") xor)*
 *   xor     := and ("xor" and)*
 *   and     := unary (("and" | "&&" | "nand") unary)*
 *   unary   := ("not" | "!") unary | compare
 *   compare := operand [("==" | "!=" | "<" | "<=" | ">" | ">=" | "=~" | "!~" | "in" | "not in") operand]
 *   operand := string | number | true | false | null | /regex/flags | list | field
 *            | "exists" "(" field ")" | "(" expr ")"
 *   list    := "[" [operand ("," operand)*] "]"
 *   field   := dotted path (`a.b`, `@metadata.kafka.topic`) or Logstash style `[a][b]`
 *
 * A bare field is true when it exists and is neither false nor null, as Logstash documents
 * for `if [f]` (so "" and 0 are true: test `f != ""` for a non-empty string).
 * Precedence, tightest first: `not`/`!`, then `and`/`nand` (`a nand b` is `!(a and b)`),
 * then `xor`, then `or`; operators of one level group left to right.
 * `x in [..]` tests membership; `x in field` tests membership in an array field or a
 * substring of a string field.
 */
import { getField, parsePath, type Event } from './event.js';

export type Condition = (event: Event) => boolean;
type Value = (event: Event) => unknown;

export class ConditionSyntaxError extends Error {
  constructor(
    message: string,
    /** 0-based character offset inside the expression. */
    readonly position: number,
    readonly expression: string,
  ) {
    super(`${message} at position ${position + 1} of "${excerpt(expression, position).text}"`);
    this.name = 'ConditionSyntaxError';
  }
  /** The message without the expression, plus a caret line under it. */
  get detail(): string {
    const { text, caret } = excerpt(this.expression, this.position);
    return `${this.message}\n  ${text}\n  ${' '.repeat(caret)}^`;
  }
}

/** A long expression is shown as a window around the error position. */
function excerpt(expression: string, position: number): { text: string; caret: number } {
  if (expression.length <= 120) return { text: expression, caret: position };
  const start = Math.max(0, position - 50);
  const end = Math.min(expression.length, position + 50);
  const prefix = start > 0 ? '...' : '';
  return { text: `${prefix}${expression.slice(start, end)}${end < expression.length ? '...' : ''}`, caret: prefix.length + position - start };
}

type Token =
  | { t: 'str'; v: string; pos: number }
  | { t: 'num'; v: number; pos: number }
  | { t: 'regex'; v: RegExp; pos: number }
  | { t: 'field'; v: string; pos: number }
  | { t: 'word'; v: string; pos: number }
  | { t: 'op'; v: string; pos: number }
  | { t: 'end'; pos: number };

const KEYWORDS = new Set(['and', 'or', 'xor', 'nand', 'not', 'in', 'true', 'false', 'null', 'exists']);
const OPS = ['==', '!=', '<=', '>=', '=~', '!~', '&&', '||', '<', '>', '!', '(', ')', '[', ']', ','];

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const err = (msg: string, pos = i) => new ConditionSyntaxError(msg, pos, src);
  while (i < src.length) {
    const ch = src[i];
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const start = i;
    if (ch === '"' || ch === "'") {
      let out = '';
      i++;
      while (i < src.length && src[i] !== ch) {
        if (src[i] === '\\' && i + 1 < src.length) {
          const esc = src[i + 1];
          out += esc === 'n' ? '\n' : esc === 't' ? '\t' : esc;
          i += 2;
        } else out += src[i++];
      }
      if (i >= src.length) throw err('unterminated string', start);
      i++;
      tokens.push({ t: 'str', v: out, pos: start });
      continue;
    }
    if (ch === '/' ) {
      let body = '';
      i++;
      while (i < src.length && src[i] !== '/') {
        if (src[i] === '\\' && i + 1 < src.length) {
          body += src[i] + src[i + 1];
          i += 2;
        } else body += src[i++];
      }
      if (i >= src.length) throw err('unterminated regular expression', start);
      i++;
      let flags = '';
      while (i < src.length && /[a-z]/.test(src[i])) flags += src[i++];
      if (!/^[imsu]*$/.test(flags)) throw err(`unsupported regex flags "${flags}" (use i, m, s or u)`, start);
      try {
        tokens.push({ t: 'regex', v: new RegExp(body, flags), pos: start });
      } catch (e) {
        throw err(`invalid regular expression: ${(e as Error).message}`, start);
      }
      continue;
    }
    if (/[0-9]/.test(ch) || (ch === '-' && /[0-9]/.test(src[i + 1] ?? ''))) {
      const m = /^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?/.exec(src.slice(i))!;
      i += m[0].length;
      tokens.push({ t: 'num', v: Number(m[0]), pos: start });
      continue;
    }
    if (ch === '[' && BRACKET_FIELD.test(src.slice(i)) && !looksLikeList(src, i)) {
      // Logstash-style field reference: [a][b], [field with spaces]
      const m = BRACKET_FIELD.exec(src.slice(i))!;
      i += m[0].length;
      tokens.push({ t: 'field', v: m[0], pos: start });
      continue;
    }
    if (/[A-Za-z_@]/.test(ch)) {
      const m = /^[A-Za-z_@][A-Za-z0-9_@.\-]*/.exec(src.slice(i))!;
      let word = m[0];
      // A trailing '-' or '.' belongs to no field name.
      while (/[.\-]$/.test(word)) word = word.slice(0, -1);
      i += word.length;
      tokens.push(KEYWORDS.has(word) ? { t: 'word', v: word, pos: start } : { t: 'field', v: word, pos: start });
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (op) {
      i += op.length;
      tokens.push({ t: 'op', v: op, pos: start });
      continue;
    }
    throw err(`unexpected character "${ch}"`);
  }
  tokens.push({ t: 'end', pos: src.length });
  return tokens;
}

/** One or more `[name]` segments; a name has no brackets, commas or quotes and does not start or end with a space. */
const BRACKET_FIELD = /^(\[[^\][,'"\s](?:[^\][,'"]*[^\][,'"\s])?\])+/;

/** `[a][b]` is a field reference; `["a", 1]`, `[200]` or `[a, b]` would be lists. */
function looksLikeList(src: string, i: number): boolean {
  const m = /^\[([^\]]*)\]/.exec(src.slice(i));
  if (!m) return true;
  return /^-?[0-9]/.test(m[1]) || m[1].includes(',');
}

/** Deepest nesting of parentheses, lists and `not` accepted: the parser recurses, so a hostile expression must not overflow the stack. */
export const MAX_CONDITION_DEPTH = 64;
/** Longest expression accepted. */
export const MAX_CONDITION_LENGTH = 10_000;

export function compileCondition(src: string): Condition {
  if (src.length > MAX_CONDITION_LENGTH) throw new ConditionSyntaxError(`condition longer than ${MAX_CONDITION_LENGTH} characters`, 0, `${src.slice(0, 40)}...`);
  const tokens = tokenize(src);
  let p = 0;
  let depth = 0;
  const enter = () => {
    if (++depth > MAX_CONDITION_DEPTH) throw err(`nested deeper than ${MAX_CONDITION_DEPTH} levels`);
  };
  const peek = () => tokens[p];
  const err = (msg: string, tok = peek()) => new ConditionSyntaxError(msg, tok.pos, src);
  const isOp = (v: string) => peek().t === 'op' && (peek() as { v: string }).v === v;
  const isWord = (v: string) => peek().t === 'word' && (peek() as { v: string }).v === v;
  const expect = (v: string) => {
    if (!isOp(v)) throw err(`expected "${v}"${describe(peek())}`);
    p++;
  };

  function fieldOf(tok: Token): Value {
    let path;
    try {
      path = parsePath((tok as { v: string }).v);
    } catch (e) {
      throw err((e as Error).message, tok);
    }
    return (event) => getField(event, path);
  }

  function parseOr(): Condition {
    let left = parseXor();
    while (isWord('or') || isOp('||')) {
      p++;
      const l = left;
      const r = parseXor();
      left = (e) => l(e) || r(e);
    }
    return left;
  }

  function parseXor(): Condition {
    let left = parseAnd();
    while (isWord('xor')) {
      p++;
      const l = left;
      const r = parseAnd();
      left = (e) => l(e) !== r(e);
    }
    return left;
  }

  function parseAnd(): Condition {
    let left = parseUnary();
    while (isWord('and') || isWord('nand') || isOp('&&')) {
      const nand = isWord('nand');
      p++;
      const l = left;
      const r = parseUnary();
      left = nand ? (e) => !(l(e) && r(e)) : (e) => l(e) && r(e);
    }
    return left;
  }

  function parseUnary(): Condition {
    if (isWord('not') || isOp('!')) {
      p++;
      enter();
      const inner = parseUnary();
      depth--;
      return (e) => !inner(e);
    }
    return parseCompare();
  }

  function parseCompare(): Condition {
    const startTok = peek();
    const left = parseOperand();
    const tok = peek();
    if (tok.t === 'op' && ['==', '!=', '<', '<=', '>', '>=', '=~', '!~'].includes(tok.v)) {
      p++;
      const rightTok = peek();
      if (tok.v === '=~' || tok.v === '!~') {
        if (rightTok.t !== 'regex') throw err(`"${tok.v}" needs a /regex/ on its right`, rightTok);
        p++;
        const re = rightTok.v;
        const neg = tok.v === '!~';
        return (e) => {
          const v = left.value(e);
          const ok = typeof v === 'string' || typeof v === 'number' ? re.test(String(v)) : false;
          return neg ? !ok : ok;
        };
      }
      const right = parseOperand();
      return comparison(tok.v, left.value, right.value);
    }
    if (isWord('in') || (isWord('not') && tokens[p + 1]?.t === 'word' && (tokens[p + 1] as { v: string }).v === 'in')) {
      const neg = isWord('not');
      p += neg ? 2 : 1;
      const right = parseOperand();
      return (e) => membership(left.value(e), right.value(e)) !== neg;
    }
    if (startTok.t === 'str' || startTok.t === 'num') {
      // A lone literal is almost always a mistake (`when: "200"`); say so.
      throw err('a condition cannot be a lone literal; compare it with a field', startTok);
    }
    const v = left.value;
    return (e) => truthy(v(e));
  }

  function parseOperand(): { kind: 'literal' | 'field' | 'expr'; value: Value } {
    const tok = peek();
    switch (tok.t) {
      case 'str':
      case 'num': {
        p++;
        const v = tok.v;
        return { kind: 'literal', value: () => v };
      }
      case 'field':
        p++;
        return { kind: 'field', value: fieldOf(tok) };
      case 'regex':
        throw err('a /regex/ can only follow =~ or !~');
      case 'word': {
        if (tok.v === 'true' || tok.v === 'false' || tok.v === 'null') {
          p++;
          const v = tok.v === 'null' ? null : tok.v === 'true';
          return { kind: 'literal', value: () => v };
        }
        if (tok.v === 'exists') {
          p++;
          expect('(');
          const f = peek();
          if (f.t !== 'field') throw err('exists() takes a field name');
          p++;
          const get = fieldOf(f);
          expect(')');
          return { kind: 'expr', value: (e) => get(e) !== undefined };
        }
        throw err(`unexpected "${tok.v}"`);
      }
      case 'op': {
        if (tok.v === '(') {
          p++;
          enter();
          const inner = parseOr();
          expect(')');
          depth--;
          return { kind: 'expr', value: inner };
        }
        if (tok.v === '[') {
          p++;
          enter();
          const items: Value[] = [];
          if (!isOp(']')) {
            for (;;) {
              items.push(parseOperand().value);
              if (isOp(',')) {
                p++;
                continue;
              }
              break;
            }
          }
          expect(']');
          depth--;
          return { kind: 'literal', value: (e) => items.map((it) => it(e)) };
        }
        throw err(`unexpected "${tok.v}"`);
      }
      case 'end':
        throw err('unexpected end of expression');
    }
  }

  if (peek().t === 'end') throw err('empty condition');
  const cond = parseOr();
  if (peek().t !== 'end') throw err(`unexpected ${describe(peek()).replace(/^, found /, '')}`);
  return cond;
}

function describe(tok: Token): string {
  if (tok.t === 'end') return ', found the end of the expression';
  if (tok.t === 'regex') return ', found a regex';
  return `, found "${String(tok.v)}"`;
}

/** Logstash's `if [field]`: false when the field is missing, null or false; anything else is true. */
function truthy(v: unknown): boolean {
  return v !== undefined && v !== null && v !== false;
}

function comparison(op: string, l: Value, r: Value): Condition {
  switch (op) {
    case '==':
      return (e) => looseEqual(l(e), r(e));
    case '!=':
      return (e) => !looseEqual(l(e), r(e));
    default:
      return (e) => {
        const a = l(e);
        const b = r(e);
        const c = order(a, b);
        if (c === undefined) return false;
        return op === '<' ? c < 0 : op === '<=' ? c <= 0 : op === '>' ? c > 0 : c >= 0;
      };
  }
}

/** Numbers compare numerically (a numeric string counts as a number), strings as text. */
function order(a: unknown, b: unknown): number | undefined {
  const na = toNumber(a);
  const nb = toNumber(b);
  if (na !== undefined && nb !== undefined) return na - nb;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  return undefined;
}

function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
  return undefined;
}

function looseEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'number' || typeof b === 'number') {
    const na = toNumber(a);
    const nb = toNumber(b);
    return na !== undefined && nb !== undefined && na === nb;
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => looseEqual(x, b[i]));
  return false;
}

function membership(needle: unknown, haystack: unknown): boolean {
  if (Array.isArray(haystack)) return haystack.some((h) => looseEqual(needle, h));
  if (typeof haystack === 'string' && (typeof needle === 'string' || typeof needle === 'number')) {
    return haystack.includes(String(needle));
  }
  return false;
}
