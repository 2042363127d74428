/** The build's precompiled config validators, as the built CLI uses them (dist, built by `npm test`). */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { ROOT } from './helpers/sluice.js';

// In a process of its own, as `sluice` runs: which modules it loads is part of what is checked.
const script = `
import { createRequire } from 'node:module';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
const { loadPipeline, validatedSchemas } = await import('./dist/config/load.js');
const { PRECOMPILED_DIR, validatorKey, validatorSources } = await import('./dist/config/validator.js');
const { components } = await import('./dist/registry.js');
const missing = validatedSchemas(components).filter((s) => !existsSync(join(PRECOMPILED_DIR, validatorKey(s) + '.cjs'))).length;
for (const f of readdirSync('pipelines').filter((f) => f.endsWith('.json') && !f.endsWith('.test.json'))) loadPipeline(join('pipelines', f), components);
const ajvModules = Object.keys(createRequire(import.meta.url).cache).filter((m) => m.includes('/node_modules/ajv/'));
process.stdout.write(JSON.stringify({ missing, sources: validatorSources, ajvModules }));
`;

describe('precompiled config validators (dist)', () => {
  it("exist for every schema a pipeline is validated against, and loading pipelines compiles none nor loads ajv's compiler", () => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const { missing, sources, ajvModules } = JSON.parse(r.stdout) as { missing: number; sources: { precompiled: number; compiled: number }; ajvModules: string[] };
    expect(missing).toBe(0);
    expect(sources.compiled).toBe(0);
    expect(sources.precompiled).toBeGreaterThan(5);
    // Only the runtime helpers the generated code requires (ucs2length for minLength and maxLength).
    expect(ajvModules.every((m) => m.includes('/node_modules/ajv/dist/runtime/'))).toBe(true);
  });
});
