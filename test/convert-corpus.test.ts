/**
 * `sluice convert` over the real-world Logstash configs of test/fixtures/logstash (the
 * Logstash documentation's examples and public projects' configs, see its README): no
 * crash, every produced pipeline passes `sluice validate`, every construct not converted
 * is reported with its file:line:col, no filter block is skipped without a word, and the
 * share of filter blocks converted is printed. Then a quick fuzz: truncated and mangled
 * configs give a syntax error with a position or a conversion, never an exception.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Statement } from '../src/cli/convert/ast.js';
import { pipelineProblem } from '../src/cli/convert/check.js';
import { convertConfigs } from '../src/cli/convert/convert.js';
import { expandConfigPaths } from '../src/cli/convert/paths.js';
import { LogstashSyntaxError, parseConfig } from '../src/cli/convert/parser.js';
import { ROOT, runSluice, SLUICE } from './helpers/sluice.js';

const CORPUS = join(ROOT, 'test', 'fixtures', 'logstash');
const out = mkdtempSync(join(tmpdir(), 'sluice-convert-corpus-'));

/** One pipeline per `.conf` file in a group folder, one per `*.d` directory (a conf.d). */
function units(): string[] {
  const found: string[] = [];
  for (const group of readdirSync(CORPUS).sort()) {
    const g = join(CORPUS, group);
    if (!statSync(g).isDirectory()) continue;
    if (group.endsWith('.d')) found.push(g);
    else for (const f of readdirSync(g).sort()) if (f.endsWith('.conf')) found.push(join(g, f));
  }
  return found;
}

function countFilterPlugins(stmts: Statement[]): number {
  return stmts.reduce((n, s) => n + (s.kind === 'plugin' ? 1 : s.clauses.reduce((m, c) => m + countFilterPlugins(c.body), 0)), 0);
}

/** `sluice validate` with nothing in the environment but PATH (no KAFKA_*, ES_* or other variable). */
function validateInCleanEnv(files: string[]) {
  const r = spawnSync(process.execPath, [SLUICE, 'validate', ...files], { cwd: ROOT, env: { PATH: process.env.PATH ?? '' }, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const POSITION_LINE = /^(.+):(\d+):(\d+): (not converted|note): /;

describe('sluice convert on the Logstash corpus', () => {
  const all = units();

  it('the corpus is there (Logstash docs, elastic/examples, and the pfelk, Malcolm and RockNSM conf.d directories)', () => {
    expect(all.length).toBeGreaterThanOrEqual(20);
    expect(all.filter((u) => u.endsWith('.d'))).toHaveLength(4);
  });

  it('converts every config into a pipeline that validates, reporting what it could not convert with its position', async () => {
    let seen = 0;
    let converted = 0;
    const rows: string[] = [];
    const written: string[] = [];
    for (const unit of all) {
      const { files } = expandConfigPaths([unit]);
      const r = await convertConfigs(files, { baseDir: out });
      expect(r.fatal, unit).toBeUndefined();
      expect(await pipelineProblem(r.pipeline!, out), unit).toBeUndefined();
      written.push(join(out, `corpus-${written.length}.json`));
      writeFileSync(written[written.length - 1], JSON.stringify(r.pipeline, null, 2));
      expect(JSON.stringify(r.pipeline), unit).not.toMatch(/\$\{[A-Za-z_][A-Za-z0-9_]*\}/); // every variable has a default
      // Nothing skipped silently: every filter plugin of the files is counted in the report.
      const plugins = files.reduce((n, f) => n + parseConfig(readFileSync(f, 'utf8'), f).sections.filter((s) => s.type === 'filter').reduce((m, s) => m + countFilterPlugins(s.body), 0), 0);
      expect(r.report.filtersSeen, unit).toBe(plugins);
      for (const line of r.report.format().trim().split('\n').slice(0, -1)) expect(line, unit).toMatch(POSITION_LINE);
      seen += r.report.filtersSeen;
      converted += r.report.filtersConverted;
      rows.push(`${unit.slice(CORPUS.length + 1)}: ${r.report.filtersConverted}/${r.report.filtersSeen} filter blocks, ${r.report.unconvertedCount} not converted`);
    }
    const share = Math.round((1000 * converted) / seen) / 10;
    console.log(`${rows.join('\n')}\nfilter blocks converted over the corpus: ${converted} of ${seen} (${share} %)`);
    expect(share).toBeGreaterThan(70);
    // As written, in an environment where none of the variables the pipelines read is set.
    const v = validateInCleanEnv(written);
    expect(v.stderr).toBe('');
    expect(v.code).toBe(0);
  });

  it('through the real CLI: a directory (concatenated as a conf.d) and single files, written with --allow-partial, pass sluice validate', () => {
    const targets = [join(CORPUS, 'logstash-docs'), join(CORPUS, 'logstash-docs', 'config-examples-syslog.conf'), join(CORPUS, 'logstash-docs', 'conf.d-fragment.conf'), join(CORPUS, 'pfelk.d')];
    const notes: string[] = [];
    targets.forEach((t, i) => {
      const r = runSluice(['convert', t, '--allow-partial', '-o', join(out, `cli-${i}.json`)]);
      notes.push(...r.stderr.split('\n').filter((l) => l.includes('had no default')));
      expect([0, 1], r.stderr).toContain(r.code);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(r.stderr).toMatch(/filter blocks converted/);
      for (const line of r.stderr.trim().split('\n').filter((l) => l.includes('not converted:'))) expect(line).toMatch(POSITION_LINE);
    });
    // A variable read without a default gets one that validates, keeps its name (the environment still wins), and is a note at its first use.
    expect(notes).toContainEqual(expect.stringMatching(/elasticsearch-output-data-stream\.conf:10:\d+: note: \$\{KAFKA_PASSWORD\} had no default; written as \$\{KAFKA_PASSWORD:-unset\}$/));
    expect(readFileSync(join(out, 'cli-0.json'), 'utf8')).toContain('${KAFKA_PASSWORD:-unset}');
    expect(readFileSync(join(out, 'cli-0.json'), 'utf8')).not.toMatch(/\$\{[A-Za-z_][A-Za-z0-9_]*\}/);
    // sluice validate in a clean environment: none of the variables the pipelines read is set.
    const v = validateInCleanEnv(targets.map((_, i) => join(out, `cli-${i}.json`)));
    expect(v.stderr).toBe('');
    expect(v.code).toBe(0);
    // The fragment has no input or output: they come from placeholders, and nothing is missing.
    const frag = runSluice(['convert', join(CORPUS, 'logstash-docs', 'conf.d-fragment.conf')]);
    expect(frag.code).toBe(0);
    expect(JSON.parse(frag.stdout).input.kafka.brokers).toEqual(['${KAFKA_BROKERS:-localhost:9092}']);
  });

  it('without --allow-partial nothing is written and the exit code is 1; a missing path exits 2', () => {
    const r = runSluice(['convert', join(CORPUS, 'logstash-docs', 'config-examples-apache.conf')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/config-examples-apache\.conf:2:9: not converted: input stdin: sluice reads Kafka only/);
    expect(r.stderr).toMatch(/not written: some constructs could not be converted/);
    expect(runSluice(['convert', join(out, 'no-such.conf')]).code).toBe(2);
    // A syntax error: its position and reason, exit 1, no stack trace.
    const bad = join(out, 'bad.conf');
    writeFileSync(bad, 'filter {\n  mutate { add_tag => ["x" }\n}\n');
    const b = runSluice(['convert', bad]);
    expect(b.code).toBe(1);
    expect(b.stderr).toContain(`${bad}:2:28: not converted: syntax error: expected "," or "]" in the array, found "}"; this file was not converted`);
    expect(b.stderr).not.toMatch(/\n\s+at /);
  });
});

/** Deterministic pseudo-random numbers (mulberry32), so a failure can be replayed. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('sluice convert never crashes on broken input (fuzz)', () => {
  const texts = units()
    .flatMap((u) => expandConfigPaths([u]).files)
    .map((f) => readFileSync(f, 'utf8'))
    .filter((t) => t.length > 50);
  const SNIPPETS = ['{', '}', '[', ']', '"', "'", '=>', 'if', 'else', '#', '/', '(', ')', '!', ',', '\\', '%{', '${', '\n', ' and ', ' in ', '=~'];

  function mangle(random: () => number): string {
    const t = texts[Math.floor(random() * texts.length)];
    const kind = random();
    if (kind < 0.4) return t.slice(0, Math.floor(random() * t.length)); // truncated
    let s = t;
    for (let k = 0; k < 1 + Math.floor(random() * 5); k++) {
      const at = Math.floor(random() * s.length);
      const cut = random() < 0.5 ? Math.floor(random() * 20) : 0;
      s = s.slice(0, at) + SNIPPETS[Math.floor(random() * SNIPPETS.length)] + s.slice(at + cut);
    }
    return s;
  }

  it('parses 2,000 mangled configs: each gives a tree or a syntax error with a position', () => {
    const random = rng(14);
    let errors = 0;
    for (let i = 0; i < 2000; i++) {
      const text = mangle(random);
      try {
        parseConfig(text, 'fuzz.conf');
      } catch (e) {
        if (!(e instanceof LogstashSyntaxError)) throw new Error(`case ${i}: ${(e as Error).stack}\n--- input ---\n${text}`);
        expect(e.pos.line).toBeGreaterThan(0);
        errors++;
      }
    }
    expect(errors).toBeGreaterThan(100);
  });

  it('converts 100 mangled configs end to end: a report and a pipeline that validates, never an exception', async () => {
    const random = rng(1414);
    const dir = mkdtempSync(join(tmpdir(), 'sluice-convert-fuzz-'));
    for (let i = 0; i < 100; i++) {
      const text = mangle(random);
      const file = join(dir, `fuzz-${i}.conf`);
      (await import('node:fs')).writeFileSync(file, text);
      const r = await convertConfigs([file], { baseDir: dir });
      expect(r.fatal, `case ${i}:\n${text}`).toBeUndefined();
      expect(r.pipeline).toBeDefined();
    }
  });
});
