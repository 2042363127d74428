/**
 * Fuzzing the two doors hostile input comes through.
 *
 * Pipeline files: 1,000 mutations of the example pipelines (and of a seed with TLS, SASL and
 * credentials) — keys deleted, misspelt or replaced by `__proto__`, values swapped for
 * strings, numbers, arrays, deep nesting, broken templates, env references, regexes and
 * `when` fragments, plus raw text damage (truncation, stray characters) — go through
 * `validate` in-process (validateCommand, the same code the CLI runs), and a dozen of them
 * through the real `bin/sluice validate`. Every run ends in bounded time with the right exit
 * code; every error line is `file[:line:col]: message` with no stack trace, no "undefined",
 * no "[object Object]".
 *
 * Records: 100,000 random or mutated records (random bytes with invalid UTF-8, mutated JSON
 * with hostile keys and deep nesting, damaged access-log lines, kv and csv fragments,
 * oversized lines) through the real `bin/sluice process --input` with three pipelines (plain
 * codec with the grok-free filters, json codec, json codec with tight limits and tagging):
 * exit 0 in bounded time, every record accounted for as events or dead letters, every dead
 * letter a known reason with a clean error.
 *
 * The PRNG is seeded (SLUICE_FUZZ_SEED, default fixed), so a failure names a reproducible case.
 */
import { describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateCommand } from '../../src/cli/validate.js';
import { ROOT } from '../helpers/sluice.js';
import { expectNoStackTrace, runCli, STACK_FRAME, tempDir } from './helpers.js';

const SEED = Number(process.env.SLUICE_FUZZ_SEED ?? 20261123);

/** mulberry32: small, fast, seedable. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  const chance = (p: number) => next() < p;
  return { next, int, pick, chance };
}
type Rng = ReturnType<typeof prng>;

const BAD_CLEAN = /\bundefined\b|\[object Object\]|Cannot read propert|is not a function|is not iterable|Maximum call stack|TypeError|RangeError|ReferenceError/;

// --------------------------------------------------------------------------- pipeline files

const seeds: { name: string; value: unknown }[] = [
  ...readdirSync(join(ROOT, 'pipelines'))
    .filter((f) => f.endsWith('.json') && !f.endsWith('.test.json'))
    .map((f) => ({ name: f, value: JSON.parse(readFileSync(join(ROOT, 'pipelines', f), 'utf8')) })),
  { name: 'json-events.json', value: JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'pipelines', 'json-events.json'), 'utf8')) },
  {
    name: 'secured.json',
    value: {
      id: 'secured',
      input: {
        kafka: {
          brokers: ['broker:9093'],
          topics: ['logs'],
          groupId: 'g',
          codec: 'json',
          maxJsonDepth: 32,
          tls: { ca: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', rejectUnauthorized: true, servername: 'kafka' },
          sasl: { mechanism: 'scram-sha-512', username: 'sluice', password: '${KAFKA_PASSWORD:-pw}' },
        },
      },
      filters: [
        { kv: { field: 'message', target: 'kv' } },
        { csv: { columns: ['a', 'b'], target: 'csv' } },
        { dissect: { mapping: { message: '%{a} %{b}' } } },
        { mutate: { addField: { 'x.%{a}': '%{b}' }, rename: { a: 'c' } }, when: 'exists(a) and not (b in ["x", 1])' },
        { fingerprint: { sources: ['message'], key: '${HMAC_KEY:-k}', method: 'sha256' } },
        { translate: { field: 'c', dictionary: { a: 'b' }, fallback: 'none' } },
      ],
      output: { elasticsearch: { nodes: ['https://es:9200'], index: 'logs-%{+yyyy.MM.dd}', auth: { apiKey: '${ES_API_KEY:-key}' }, tls: { caFingerprint: 'AA'.repeat(32) } } },
      deadLetter: { topic: 'logs.dlq', partitions: 3 },
      limits: { maxRecordBytes: 65536, filterTimeoutMs: 100 },
    },
  },
];

function deep(n: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < n; i++) v = i % 2 ? [v] : { a: v };
  return v;
}

const STRINGS = [
  '', ' ', 'x', '__proto__', 'constructor', 'prototype', '%{', '%{}', '%{__proto__}', '%{a.__proto__.b}', '%{+}', '%{+yyyy.MM.dd', '${', '${}', '${UNSET_FUZZ_VAR}',
  '${UNSET_FUZZ_VAR:-default}', '$${X}', '${1BAD}', '\u0000', '\ud800', 'é\u0301', '((((((', '(a+)+$', '[', '[a][b]', '[[a]', 'a..b', '.a', 'a.', 'not a url',
  'http://user:pass@host:9200', 'ftp://x', 'https://', 'localhost:9092', '-----BEGIN CERTIFICATE-----', '/etc/passwd', '../../x', 'x'.repeat(5000),
  'status >= 500 and', 'exists(', '"unterminated', '/unterminated', 'a =~ /(/', 'a in [1,', '!!!!', 'not not a', 'a == b == c', '%{HTTPD_COMBINEDLOG}', '%{NOPE}',
  '(?<x>a)', 'dd/MMM/yyyy:HH:mm:ss Z', 'ISO8601', 'UNIX', 'yyyy-MM-dd\'T', 'Europe/Nowhere', 'true', '1e999', '-0', 'NaN', 'plain', 'json', 'scram-sha-1', 'PLAIN',
];
const NUMBERS = [0, -1, 1, 2, 0.5, -0.5, 1e308, -1e308, 2 ** 53 + 1, 65536, 100000000000, 1e-300];

function randomValue(r: Rng, depth = 0): unknown {
  switch (r.int(depth > 2 ? 4 : 8)) {
    case 0:
      return r.pick(STRINGS);
    case 1:
      return r.pick(NUMBERS);
    case 2:
      return r.pick([null, true, false]);
    case 3:
      return r.pick(STRINGS) + r.pick(STRINGS);
    case 4:
      return Array.from({ length: r.int(4) }, () => randomValue(r, depth + 1));
    case 5:
      return Object.fromEntries(Array.from({ length: r.int(4) }, () => [r.pick(STRINGS).slice(0, 20) || 'k', randomValue(r, depth + 1)]));
    case 6:
      return deep(r.pick([10, 100, 1000]));
    default:
      return {};
  }
}

function typo(r: Rng, key: string): string {
  if (key.length === 0) return 'x';
  const i = r.int(key.length);
  switch (r.int(5)) {
    case 0:
      return key.slice(0, i) + key.slice(i + 1);
    case 1:
      return key.slice(0, i) + key[i] + key.slice(i);
    case 2:
      return key.slice(0, i) + String.fromCharCode(97 + r.int(26)) + key.slice(i + 1);
    case 3:
      return key.toUpperCase();
    default:
      return r.pick(['__proto__', 'constructor', 'prototype', '', ' ', 'a.b', '$schema', 'when', 'id']);
  }
}

/** Every container (object or array) in the tree, with its path. */
function containers(v: unknown, out: unknown[] = []): unknown[] {
  if (typeof v === 'object' && v !== null) {
    out.push(v);
    for (const child of Object.values(v)) containers(child, out);
  }
  return out;
}

const FILTER_TEMPLATES = ['json', 'kv', 'csv', 'dissect', 'mutate', 'date', 'drop', 'fingerprint', 'translate', 'truncate', 'urldecode', 'split', 'useragent', 'geoip', 'grok', 'nope'];

function mutateTree(r: Rng, root: unknown): unknown {
  const tree = JSON.parse(JSON.stringify(root));
  const count = 1 + r.int(3);
  for (let m = 0; m < count; m++) {
    const all = containers(tree);
    const target = r.pick(all) as Record<string, unknown> | unknown[];
    const keys = Object.keys(target);
    const op = r.int(9);
    if (Array.isArray(target)) {
      if (op < 3 && target.length) target.splice(r.int(target.length), 1);
      else if (op < 5 && target.length) target.push(JSON.parse(JSON.stringify(target[r.int(target.length)])));
      else if (op < 7) target[target.length ? r.int(target.length) : 0] = randomValue(r);
      else target.push({ [r.pick(FILTER_TEMPLATES)]: r.chance(0.5) ? {} : randomValue(r), ...(r.chance(0.3) ? { when: r.pick(STRINGS) } : {}) });
      continue;
    }
    if (keys.length === 0 || op === 8) {
      Object.defineProperty(target, typo(r, r.pick(['field', 'target', 'index', 'nodes', 'sasl', 'tls', 'auth', 'password']) ), { value: randomValue(r), enumerable: true, writable: true, configurable: true });
      continue;
    }
    const key = r.pick(keys);
    switch (op) {
      case 0:
      case 1:
        delete target[key];
        break;
      case 2:
      case 3: {
        const v = target[key];
        delete target[key];
        Object.defineProperty(target, typo(r, key), { value: v, enumerable: true, writable: true, configurable: true });
        break;
      }
      case 4:
      case 5:
        target[key] = randomValue(r);
        break;
      case 6:
        target[key] = Array.isArray(target[key]) ? (target[key] as unknown[])[0] : [target[key]];
        break;
      default:
        target[key] = typeof target[key] === 'string' ? `${target[key]}${r.pick(STRINGS)}` : r.pick(STRINGS);
    }
  }
  return tree;
}

function mutateText(r: Rng, text: string): string {
  const i = r.int(text.length + 1);
  switch (r.int(6)) {
    case 0:
      return text.slice(0, i);
    case 1:
      return text.slice(0, i) + text.slice(i + 1 + r.int(20));
    case 2:
      return text.slice(0, i) + r.pick(['{', '}', '[', ']', '"', ',', ':', '\\', '//', '/*', '\u0000', '\ufeff', 'null', '1e', '-', '\n']) + text.slice(i);
    case 3:
      return `\ufeff${text}`;
    case 4:
      return text.slice(0, i) + text.slice(r.int(text.length)) ;
    default:
      return text.replace(/"/, "'");
  }
}

/** Runs validateCommand in-process, capturing what it writes. */
async function validateInProcess(file: string): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as typeof process.stderr.write;
  try {
    const code = await validateCommand([file]);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

function checkValidateOutput(file: string, r: { code: number | null; stdout: string; stderr: string }, label: string): void {
  const all = r.stdout + r.stderr;
  expect(all, label).not.toMatch(STACK_FRAME);
  expect(all, `${label}\n${all}`).not.toMatch(BAD_CLEAN);
  if (r.code === 0) {
    expect(r.stdout, label).toContain(`${file}: ok`);
    expect(r.stderr, label).toBe('');
    return;
  }
  expect(r.code, label).toBe(1);
  const lines = r.stderr.split('\n').filter(Boolean);
  expect(lines.length, label).toBeGreaterThan(1);
  expect(lines[lines.length - 1]).toBe('1 of 1 pipeline file(s) invalid');
  for (const line of lines.slice(0, -1)) {
    // `file:line:col: $.path: message`, `file: message`, or the indented detail of a condition error.
    const ok = line.startsWith(`${file}:`) || line.startsWith('  ');
    expect(ok, `${label}: unexpected line "${line}"\n${r.stderr}`).toBe(true);
  }
}

describe('fuzzing pipeline files through validate', () => {
  const dir = tempDir('fuzz-pipelines');
  const cases: { file: string; label: string }[] = [];

  it('1,000 mutated pipeline files: bounded time, exit code 0 or 1, every error a clean file:line:col message', async () => {
    const r = prng(SEED);
    const savedEnv = { ...process.env };
    // Only a couple of variables exist; every other reference is an error to report cleanly.
    for (const k of Object.keys(process.env)) if (/^(KAFKA|ES|WEB|SYSLOG|HMAC|UNSET)_/.test(k)) delete process.env[k];
    let valid = 0;
    const slowest = { ms: 0, label: '' };
    try {
      for (let i = 0; i < 1000; i++) {
        const seed = r.pick(seeds);
        let text = JSON.stringify(mutateTree(r, seed.value), null, r.pick([0, 2]));
        if (r.chance(0.2)) text = mutateText(r, text);
        const file = join(dir, `case-${i}.json`);
        writeFileSync(file, text);
        const label = `case ${i} (seed ${SEED}, from ${seed.name})`;
        const started = performance.now();
        const res = await validateInProcess(file);
        const ms = performance.now() - started;
        if (ms > slowest.ms) Object.assign(slowest, { ms, label });
        expect(ms, `${label} took ${ms} ms`).toBeLessThan(5000);
        checkValidateOutput(file, res, label);
        if (res.code === 0) valid++;
        cases.push({ file, label });
      }
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in savedEnv)) delete process.env[k];
      Object.assign(process.env, savedEnv);
    }
    // The mutations are mostly, but not all, fatal: both outcomes were exercised.
    expect(valid).toBeGreaterThan(10);
    expect(valid).toBeLessThan(900);
  }, 300_000);

  it('a dozen of them through the real `bin/sluice validate`: same exit codes, same clean output', async () => {
    const r = prng(SEED + 1);
    const chosen = Array.from({ length: 12 }, () => r.pick(cases));
    const env = Object.fromEntries(Object.keys(process.env).filter((k) => /^(KAFKA|ES|WEB|SYSLOG|HMAC|UNSET)_/.test(k)).map((k) => [k, undefined]));
    const results = await Promise.all(chosen.map((c) => runCli(['validate', c.file], { env, timeoutMs: 30_000 })));
    for (let i = 0; i < chosen.length; i++) {
      const inProcess = await validateInProcess(chosen[i].file);
      checkValidateOutput(chosen[i].file, results[i], `${chosen[i].label} via bin/sluice`);
      expect(results[i].code, chosen[i].label).toBe(inProcess.code);
    }
  }, 120_000);
});

// ------------------------------------------------------------------------------------ records

const SAMPLE_LINES = readFileSync(join(ROOT, 'samples', 'web-access.log'), 'utf8').split('\n').filter(Boolean).slice(0, 200);
const HOSTILE_KEYS = ['__proto__', 'constructor', 'prototype', '@metadata', '@timestamp', 'tags', 'message', 'a.b', '', ' ', 'toString', 'hasOwnProperty', 'valueOf'];

function randomJsonText(r: Rng, depth = 0): string {
  switch (r.int(depth > 6 ? 4 : 7)) {
    case 0:
      return JSON.stringify(r.pick(STRINGS).slice(0, 200));
    case 1:
      return r.pick(['0', '-1', '1e400', '-1e400', '1.5', '123456789012345678901234567890', '-0']);
    case 2:
      return r.pick(['null', 'true', 'false', '"\\ud800"', '"\\u0000"', '"\\\\"', '"%{message}"']);
    case 3:
      return JSON.stringify('x'.repeat(r.int(300)));
    case 4:
      return `[${Array.from({ length: r.int(4) }, () => randomJsonText(r, depth + 1)).join(',')}]`;
    default:
      return `{${Array.from({ length: r.int(5) }, () => `${JSON.stringify(r.chance(0.4) ? r.pick(HOSTILE_KEYS) : `k${r.int(20)}`)}:${randomJsonText(r, depth + 1)}`).join(',')}}`;
  }
}

function randomRecord(r: Rng): Buffer {
  switch (r.int(10)) {
    case 0: {
      // Random bytes (invalid UTF-8 likely), no newline.
      const b = Buffer.alloc(r.int(200));
      for (let i = 0; i < b.length; i++) {
        b[i] = r.int(256);
        if (b[i] === 10) b[i] = 11;
      }
      return b;
    }
    case 1:
    case 2:
    case 3: {
      // An object, maybe damaged.
      const extra = Array.from({ length: r.int(4) }, () => `,${JSON.stringify(r.chance(0.5) ? r.pick(HOSTILE_KEYS) : `k${r.int(5)}`)}:${randomJsonText(r)}`).join('');
      let t = `{"message":${JSON.stringify(r.pick(SAMPLE_LINES))},"payload":${JSON.stringify(randomJsonText(r))},"kv":"a=1 ${r.pick(HOSTILE_KEYS)}=x b=\\"q q\\"","level":${randomJsonText(r)}${extra}}`;
      if (r.chance(0.2)) {
        const i = r.int(t.length);
        t = t.slice(0, i) + r.pick(['', '"', '{', '}', '\\', ',']) + t.slice(i + 1);
      }
      return Buffer.from(t);
    }
    case 4:
      // Deep nesting.
      return Buffer.from(`${'{"a":'.repeat(r.int(40))}1${'}'.repeat(r.int(40))}`);
    case 5: {
      // A damaged access-log line.
      const line = r.pick(SAMPLE_LINES).split('');
      for (let k = r.int(5); k > 0; k--) line[r.int(line.length)] = String.fromCharCode(r.int(0x3000));
      return Buffer.from(line.join('').replace(/\n/g, ' '));
    }
    case 6:
      return Buffer.from(`${r.pick(HOSTILE_KEYS)}=${r.pick(STRINGS).slice(0, 50)} a="b c" ${r.pick(['[x y]', '(z', '<w>', '"'])}`);
    case 7:
      return Buffer.from(Array.from({ length: r.int(8) }, () => r.pick(['a', '"b,c"', '"', '""', '1', '-2.5', 'true', r.pick(HOSTILE_KEYS)])).join(r.pick([',', ';', '\t'])));
    case 8:
      // Oversized (over the tight pipeline's limit, under the others').
      return Buffer.from(`{"big":"${'z'.repeat(3000 + r.int(3000))}"}`);
    default:
      return Buffer.from(r.pick(STRINGS).replace(/\n/g, ' '));
  }
}

const REASONS = new Set(['decode_failed', 'filter_error', 'filter_timeout', 'too_large', 'encode_failed']);

describe('fuzzing records through process', () => {
  const dir = tempDir('fuzz-records');
  const kafka = (extra: object) => ({ kafka: { brokers: ['localhost:9092'], topics: ['t'], groupId: 'g', ...extra } });
  const output = { elasticsearch: { nodes: ['http://localhost:9200'] } };
  const pipelines: Record<string, object> = {
    plain: {
      id: 'fuzz-plain',
      input: kafka({ codec: 'plain' }),
      filters: [
        { json: { field: 'message', target: 'parsed' } },
        { kv: { field: 'message', target: 'kv', includeBrackets: true } },
        { csv: { field: 'message', columns: ['a', 'b.c', 'd'], target: 'csv', convert: { a: 'integer', d: 'float' } } },
        { dissect: { mapping: { message: '%{client} %{?ident} %{&ident} [%{ts}] "%{verb} %{path} %{+path}' } } },
        { date: { field: 'ts', formats: ['dd/MMM/yyyy:HH:mm:ss Z', 'ISO8601'] }, when: 'exists(ts)' },
        { urldecode: { fields: ['path', 'message'] } },
        { mutate: { addField: { '%{verb}': '%{client}', 'v.%{a}': 'x' }, gsub: [{ field: 'message', pattern: '[aeiou]+', replacement: '_' }], lowercase: ['verb'], split: { path: '/' } } },
        { translate: { field: 'verb', dictionary: { get: 'read', post: 'write' }, fallback: 'other %{verb}' } },
        { fingerprint: { sources: ['message', 'kv'], method: 'sha256', concatenateSources: true } },
        { truncate: { lengthBytes: 120 } },
        { mutate: { addTag: ['long'] }, when: 'message =~ /.{100}/ or "x" in tags or a > 5' },
      ],
      output,
    },
    json: {
      id: 'fuzz-json',
      input: kafka({ codec: 'json' }),
      filters: [
        { json: { field: 'payload', target: 'p' } },
        { json: { field: 'payload' }, when: 'exists(payload)' },
        { kv: { field: 'kv' } },
        { mutate: { copy: { message: 'original' }, merge: { tags: 'level' }, convert: { level: 'integer' }, rename: { k1: 'renamed.k1' } } },
        { date: { field: 'k2', formats: ['UNIX', 'UNIX_MS', 'ISO8601'] } },
        { fingerprint: { concatenateAllFields: true, method: 'murmur3' } },
        { urldecode: { allFields: true } },
      ],
      output,
    },
    tight: {
      id: 'fuzz-tight',
      input: kafka({ codec: 'json', onDecodeError: 'tag', maxJsonDepth: 8 }),
      filters: [{ kv: { field: 'message', target: 'kv' } }, { mutate: { addField: { '%{k0}': '%{k1}' } } }],
      output,
      limits: { maxRecordBytes: 2048, filterTimeoutMs: 50, onFilterTimeout: 'dead_letter' },
    },
  };

  it('100,000 random and mutated records through three pipelines: exit 0, bounded time, every record accounted for', async () => {
    mkdirSync(dir, { recursive: true });
    const r = prng(SEED + 2);
    const per = Math.ceil(100_000 / Object.keys(pipelines).length);
    const runs = Object.entries(pipelines).map(async ([name, pipeline]) => {
      const file = join(dir, `${name}.json`);
      writeFileSync(file, JSON.stringify(pipeline));
      const records: Buffer[] = Array.from({ length: per }, () => randomRecord(r));
      const inputFile = join(dir, `${name}.records`);
      writeFileSync(inputFile, Buffer.concat(records.flatMap((b) => [b, Buffer.from('\n')])));
      const res = await runCli(['process', file, '--input', inputFile, '--metadata'], { timeoutMs: 240_000 });
      return { name, res, count: records.length };
    });
    let total = 0;
    for (const { name, res, count } of await Promise.all(runs)) {
      total += count;
      expect(res.code, `${name}: exit ${res.code}, stderr ends with:\n${res.stderr.slice(-3000)}`).toBe(0);
      const seen = new Set<number>();
      for (const line of res.stdout.split('\n')) {
        if (!line) continue;
        const event = JSON.parse(line);
        seen.add(Number(event['@metadata'].kafka.offset));
      }
      const reasons: Record<string, number> = {};
      for (const line of res.stderr.split('\n')) {
        if (!line) continue;
        const letter = JSON.parse(line) as { reason: string; error: string; stage: string; record: string };
        expect(REASONS.has(letter.reason), `${name}: unknown reason in ${line.slice(0, 500)}`).toBe(true);
        expect(typeof letter.error).toBe('string');
        expect(letter.error, `${name}: ${line.slice(0, 500)}`).not.toMatch(BAD_CLEAN);
        expect(letter.error).not.toMatch(STACK_FRAME);
        reasons[letter.reason] = (reasons[letter.reason] ?? 0) + 1;
      }
      const deadLetters = Object.values(reasons).reduce((a, b) => a + b, 0);
      // Every record became at least one event or exactly one dead letter (events carry their offset).
      expect(seen.size + deadLetters, `${name}: ${seen.size} records with events, ${deadLetters} dead letters (${JSON.stringify(reasons)}) of ${count}`).toBe(count);
      expectNoStackTrace(res.stderr.slice(0, 100_000));
      if (name === 'tight') expect(reasons.too_large).toBeGreaterThan(100);
      if (name === 'json') expect(reasons.decode_failed).toBeGreaterThan(100);
      console.log(`fuzz ${name}: ${count} records in ${res.ms} ms, ${seen.size} with events, dead letters ${JSON.stringify(reasons)}`);
    }
    expect(total).toBeGreaterThanOrEqual(100_000);
  }, 300_000);
});
