/** `sluice validate`, run as users run it: the real CLI on real files. */
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { runSluice } from './helpers/sluice.js';

const invalid = (name: string) => `test/fixtures/invalid/${name}`;

describe('sluice validate', () => {
  it('accepts every example pipeline (pipelines/*.json, test cases included)', () => {
    const files = readdirSync('pipelines').filter((f) => f.endsWith('.json')).map((f) => `pipelines/${f}`);
    expect(files.filter((f) => !f.endsWith('.test.json')).length).toBeGreaterThan(5);
    const r = runSluice(['validate', ...files]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/pipelines\/demo\.json: ok/);
    expect(r.stdout).toMatch(/pipelines\/demo\.test\.json: ok \(test cases/);
  });

  it('checks the shape of test-case files it is given', () => {
    const r = runSluice(['validate', 'test/fixtures/invalid/broken.test.json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/broken\.test\.json: cases\[0\]\.input must be a string or a list of strings/);
  });

  const cases: Array<[string, RegExp]> = [
    ['misspelt-key.json', /misspelt-key\.json:3:73: \$\.input\.kafka\.grupId: unknown key "grupId" in the kafka input; did you mean "groupId"\?/],
    ['wrong-type.json', /wrong-type\.json:4:86: \$\.output\.elasticsearch\.batchMaxDocs: expected integer, found "lots"/],
    ['unset-env.json', /unset-env\.json:3:37: \$\.input\.kafka\.brokers\[0\]: environment variable SLUICE_TEST_SURELY_UNSET_BROKERS is not set/],
    ['bad-when.json', /bad-when\.json:5:64: \$\.filters\[0\]\.when: invalid condition: expected "\)", found the end of the expression/],
    ['invalid-json.json', /invalid-json\.json:3:72: \$: invalid JSON: expected "," \(or a closing bracket\)/],
    ['unknown-filter.json', /unknown-filter\.json:4:18: \$\.filters\[0\]\.mutat: unknown filter "mutat"; did you mean "mutate"\?/],
    ['bad-enum.json', /bad-enum\.json:3:98: \$\.input\.kafka\.codec: expected one of "plain", "json", found "jsn"; did you mean "json"\?/],
    ['two-multiline.json', /two-multiline\.json:6:5: \$\.filters\[1\]: only one multiline \(joining\) filter per pipeline; 0:multiline is one already/],
  ];
  for (const [file, message] of cases) {
    it(`rejects ${file} with file:line:col and a useful message`, () => {
      const r = runSluice(['validate', invalid(file)]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(message);
    });
  }

  it('reports every broken file in one run and exits 1', () => {
    const r = runSluice(['validate', ...cases.map(([f]) => invalid(f))]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`${cases.length} of ${cases.length} pipeline file\\(s\\) invalid`));
  });
});
