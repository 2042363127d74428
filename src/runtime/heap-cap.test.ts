import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { heapCapForPaths, heapCapMiB } from './heap-cap.js';

describe('default V8 heap cap from the in-flight limits', () => {
  it('is 64 MiB + per pipeline (maxInFlightEvents × 3 KiB + maxInFlightBytes), the defaults giving 120 MiB', () => {
    expect(heapCapMiB([{}])).toBe(120);
    expect(heapCapMiB([{}, {}])).toBe(175);
    expect(heapCapMiB([{ maxInFlightEvents: 1000, maxInFlightBytes: 8 * 2 ** 20 }])).toBe(Math.ceil(64 + (1000 * 3) / 1024 + 8));
  });

  it('reads the limits of the pipeline files and directories given to run, ${VAR:-default} resolved', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-heap-cap-'));
    writeFileSync(join(dir, 'a.json'), '// comment\n{ "id": "a", "limits": { "maxInFlightEvents": 2048, "maxInFlightBytes": "${BYTES:-4194304}" } }');
    writeFileSync(join(dir, 'b.json'), '{ "id": "b" }');
    writeFileSync(join(dir, 'b.test.json'), '{ "not": "a pipeline" }');
    expect(heapCapForPaths([dir], {})).toBe(Math.ceil(64 + 6 + 4 + (120 - 64)));
    expect(heapCapForPaths([join(dir, 'a.json')], { BYTES: String(16 * 2 ** 20) })).toBe(64 + 6 + 16);
    expect(heapCapForPaths([join(dir, 'missing.json')], {})).toBeUndefined();
  });
});
