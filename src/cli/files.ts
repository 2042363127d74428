/** Finding pipeline files: explicit files, or every `*.json` in a directory (test cases excluded). */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const TEST_SUFFIX = '.test.json';

export function pipelineFiles(paths: string[]): string[] {
  const files: string[] = [];
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new Error(`${p}: no such file or directory`);
    }
    if (st.isDirectory()) {
      for (const name of readdirSync(p).sort()) {
        if (name.endsWith('.json') && !name.endsWith(TEST_SUFFIX)) files.push(join(p, name));
      }
    } else files.push(p);
  }
  return files;
}
