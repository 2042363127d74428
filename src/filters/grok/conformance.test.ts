/**
 * Runs every case of the grok conformance corpus (test vectors from the Logstash pattern
 * library's own test suite, see /work/shared/corpus/grok-conformance/README.md) through the
 * grok filter and checks the result the way that README says: start from
 * {"message": line}, apply the captures, compare every expected leaf (type included) as a
 * subset, check that `absent` paths are missing, and for `match: false` that the event was
 * tagged _grokparsefailure.
 *
 * Requirements: 100% for the httpd and syslog families, at least 95% overall, and every
 * failing case listed in ACCEPTED_FAILURES with its reason (a new failure, or an accepted
 * failure that starts passing, fails the suite so the list stays true).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeFilter, runFilter } from '../../testing/context.js';
import { grok } from './index.js';

interface Case {
  id: string;
  pattern: string;
  mode: 'legacy' | 'ecs-v1';
  message: string;
  match: boolean;
  expect: Record<string, unknown>;
  absent: string[];
}

/** `<id> [<mode>]` → why the case is allowed to fail. Empty: every case passes. */
const ACCEPTED_FAILURES: Record<string, string> = {};

/** Families that must pass completely. */
const COMPLETE_FAMILIES = ['httpd', 'syslog'];
const MIN_OVERALL = 0.95;

const DIR = fileURLToPath(new URL('../../../../shared/corpus/grok-conformance/', import.meta.url));
const CASES_FILE = `${DIR}cases.json`;

const key = (c: Case) => `${c.id} [${c.mode}]`;
const familyOf = (c: Case) => c.id.slice(0, c.id.indexOf('_spec.rb#'));
/** A bare pattern name is applied as %{NAME}, unanchored; anything else is a grok expression. */
const expression = (pattern: string) => (/^[A-Z0-9_]+$/.test(pattern) ? `%{${pattern}}` : pattern);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function lookup(event: unknown, path: string[]): unknown {
  let cur = event;
  for (const k of path) {
    if (!isObject(cur) || !Object.hasOwn(cur, k)) return undefined;
    cur = cur[k];
  }
  return cur;
}

/** Objects compare as subsets; arrays and scalars must be equal, type included. */
function compare(expected: Record<string, unknown>, actual: unknown, path: string[], problems: string[]): void {
  for (const [k, want] of Object.entries(expected)) {
    const here = [...path, k];
    const got = isObject(actual) && Object.hasOwn(actual, k) ? actual[k] : undefined;
    if (isObject(want)) compare(want, got, here, problems);
    else if (JSON.stringify(want) !== JSON.stringify(got)) problems.push(`${here.join('.')}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
  }
}

async function check(c: Case): Promise<string[]> {
  const problems: string[] = [];
  let event: Record<string, unknown>;
  try {
    const filter = await makeFilter(grok, { patterns: [expression(c.pattern)], ecsCompatibility: c.mode === 'legacy' ? 'disabled' : 'v1' });
    [event] = runFilter(filter, { message: c.message });
  } catch (e) {
    return [`error: ${(e as Error).message}`];
  }
  const matched = !(Array.isArray(event.tags) && event.tags.includes('_grokparsefailure'));
  if (matched !== c.match) return [c.match ? 'expected a match, got _grokparsefailure' : `expected no match, got ${JSON.stringify(event).slice(0, 300)}`];
  if (c.match) {
    compare(c.expect, event, [], problems);
    for (const path of c.absent) {
      const v = lookup(event, path.split('.'));
      if (v !== undefined) problems.push(`${path} should be absent, got ${JSON.stringify(v)}`);
    }
  }
  return problems;
}

if (!existsSync(CASES_FILE)) {
  describe('grok conformance corpus', () => {
    it('is not available here: skipped', () => {
      console.log(`grok conformance: ${CASES_FILE} not found (the shared corpus is not part of a user's checkout); conformance cases not run`);
    });
  });
} else {
  const cases = JSON.parse(readFileSync(CASES_FILE, 'utf8')) as Case[];
  const results = new Map<string, string[]>();

  describe('grok conformance corpus', () => {
    beforeAll(async () => {
      for (const c of cases) results.set(key(c), await check(c));
    });

    it('holds cases that are unique per (id, mode)', () => {
      expect(cases.length).toBeGreaterThan(400);
      expect(new Set(cases.map(key)).size).toBe(cases.length);
    });

    it.each(cases.map((c) => [key(c), c] as const))('%s', (name, c) => {
      const problems = results.get(name)!;
      if (Object.hasOwn(ACCEPTED_FAILURES, name)) {
        expect(problems.length, `${name} is in ACCEPTED_FAILURES but passes now: remove it from the list`).toBeGreaterThan(0);
      } else {
        expect(problems, `${c.pattern} on ${JSON.stringify(c.message).slice(0, 200)}`).toEqual([]);
      }
    });

    it('meets the pass rates, per family and overall', () => {
      const families = new Map<string, { total: number; passed: number }>();
      for (const c of cases) {
        const f = families.get(familyOf(c)) ?? { total: 0, passed: 0 };
        f.total++;
        if (results.get(key(c))!.length === 0) f.passed++;
        families.set(familyOf(c), f);
      }
      const pct = (p: number, t: number) => `${((100 * p) / t).toFixed(1)}%`;
      const rows = [...families].sort(([a], [b]) => a.localeCompare(b));
      const total = rows.reduce((s, [, f]) => s + f.total, 0);
      const passed = rows.reduce((s, [, f]) => s + f.passed, 0);
      const width = Math.max(...rows.map(([n]) => n.length), 'overall'.length);
      console.log(
        [
          'grok conformance (logstash-patterns-core spec cases, legacy + ecs-v1):',
          `${'family'.padEnd(width)}  passed  total  rate`,
          ...rows.map(([n, f]) => `${n.padEnd(width)}  ${String(f.passed).padStart(6)}  ${String(f.total).padStart(5)}  ${pct(f.passed, f.total).padStart(6)}`),
          `${'overall'.padEnd(width)}  ${String(passed).padStart(6)}  ${String(total).padStart(5)}  ${pct(passed, total).padStart(6)}`,
        ].join('\n'),
      );
      for (const name of COMPLETE_FAMILIES) {
        const f = families.get(name);
        expect(f, `family ${name} has cases`).toBeDefined();
        expect(f!.passed, `family ${name} must pass completely`).toBe(f!.total);
      }
      expect(passed / total).toBeGreaterThanOrEqual(MIN_OVERALL);
      for (const name of Object.keys(ACCEPTED_FAILURES)) expect(results.has(name), `ACCEPTED_FAILURES names an unknown case: ${name}`).toBe(true);
    });
  });
}
