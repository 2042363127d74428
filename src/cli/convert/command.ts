/**
 * `sluice convert <file|dir|glob>… [-o FILE] [--allow-partial]`: the pipeline JSON on
 * stdout (or in FILE), the report on stderr.
 *
 * Exit codes: 0 everything converted; 1 something could not be converted (the pipeline is
 * written only with --allow-partial); 2 nothing to convert (no such file) or an internal
 * failure.
 */
import { statSync, writeFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { convertConfigs, type ConvertOptions } from './convert.js';
import { expandConfigPaths } from './paths.js';

export interface ConvertCommandOptions extends ConvertOptions {
  output?: string;
  allowPartial?: boolean;
}

export { CONVERT_EXIT_CODES } from '../exit-codes.js';

export async function convertCommand(paths: string[], opts: ConvertCommandOptions): Promise<number> {
  const { files, problems } = expandConfigPaths(paths);
  for (const p of problems) process.stderr.write(`${p}\n`);
  if (files.length === 0) {
    process.stderr.write('no Logstash configuration files to convert\n');
    return 2;
  }
  const baseDir = opts.output ? dirname(resolve(opts.output)) : process.cwd();
  // A conf.d directory names the pipeline better than its first file does.
  const id = opts.id ?? (paths.length === 1 && isDirectory(paths[0]) ? basename(resolve(paths[0])) : undefined);
  let result;
  try {
    result = await convertConfigs(files, { ...opts, id, baseDir });
  } catch (err) {
    // Never a bare stack trace: an unexpected failure is a bug, said as such.
    process.stderr.write(`sluice convert failed unexpectedly (a bug; please report it with the config): ${(err as Error).message}\n`);
    return 2;
  }
  process.stderr.write(result.report.format());
  if (result.fatal || !result.pipeline) {
    process.stderr.write(`${result.fatal ?? 'nothing converted'}\n`);
    return 2;
  }
  const incomplete = result.report.unconvertedCount > 0 || problems.length > 0;
  if (incomplete && !opts.allowPartial) {
    process.stderr.write('not written: some constructs could not be converted (see above); --allow-partial writes the rest\n');
    return 1;
  }
  const text = `${JSON.stringify(result.pipeline, null, 2)}\n`;
  if (opts.output) {
    try {
      writeFileSync(opts.output, text);
    } catch (err) {
      process.stderr.write(`cannot write ${opts.output}: ${(err as Error).message}\n`);
      return 2;
    }
    process.stderr.write(`wrote ${opts.output}${incomplete ? ' (partial)' : ''}\n`);
  } else process.stdout.write(text);
  return incomplete ? 1 : 0;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
