/**
 * `npm run stack:up [-- --brokers N] [--es 7|8|9|opensearch] [--kafka 3|4] [--clean]`,
 * `npm run stack:down`, `npm run stack:status`, `npm run stack:prune` (what test runs left), and
 * `npm run stack:fetch [-- --es 7|8|9|opensearch|all] [--kafka 3|4|all]` (download and
 * compile only, for CI).
 */
import { parseArgs } from 'node:util';
import { ensureStack, fetchStack, otherStackUsers, stackStatus, stopStack } from './stack.js';
import { pruneRunLeftovers } from './prune.js';
import { paths, type EsFlavor } from './paths.js';
import { StackError } from './toolchain.js';
import { parseKafkaVersion, type KafkaVersion } from './kafka-versions.js';

const USAGE =
  'usage: npm run stack:up [-- --brokers N] [--es 7|8|9|opensearch] [--kafka 3|4] [--clean] | npm run stack:fetch [-- --es 7|8|9|opensearch|all] [--kafka 3|4|all] | npm run stack:down | npm run stack:status | npm run stack:prune';
const log = (msg: string) => console.error(`[stack] ${msg}`);

function kafkaOption(value: string | undefined): KafkaVersion | 'all' | undefined {
  if (value === 'all') return 'all';
  try {
    return parseKafkaVersion(value, '--kafka');
  } catch (err) {
    throw new StackError((err as Error).message);
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'up': {
      const { values } = parseArgs({
        args: rest,
        options: { brokers: { type: 'string' }, clean: { type: 'boolean', default: false }, es: { type: 'string' }, kafka: { type: 'string' } },
        strict: true,
      });
      const brokers = values.brokers === undefined ? undefined : Number(values.brokers);
      const t0 = Date.now();
      // The CLI always manages the local stack, even if the shell exports KAFKA_BROKERS/ES_URL.
      const kafka = kafkaOption(values.kafka);
      if (kafka === 'all') throw new StackError('--kafka all is for fetch; stack:up runs one Kafka (3 or 4)');
      const stack = await ensureStack({ brokers, clean: values.clean, es: values.es as EsFlavor | undefined, kafka, useEnv: false, log });
      const secs = ((Date.now() - t0) / 1000).toFixed(1);
      log(stack.started ? `stack is up (${secs}s)` : `stack was already up (${secs}s)`);
      console.log(`KAFKA_BROKERS=${stack.kafkaBrokers.join(',')}`);
      console.log(`ES_URL=${stack.esUrl}`);
      log(`written to ${paths.envFile}; load it with: set -a; . ${paths.envFile}; set +a`);
      return 0;
    }
    case 'fetch': {
      const { values } = parseArgs({ args: rest, options: { es: { type: 'string' }, kafka: { type: 'string' } }, strict: true });
      const t0 = Date.now();
      await fetchStack({ es: values.es as EsFlavor | 'all' | undefined, kafka: kafkaOption(values.kafka), log });
      log(`Kafka and the search engine(s) are downloaded and the launchers compiled (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
      return 0;
    }
    case 'prune': {
      const users = otherStackUsers();
      if (users.length > 0) throw new StackError(`pid(s) ${users.join(', ')} (test runs?) use the stack now: their topics and indices would go too; prune once they are done`);
      const stack = await ensureStack({ useEnv: false, log });
      const p = await pruneRunLeftovers({ esUrl: stack.esUrl, kafkaBrokers: stack.kafkaBrokers });
      log(`deleted what test runs left: ${p.topics} topic(s), ${p.groups} consumer group(s), ${p.indices} index(es), ${p.templates} index template(s)`);
      return 0;
    }
    case 'down': {
      const users = otherStackUsers();
      if (users.length > 0) log(`note: stopping a stack that pid(s) ${users.join(', ')} (test runs?) still use`);
      await stopStack({ log });
      log('stack is down (data kept; `npm run stack:up -- --clean` wipes it)');
      return 0;
    }
    case 'status': {
      const s = await stackStatus();
      console.log(`stack dir: ${s.stackDir}`);
      if (s.kafka.length === 0 && !s.elasticsearch) {
        console.log('not created yet: run `npm run stack:up`');
        return 0;
      }
      for (const k of s.kafka) {
        const state = k.pid === undefined ? 'stopped' : k.registered ? 'running, healthy' : 'running, NOT registered in the cluster';
        console.log(`kafka node ${k.id}      ${k.address.padEnd(22)} ${k.pid !== undefined ? `pid ${k.pid}`.padEnd(11) : ''.padEnd(11)} ${state}`);
      }
      if (s.elasticsearch) {
        const e = s.elasticsearch;
        const state = e.pid === undefined ? `stopped (last ran: ${e.flavor}.x)` : e.status ? `running, health ${e.status}, version ${e.version}` : 'running, not answering';
        console.log(`elasticsearch     ${e.url.padEnd(22)} ${e.pid !== undefined ? `pid ${e.pid}`.padEnd(11) : ''.padEnd(11)} ${state}`);
      }
      console.log(s.healthy ? `healthy\nKAFKA_BROKERS=${s.env!.KAFKA_BROKERS}\nES_URL=${s.env!.ES_URL}` : 'not healthy / not (fully) running');
      return 0;
    }
    default:
      console.error(USAGE);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof StackError) console.error(`[stack] error: ${err.message}`);
    // Not every error's code is a string (kafkajs puts Kafka's numeric error codes there).
    else if (String((err as { code?: unknown }).code ?? '').startsWith('ERR_PARSE_ARGS')) console.error(`[stack] ${(err as Error).message}\n${USAGE}`);
    else console.error(err);
    process.exit(1);
  },
);
