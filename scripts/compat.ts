/**
 * `npm run test:compat`: the compatibility job. The whole suite runs on the default servers
 * (Kafka 4.x + Elasticsearch 8.19); this runs the tests that show a server version broke
 * something (the end-to-end test, the mapping-conflict dead-letter test, doctor, the managed
 * index template and data streams) on every other server we support:
 *
 *   Kafka 3.9 + Elasticsearch 7.17, Kafka 4.x + Elasticsearch 9.x, Kafka 4.x + OpenSearch 2.19.
 *
 * One private stack under .stack-compat/ (never the developer's .stack/): Kafka is re-created
 * when its version changes, the search engine is switched in place. The stack is stopped at
 * the end. `-- --only es9,opensearch` runs a subset. Exit 1 when any target fails.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const STACK_DIR = path.join(ROOT, '.stack-compat');
// Set before the stack modules load: they read it once. The classpaths and launchers that
// `npm run stack:fetch` resolved and compiled into .stack/build are reused.
process.env.SLUICE_STACK_DIR = STACK_DIR;
process.env.SLUICE_STACK_BUILD_DIR ??= path.join(ROOT, '.stack', 'build');
const { ensureStack, stopStack, StackError } = await import('./stack/index.js');
type EsFlavor = import('./stack/index.js').EsFlavor;
type KafkaVersion = import('./stack/index.js').KafkaVersion;

const TESTS = [
  'test/e2e/run.test.ts',
  'test/faults/mapping-conflict.test.ts',
  'test/doctor.test.ts',
  'src/outputs/elasticsearch/template.test.ts',
  'src/outputs/elasticsearch/data-stream.test.ts',
];

interface Target {
  name: string;
  kafka: KafkaVersion;
  es: EsFlavor;
}

// Kafka 3 first: the later targets share one Kafka 4 and only switch the search engine.
const TARGETS: Target[] = [
  { name: 'kafka3-es7', kafka: '3', es: '7' },
  { name: 'es9', kafka: '4', es: '9' },
  { name: 'opensearch', kafka: '4', es: 'opensearch' },
];

const log = (m: string) => console.error(`[compat] ${m}`);

function vitest(env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    // Each target's servers have just started (cold JVMs) while five test files share the
    // machine: a longer per-test limit than the suite's 120 s, so slowness is not reported as
    // an incompatibility (the tests' own waits still bound every step).
    const child = spawn(process.execPath, [path.join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--testTimeout=300000', ...TESTS], { cwd: ROOT, env, stdio: 'inherit' });
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { only: { type: 'string' } }, strict: true });
  const only = values.only?.split(',').map((s) => s.trim());
  const targets = only ? TARGETS.filter((t) => only.includes(t.name)) : TARGETS;
  if (targets.length === 0) throw new Error(`--only: none of ${only!.join(', ')}; targets are ${TARGETS.map((t) => t.name).join(', ')}`);
  const results: string[] = [];
  let failed = 0;
  const t0 = Date.now();
  try {
    for (const target of targets) {
      const started = Date.now();
      let stack;
      try {
        stack = await ensureStack({ kafka: target.kafka, es: target.es, useEnv: false, log });
      } catch (err) {
        failed++;
        results.push(`${target.name}: NOT RUN, the stack did not start: ${err instanceof StackError ? err.message : String(err)}`);
        continue;
      }
      log(`${target.name}: Kafka ${stack.kafkaBrokers.join(',')}, search engine ${stack.esUrl}; running ${TESTS.length} test files`);
      const env = { ...process.env, KAFKA_BROKERS: stack.kafkaBrokers.join(','), ES_URL: stack.esUrl, SLUICE_STACK_KAFKA: target.kafka };
      const code = await vitest(env);
      const secs = ((Date.now() - started) / 1000).toFixed(0);
      if (code !== 0) failed++;
      results.push(`${target.name}: ${code === 0 ? 'passed' : `FAILED (vitest exit ${code})`} in ${secs}s`);
    }
  } finally {
    await stopStack({ log });
  }
  log(`done in ${((Date.now() - t0) / 1000).toFixed(0)}s:\n  ${results.join('\n  ')}`);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
