/**
 * `npm run bench -- <name> [args]`: runs bench/<name>.ts (for example `filters` or `e2e`).
 * Without a name, lists the benchmarks there are.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .map((f) => f.slice(0, -3))
  .sort();
const [name] = process.argv.slice(2);
if (!name || !available.includes(name)) {
  process.stderr.write(`${name ? `no benchmark "${name}". ` : ''}usage: npm run bench -- <name> [options]\navailable: ${available.join(', ')}\n`);
  process.exit(name ? 1 : 0);
}
// The benchmark sees its own options after the name (it may also ignore a leading name).
await import(pathToFileURL(join(here, `${name}.ts`)).href);
