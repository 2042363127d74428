import { afterEach, describe, expect, it, vi } from 'vitest';
import { date } from './index.js';
import { makeFilter, runFilter } from '../../testing/context.js';

async function parse(config: Record<string, unknown>, value: unknown, extra: Record<string, unknown> = {}) {
  const f = await makeFilter(date, { field: 'ts', ...config });
  const [out] = runFilter(f, { ts: value, ...extra });
  return out;
}

describe('date filter', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('parses the Apache access-log timestamp into @timestamp', async () => {
    // from /work/shared/corpus/apache-access/access.log
    const out = await parse({ formats: ['dd/MMM/yyyy:HH:mm:ss Z'] }, '17/May/2015:10:05:03 +0000');
    expect(out['@timestamp']).toBe('2015-05-17T10:05:03.000Z');
    expect(out.tags).toBeUndefined();
  });

  it('gives each event its own result when the same text repeats (last result remembered) and after it changes', async () => {
    const f = await makeFilter(date, { field: 'ts', formats: ['dd/MMM/yyyy:HH:mm:ss Z'] });
    const texts = ['17/May/2015:10:05:03 +0000', '17/May/2015:10:05:03 +0000', '17/May/2015:10:05:04 +0200', 'bad', '17/May/2015:10:05:04 +0200'];
    const out = texts.map((ts) => runFilter(f, { ts })[0]);
    expect(out.map((e) => e['@timestamp'] ?? e.tags)).toEqual(['2015-05-17T10:05:03.000Z', '2015-05-17T10:05:03.000Z', '2015-05-17T08:05:04.000Z', ['_dateparsefailure'], '2015-05-17T08:05:04.000Z']);
  });

  it('a pattern without a year takes the year at the time of each event, even for the same text', async () => {
    const f = await makeFilter(date, { field: 'ts', formats: ['MMM  d HH:mm:ss'] });
    vi.useFakeTimers({ now: new Date('2024-06-01T00:00:00Z') });
    const [a] = runFilter(f, { ts: 'Jun  2 10:00:00' });
    vi.setSystemTime(new Date('2025-06-01T00:00:00Z'));
    const [b] = runFilter(f, { ts: 'Jun  2 10:00:00' });
    expect([a['@timestamp'], b['@timestamp']]).toEqual(['2024-06-02T10:00:00.000Z', '2025-06-02T10:00:00.000Z']);
  });

  it('applies numeric offsets with and without colon', async () => {
    expect((await parse({ formats: ['yyyy-MM-dd HH:mm:ss Z'] }, '2020-02-29 23:30:00 -0530'))['@timestamp']).toBe('2020-03-01T05:00:00.000Z');
    expect((await parse({ formats: ['yyyy-MM-dd HH:mm:ssZZ'] }, '2020-02-29 23:30:00+05:30'))['@timestamp']).toBe('2020-02-29T18:00:00.000Z');
    expect((await parse({ formats: ["yyyy-MM-dd'T'HH:mm:ss.SSSXXX"] }, '2020-02-29T23:30:00.250Z'))['@timestamp']).toBe('2020-02-29T23:30:00.250Z');
  });

  it('tries formats in order and tags on failure', async () => {
    const formats = ['yyyy-MM-dd HH:mm:ss', 'dd.MM.yyyy HH:mm'];
    expect((await parse({ formats }, '03.04.2021 10:11'))['@timestamp']).toBe('2021-04-03T10:11:00.000Z');
    const bad = await parse({ formats }, 'not a date', { '@timestamp': 'kept' });
    expect(bad.tags).toEqual(['_dateparsefailure']);
    expect(bad['@timestamp']).toBe('kept');
    const custom = await parse({ formats, tagOnFailure: ['x', 'y'] }, '2021-13-01 00:00:00');
    expect(custom.tags).toEqual(['x', 'y']);
  });

  it('requires the whole text to match and validates calendar fields', async () => {
    const formats = ['yyyy-MM-dd'];
    expect((await parse({ formats }, '2021-02-29')).tags).toEqual(['_dateparsefailure']);
    expect((await parse({ formats }, '2020-02-29'))['@timestamp']).toBe('2020-02-29T00:00:00.000Z');
    expect((await parse({ formats }, '2021-02-01 trailing')).tags).toEqual(['_dateparsefailure']);
    expect((await parse({ formats: ['HH:mm'] }, '24:00')).tags).toEqual(['_dateparsefailure']);
  });

  it('reads fractions of any length, 12-hour clocks and weekday names', async () => {
    expect((await parse({ formats: ['yyyy-MM-dd HH:mm:ss,SSSSSS'] }, '2016-01-02 03:04:05,123456'))['@timestamp']).toBe('2016-01-02T03:04:05.123Z');
    expect((await parse({ formats: ['yyyy-MM-dd HH:mm:ss.S'] }, '2016-01-02 03:04:05.7'))['@timestamp']).toBe('2016-01-02T03:04:05.700Z');
    expect((await parse({ formats: ['MM/dd/yyyy hh:mm:ss a'] }, '07/04/2019 12:15:00 AM'))['@timestamp']).toBe('2019-07-04T00:15:00.000Z');
    expect((await parse({ formats: ['MM/dd/yyyy hh:mm:ss a'] }, '07/04/2019 01:15:00 pm'))['@timestamp']).toBe('2019-07-04T13:15:00.000Z');
    // Apache error log, from loghub/Apache
    expect((await parse({ formats: ['EEE MMM dd HH:mm:ss yyyy'] }, 'Sun Dec 04 04:47:44 2005'))['@timestamp']).toBe('2005-12-04T04:47:44.000Z');
    expect((await parse({ formats: ['EEEE, d MMMM yyyy'] }, 'Tuesday, 7 September 2021'))['@timestamp']).toBe('2021-09-07T00:00:00.000Z');
  });

  it('accepts one-digit day and hour for two-letter patterns, fixed widths when fields touch', async () => {
    expect((await parse({ formats: ['MMM dd yyyy H:mm'] }, 'Jun 4 2015 7:05'))['@timestamp']).toBe('2015-06-04T07:05:00.000Z');
    // HDFS (loghub): yyMMdd HHmmss
    expect((await parse({ formats: ['yyMMdd HHmmss'] }, '081109 203615'))['@timestamp']).toBe('2008-11-09T20:36:15.000Z');
    expect((await parse({ formats: ['yyyyMMddHHmmss'] }, '20081109203615'))['@timestamp']).toBe('2008-11-09T20:36:15.000Z');
  });

  it('handles quoted literals', async () => {
    expect((await parse({ formats: ["yyyy-MM-dd'T'HH:mm:ss'Z'"] }, '2019-01-01T10:00:00Z'))['@timestamp']).toBe('2019-01-01T10:00:00.000Z');
    expect((await parse({ formats: ["'day' d 'of' MMMM yyyy"] }, "day 5 of March 2018"))['@timestamp']).toBe('2018-03-05T00:00:00.000Z');
  });

  it('applies the configured time zone across daylight saving time', async () => {
    const cfg = { formats: ['yyyy-MM-dd HH:mm:ss'], timezone: 'Europe/Paris' };
    expect((await parse(cfg, '2021-01-15 12:00:00'))['@timestamp']).toBe('2021-01-15T11:00:00.000Z');
    expect((await parse(cfg, '2021-07-15 12:00:00'))['@timestamp']).toBe('2021-07-15T10:00:00.000Z');
    // ambiguous hour at the end of DST: the earlier instant
    expect((await parse(cfg, '2021-10-31 02:30:00'))['@timestamp']).toBe('2021-10-31T00:30:00.000Z');
    expect((await parse(cfg, '2021-10-31 03:30:00'))['@timestamp']).toBe('2021-10-31T02:30:00.000Z');
    // skipped hour at the start of DST: moved forward
    expect((await parse(cfg, '2021-03-28 02:30:00'))['@timestamp']).toBe('2021-03-28T01:30:00.000Z');
    const ny = { formats: ['yyyy-MM-dd HH:mm:ss'], timezone: 'America/New_York' };
    expect((await parse(ny, '2021-03-14 01:59:59'))['@timestamp']).toBe('2021-03-14T06:59:59.000Z');
    expect((await parse(ny, '2021-03-14 03:00:00'))['@timestamp']).toBe('2021-03-14T07:00:00.000Z');
    const kathmandu = { formats: ['yyyy-MM-dd HH:mm'], timezone: 'Asia/Kathmandu' };
    expect((await parse(kathmandu, '2021-06-01 05:45'))['@timestamp']).toBe('2021-06-01T00:00:00.000Z');
  });

  it('ignores the configured zone when the text carries an offset or a zone', async () => {
    const cfg = { formats: ['yyyy-MM-dd HH:mm:ss Z', 'yyyy-MM-dd HH:mm:ss ZZZ', 'yyyy-MM-dd HH:mm:ss z'], timezone: 'Asia/Tokyo' };
    expect((await parse(cfg, '2021-07-15 12:00:00 +0000'))['@timestamp']).toBe('2021-07-15T12:00:00.000Z');
    expect((await parse(cfg, '2021-07-15 12:00:00 America/Los_Angeles'))['@timestamp']).toBe('2021-07-15T19:00:00.000Z');
    expect((await parse(cfg, '2021-07-15 12:00:00 PDT'))['@timestamp']).toBe('2021-07-15T19:00:00.000Z');
    expect((await parse(cfg, '2021-07-15 12:00:00 UTC'))['@timestamp']).toBe('2021-07-15T12:00:00.000Z');
    expect((await parse(cfg, '2021-07-15 12:00:00 Mars/Olympus')).tags).toEqual(['_dateparsefailure']);
  });

  it('takes the time zone from a template', async () => {
    const f = await makeFilter(date, { field: 'ts', formats: ['yyyy-MM-dd HH:mm'], timezone: '%{tz}' });
    const [a] = runFilter(f, { ts: '2021-07-15 12:00', tz: 'Asia/Tokyo' });
    expect(a['@timestamp']).toBe('2021-07-15T03:00:00.000Z');
    const [b] = runFilter(f, { ts: '2021-07-15 12:00', tz: 'Nowhere/Special' });
    expect(b.tags).toEqual(['_dateparsefailure']);
  });

  it('parses ISO8601 variants', async () => {
    const cfg = { formats: ['ISO8601'] };
    expect((await parse(cfg, '2011-04-19T03:44:01.103Z'))['@timestamp']).toBe('2011-04-19T03:44:01.103Z');
    expect((await parse(cfg, '2011-04-19T03:44:01+02:00'))['@timestamp']).toBe('2011-04-19T01:44:01.000Z');
    expect((await parse(cfg, '2011-04-19 03:44:01,5-0100'))['@timestamp']).toBe('2011-04-19T04:44:01.500Z');
    expect((await parse(cfg, '2011-04-19T03:44:01.123456789+05'))['@timestamp']).toBe('2011-04-18T22:44:01.123Z');
    expect((await parse(cfg, '2011-04-19'))['@timestamp']).toBe('2011-04-19T00:00:00.000Z');
    expect((await parse({ ...cfg, timezone: 'Europe/Berlin' }, '2011-04-19 03:44:01'))['@timestamp']).toBe('2011-04-19T01:44:01.000Z');
    expect((await parse(cfg, '2011-04-19T3:44')).tags).toEqual(['_dateparsefailure']);
  });

  it('parses UNIX, UNIX_MS and TAI64N', async () => {
    expect((await parse({ formats: ['UNIX'] }, 1326149001))['@timestamp']).toBe('2012-01-09T22:43:21.000Z');
    expect((await parse({ formats: ['UNIX'] }, '1326149001.132'))['@timestamp']).toBe('2012-01-09T22:43:21.132Z');
    expect((await parse({ formats: ['UNIX'] }, 1326149001.5))['@timestamp']).toBe('2012-01-09T22:43:21.500Z');
    expect((await parse({ formats: ['UNIX'] }, '13261abc')).tags).toEqual(['_dateparsefailure']);
    expect((await parse({ formats: ['UNIX_MS'] }, 1366125117000))['@timestamp']).toBe('2013-04-16T15:11:57.000Z');
    expect((await parse({ formats: ['UNIX_MS'] }, '1366125117123'))['@timestamp']).toBe('2013-04-16T15:11:57.123Z');
    expect((await parse({ formats: ['TAI64N'] }, '@4000000050d506482dbdf024'))['@timestamp']).toBe('2012-12-22T01:00:46.767Z');
  });

  it('guesses the year of syslog dates, with the new-year rollover', async () => {
    vi.useFakeTimers();
    const cfg = { formats: ['MMM dd HH:mm:ss', 'MMM  d HH:mm:ss'] };
    vi.setSystemTime(new Date('2016-01-05T10:00:00Z'));
    expect((await parse(cfg, 'Dec 31 23:58:00'))['@timestamp']).toBe('2015-12-31T23:58:00.000Z');
    expect((await parse(cfg, 'Jan  4 10:00:00'))['@timestamp']).toBe('2016-01-04T10:00:00.000Z');
    vi.setSystemTime(new Date('2016-12-31T23:59:00Z'));
    expect((await parse(cfg, 'Jan 01 00:00:30'))['@timestamp']).toBe('2017-01-01T00:00:30.000Z');
    vi.setSystemTime(new Date('2016-06-10T00:00:00Z'));
    // Linux syslog, from loghub/Linux
    expect((await parse(cfg, 'Jun 14 15:16:01'))['@timestamp']).toBe('2016-06-14T15:16:01.000Z');
    expect((await parse(cfg, 'Feb 29 01:00:00'))['@timestamp']).toBe('2016-02-29T01:00:00.000Z');
  });

  it('uses locale month names', async () => {
    expect((await parse({ formats: ['dd MMMM yyyy'], locale: 'de' }, '03 März 2020'))['@timestamp']).toBe('2020-03-03T00:00:00.000Z');
    expect((await parse({ formats: ['dd MMM yyyy'], locale: 'fr' }, '03 févr. 2020'))['@timestamp']).toBe('2020-02-03T00:00:00.000Z');
    expect((await parse({ formats: ['dd MMM yyyy'], locale: 'fr' }, '03 févr 2020'))['@timestamp']).toBe('2020-02-03T00:00:00.000Z');
  });

  it('writes to another target and leaves events without the field alone', async () => {
    const out = await parse({ formats: ['yyyy'], target: 'event.created' }, '1999');
    expect(out.event).toEqual({ created: '1999-01-01T00:00:00.000Z' });
    const f = await makeFilter(date, { field: 'ts', formats: ['yyyy'] });
    const [none] = runFilter(f, { message: 'x' });
    expect(none).toEqual({ message: 'x' });
    const [obj] = runFilter(f, { ts: { a: 1 } });
    expect(obj.tags).toEqual(['_dateparsefailure']);
  });

  it('rejects bad configuration at create()', async () => {
    await expect(makeFilter(date, { field: 'ts', formats: ['yyyy-MM-dd QQ'] })).rejects.toThrow(/unsupported date pattern letter "Q"/);
    await expect(makeFilter(date, { field: 'ts', formats: ["yyyy 'open"] })).rejects.toThrow(/unterminated quote/);
    await expect(makeFilter(date, { field: 'ts', formats: ['yyyy'], timezone: 'Europe/Atlantis' })).rejects.toThrow(/unknown time zone/);
    await expect(makeFilter(date, { field: 'ts', formats: ['yyyy'], locale: 'zz-invalid-locale-@@' })).rejects.toThrow(/unsupported locale/);
    await expect(makeFilter(date, { field: 'ts', formats: ['ISO8601'], locale: 'xx' })).rejects.toThrow(/unsupported locale/);
    await expect(makeFilter(date, { field: 'ts', formats: [] })).rejects.toThrow(/invalid date config/);
  });
});
