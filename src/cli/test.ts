/** `sluice test`: run pipeline test cases; exit 1 on any failure. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TEST_SUFFIX } from './files.js';
import { runTestFile, testFileOf } from './test-cases.js';

function testFiles(paths: string[]): { files: string[]; errors: string[] } {
  const files: string[] = [];
  const errors: string[] = [];
  for (const p of paths) {
    if (!existsSync(p)) {
      errors.push(`${p}: no such file or directory`);
    } else if (statSync(p).isDirectory()) {
      for (const name of readdirSync(p).sort()) if (name.endsWith(TEST_SUFFIX)) files.push(join(p, name));
    } else if (p.endsWith(TEST_SUFFIX)) {
      files.push(p);
    } else {
      const t = testFileOf(p);
      if (t) files.push(t);
      else errors.push(`${p}: no test file beside it (expected ${p.replace(/\.json$/, TEST_SUFFIX)})`);
    }
  }
  return { files, errors };
}

export async function testCommand(paths: string[]): Promise<number> {
  const { files, errors } = testFiles(paths);
  for (const e of errors) process.stderr.write(`${e}\n`);
  let passed = 0;
  let failed = errors.length;
  for (const file of files) {
    const r = await runTestFile(file);
    if (r.error) {
      failed++;
      process.stdout.write(`✗ ${file}: ${r.error}\n`);
      continue;
    }
    for (const c of r.results) {
      if (c.ok) {
        passed++;
        process.stdout.write(`✓ ${file} › ${c.name}\n`);
      } else {
        failed++;
        process.stdout.write(`✗ ${file} › ${c.name}\n${c.problems.map((p) => `    ${p}`).join('\n')}\n`);
      }
    }
  }
  if (files.length === 0 && errors.length === 0) {
    process.stderr.write('no test files found (pipeline tests are <name>.test.json beside <name>.json)\n');
    return 1;
  }
  process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
  return failed ? 1 : 0;
}
