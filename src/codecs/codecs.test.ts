import { describe, expect, it } from 'vitest';
import { DecodeError, jsonCodec, jsonDepthExceeds, plainCodec } from './index.js';

describe('codecs', () => {
  it('plain keeps the line in message and drops a trailing newline', () => {
    expect(plainCodec.decode(Buffer.from('hello\n'))).toEqual({ message: 'hello' });
  });
  it('plain tags invalid UTF-8 instead of losing the line', () => {
    const e = plainCodec.decode(Buffer.from([0x61, 0xff, 0x62]));
    expect(e).toEqual({ message: 'a\uFFFDb', tags: ['_utf8error'] });
  });
  it('json parses objects and rejects everything else with a reason', () => {
    expect(jsonCodec.decode(Buffer.from('{"a":{"b":1}}'))).toEqual({ a: { b: 1 } });
    expect(() => jsonCodec.decode(Buffer.from('{"a":'))).toThrow(DecodeError);
    expect(() => jsonCodec.decode(Buffer.from('[1,2]'))).toThrow(/expected a JSON object, found an array/);
    expect(() => jsonCodec.decode(Buffer.from([0x7b, 0xff, 0x7d]))).toThrow(/not valid UTF-8/);
  });
  it('json refuses 100,000-deep nesting before parsing it', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    expect(() => jsonCodec.decode(Buffer.from(`{"a":${deep}}`))).toThrow(/nested deeper than 64/);
    expect(jsonDepthExceeds('{"a":"[[[[[[["}', 2)).toBe(false);
  });
});
