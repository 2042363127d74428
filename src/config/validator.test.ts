/** Precompiled config validators: which one validatorFor takes, and that it behaves exactly as ajv's own. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { Type, type TSchema } from '@sinclair/typebox';
import { loadPipeline, validatedSchemas } from './load.js';
import { AJV_OPTIONS, usePrecompiledValidators, validatorFor, validatorKey, validatorSources } from './validator.js';
import { writePrecompiledValidators } from './write-validators.js';
import { components } from '../registry.js';
import { grokConfig } from '../filters/grok/index.js';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..', '..');
const require = createRequire(import.meta.url);

// In the checkout (tmp/ is ignored by git), not the OS temp directory: the generated modules
// require ajv's runtime helpers, found through the checkout's node_modules as in dist.
let dir: string;
beforeAll(() => {
  mkdirSync(join(ROOT, 'tmp'), { recursive: true });
  dir = mkdtempSync(join(ROOT, 'tmp', 'precompiled-validators-'));
  writePrecompiledValidators(dir, validatedSchemas(components));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('validatorFor', () => {
  it("takes the precompiled validator of a real component's schema, without compiling", () => {
    usePrecompiledValidators(dir);
    const validate = validatorFor(grokConfig);
    expect(validate).toBe(require(join(dir, `${validatorKey(grokConfig)}.cjs`)));
    expect(validatorSources).toEqual({ precompiled: 1, compiled: 0 });
    const config: Record<string, unknown> = { patterns: ['%{WORD:w}'] };
    expect(validate(config)).toBe(true);
    expect(config.field).toBe('message');
    // The same schema built again (another object, same JSON) has the same key.
    expect(validatorFor(JSON.parse(JSON.stringify(grokConfig)) as TSchema)).toBe(validate);
    expect(validatorSources).toEqual({ precompiled: 2, compiled: 0 });
  });

  it('compiles a schema changed since its validators were generated, never taking the stale one', () => {
    usePrecompiledValidators(dir);
    const changed = Type.Object({ ...grokConfig.properties, field: Type.String({ default: 'msg' }) }, { additionalProperties: false });
    const validate = validatorFor(changed);
    expect(validatorSources).toEqual({ precompiled: 0, compiled: 1 });
    const config: Record<string, unknown> = { patterns: ['%{WORD:w}'] };
    expect(validate(config)).toBe(true);
    expect(config.field).toBe('msg');
    // A description is part of an error message (anyOf), so it changes the key too.
    validatorFor({ ...grokConfig, description: 'changed' });
    expect(validatorSources).toEqual({ precompiled: 0, compiled: 2 });
  });

  it('compiles when no validators were generated (tests from src, a build without them)', () => {
    usePrecompiledValidators(join(dir, 'absent'));
    const config: Record<string, unknown> = { patterns: ['%{WORD:w}'], breakOnMatch: 'false' };
    expect(validatorFor(grokConfig)(config)).toBe(true);
    expect(config.breakOnMatch).toBe(false);
    expect(validatorSources).toEqual({ precompiled: 0, compiled: 1 });
  });

  it('loads every example pipeline, blocks and common keys included, with precompiled validators only', () => {
    usePrecompiledValidators(dir);
    for (const file of readdirSync(join(ROOT, 'pipelines')).filter((f) => f.endsWith('.json') && !f.endsWith('.test.json'))) {
      loadPipeline(join(ROOT, 'pipelines', file), components, {});
    }
    loadPipeline('blocks.json', components, {}, JSON.stringify({
      id: 'p',
      input: { kafka: { brokers: ['k:9092'], topics: ['t'], groupId: 'g' } },
      filters: [{ if: '[a] == 1', then: [{ drop: {}, when: '[b] == 2', id: 'd' }], elseIf: [{ if: '[c]', then: [] }], else: [] }],
      output: { elasticsearch: { nodes: ['http://es:9200'], index: 'i' } },
      deadLetter: { topic: 'dlq' },
      limits: { maxInFlightEvents: '100' },
    }));
    expect(validatorSources.compiled).toBe(0);
    expect(validatorSources.precompiled).toBeGreaterThan(5);
  });
});

/** Values of many types, to put at every property: each makes some keyword fail or coerce. */
const PROBES: unknown[] = ['5', 5, 1.5, -1, 0, true, 'true', '', 'x'.repeat(300), [], ['a'], [1, 'b'], {}, { a: 1 }, null];

function probesFor(schema: TSchema): unknown[] {
  const props = (schema as { properties?: Record<string, unknown> }).properties;
  if (!props) return PROBES;
  return [{}, { notAKey: 1 }, ...PROBES.map((p) => Object.fromEntries(Object.keys(props).map((k) => [k, structuredClone(p)])))];
}

describe('a precompiled validator', () => {
  it("accepts, fills in, coerces and reports exactly as ajv's own for every schema a pipeline is validated against", () => {
    usePrecompiledValidators(dir);
    const ajv = new Ajv(AJV_OPTIONS);
    for (const schema of validatedSchemas(components)) {
      const precompiled = validatorFor(schema);
      const compiled = ajv.compile(schema);
      for (const probe of probesFor(schema)) {
        const [a, b] = [structuredClone(probe), structuredClone(probe)];
        const what = `${JSON.stringify(schema).slice(0, 60)} with ${JSON.stringify(probe).slice(0, 60)}`;
        expect(precompiled(a), what).toBe(compiled(b));
        expect(a, what).toEqual(b);
        // As JSON: the precompiled errors' schema and parentSchema are JSON copies of the TypeBox objects, without their Symbol keys.
        expect(JSON.parse(JSON.stringify(precompiled.errors ?? null)), what).toEqual(JSON.parse(JSON.stringify(compiled.errors ?? null)));
      }
    }
    expect(validatorSources.compiled).toBe(0);
  });
});
