/** `sluice test`: pipeline test cases through the real CLI. */
import { describe, expect, it } from 'vitest';
import { runSluice } from './helpers/sluice.js';

describe('sluice test', () => {
  it('passes matching cases (events and dead letters, partial match) and exits 0', () => {
    const r = runSluice(['test', 'test/fixtures/pipelines/json-events.json']);
    expect(r.stdout).toMatch(/✓ .*json-events\.test\.json › renames msg and tags/);
    expect(r.stdout).toMatch(/3 passed, 0 failed/);
    expect(r.code).toBe(0);
  });

  it('shows a readable diff for a failing case and exits 1', () => {
    const r = runSluice(['test', 'test/fixtures/failing/']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('✗ test/fixtures/failing/json-events.test.json › wrong expectation');
    expect(r.stdout).toContain('event 1: message: expected "bye", got "hi"');
    expect(r.stdout).toContain('event 1: extra: expected an object, got nothing (field absent)');
    expect(r.stdout).toMatch(/0 passed, 1 failed/);
  });

  it('runs the test cases of every example pipeline', () => {
    const r = runSluice(['test', 'pipelines/']);
    expect(r.stdout).toMatch(/[1-9]\d* passed, 0 failed/);
    expect(r.code).toBe(0);
  });
});
