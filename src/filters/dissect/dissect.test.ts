import { describe, expect, it } from 'vitest';
import { dissect } from './index.js';
import { makeFilter, runFilter } from '../../testing/context.js';

const run = async (config: Record<string, unknown>, event: Record<string, unknown>) => runFilter(await makeFilter(dissect, config), event)[0];

describe('dissect filter', () => {
  it('dissects a syslog line with appends, skips and a last field taking the rest', async () => {
    // from /work/shared/corpus/loghub/OpenSSH
    const message = 'Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186';
    const out = await run({ mapping: { message: '%{ts} %{+ts} %{+ts} %{host} %{prog}[%{pid}]: %{msg}' } }, { message });
    expect(out).toEqual({ message, ts: 'Dec 10 06:55:46', host: 'LabSZ', prog: 'sshd', pid: '24200', msg: 'Invalid user webmaster from 173.234.31.186' });
  });

  it('handles a prefix, a trailing delimiter and nested field names', async () => {
    const out = await run({ mapping: { message: '[%{log.level}] %{[client][ip]}:%{client.port} (%{msg})' } }, { message: '[WARN] 10.0.0.1:8080 (disk full) extra' });
    expect(out.log).toEqual({ level: 'WARN' });
    expect(out.client).toEqual({ ip: '10.0.0.1', port: '8080' });
    expect(out.msg).toBe('disk full');
  });

  it('skips padding with ->, and keeps empty values without it', async () => {
    expect(await run({ mapping: { m: '%{a->} %{b}' } }, { m: 'x      y' })).toMatchObject({ a: 'x', b: 'y' });
    expect(await run({ mapping: { m: '%{a} %{b} %{c}' } }, { m: 'x  z' })).toMatchObject({ a: 'x', b: '', c: 'z' });
    expect(await run({ mapping: { m: '%{ts->} %{level} %{}' } }, { m: '00:00:01      INFO rest' })).toMatchObject({ ts: '00:00:01', level: 'INFO' });
  });

  it('orders appends by ordinal and joins with the preceding delimiter', async () => {
    const out = await run({ mapping: { m: '%{+name/2} %{+name/4} %{+name/1} %{+name/3}' } }, { m: 'john jacob jingleheimer schmidt' });
    expect(out.name).toBe('jingleheimer john schmidt jacob');
    const joined = await run({ mapping: { m: '%{a}-%{+a}:%{+a}' } }, { m: 'x-y:z' });
    expect(joined.a).toBe('x-y:z');
  });

  it('appends onto a field the event already has', async () => {
    expect((await run({ mapping: { m: '%{+a} %{b}' } }, { m: 'two three', a: 'one' })).a).toBe('one two');
  });

  it('supports key/value fields and named skips as keys', async () => {
    const out = await run({ mapping: { m: '%{*k1}=%{&k1} %{?k2}: %{&k2}' } }, { m: 'user=alice google: 77.98' });
    expect(out).toMatchObject({ user: 'alice', google: '77.98' });
    expect(out.k1).toBeUndefined();
    const hostile = await run({ mapping: { m: '%{*k}=%{&k}' } }, { m: '__proto__=polluted' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(hostile)).toBe(Object.prototype);
  });

  it('skips anonymous fields', async () => {
    expect(await run({ mapping: { m: '%{} %{b} %{?ignored} %{c}' } }, { m: 'a b c d' })).toEqual({ m: 'a b c d', b: 'b', c: 'd' });
  });

  it('converts datatypes', async () => {
    const out = await run({ mapping: { m: '%{code} %{ms} %{word}' }, convertDatatype: { code: 'int', ms: 'float', word: 'int' } }, { m: '404 12.5 abc' });
    expect(out).toMatchObject({ code: 404, ms: 12.5, word: 'abc' });
  });

  it('tags events that do not fit and sets no field', async () => {
    const out = await run({ mapping: { m: '%{a} - %{b} | %{c}' } }, { m: 'x - y without bar' });
    expect(out).toEqual({ m: 'x - y without bar', tags: ['_dissectfailure'] });
    expect((await run({ mapping: { m: '<%{a}>' } }, { m: 'a>' })).tags).toEqual(['_dissectfailure']);
    expect((await run({ mapping: { m: '%{a}' }, tagOnFailure: ['nope'] }, { other: 1 })).tags).toEqual(['nope']);
  });

  it('rejects bad mappings at create()', async () => {
    await expect(makeFilter(dissect, { mapping: { m: '%{a}%{b}' } })).rejects.toThrow(/separated by a delimiter/);
    await expect(makeFilter(dissect, { mapping: { m: 'no fields' } })).rejects.toThrow(/has no %\{field\}/);
    await expect(makeFilter(dissect, { mapping: { m: '%{a} %{&b}' } })).rejects.toThrow(/no matching/);
    await expect(makeFilter(dissect, { mapping: { m: '%{a/2} %{b}' } })).rejects.toThrow(/only allowed on append/);
    await expect(makeFilter(dissect, { mapping: { m: '%{a} %{b' } })).rejects.toThrow(/unterminated/);
  });
});
