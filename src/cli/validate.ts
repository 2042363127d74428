/** `sluice validate`: every problem in every file, as `file:line:col: path: message`. */
import { pino } from 'pino';
import { loadPipeline } from '../config/load.js';
import { SourceErrors } from '../config/source.js';
import { components } from '../registry.js';
import { buildFilters } from '../runtime/build.js';
import { pipelineFiles, TEST_SUFFIX } from './files.js';
import { checkTestFile } from './test-cases.js';

export async function validateCommand(paths: string[]): Promise<number> {
  let files: string[];
  try {
    files = pipelineFiles(paths);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 1;
  }
  let failed = 0;
  const ids = new Map<string, string>();
  for (const file of files) {
    if (file.endsWith(TEST_SUFFIX)) {
      // A glob like pipelines/*.json also names the test cases beside the pipelines.
      const { pipelineFile, problems } = checkTestFile(file);
      if (problems.length) {
        failed++;
        process.stderr.write(problems.map((p) => `${file}: ${p}\n`).join(''));
      } else process.stdout.write(`${file}: ok (test cases for ${pipelineFile}; run them with sluice test)\n`);
      continue;
    }
    try {
      const def = loadPipeline(file, components);
      // Building the filters catches what a schema cannot: bad regexes, unknown grok patterns, missing files.
      const { close } = await buildFilters(def, { pipelineId: def.id, baseDir: def.baseDir, logger: pino({ level: 'silent' }) });
      await close();
      def.input.spec.create(def.input.config, { pipelineId: def.id, baseDir: def.baseDir, logger: pino({ level: 'silent' }) });
      def.output.spec.create(def.output.config, { pipelineId: def.id, baseDir: def.baseDir, logger: pino({ level: 'silent' }) });
      const other = ids.get(def.id);
      if (other) throw new Error(`${file}: pipeline id "${def.id}" is also used by ${other}`);
      ids.set(def.id, file);
      process.stdout.write(`${file}: ok (pipeline "${def.id}")\n`);
    } catch (err) {
      failed++;
      const message = err instanceof SourceErrors ? err.message : (err as Error).message.startsWith(file) ? (err as Error).message : `${file}: ${(err as Error).message}`;
      process.stderr.write(`${message}\n`);
    }
  }
  if (failed) process.stderr.write(`${failed} of ${files.length} pipeline file(s) invalid\n`);
  return failed ? 1 : 0;
}
