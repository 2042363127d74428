import { describe, expect, it } from 'vitest';
import { compileTemplate } from './template.js';
import { formatJoda, tokenizeJoda } from './joda.js';

describe('templates: %{+date} parts', () => {
  it('renders a day pattern per event exactly as formatting each @timestamp would, across day boundaries, before 1970 and without a timestamp', () => {
    const t = compileTemplate('logs-%{+yyyy.MM.dd}-%{+YYYY-ww EEE}');
    const tokens = [tokenizeJoda('yyyy.MM.dd'), tokenizeJoda('YYYY-ww EEE')];
    const expected = (ms: number) => `logs-${formatJoda(tokens[0], ms)}-${formatJoda(tokens[1], ms)}`;
    // Times in order and out of order, a millisecond either side of midnight, negative epochs.
    const times = [Date.UTC(2015, 4, 17, 23, 59, 59, 999), Date.UTC(2015, 4, 18), Date.UTC(2015, 4, 17, 12), Date.UTC(1969, 11, 31, 23, 59, 59, 999), Date.UTC(1970, 0, 1), -1, 0, Date.UTC(2024, 1, 29, 0, 0, 0, 1)];
    for (let i = 0; i < 2000; i++) times.push(Date.UTC(2000, 0, 1) + Math.floor(Math.random() * 40 * 365 * 86_400_000));
    for (const ms of times) {
      expect(t.render({ '@timestamp': new Date(ms).toISOString() })).toBe(expected(ms));
      expect(t.render({ '@timestamp': ms })).toBe(expected(ms));
    }
    // No valid @timestamp: the current time, still today's name.
    expect(t.render({ '@timestamp': 'not a date' })).toBe(expected(Date.now()));
  });

  it('renders patterns finer than a day per event', () => {
    const t = compileTemplate('%{+yyyy.MM.dd.HH}/%{+mm}');
    const a = Date.UTC(2015, 4, 17, 10, 5);
    const b = Date.UTC(2015, 4, 17, 11, 6);
    expect(t.render({ '@timestamp': new Date(a).toISOString() })).toBe('2015.05.17.10/05');
    expect(t.render({ '@timestamp': new Date(b).toISOString() })).toBe('2015.05.17.11/06');
    expect(t.render({ '@timestamp': new Date(a).toISOString() })).toBe('2015.05.17.10/05');
  });
});
