import { describe, expect, it } from 'vitest';
import { LogstashSyntaxError, MAX_NESTING, parseCondition, parseConfig } from './parser.js';
import type { PluginNode } from './ast.js';

const parse = (text: string, opts = {}) => parseConfig(text, 'test.conf', opts);

function firstFilter(text: string): PluginNode {
  const s = parse(text).sections.find((x) => x.type === 'filter')!;
  return s.body[0] as PluginNode;
}

describe('Logstash config parser: values', () => {
  it('reads sections, plugins and options with their positions', () => {
    const cfg = parse('# comment\ninput {\n  kafka { topics => ["a", \'b\'] group_id => g1 }\n}\nfilter { }\noutput{stdout{}}\n');
    expect(cfg.sections.map((s) => s.type)).toEqual(['input', 'filter', 'output']);
    const kafka = cfg.sections[0].body[0] as PluginNode;
    expect(kafka).toMatchObject({ kind: 'plugin', name: 'kafka', pos: { file: 'test.conf', line: 3, column: 3 } });
    expect(kafka.attributes[0]).toMatchObject({ name: 'topics', pos: { line: 3, column: 11 }, value: { kind: 'array', items: [{ kind: 'string', value: 'a' }, { kind: 'string', value: 'b' }] } });
    expect(kafka.attributes[1].value).toMatchObject({ kind: 'bareword', value: 'g1' });
  });

  it('keeps backslashes in strings as written (config.support_escapes is off by default), and unescapes when asked', () => {
    const text = 'filter { grok { match => { "message" => "\\[%{WORD:w}\\] \\"q\\" \\t" } } }';
    const raw = firstFilter(text).attributes[0].value;
    expect(raw).toMatchObject({ kind: 'hash', entries: [{ key: { value: 'message' }, value: { value: '\\[%{WORD:w}\\] \\"q\\" \\t' } }] });
    const esc = parse(text, { supportEscapes: true }).sections[0].body[0] as PluginNode;
    expect(esc.attributes[0].value).toMatchObject({ entries: [{ value: { value: '\\[%{WORD:w}\\] "q" \t' } }] });
  });

  it('reads numbers, negative and decimal, hashes with number and bareword keys, nested arrays, and plugin values (codecs)', () => {
    const p = firstFilter('filter { x { a => -1.5 b => 42 c => { 1 => "one" key => [1, [2, 3]] } codec => json { charset => "UTF-8" } } }');
    expect(p.attributes.map((a) => a.value.kind)).toEqual(['number', 'number', 'hash', 'plugin']);
    expect(p.attributes[0].value).toMatchObject({ value: -1.5, raw: '-1.5' });
    expect(p.attributes[2].value).toMatchObject({ entries: [{ key: { kind: 'number', value: 1 } }, { key: { kind: 'bareword', value: 'key' }, value: { kind: 'array' } }] });
    expect(p.attributes[3].value).toMatchObject({ kind: 'plugin', name: 'json', attributes: [{ name: 'charset' }] });
  });

  it('accepts commas between options and hash entries, and a trailing comma in arrays', () => {
    const p = firstFilter('filter { mutate { add_field => { "a" => "1", "b" => "2" }, add_tag => ["x", "y",] } }');
    expect(p.attributes).toHaveLength(2);
    expect(p.attributes[1].value).toMatchObject({ items: [{ value: 'x' }, { value: 'y' }] });
  });

  it('a byte-order mark and CRLF line ends are fine', () => {
    expect(parse('\ufeffinput {\r\n  kafka {}\r\n}\r\n').sections).toHaveLength(1);
  });
});

describe('Logstash config parser: conditionals', () => {
  it('reads if / else if / else with their positions', () => {
    const cfg = parse('filter {\n  if [a] == 1 { drop {} }\n  else if [b] { mutate {} } else { json {} }\n}');
    const b = cfg.sections[0].body[0];
    expect(b).toMatchObject({ kind: 'branch', clauses: [{ pos: { line: 2, column: 3 } }, { pos: { line: 3, column: 3 } }, { body: [{ name: 'json' }] }] });
    expect((b as { clauses: { condition?: unknown }[] }).clauses[2].condition).toBeUndefined();
  });

  it('parses comparisons, in / not in, regex matches, lists and negation', () => {
    expect(parseCondition('[a][b] >= 500')).toMatchObject({ kind: 'compare', op: '>=', left: { kind: 'selector', path: ['a', 'b'] }, right: { kind: 'number', value: 500 } });
    expect(parseCondition('"x" not in [tags]')).toMatchObject({ kind: 'in', negate: true, left: { kind: 'string', value: 'x' } });
    expect(parseCondition('[m] =~ /^a\\/b$/')).toMatchObject({ kind: 'match', negate: false, right: { kind: 'regex', source: '^a\\/b$' } });
    expect(parseCondition('[m] !~ "x"')).toMatchObject({ kind: 'match', negate: true, right: { kind: 'string' } });
    expect(parseCondition('[s] in ["a", "b"]')).toMatchObject({ right: { kind: 'list', items: [{ value: 'a' }, { value: 'b' }] } });
    expect(parseCondition('![a]')).toMatchObject({ kind: 'not', operand: { kind: 'value', value: { kind: 'selector' } } });
    expect(parseCondition('!("a" in [tags])')).toMatchObject({ kind: 'not', operand: { kind: 'in' } });
  });

  it('and/nand bind tighter than xor, which binds tighter than or', () => {
    const c = parseCondition('[a] or [b] and [c] xor [d]');
    // a or ((b and c) xor d)
    expect(c).toMatchObject({ op: 'or', left: { kind: 'value' }, right: { op: 'xor', left: { op: 'and' }, right: { kind: 'value' } } });
    expect(parseCondition('[a] nand [b] and [c]')).toMatchObject({ op: 'and', left: { op: 'nand' } });
  });

  it('a field name that starts like a keyword is a plugin, not "if"', () => {
    const cfg = parse('filter { if_x { } }');
    expect(cfg.sections[0].body[0]).toMatchObject({ kind: 'plugin', name: 'if_x' });
  });
});

describe('Logstash config parser: errors', () => {
  const error = (text: string) => {
    try {
      parse(text);
    } catch (e) {
      expect(e).toBeInstanceOf(LogstashSyntaxError);
      return e as LogstashSyntaxError;
    }
    throw new Error('no error');
  };

  it('reports an unterminated string where it starts', () => {
    const e = error('filter {\n  mutate { add_tag => "oops }\n}\n');
    expect(e.pos).toMatchObject({ line: 2, column: 23 });
    expect(e.message).toBe('test.conf:2:23: unterminated string (missing closing ")');
  });

  it('reports a missing "=>" and a missing closing brace', () => {
    expect(error('filter { mutate { add_tag "x" } }').reason).toMatch(/expected "=>" after the option name "add_tag"/);
    expect(error('filter { mutate { } ').reason).toMatch(/missing "}" closing the filter block/);
    expect(error('nothing { }').reason).toMatch(/expected a section \(input, filter or output\), found "nothing"/);
    expect(error('filter { else { } }').reason).toMatch(/"else" without a preceding "if"/);
    expect(error('filter { if [a] == { } }').reason).toMatch(/expected a field reference/);
  });

  it('refuses hostile nesting with an error instead of overflowing the stack', () => {
    const deep = `filter { x { a => ${'['.repeat(MAX_NESTING + 5)}${']'.repeat(MAX_NESTING + 5)} } }`;
    expect(error(deep).reason).toMatch(/nested deeper than/);
    const deepIf = `filter { ${'if [a] { '.repeat(MAX_NESTING + 5)}${'} '.repeat(MAX_NESTING + 5)} }`;
    expect(error(deepIf).reason).toMatch(/nested deeper than/);
    const deepParens = `filter { if ${'('.repeat(5000)}[a]${')'.repeat(5000)} { } }`;
    expect(error(deepParens).reason).toMatch(/nested deeper than/);
  });
});
