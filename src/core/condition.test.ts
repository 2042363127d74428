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
    expect(when('empty')).toBe(false);
    expect(when('off')).toBe(false);
    expect(when('missing')).toBe(false);
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
