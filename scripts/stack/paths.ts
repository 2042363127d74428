/**
 * Where the local stack keeps its files. Everything lives under `.stack/` at the project
 * root (gitignored); only `build/` (resolved classpaths, compiled launcher) and the data
 * directories matter across runs.
 */
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** scripts/stack/ (this directory: poms, launcher source, logging configs). */
export const STACK_SRC = path.dirname(fileURLToPath(import.meta.url));
/** The project root (two levels above scripts/stack). */
export const PROJECT_ROOT = path.resolve(STACK_SRC, '..', '..');
/** The state directory; SLUICE_STACK_DIR overrides it (e.g. to keep two stacks apart). */
export const STACK_DIR = path.resolve(process.env.SLUICE_STACK_DIR ?? path.join(PROJECT_ROOT, '.stack'));

/** Which search engine the stack runs: Elasticsearch 7.17, 8.19 (default) or 9.x, or OpenSearch 2.19. */
export type EsFlavor = '7' | '8' | '9' | 'opensearch';
export const ES_FLAVORS: readonly EsFlavor[] = ['7', '8', '9', 'opensearch'];

export const paths = {
  root: STACK_DIR,
  stateFile: path.join(STACK_DIR, 'state.json'),
  envFile: path.join(STACK_DIR, 'env'),
  lockFile: path.join(STACK_DIR, 'lock'),
  /** Resolved classpaths and compiled launchers; SLUICE_STACK_BUILD_DIR shares one between stack dirs. */
  build: path.resolve(process.env.SLUICE_STACK_BUILD_DIR ?? path.join(STACK_DIR, 'build')),
  logs: path.join(STACK_DIR, 'logs'),
  pids: path.join(STACK_DIR, 'pids'),
  kafka: path.join(STACK_DIR, 'kafka'),
  kafkaNode: (id: number) => path.join(STACK_DIR, 'kafka', `node-${id}`),
  /** Elasticsearch 7 lives in .stack/es, 8 in .stack/es8, OpenSearch in .stack/opensearch: their data formats differ. */
  es: (flavor: EsFlavor) => path.join(STACK_DIR, flavor === '7' ? 'es' : flavor === 'opensearch' ? 'opensearch' : `es${flavor}`),
  esHome: (flavor: EsFlavor) => path.join(paths.es(flavor), 'home'),
  esData: (flavor: EsFlavor) => path.join(paths.es(flavor), 'data'),
  esLogs: (flavor: EsFlavor) => path.join(paths.es(flavor), 'logs'),
  esTmp: (flavor: EsFlavor) => path.join(paths.es(flavor), 'tmp'),
  pidFile: (role: string) => path.join(STACK_DIR, 'pids', `${role}.pid`),
  logFile: (role: string) => path.join(STACK_DIR, 'logs', `${role}.log`),
};

/** Role names double as pid/log file names and as the process marker. */
export const roles = {
  es: 'elasticsearch',
  kafka: (id: number) => `kafka-${id}`,
};
