import { describe, expect, it } from 'vitest';
import { compileJodaParser, formatIsoUtc, UTC_ZONE } from './joda.js';

describe('formatIsoUtc', () => {
  it('gives what Date#toISOString gives, for streams of nearby times (its per-second and per-day reuse) and for random ones', () => {
    let t = Date.UTC(1999, 11, 31, 23, 58, 0);
    // A deterministic walk: forwards and backwards across seconds, midnights and a year end.
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 200_000; i++) {
      const ms = i % 5 === 0 ? Math.floor(rand() * 253_402_300_799_999) : (t += Math.floor(rand() * 4000) - 900);
      expect(formatIsoUtc(ms)).toBe(new Date(ms).toISOString());
    }
  });
});

describe('Joda patterns', () => {
  it('parses the Apache access-log time, month names in any case, and rejects a wrong separator', () => {
    const parser = compileJodaParser('dd/MMM/yyyy:HH:mm:ss Z');
    const parse = (text: string, zone: typeof UTC_ZONE) => parser.parse(text, zone);
    expect(parse('10/Oct/2000:13:55:36 -0700', UTC_ZONE)).toBe(Date.UTC(2000, 9, 10, 20, 55, 36));
    expect(parse('10/oCT/2000:13:55:36 +0000', UTC_ZONE)).toBe(Date.UTC(2000, 9, 10, 13, 55, 36));
    expect(parse('10-Oct-2000:13:55:36 +0000', UTC_ZONE)).toBeNaN();
    expect(parse('10/Oct', UTC_ZONE)).toBeNaN();
  });
});
