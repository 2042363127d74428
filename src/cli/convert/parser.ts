/**
 * A parser of Logstash's pipeline configuration language (the `.conf` files), written from
 * the language's documented grammar: sections `input`/`filter`/`output`, plugins with
 * `name => value` options, values (strings, numbers, barewords, arrays, hashes, plugins as
 * values such as codecs), comments, and `if / else if / else` with their conditions.
 *
 * It is a hand-written recursive-descent parser over the text: linear time, bounded nesting
 * (a hostile file gets an error, never a stack overflow), and every node keeps its line and
 * column. Syntax errors are `LogstashSyntaxError`s with the position of the problem.
 *
 * Deliberate leniencies, where Logstash would refuse a file: commas between options and
 * between hash entries, a trailing comma in an array, and `\\` inside a string (Logstash's
 * grammar would let `"\\"` run on past the closing quote).
 */
import type {
  ArrayNode,
  Attribute,
  BooleanOperator,
  BranchNode,
  Clause,
  ConditionNode,
  ConfigFile,
  HashEntry,
  HashNode,
  PluginNode,
  Position,
  RValue,
  Section,
  SectionType,
  Statement,
  ValueNode,
} from './ast.js';
import { formatPosition } from './ast.js';

export class LogstashSyntaxError extends Error {
  constructor(
    readonly reason: string,
    readonly pos: Position,
  ) {
    super(`${formatPosition(pos)}: ${reason}`);
    this.name = 'LogstashSyntaxError';
  }
}

export interface ParseOptions {
  /** Logstash's `config.support_escapes`: turn `\n`, `\t`, `\"`, `\\`… in strings into the characters. Default false, as in Logstash. */
  supportEscapes?: boolean;
}

/** Deepest nesting of arrays, hashes, branches and parentheses accepted. */
export const MAX_NESTING = 100;

const SECTION_TYPES = new Set<SectionType>(['input', 'filter', 'output']);
const NAME_CHAR = /[A-Za-z0-9_-]/;

export function parseConfig(text: string, file: string, options: ParseOptions = {}): ConfigFile {
  return new Parser(text, file, options).config();
}

/** Parses one condition (the text between `if` and `{`), for tests and tools. */
export function parseCondition(text: string, file = '<condition>'): ConditionNode {
  return new Parser(text, file, {}).conditionOnly();
}

class Parser {
  private i = 0;
  private depth = 0;
  private readonly lineStarts: number[] = [0];

  constructor(
    private readonly src: string,
    private readonly file: string,
    private readonly options: ParseOptions,
  ) {
    // A byte-order mark is not part of the text.
    if (src.charCodeAt(0) === 0xfeff) this.i = 1;
    for (let k = 0; k < src.length; k++) if (src[k] === '\n') this.lineStarts.push(k + 1);
  }

  // ------------------------------------------------------------ positions and errors

  private posAt(offset: number): Position {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { file: this.file, line: lo + 1, column: offset - this.lineStarts[lo] + 1 };
  }

  private pos(): Position {
    return this.posAt(this.i);
  }

  private fail(reason: string, offset = this.i): never {
    throw new LogstashSyntaxError(reason, this.posAt(offset));
  }

  private found(): string {
    if (this.i >= this.src.length) return 'the end of the file';
    const m = /^[A-Za-z0-9_-]+/.exec(this.src.slice(this.i, this.i + 40));
    return m ? `"${m[0]}"` : `"${this.src[this.i]}"`;
  }

  private enter(): void {
    if (++this.depth > MAX_NESTING) this.fail(`nested deeper than ${MAX_NESTING} levels`);
  }

  private leave(): void {
    this.depth--;
  }

  // ------------------------------------------------------------ lexical helpers

  /** Skips whitespace and `#` comments. */
  private ws(): void {
    const s = this.src;
    while (this.i < s.length) {
      const c = s[this.i];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v' || c === '\u00a0') this.i++;
      else if (c === '#') {
        while (this.i < s.length && s[this.i] !== '\n') this.i++;
      } else break;
    }
  }

  private peek(str: string): boolean {
    return this.src.startsWith(str, this.i);
  }

  /** A keyword at the cursor, not followed by a name character. */
  private peekWord(word: string): boolean {
    return this.src.startsWith(word, this.i) && !NAME_CHAR.test(this.src[this.i + word.length] ?? '');
  }

  private expect(str: string, what: string): void {
    if (!this.peek(str)) this.fail(`expected ${what}, found ${this.found()}`);
    this.i += str.length;
  }

  private atEnd(): boolean {
    return this.i >= this.src.length;
  }

  // ------------------------------------------------------------ structure

  config(): ConfigFile {
    const sections: Section[] = [];
    this.ws();
    while (!this.atEnd()) {
      const start = this.i;
      const name = this.readName();
      if (!name || !SECTION_TYPES.has(name as SectionType)) {
        this.fail(`expected a section (input, filter or output), found ${name ? `"${name}"` : this.found()}`, start);
      }
      this.ws();
      this.expect('{', `"{" after "${name}"`);
      const body = this.statements(name as SectionType);
      sections.push({ type: name as SectionType, body, pos: this.posAt(start) });
      this.ws();
    }
    return { file: this.file, sections };
  }

  conditionOnly(): ConditionNode {
    this.ws();
    const c = this.condition();
    this.ws();
    if (!this.atEnd()) this.fail(`unexpected ${this.found()} after the condition`);
    return c;
  }

  /** Statements up to and including the closing `}`. */
  private statements(section: SectionType): Statement[] {
    this.enter();
    const out: Statement[] = [];
    for (;;) {
      this.ws();
      if (this.atEnd()) this.fail(`missing "}" closing the ${section} block`);
      if (this.peek('}')) {
        this.i++;
        break;
      }
      if (this.peekWord('if')) out.push(this.branch(section));
      else if (this.peekWord('else')) this.fail('"else" without a preceding "if"');
      else out.push(this.plugin());
    }
    this.leave();
    return out;
  }

  private branch(section: SectionType): BranchNode {
    const start = this.i;
    const clauses: Clause[] = [];
    this.i += 2;
    this.ws();
    const cond = this.condition();
    this.ws();
    this.expect('{', '"{" after the condition');
    clauses.push({ condition: cond, body: this.statements(section), pos: this.posAt(start) });
    for (;;) {
      const save = this.i;
      this.ws();
      if (!this.peekWord('else')) {
        this.i = save;
        break;
      }
      const clauseStart = this.i;
      this.i += 4;
      this.ws();
      if (this.peekWord('if')) {
        this.i += 2;
        this.ws();
        const c = this.condition();
        this.ws();
        this.expect('{', '"{" after the condition');
        clauses.push({ condition: c, body: this.statements(section), pos: this.posAt(clauseStart) });
      } else {
        this.expect('{', '"{" or "if" after "else"');
        clauses.push({ body: this.statements(section), pos: this.posAt(clauseStart) });
        break;
      }
    }
    return { kind: 'branch', clauses, pos: this.posAt(start) };
  }

  /** A plugin or option name: `[A-Za-z0-9_-]+` or a quoted string. */
  private readName(): string | undefined {
    const c = this.src[this.i];
    if (c === '"' || c === "'") return this.quoted().value;
    const start = this.i;
    while (this.i < this.src.length && NAME_CHAR.test(this.src[this.i])) this.i++;
    return this.i > start ? this.src.slice(start, this.i) : undefined;
  }

  private plugin(): PluginNode {
    const start = this.i;
    const name = this.readName();
    if (!name) this.fail(`expected a plugin name or "}", found ${this.found()}`);
    this.ws();
    this.expect('{', `"{" after the plugin name "${name}"`);
    return this.pluginBody(name, start);
  }

  /** Options after the plugin's `{`, up to its `}`. */
  private pluginBody(name: string, start: number): PluginNode {
    this.enter();
    const entries = this.keyValues(start, `the plugin "${name}"`, () => {
      const attrName = this.readName();
      if (!attrName) this.fail(`expected an option name or "}" in plugin "${name}", found ${this.found()}`);
      return attrName;
    }, (attrName) => `"=>" after the option name "${attrName}"`);
    this.leave();
    const attributes: Attribute[] = entries.map((e) => ({ name: e.key, value: e.value, pos: e.pos }));
    return { kind: 'plugin', name, attributes, pos: this.posAt(start) };
  }

  /**
   * `key => value` entries up to the closing `}` of a plugin or a hash (the `{` consumed);
   * commas and semicolons between entries are skipped.
   */
  private keyValues<K>(start: number, closing: string, readKey: () => K, arrow: (key: K) => string): { key: K; value: ValueNode; pos: Position }[] {
    const entries: { key: K; value: ValueNode; pos: Position }[] = [];
    for (;;) {
      this.ws();
      if (this.atEnd()) this.fail(`missing "}" closing ${closing}`, start);
      if (this.peek('}')) {
        this.i++;
        break;
      }
      if (this.peek(',') || this.peek(';')) {
        this.i++;
        continue;
      }
      const entryStart = this.i;
      const key = readKey();
      this.ws();
      this.expect('=>', arrow(key));
      this.ws();
      entries.push({ key, value: this.value(), pos: this.posAt(entryStart) });
    }
    return entries;
  }

  // ------------------------------------------------------------ values

  private value(): ValueNode {
    const c = this.src[this.i];
    if (c === '"' || c === "'") return this.quoted();
    if (c === '[') return this.array();
    if (c === '{') return this.hash();
    const num = this.number();
    if (num) return num;
    const start = this.i;
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.src.slice(this.i, this.i + 200));
    if (m) {
      this.i += m[0].length;
      const save = this.i;
      this.ws();
      // A plugin as a value: `codec => json { charset => "UTF-8" }`.
      if (this.peek('{')) {
        this.i++;
        return this.pluginBody(m[0], start);
      }
      this.i = save;
      return { kind: 'bareword', value: m[0], pos: this.posAt(start) };
    }
    return this.fail(`expected a value (string, number, bareword, array or hash), found ${this.found()}`);
  }

  private number(): ValueNode | undefined {
    const m = /^-?[0-9]+(\.[0-9]*)?/.exec(this.src.slice(this.i, this.i + 100));
    if (!m) return undefined;
    // `10s` or `2x` is not a number: let the bareword rule (and its error) handle it.
    if (/[A-Za-z_]/.test(this.src[this.i + m[0].length] ?? '')) return undefined;
    const start = this.i;
    this.i += m[0].length;
    return { kind: 'number', value: Number(m[0]), raw: m[0], pos: this.posAt(start) };
  }

  private quoted(): { kind: 'string'; value: string; pos: Position } {
    const start = this.i;
    const q = this.src[this.i++];
    const s = this.src;
    let j = this.i;
    while (j < s.length && s[j] !== q) j += s[j] === '\\' ? 2 : 1;
    if (j >= s.length) this.fail(`unterminated string (missing closing ${q})`, start);
    const raw = s.slice(this.i, j);
    this.i = j + 1;
    return { kind: 'string', value: this.options.supportEscapes ? unescape(raw) : raw, pos: this.posAt(start) };
  }

  private array(): ArrayNode {
    const start = this.i;
    // Config arrays accept a trailing comma (as Logstash does); condition lists do not.
    const items = this.bracketed(start, 'array', () => this.value(), true);
    return { kind: 'array', items, pos: this.posAt(start) };
  }

  /** `[` items separated by `,` `]`, the `[` at this.i; `trailingComma`: `[a, b,]` is accepted. */
  private bracketed<T>(start: number, what: string, item: () => T, trailingComma: boolean): T[] {
    this.enter();
    this.i++;
    const items: T[] = [];
    for (;;) {
      this.ws();
      if (this.atEnd()) this.fail(`missing "]" closing the ${what}`, start);
      if (this.peek(']')) {
        this.i++;
        break;
      }
      if (items.length) {
        this.expect(',', `"," or "]" in the ${what}`);
        this.ws();
        if (trailingComma && this.peek(']')) {
          this.i++;
          break;
        }
      }
      items.push(item());
    }
    this.leave();
    return items;
  }

  private hash(): HashNode {
    const start = this.i;
    this.enter();
    this.i++;
    const entries: HashEntry[] = this.keyValues(start, 'the hash', () => {
      let key: HashEntry['key'];
      const c = this.src[this.i];
      if (c === '"' || c === "'") key = this.quoted();
      else {
        const num = this.number();
        if (num && num.kind === 'number') key = num;
        else {
          const m = /^[A-Za-z0-9_@.\-]+/.exec(this.src.slice(this.i, this.i + 200));
          if (!m) this.fail(`expected a hash key or "}", found ${this.found()}`);
          key = { kind: 'bareword', value: m[0], pos: this.pos() };
          this.i += m[0].length;
        }
      }
      return key;
    }, () => '"=>" after the hash key');
    this.leave();
    return { kind: 'hash', entries, pos: this.posAt(start) };
  }

  // ------------------------------------------------------------ conditions

  /**
   * condition := xorExpr ("or" xorExpr)*;  xorExpr := andExpr ("xor" andExpr)*;
   * andExpr := expression (("and" | "nand") expression)*. `and`/`nand` bind tighter than
   * `xor`, which binds tighter than `or`; operators of one level associate to the left.
   */
  private condition(): ConditionNode {
    this.enter();
    const result = this.boolLevel(0);
    this.leave();
    return result;
  }

  private static readonly LEVELS: BooleanOperator[][] = [['or'], ['xor'], ['and', 'nand']];

  private boolLevel(level: number): ConditionNode {
    if (level >= Parser.LEVELS.length) return this.expression();
    let left = this.boolLevel(level + 1);
    for (;;) {
      const save = this.i;
      this.ws();
      const op = Parser.LEVELS[level].find((o) => this.peekWord(o));
      if (!op) {
        this.i = save;
        return left;
      }
      const opPos = this.pos();
      this.i += op.length;
      this.ws();
      const right = this.boolLevel(level + 1);
      left = { kind: 'bool', op, left, right, pos: opPos };
    }
  }

  private expression(): ConditionNode {
    const start = this.i;
    if (this.peek('(')) {
      this.i++;
      this.ws();
      const inner = this.condition();
      this.ws();
      this.expect(')', '")" closing the parenthesis');
      return inner;
    }
    if (this.peek('!') && !this.peek('!=') && !this.peek('!~')) {
      this.i++;
      this.ws();
      this.enter();
      let operand: ConditionNode;
      if (this.peek('(')) operand = this.expression();
      else {
        const v = this.rvalue();
        if (v.kind !== 'selector') this.fail('"!" applies to a field reference or a parenthesised condition', start);
        operand = { kind: 'value', value: v, pos: v.pos };
      }
      this.leave();
      return { kind: 'not', operand, pos: this.posAt(start) };
    }
    const left = this.rvalue();
    const save = this.i;
    this.ws();
    const pos = this.posAt(start);
    for (const op of ['==', '!=', '<=', '>=', '<', '>'] as const) {
      if (this.peek(op) && !(op === '<' && this.peek('<=')) && !(op === '>' && this.peek('>='))) {
        this.i += op.length;
        this.ws();
        return { kind: 'compare', op, left, right: this.rvalue(), pos };
      }
    }
    if (this.peek('=~') || this.peek('!~')) {
      const negate = this.peek('!~');
      this.i += 2;
      this.ws();
      const rightAt = this.i;
      const right = this.rvalue();
      if (right.kind !== 'regex' && right.kind !== 'string') this.fail('expected a /regex/ or a string after the match operator', rightAt);
      return { kind: 'match', negate, left, right, pos };
    }
    if (this.peekWord('in')) {
      this.i += 2;
      this.ws();
      return { kind: 'in', negate: false, left, right: this.rvalue(), pos };
    }
    if (this.peekWord('not')) {
      const notAt = this.i;
      this.i += 3;
      this.ws();
      if (this.peekWord('in')) {
        this.i += 2;
        this.ws();
        return { kind: 'in', negate: true, left, right: this.rvalue(), pos };
      }
      this.i = notAt;
    }
    this.i = save;
    return { kind: 'value', value: left, pos };
  }

  private rvalue(): RValue {
    const start = this.i;
    const c = this.src[this.i];
    if (c === '"' || c === "'") {
      const s = this.quoted();
      return { kind: 'string', value: s.value, pos: s.pos };
    }
    if (c === '/') {
      let j = this.i + 1;
      const s = this.src;
      while (j < s.length && s[j] !== '/' && s[j] !== '\n') j += s[j] === '\\' ? 2 : 1;
      if (j >= s.length || s[j] !== '/') this.fail('unterminated regular expression', start);
      const source = s.slice(this.i + 1, j);
      this.i = j + 1;
      return { kind: 'regex', source, pos: this.posAt(start) };
    }
    if (c === '[') {
      const sel = /^(\[[^\]\[,]+\])+/.exec(this.src.slice(this.i, this.i + 2000));
      if (sel && !/^\[\s*["'0-9-]/.test(sel[0])) {
        this.i += sel[0].length;
        const path = sel[0].slice(1, -1).split('][');
        return { kind: 'selector', path, pos: this.posAt(start) };
      }
      const items = this.bracketed(start, 'list', () => this.rvalue(), false);
      return { kind: 'list', items, pos: this.posAt(start) };
    }
    const num = /^-?[0-9]+(\.[0-9]+)?/.exec(this.src.slice(this.i, this.i + 100));
    if (num) {
      this.i += num[0].length;
      return { kind: 'number', value: Number(num[0]), raw: num[0], pos: this.posAt(start) };
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.src.slice(this.i, this.i + 200));
    if (word) {
      this.i += word[0].length;
      this.ws();
      if (this.peek('(')) {
        this.enter();
        this.i++;
        const args: RValue[] = [];
        for (;;) {
          this.ws();
          if (this.atEnd()) this.fail(`missing ")" closing the call of ${word[0]}`, start);
          if (this.peek(')')) {
            this.i++;
            break;
          }
          if (args.length) {
            this.expect(',', '"," or ")"');
            this.ws();
          }
          args.push(this.rvalue());
        }
        this.leave();
        return { kind: 'call', name: word[0], args, pos: this.posAt(start) };
      }
      this.fail(`expected a field reference like [field], a string, a number or a list in the condition, found "${word[0]}"`, start);
    }
    return this.fail(`expected a field reference, string, number, list or /regex/ in the condition, found ${this.found()}`);
  }
}

/** Logstash's `config.support_escapes` rules. */
function unescape(raw: string): string {
  return raw.replace(/\\(.)/gs, (_, ch: string) => {
    switch (ch) {
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 't':
        return '\t';
      case '0':
        return '\0';
      case '\\':
      case '"':
      case "'":
        return ch;
      default:
        return `\\${ch}`;
    }
  });
}
