/**
 * Ground truth: each Loghub example pipeline runs through the real CLI
 * (`bin/sluice process pipelines/loghub-<system>.json --input <System>_2k.log`) and every
 * event is compared, field by field, with the Loghub authors' structured CSV of the same
 * lines (mapping and normalisation: loghub-mapping.ts, docs/pipelines.md). A line matches
 * when every mapped field agrees; at least 99% of the lines of every system must match.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runSluice } from '../helpers/sluice.js';
import { ABSENT_REASON, CORPUS, corpusPresent, OFFLINE_ENV, parseEvents, percent, readCsv, readLines } from './helpers.js';
import { SYSTEMS, type Check } from './loghub-mapping.js';

const REQUIRED_RATE = 0.99;

if (!corpusPresent) {
  describe('Loghub ground truth', () => {
    it('needs the shared corpus', () => {
      console.log(`Loghub ground truth: skipped: ${ABSENT_REASON}`);
    });
  });
} else {
  const summary: string[] = [];
  afterAll(() => {
    if (summary.length) console.log(`Loghub ground truth (lines whose every mapped field matches the structured CSV):\n${summary.join('\n')}`);
  });

  describe('Loghub ground truth', () => {
    for (const system of SYSTEMS) {
      it(`${system.name}: ${system.pipeline} matches ${system.name}_2k.log_structured.csv on >= ${REQUIRED_RATE * 100}% of the lines`, () => {
        const dir = join(CORPUS, 'loghub', system.name);
        const logFile = join(dir, `${system.name}_2k.log`);
        const rows = readCsv(join(dir, `${system.name}_2k.log_structured.csv`));
        const lines = readLines(logFile);
        expect(rows).toHaveLength(lines.length);

        const r = runSluice(['process', system.pipeline, '--input', logFile], { env: OFFLINE_ENV });
        expect(r.stderr).toBe(''); // no dead letters
        expect(r.code).toBe(0);
        const events = parseEvents(r.stdout);
        expect(events).toHaveLength(lines.length); // one event per line, in order

        let matched = 0;
        const byField = new Map<string, number>();
        const examples: string[] = [];
        rows.forEach((row, i) => {
          const failed: Check[] = system.checks(row, events[i]).filter((c) => c.expected !== c.actual);
          if (failed.length === 0) {
            matched++;
            return;
          }
          for (const c of failed) byField.set(c.label, (byField.get(c.label) ?? 0) + 1);
          if (examples.length < 5) {
            examples.push(
              `  line ${row.LineId}: ${lines[i].slice(0, 160)}\n` +
                failed.map((c) => `    ${c.label}: CSV ${JSON.stringify(c.expected)}, ours ${JSON.stringify(c.actual)}`).join('\n'),
            );
          }
        });
        const rate = matched / rows.length;
        const fields = [...byField].map(([label, n]) => `${label}: ${n}`).join('; ');
        summary.push(`  ${system.name.padEnd(10)} ${percent(matched, rows.length).padStart(7)}  (${matched}/${rows.length})${fields ? `  mismatched fields: ${fields}` : ''}`);
        console.log(`${system.name}: ${matched}/${rows.length} lines match (${percent(matched, rows.length)})${examples.length ? `\n${examples.join('\n')}` : ''}`);
        expect(rate, `${system.name}: ${percent(matched, rows.length)} of the lines match; first mismatches:\n${examples.join('\n')}`).toBeGreaterThanOrEqual(REQUIRED_RATE);
      });
    }
  });
}
