/**
 * "Same events as Logstash would make": each Logstash config of
 * test/fixtures/logstash/behaviour is converted (by the code behind `sluice convert`, whose
 * CLI the corpus test runs; everything in them must convert), and the events the converted pipeline makes are checked by the
 * real `sluice test` against `<name>.cases.json`, whose expected events come from the
 * Logstash documentation cited in each case, not from sluice's output.
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertConfigs } from '../src/cli/convert/convert.js';
import { ROOT, runSluice } from './helpers/sluice.js';

const DIR = join(ROOT, 'test', 'fixtures', 'logstash', 'behaviour');
const configs = readdirSync(DIR).filter((f) => f.endsWith('.conf')).sort();

describe('converted Logstash configs make the events Logstash documents', () => {
  const out = mkdtempSync(join(tmpdir(), 'sluice-convert-behaviour-'));

  it.each(configs)('%s converts completely', async (conf) => {
    const name = conf.replace(/\.conf$/, '');
    const r = await convertConfigs([join(DIR, conf)], { baseDir: out });
    expect(r.report.items.filter((i) => i.severity === 'unconverted')).toEqual([]);
    // The cases check what events are made, not how fast: on a loaded CI machine a first
    // grok can exceed the default 250 ms filter time limit and be tagged _groktimeout.
    writeFileSync(join(out, `${name}.json`), JSON.stringify({ ...r.pipeline, limits: { filterTimeoutMs: 10_000 } }, null, 2));
    copyFileSync(join(DIR, `${name}.cases.json`), join(out, `${name}.test.json`));
  });

  it('sluice test is green on every case', () => {
    const cases = configs.reduce((n, conf) => n + JSON.parse(readFileSync(join(DIR, conf.replace(/\.conf$/, '.cases.json')), 'utf8')).cases.length, 0);
    expect(cases).toBeGreaterThanOrEqual(35);
    const r = runSluice(['test', out]);
    expect(r.stdout, r.stdout + r.stderr).toContain(`${cases} passed, 0 failed`);
    expect(r.code).toBe(0);
  });
});
