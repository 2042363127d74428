/**
 * Codecs turn a record's value into an event. `plain` keeps the line in `message`; `json`
 * parses an object. Both check the bytes before trusting them: invalid UTF-8 and JSON
 * nested deeper than the limit are caught here, before any parser recursion.
 */
import type { Event } from '../core/event.js';

export class DecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecodeError';
  }
}

export interface CodecOptions {
  /** Deepest JSON nesting accepted by the `json` codec (default MAX_JSON_DEPTH). */
  maxJsonDepth?: number;
}

export interface Codec {
  readonly name: string;
  /** Throws DecodeError when the bytes cannot become an event. */
  decode(value: Buffer, options?: CodecOptions): Event;
}

import { isAscii, isUtf8 } from 'node:buffer';

const lenientUtf8 = new TextDecoder('utf-8', { fatal: false });

/** Invalid UTF-8 is replaced by U+FFFD and the event tagged, so the line is still searchable. */
export const INVALID_UTF8_TAG = '_utf8error';

/**
 * The value as text, or undefined when it is not valid UTF-8. Most log lines are ASCII: a
 * latin1 read of them gives V8's compact one-byte string without a UTF-8 decoder pass (both
 * checks are SIMD scans in Node's native code).
 */
function strictText(value: Buffer): string | undefined {
  if (isAscii(value)) return value.toString('latin1');
  return isUtf8(value) ? value.toString('utf8') : undefined;
}

export const plainCodec: Codec = {
  name: 'plain',
  decode(value) {
    let message = strictText(value);
    const valid = message !== undefined;
    if (message === undefined) message = lenientUtf8.decode(value);
    // A trailing newline is framing (console producers, Filebeat), not content.
    if (message.charCodeAt(message.length - 1) === 10) message = message.replace(/\r?\n$/, '');
    const event: Event = { message };
    if (!valid) event.tags = [INVALID_UTF8_TAG];
    return event;
  },
};

export const MAX_JSON_DEPTH = 64;

/** Depth of brackets outside strings; stops as soon as the limit is passed. */
export function jsonDepthExceeds(s: string, limit: number): boolean {
  // Depth d needs at least 2d characters: short texts cannot be too deep.
  if (s.length <= 2 * limit) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > limit) return true;
    } else if (c === 125 || c === 93) depth--;
  }
  return false;
}

export const jsonCodec: Codec = {
  name: 'json',
  decode(value, options) {
    const source = strictText(value);
    if (source === undefined) throw new DecodeError('record value is not valid UTF-8');
    const maxDepth = options?.maxJsonDepth ?? MAX_JSON_DEPTH;
    if (jsonDepthExceeds(source, maxDepth)) throw new DecodeError(`JSON nested deeper than ${maxDepth} levels (input.kafka.maxJsonDepth)`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(source);
    } catch (e) {
      // SyntaxError, or RangeError on pathological input: both are the record's fault.
      throw new DecodeError(`invalid JSON: ${(e as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new DecodeError(`expected a JSON object, found ${Array.isArray(parsed) ? 'an array' : parsed === null ? 'null' : typeof parsed}`);
    }
    return parsed as Event;
  },
};

export const codecs: Record<string, Codec> = { plain: plainCodec, json: jsonCodec };
