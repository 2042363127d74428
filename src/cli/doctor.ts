/**
 * `sluice doctor <pipeline>`: checks, from where it runs, everything a pipeline needs, and
 * says for each check PASS, WARN or FAIL with a one-line fix hint. The checks belong to the
 * components (src/inputs/kafka/diagnostics.ts, src/outputs/elasticsearch/diagnostics.ts, ...,
 * reached through their specs' `diagnose`); doctor runs them and prints. Exit 1 on any FAIL.
 */
import type { Logger } from 'pino';
import { loadPipeline, type PipelineDefinition } from '../config/load.js';
import { components } from '../registry.js';
import { DiagnosticReport, type DiagnosticContext } from '../core/diagnostics.js';
import { createLogger } from './logger.js';

export type { CheckResult, Status } from '../core/diagnostics.js';

export async function doctorCommand(file: string, opts: { timeoutMs: number; logLevel?: string }): Promise<number> {
  let def: PipelineDefinition;
  let logger: Logger;
  try {
    logger = createLogger(opts.logLevel ?? 'silent', 2);
    def = loadPipeline(file, components);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  const timeoutMs = Number.isFinite(opts.timeoutMs) && opts.timeoutMs > 0 ? opts.timeoutMs : 5000;
  const report = new DiagnosticReport((s) => process.stdout.write(s));
  const ctx: DiagnosticContext = { report, timeoutMs, logger, deadLetter: def.deadLetter };
  process.stdout.write(`sluice doctor: pipeline ${def.id} (${file})\n`);
  for (const part of [def.input, def.output] as const) {
    const spec = part.spec as { kind: string; name: string; diagnose?: (config: unknown, ctx: DiagnosticContext) => Promise<void> };
    if (spec.diagnose) await spec.diagnose(part.config, ctx);
    else report.warn(spec.kind, `the ${spec.name} ${spec.kind} has no doctor checks`, 'nothing to do');
  }
  const fails = report.count('FAIL');
  process.stdout.write(`${report.count('PASS')} passed, ${report.count('WARN')} warning(s), ${fails} failed\n`);
  return fails > 0 ? 1 : 0;
}
