/**
 * Writes schema/pipeline.schema.json and docs/pipeline-reference.md from the components'
 * schemas (run by `npm run build`). `--check` exits 1 when the files on disk are stale.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPipelineJsonSchema } from '../config/pipeline-schema.js';
import { components } from '../registry.js';
import { pipelineReference } from './reference.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function generatedFiles(): Record<string, string> {
  return {
    'schema/pipeline.schema.json': `${JSON.stringify(buildPipelineJsonSchema(components), null, 2)}\n`,
    'docs/pipeline-reference.md': pipelineReference(components),
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const check = process.argv.includes('--check');
  let stale = false;
  for (const [rel, content] of Object.entries(generatedFiles())) {
    const path = join(root, rel);
    let current = '';
    try {
      current = readFileSync(path, 'utf8');
    } catch {}
    if (current === content) continue;
    if (check) {
      stale = true;
      process.stderr.write(`${rel} is out of date: run npm run build\n`);
    } else {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, content);
    }
  }
  process.exitCode = stale ? 1 : 0;
}
