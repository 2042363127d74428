/**
 * The converted pipeline is checked with sluice's own loader and filter factories (what
 * `sluice validate` runs), filter by filter while converting, so that one filter sluice
 * would refuse (an unknown grok pattern, a regex JavaScript rejects) is reported and left
 * out instead of making the whole file invalid; and once more as a whole at the end.
 */
import { join } from 'node:path';
import { pino } from 'pino';
import { loadPipeline } from '../../config/load.js';
import type { Env } from '../../config/source.js';
import { components } from '../../registry.js';
import { buildFilters } from '../../runtime/build.js';
import { envDefault } from './env-defaults.js';
import type { Json } from './input-kafka.js';

/**
 * The pipeline as the check sees it in an empty environment: every `${VAR:-default}` takes
 * its default, and every `${VAR}` the default convert gives it in the end (see
 * env-defaults.ts), so that the check does not depend on the environment convert runs in.
 */
function withDefaults(value: unknown, key = ''): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (match: string, _name: string, def: string | undefined, at: number) => def ?? envDefault(key, value, at, match.length));
  }
  if (Array.isArray(value)) return value.map((v) => withDefaults(v, key));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withDefaults(v, k)]));
  return value;
}

const NO_ENV: Env = {};

const PLACEHOLDER_IO = {
  input: { kafka: { brokers: ['localhost:9092'], topics: ['t'], groupId: 'g' } },
  output: { elasticsearch: { nodes: ['http://localhost:9200'] } },
};

/** Why sluice refuses this pipeline (loader and filter factories), or undefined when it accepts it. */
export async function pipelineProblem(pipeline: Json, baseDir: string): Promise<string | undefined> {
  const file = join(baseDir, '(converted).json');
  try {
    const def = loadPipeline(file, components, NO_ENV, JSON.stringify(withDefaults(pipeline), null, 2));
    const silent = pino({ level: 'silent' });
    const { close } = await buildFilters(def, { pipelineId: def.id, baseDir: def.baseDir, logger: silent });
    await close();
    def.input.spec.create(def.input.config, { pipelineId: def.id, baseDir: def.baseDir, logger: silent });
    def.output.spec.create(def.output.config, { pipelineId: def.id, baseDir: def.baseDir, logger: silent });
    return undefined;
  } catch (err) {
    return (err as Error).message.replace(/^[^\n]*\(converted\)\.json:\d+:\d+: /gm, '');
  }
}

/** Why sluice refuses these filters (with a placeholder input and output), or undefined. */
export function filtersProblem(filters: Json[], baseDir: string): Promise<string | undefined> {
  return pipelineProblem({ id: 'convert-check', ...PLACEHOLDER_IO, filters }, baseDir);
}

/** Why sluice refuses this kafka input config (with the filters that decorate it), or undefined. */
export function inputProblem(kafka: Json, filters: Json[], baseDir: string): Promise<string | undefined> {
  return pipelineProblem({ id: 'convert-check', input: { kafka }, output: PLACEHOLDER_IO.output, filters }, baseDir);
}

/** Why sluice refuses this elasticsearch output config (with the filters that route to it), or undefined. */
export function outputProblem(elasticsearch: Json, filters: Json[], baseDir: string): Promise<string | undefined> {
  return pipelineProblem({ id: 'convert-check', input: PLACEHOLDER_IO.input, output: { elasticsearch }, filters }, baseDir);
}
