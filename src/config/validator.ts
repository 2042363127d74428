/**
 * ajv, set up once: defaults filled in, `"5"` accepted where a number is expected and a
 * lone value where a list is (environment variables are strings), every error reported.
 * Errors come back as SourceErrors at the right line and column, with a did-you-mean for
 * misspelt keys. A value at a secret property (`sensitive: true`, config/secrets.ts) is
 * never quoted in an error, only its type.
 *
 * The validators are compiled at build time (config/write-validators.ts, one file per schema
 * under dist/config/precompiled-validators/, named by `validatorKey`): loading ajv and
 * compiling them here cost ~0.1 CPU s of every start (a one-line `process`: 0.60 -> 0.46 CPU s
 * on Node 20). One file per schema, so a start reads only those of its own components. A
 * schema without a precompiled validator (changed since the build, or tests running from src)
 * is compiled here with ajv, as before.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Ajv, ErrorObject, Options, ValidateFunction } from 'ajv';
import { closest, distance } from 'fastest-levenshtein';
import type { TSchema } from '@sinclair/typebox';
import { holdsSecrets, isSensitive } from './secrets.js';
import { errorAt, formatPath, keyNodeAt, nodeAt, type PathSegment, type SourceDoc, type SourceError } from './source.js';

/** For the validators compiled at build time and those compiled here alike. */
export const AJV_OPTIONS = { allErrors: true, useDefaults: true, coerceTypes: 'array', strict: false, verbose: true } as const satisfies Options;

/** Where the build writes the precompiled validators: next to this module in dist. */
export const PRECOMPILED_DIR = fileURLToPath(new URL('./precompiled-validators/', import.meta.url));

/**
 * Names a schema's validator: a hash of the ajv options and of the schema's JSON. ajv reads a
 * schema's string keys only, which is what JSON.stringify writes (TypeBox's Symbol keys are
 * left out by both; the build checks that ajv compiles the same code from the JSON), so a
 * schema changed in any way that matters to ajv gets another key and never a stale validator.
 */
export function validatorKey(schema: TSchema): string {
  return createHash('sha256').update(JSON.stringify(AJV_OPTIONS)).update('\n').update(JSON.stringify(schema)).digest('hex');
}

/** How each validator was obtained since the start (or the last `usePrecompiledValidators`). */
export const validatorSources = { precompiled: 0, compiled: 0 };

// The precompiled validators are CommonJS (ajv's standalone code `require`s its runtime helpers,
// even in its ESM form), loaded synchronously because validation is.
const require = createRequire(import.meta.url);
let precompiledDir = PRECOMPILED_DIR;
let compiled = new WeakMap<TSchema, ValidateFunction>();
let ajv: Ajv | undefined;

/** For tests: take precompiled validators from `dir` from now on, forgetting those already obtained. */
export function usePrecompiledValidators(dir: string): void {
  precompiledDir = dir;
  compiled = new WeakMap();
  validatorSources.precompiled = 0;
  validatorSources.compiled = 0;
}

export function validatorFor(schema: TSchema): ValidateFunction {
  let v = compiled.get(schema);
  if (!v) {
    v = precompiledValidator(schema) ?? compileValidator(schema);
    compiled.set(schema, v);
  }
  return v;
}

function precompiledValidator(schema: TSchema): ValidateFunction | undefined {
  const file = join(precompiledDir, `${validatorKey(schema)}.cjs`);
  if (!existsSync(file)) return undefined;
  validatorSources.precompiled++;
  return require(file) as ValidateFunction;
}

function compileValidator(schema: TSchema): ValidateFunction {
  // Loaded on the first schema without a precompiled validator, so a start that has them all never loads ajv.
  ajv ??= new (require('ajv') as { Ajv: typeof Ajv }).Ajv(AJV_OPTIONS);
  validatorSources.compiled++;
  return ajv.compile(schema);
}

export function suggest(word: string, candidates: readonly string[]): string | undefined {
  if (candidates.length === 0) return undefined;
  const best = closest(word, candidates as string[]);
  const limit = Math.max(2, Math.floor(word.length / 3));
  if (distance(word.toLowerCase(), best.toLowerCase()) <= limit) return best;
  return candidates.find((c) => c.toLowerCase() === word.toLowerCase());
}

/**
 * Validates `value` (which lives at `base` in the document) against `schema`, filling in
 * defaults in place. Returns the errors, most useful first; empty when valid.
 */
export function validateAt(doc: SourceDoc, base: PathSegment[], schema: TSchema, value: unknown, what: string): SourceError[] {
  const validate = validatorFor(schema);
  if (validate(value)) return [];
  const errors: SourceError[] = [];
  const seen = new Set<string>();
  for (const e of pruneErrors(validate.errors ?? [])) {
    const segs = [...base, ...pointerToSegments(e.instancePath)];
    const err = describeError(doc, segs, e, what);
    const key = `${err.line}:${err.column}:${err.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      errors.push(err);
    }
  }
  return errors;
}

/** anyOf/oneOf produce an error per branch plus a summary; keep the summary only. */
function pruneErrors(errors: ErrorObject[]): ErrorObject[] {
  const unions = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf').map((e) => e.schemaPath);
  return errors.filter((e) => !unions.some((u) => e.schemaPath.startsWith(u.replace(/\/(anyOf|oneOf)$/, '/$1/'))));
}

function pointerToSegments(pointer: string): PathSegment[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function describeError(doc: SourceDoc, segs: PathSegment[], e: ErrorObject, what: string): SourceError {
  const node = nodeAt(doc, segs);
  const at = (offset: number | undefined, path: PathSegment[], msg: string) => errorAt(doc, offset ?? 0, formatPath(path), msg);
  // A secret (or an object holding secrets, given something else) is described, never quoted.
  const found = isSensitive(e.parentSchema) || holdsSecrets(e.parentSchema) ? describeSecret(e.data) : describeValue(e.data);
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String((e.params as { additionalProperty: string }).additionalProperty);
      const allowed = Object.keys((e.parentSchema as { properties?: object })?.properties ?? {});
      const hint = suggest(key, allowed);
      const keyNode = keyNodeAt(doc, segs, key);
      return at(
        keyNode?.offset ?? node?.offset,
        [...segs, key],
        `unknown key "${key}" in ${what}${hint ? `; did you mean "${hint}"?` : ''} (expected one of: ${allowed.join(', ')})`,
      );
    }
    case 'required': {
      const prop = String((e.params as { missingProperty: string }).missingProperty);
      return at(node?.offset, segs, `missing required key "${prop}" in ${what}`);
    }
    case 'type':
      return at(node?.offset, segs, `expected ${(e.params as { type: string }).type}, found ${found}`);
    case 'enum': {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v));
      const hint = typeof e.data === 'string' ? suggest(e.data, (e.params as { allowedValues: unknown[] }).allowedValues.map(String)) : undefined;
      return at(node?.offset, segs, `expected one of ${allowed.join(', ')}, found ${found}${hint ? `; did you mean "${hint}"?` : ''}`);
    }
    case 'const':
      return at(node?.offset, segs, `expected ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}, found ${found}`);
    case 'anyOf':
    case 'oneOf': {
      // A union of literals (TypeBox's string enums): say which values are allowed.
      const branches = ((e.parentSchema as { anyOf?: { const?: unknown }[]; oneOf?: { const?: unknown }[] }).anyOf ?? (e.parentSchema as { oneOf?: { const?: unknown }[] }).oneOf ?? []);
      if (branches.length && branches.every((b) => b.const !== undefined)) {
        const values = branches.map((b) => b.const);
        const hint = typeof e.data === 'string' ? suggest(e.data, values.map(String)) : undefined;
        return at(node?.offset, segs, `expected one of ${values.map((v) => JSON.stringify(v)).join(', ')}, found ${found}${hint ? `; did you mean "${hint}"?` : ''}`);
      }
      return at(node?.offset, segs, `${found} matches none of the allowed forms${e.parentSchema && (e.parentSchema as { description?: string }).description ? ` (${(e.parentSchema as { description: string }).description})` : ''}`);
    }
    default:
      return at(node?.offset, segs, `${e.message ?? 'is invalid'}${e.keyword === 'pattern' || e.keyword === 'format' ? `, found ${found}` : ''}`);
  }
}

function describeSecret(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return `${typeof v === 'object' ? 'an object' : `a ${typeof v}`} (value not shown: secret)`;
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  return `${typeof v} ${String(v)}`;
}
