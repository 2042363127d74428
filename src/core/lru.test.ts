// Tests src/core/lru.ts (the cache shared by geoip, useragent and the date filter's zone offsets).
import { describe, expect, it } from 'vitest';
import { LruCache } from './lru.js';

describe('LruCache', () => {
  it('keeps recently used entries and bounds its size to 2 × max', () => {
    const c = new LruCache<string, number>(3);
    for (let i = 0; i < 100; i++) c.set(`k${i}`, i);
    expect(c.size).toBeLessThanOrEqual(6);
    expect(c.get('k99')).toBe(99);
    expect(c.get('k0')).toBeUndefined();
  });

  it('keeps an entry that keeps being read', () => {
    const c = new LruCache<string, number>(4);
    c.set('hot', 1);
    for (let i = 0; i < 1000; i++) {
      c.set(`cold${i}`, i);
      expect(c.get('hot')).toBe(1);
    }
  });

  it('stores null as a remembered negative result and supports delete/clear', () => {
    const c = new LruCache<string, number | null>(2);
    c.set('miss', null);
    expect(c.get('miss')).toBeNull();
    expect(c.has('miss')).toBe(true);
    c.set('a', 1);
    c.set('a', 2);
    expect(c.get('a')).toBe(2);
    expect(c.delete('a')).toBe(true);
    expect(c.get('a')).toBeUndefined();
    c.clear();
    expect(c.size).toBe(0);
  });

  it('rejects a non-positive size', () => {
    expect(() => new LruCache(0)).toThrow(/positive integer/);
  });
});
