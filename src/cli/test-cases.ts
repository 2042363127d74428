/**
 * Pipeline test cases (`sluice test`): a `<name>.test.json` file beside `<name>.json` holds
 * cases, each a list of raw records and the events (partial match) and dead letters they
 * must give. They run through the same processor as `sluice run`, without Kafka or ES.
 *
 *   { "cases": [ { "name": "...", "input": ["raw line", ...],
 *                  "expected": [ { "http": { "response": { "status_code": 200 } } } ],
 *                  "deadLetters": [ { "reason": "decode_failed" } ] } ] }
 *
 * `expected` lists the events in order; each is matched partially (only the fields it names,
 * recursively; arrays must match element by element). `deadLetters` (default none) are
 * matched the same way against `{ reason, stage, error, record }`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { pino } from 'pino';
import type { SourceRecord } from '../core/component.js';
import type { Event } from '../core/event.js';
import { loadPipeline } from '../config/load.js';
import { components } from '../registry.js';
import { buildFilters } from '../runtime/build.js';
import { processorOptions } from '../runtime/pipeline.js';
import { RecordProcessor } from '../runtime/processor.js';
import { TEST_SUFFIX } from './files.js';

export interface TestCase {
  name: string;
  input: string | string[];
  /** Kafka record timestamp for the inputs (ISO-8601); default 2026-01-01T00:00:00Z. */
  timestamp?: string;
  expected?: Record<string, unknown>[];
  deadLetters?: Record<string, unknown>[];
}

export interface CaseResult {
  name: string;
  ok: boolean;
  problems: string[];
}

export interface FileResult {
  testFile: string;
  pipelineFile: string;
  results: CaseResult[];
  error?: string;
}

/** The pipeline a test file belongs to: `x.test.json` → `x.json`, unless it names one. */
export function pipelineOf(testFile: string, spec: { pipeline?: string }): string {
  if (spec.pipeline) return join(dirname(testFile), spec.pipeline);
  return join(dirname(testFile), `${basename(testFile, TEST_SUFFIX)}.json`);
}

export function testFileOf(pipelineFile: string): string | undefined {
  const candidate = pipelineFile.replace(/\.json$/, TEST_SUFFIX);
  return existsSync(candidate) ? candidate : undefined;
}

/** Shape problems of a test file (for `sluice validate`, which may be given `*.test.json` by a glob). */
export function checkTestFile(testFile: string): { pipelineFile: string; problems: string[] } {
  let spec: { pipeline?: string; cases?: TestCase[] };
  try {
    spec = JSON.parse(readFileSync(testFile, 'utf8'));
  } catch (err) {
    return { pipelineFile: '', problems: [`cannot read test file: ${(err as Error).message}`] };
  }
  const pipelineFile = pipelineOf(testFile, spec);
  const problems: string[] = [];
  if (!existsSync(pipelineFile)) problems.push(`its pipeline ${pipelineFile} does not exist`);
  if (!Array.isArray(spec.cases) || spec.cases.length === 0) problems.push('a test file needs a non-empty "cases" list');
  (Array.isArray(spec.cases) ? spec.cases : []).forEach((c, i) => {
    const ok = typeof c?.input === 'string' || (Array.isArray(c?.input) && c.input.every((l) => typeof l === 'string'));
    if (!ok) problems.push(`cases[${i}].input must be a string or a list of strings`);
    for (const key of ['expected', 'deadLetters'] as const) {
      if (c?.[key] !== undefined && !Array.isArray(c[key])) problems.push(`cases[${i}].${key} must be a list`);
    }
  });
  return { pipelineFile, problems };
}

export async function runTestFile(testFile: string): Promise<FileResult> {
  let spec: { pipeline?: string; cases?: TestCase[] };
  try {
    spec = JSON.parse(readFileSync(testFile, 'utf8'));
  } catch (err) {
    return { testFile, pipelineFile: '', results: [], error: `cannot read test file: ${(err as Error).message}` };
  }
  const pipelineFile = pipelineOf(testFile, spec);
  if (!Array.isArray(spec.cases) || spec.cases.length === 0) return { testFile, pipelineFile, results: [], error: 'a test file needs a non-empty "cases" list' };
  let processor: RecordProcessor;
  try {
    const def = loadPipeline(pipelineFile, components);
    const { steps } = await buildFilters(def, { pipelineId: def.id, baseDir: def.baseDir, logger: pino({ level: 'silent' }) });
    processor = new RecordProcessor(steps, processorOptions(def));
  } catch (err) {
    return { testFile, pipelineFile, results: [], error: (err as Error).message };
  }
  const results: CaseResult[] = [];
  for (const [i, c] of spec.cases.entries()) results.push(await runCase(processor, c, i));
  return { testFile, pipelineFile, results };
}

async function runCase(processor: RecordProcessor, c: TestCase, index: number): Promise<CaseResult> {
  const name = c.name ?? `case ${index + 1}`;
  const lines = Array.isArray(c.input) ? c.input : [c.input];
  const ts = String(Date.parse(c.timestamp ?? '2026-01-01T00:00:00Z'));
  const records: SourceRecord[] = lines.map((line, offset) => ({ topic: 'test', partition: 0, offset: String(offset), key: null, value: Buffer.from(line, 'utf8'), timestamp: ts, headers: {} }));
  const events: Event[] = [];
  const dead: Record<string, unknown>[] = [];
  (await processor.processAll(records)).forEach((o, i) => {
    if (o.kind === 'events') events.push(...o.events);
    else dead.push({ reason: o.reason, stage: o.stage, error: o.error, record: lines[i] });
  });
  const problems: string[] = [];
  compareList('event', c.expected ?? [], events, problems);
  compareList('dead letter', c.deadLetters ?? [], dead, problems);
  return { name, ok: problems.length === 0, problems };
}

function compareList(what: string, expected: Record<string, unknown>[], actual: Record<string, unknown>[], problems: string[]): void {
  if (expected.length !== actual.length) {
    problems.push(`expected ${expected.length} ${what}(s), got ${actual.length}${actual.length ? `:\n${actual.map((a) => `      ${JSON.stringify(a)}`).join('\n')}` : ''}`);
  }
  for (let i = 0; i < Math.min(expected.length, actual.length); i++) {
    for (const p of partialDiff(expected[i], actual[i], '')) problems.push(`${what} ${i + 1}: ${p}`);
  }
}

/** Differences between what is expected (only the fields it names) and what came out. */
export function partialDiff(expected: unknown, actual: unknown, path: string): string[] {
  const at = path || '(root)';
  if (expected !== null && typeof expected === 'object' && !Array.isArray(expected)) {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return [`${at}: expected an object, got ${show(actual)}`];
    return Object.entries(expected as Record<string, unknown>).flatMap(([k, v]) =>
      partialDiff(v, Object.prototype.hasOwnProperty.call(actual, k) ? (actual as Record<string, unknown>)[k] : undefined, path ? `${path}.${k}` : k),
    );
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [`${at}: expected ${show(expected)}, got ${show(actual)}`];
    if (expected.length !== actual.length) return [`${at}: expected ${show(expected)}, got ${show(actual)}`];
    return expected.flatMap((v, i) => partialDiff(v, actual[i], `${at}[${i}]`));
  }
  if (expected === actual) return [];
  return [`${at}: expected ${show(expected)}, got ${show(actual)}`];
}

function show(v: unknown): string {
  return v === undefined ? 'nothing (field absent)' : JSON.stringify(v);
}
