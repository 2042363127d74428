import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { interpolate, materialize, readSource, SourceErrors } from './source.js';

const interp = (s: string, env: Record<string, string | undefined>) => {
  const errors: string[] = [];
  const out = interpolate(s, env, (m) => errors.push(m));
  return { out, errors };
};

describe('environment references', () => {
  it('replaces ${VAR} and ${VAR:-default}', () => {
    expect(interp('${A}:${B:-9092}', { A: 'kafka' }).out).toBe('kafka:9092');
    expect(interp('${B:-x}', { B: '' }).out).toBe('x');
    expect(interp('${B}', { B: '' }).out).toBe('');
  });
  it('names an unset variable without default', () => {
    const r = interp('${MISSING}', {});
    expect(r.errors).toEqual([expect.stringMatching(/environment variable MISSING is not set/)]);
  });
  it('reads VAR_FILE when VAR is unset (Docker secrets convention)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-'));
    writeFileSync(join(dir, 'pw'), 's3cret\n');
    expect(interp('${PW}', { PW_FILE: join(dir, 'pw') }).out).toBe('s3cret');
    expect(interp('${PW}', { PW_FILE: join(dir, 'nope') }).errors[0]).toMatch(/PW_FILE names .* which cannot be read: ENOENT/);
  });
  it('keeps $${...} literal', () => {
    expect(interp('$${A}', { A: 'x' }).out).toBe('${A}');
  });
});

describe('reading pipeline JSON', () => {
  it('reports invalid JSON with line and column', () => {
    let err: unknown;
    try {
      readSource('f.json', '{\n  "a": 1\n  "b": 2\n}');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SourceErrors);
    expect((err as SourceErrors).errors[0]).toMatchObject({ line: 3, column: 3 });
  });
  it('flags duplicate keys and keeps __proto__ as a plain key', () => {
    const doc = readSource('f.json', '{"a": 1, "a": 2, "__proto__": {"polluted": true}}');
    const errors: { message: string }[] = [];
    const value = materialize(doc, {}, errors as never) as Record<string, unknown>;
    expect(errors.map((e) => e.message)).toEqual(['duplicate key "a"']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
  });
});
