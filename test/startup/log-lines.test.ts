/** The strict log-line check of the tests, and the logger's guard against duplicated keys. */
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { duplicateKeys, checkLogLines } from '../helpers/log-lines.js';
import { loggerOptions } from '../../src/cli/logger.js';

describe('duplicateKeys', () => {
  it('finds keys that JSON.parse would silently collapse, at any depth', () => {
    expect(duplicateKeys('{"a":1,"b":{"c":2,"c":3},"a":"x"}')).toEqual(['b.c', 'a']);
    expect(duplicateKeys('{"a":[{"k":1},{"k":2}],"s":"\\"a\\":1,\\"a\\":2"}')).toEqual([]);
    expect(() => duplicateKeys('{"a":1')).toThrow();
  });

  it('checkLogLines reports warnings, duplicated keys and lines that are not JSON', () => {
    const c = checkLogLines('{"level":30,"msg":"ok"}\n{"level":40,"component":"a","component":"b"}\nnot json\n');
    expect(c.lines).toHaveLength(2);
    expect(c.warnOrAbove).toHaveLength(1);
    expect(c.duplicated[0].keys).toEqual(['component']);
    expect(c.notJson).toEqual(['not json']);
  });
});

describe('the sluice logger', () => {
  it('writes each key once, whatever child bindings and fields collide', () => {
    let out = '';
    const sink = new Writable({
      write(chunk, _enc, cb) {
        out += chunk;
        cb();
      },
    });
    const logger = pino(loggerOptions('info'), sink).child({ pipeline: 'p', component: 'dead-letter' });
    logger.child({ component: 'kafka' }).info({ component: 'kafkajs', pipeline: 'p' }, 'collides');
    logger.info('plain');
    const c = checkLogLines(out);
    expect(c.lines.map((l) => l.msg)).toEqual(['collides', 'plain']);
    expect(c.duplicated).toEqual([]);
    expect(c.lines[1].component).toBe('dead-letter');
  });
});
