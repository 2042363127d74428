/** Which environment variables sluice reads: `${VAR}` in pipeline files and `process.env.VAR` / `.env('VAR')` in src. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './sluice.js';

function walk(dir: string, ext: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p, ext) : p.endsWith(ext) ? [p] : [];
  });
}

export function variablesSluiceReads(): Set<string> {
  const vars = new Set<string>();
  for (const f of walk(join(ROOT, 'pipelines'), '.json')) {
    for (const m of readFileSync(f, 'utf8').matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)) vars.add(m[1]);
  }
  for (const f of walk(join(ROOT, 'src'), '.ts')) {
    if (f.endsWith('.test.ts')) continue;
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/process\.env(?:\.([A-Za-z_][A-Za-z0-9_]*)|\[['"]([A-Za-z_][A-Za-z0-9_]*)['"]\])/g)) vars.add(m[1] ?? m[2]);
    for (const m of text.matchAll(/\.env\(['"]([A-Za-z_][A-Za-z0-9_]*)['"]\)/g)) vars.add(m[1]);
  }
  // Any ${VAR} may also come from VAR_FILE (the secrets convention in src/config/source.ts).
  for (const v of [...vars]) vars.add(`${v}_FILE`);
  // Read by the process itself rather than by our code: glibc's malloc (bin/sluice and the image set it; docs/performance.md).
  vars.add('MALLOC_ARENA_MAX');
  return vars;
}
