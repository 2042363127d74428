import { describe, expect, it } from 'vitest';
import { compileCondition, ConditionSyntaxError } from './condition.js';

const ev = {
  status: 503,
  code: '404',
  method: 'GET',
  tags: ['a', '_grokparsefailure'],
  client: { ip: '10.1.2.3', geo: { country: 'DE' } },
  empty: '',
  off: false,
  '@metadata': { kafka: { topic: 'web' } },
};
const when = (src: string) => compileCondition(src)(ev);

describe('when conditions', () => {
  it('compares numbers, numeric strings and strings', () => {
    expect(when('status >= 500')).toBe(true);
    expect(when('status < 500')).toBe(false);
    expect(when('code == 404')).toBe(true);
    expect(when('method == "GET"')).toBe(true);
    expect(when("method != 'POST'")).toBe(true);
  });
  it('reads nested fields in dotted and bracket syntax', () => {
    expect(when('client.geo.country == "DE"')).toBe(true);
    expect(when('[client][geo][country] == "DE"')).toBe(true);
    expect(when('@metadata.kafka.topic == "web"')).toBe(true);
  });
  it('combines with and/or/not and parentheses', () => {
    expect(when('status > 500 and method == "GET"')).toBe(true);
    expect(when('status > 600 or method == "GET"')).toBe(true);
    expect(when('not (status > 500 && method == "GET")')).toBe(false);
    expect(when('!exists(missing) || false')).toBe(true);
  });
  it('tests existence and truthiness like Logstash', () => {
    expect(when('exists(client.ip)')).toBe(true);
    expect(when('exists(client.nope)')).toBe(false);
    expect(when('client.ip')).toBe(true);
    // Logstash documents `if [foo]` as false only when foo is missing, null or false.
    expect(when('empty')).toBe(true);
    expect(when('[empty]')).toBe(true);
    expect(when('off')).toBe(false);
    expect(when('[off]')).toBe(false);
    expect(when('nothing')).toBe(false);
    expect(when('missing')).toBe(false);
    expect(when('![missing]')).toBe(true);
    expect(when('empty != ""')).toBe(false);
  });
  it('has xor and nand, with not > and/nand > xor > or', () => {
    expect(when('[status] == 503 xor [method] == "GET"')).toBe(false);
    expect(when('[status] == 503 xor [method] == "POST"')).toBe(true);
    expect(when('[missing] xor [off]')).toBe(false);
    expect(when('[status] == 503 nand [method] == "GET"')).toBe(false);
    expect(when('[status] == 503 nand [method] == "POST"')).toBe(true);
    // and binds tighter than xor, xor tighter than or
    expect(when('[method] == "GET" xor [status] == 503 and [off]')).toBe(true);
    expect(when('[method] == "GET" or [status] == 503 xor [method] == "GET"')).toBe(true);
    expect(when('([method] == "GET" or [status] == 503) xor [method] == "GET"')).toBe(false);
    expect(when('!([status] == 503 and [method] == "GET")')).toBe(false);
    expect(when('not [off] and [client][ip]')).toBe(true);
  });
  it("follows the `in` examples of Logstash's conditional docs", () => {
    const e = { foo: 'foo', foobar: 'foobar', greeting: 'hello world', tags: ['_grokparsefailure'] };
    const c = (src: string) => compileCondition(src)(e);
    expect(c('[foo] in [foobar]')).toBe(true); // field in field (substring)
    expect(c('[foo] in "foo"')).toBe(true); // field in string
    expect(c('"hello" in [greeting]')).toBe(true); // string in field
    expect(c('[foo] in ["hello", "world", "foo"]')).toBe(true); // field in list
    expect(c('[missing] in [alsomissing]')).toBe(false);
    expect(c('!("foo" in ["hello", "world"])')).toBe(true);
    expect(c('"_grokparsefailure" not in [tags]')).toBe(false);
    expect(c('"_dateparsefailure" not in [tags]')).toBe(true);
  });
  it('reads bracket references with spaces and mixes both syntaxes', () => {
    const e = { 'user agent': { name: 'curl' }, a: { b: 1 } };
    expect(compileCondition('[user agent][name] == "curl"')(e)).toBe(true);
    expect(compileCondition('[a][b] == a.b and exists([a][b])')(e)).toBe(true);
    expect(compileCondition('[a][b] in [1, 2]')(e)).toBe(true);
  });
  it('matches regular expressions', () => {
    expect(when('client.ip =~ /^10\\./')).toBe(true);
    expect(when('method !~ /post/i')).toBe(true);
    expect(when('method =~ /get/i')).toBe(true);
  });
  it('tests membership in lists, array fields and strings', () => {
    expect(when('status in [500, 502, 503]')).toBe(true);
    expect(when('status not in [500, 502]')).toBe(true);
    expect(when('"_grokparsefailure" in tags')).toBe(true);
    expect(when('"x" in tags')).toBe(false);
    expect(when('"ET" in method')).toBe(true);
  });
  it('cannot reach anything but the event', () => {
    expect(() => compileCondition('constructor.constructor == 1')).toThrow(/not allowed/);
    expect(() => compileCondition('__proto__ == 1')).toThrow(/not allowed/);
    expect(when('toString')).toBe(false);
    expect(when('tags.length == 2')).toBe(false);
  });
  it('reaches no prototype, global or code, whatever the path syntax', () => {
    for (const src of [
      '[__proto__][polluted] == 1',
      'a.__proto__ == 1',
      'client.constructor.name == "Object"',
      'prototype',
      '@metadata.__proto__',
      'exists(constructor)',
      '"x" in [constructor]',
    ]) {
      expect(() => compileCondition(src), src).toThrow(ConditionSyntaxError);
    }
    // Inherited members of objects, strings and arrays read as absent fields.
    for (const src of ['toString', 'hasOwnProperty', 'valueOf', 'exists(toString)', 'message.length', 'method.length == 3', 'tags.0 == "a"', 'tags.length', 'client.ip.length > 0']) {
      expect(when(src), src).toBe(false);
    }
    expect(when('not exists(valueOf)')).toBe(true);
    // Identifiers are field names, never globals.
    for (const src of ['globalThis', 'process', 'this', 'require', 'globalThis.process.env.HOME']) expect(when(src), src).toBe(false);
    // Anything that would be a call or an operator outside the language is a syntax error.
    for (const src of ['process.exit(1)', 'a = 1', 'a + 1 == 2', '`x`', 'a; b', 'status > 1 ? a : b', 'x =~ /a/g', 'x =~ /a/y']) {
      expect(() => compileCondition(src), src).toThrow(ConditionSyntaxError);
    }
  });
  it('an own "__proto__" key in an event is data, not a way out', () => {
    const hostile = JSON.parse('{"__proto__":{"polluted":"yes"},"status":500}');
    expect(compileCondition('polluted == "yes"')(hostile)).toBe(false);
    expect(compileCondition('status == 500')(hostile)).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
  it('refuses hostile nesting and length with a syntax error, not a stack overflow', () => {
    const cases = [
      // Under the length limit: caught by the nesting limit.
      '('.repeat(4_000) + 'a' + ')'.repeat(4_000),
      'not '.repeat(2_000) + 'a',
      '!'.repeat(9_000) + 'a',
      `a in ${'[1,'.repeat(2_000)}1${']'.repeat(2_000)}`,
      // Over it.
      '('.repeat(100_000) + 'a' + ')'.repeat(100_000),
      `a == "${'x'.repeat(20_000)}"`,
    ];
    for (const src of cases) {
      let caught: unknown;
      try {
        compileCondition(src);
      } catch (e) {
        caught = e;
      }
      expect(caught, src.slice(0, 20)).toBeInstanceOf(ConditionSyntaxError);
      expect((caught as Error).message).toMatch(/nested deeper than 64 levels|longer than 10000 characters/);
      expect((caught as ConditionSyntaxError).detail.length).toBeLessThan(400);
    }
    // Up to the limit is fine.
    expect(compileCondition(`${'('.repeat(60)}status > 1${')'.repeat(60)}`)(ev)).toBe(true);
  });
  it('reports syntax errors with their position', () => {
    const cases: Array<[string, number, RegExp]> = [
      ['status >', 8, /unexpected end/],
      ['status == "x', 10, /unterminated string/],
      ['(status > 1', 11, /expected "\)"/],
      ["status === 1", 9, /unexpected character "="/],
      ['status =~ "x"', 10, /needs a \/regex\//],
      ['status > 1 status', 11, /unexpected "status"/],
      ['a =~ /(/', 5, /invalid regular expression/],
      ['', 0, /empty condition/],
      ['"200"', 0, /lone literal/],
    ];
    for (const [src, pos, msg] of cases) {
      let caught: unknown;
      try {
        compileCondition(src);
      } catch (e) {
        caught = e;
      }
      expect(caught, src).toBeInstanceOf(ConditionSyntaxError);
      expect((caught as ConditionSyntaxError).position, src).toBe(pos);
      expect((caught as Error).message, src).toMatch(msg);
    }
  });
});
