/**
 * vitest globalSetup: makes real Kafka and Elasticsearch available to every test.
 *
 * - With KAFKA_BROKERS and ES_URL both set, those servers are used and nothing is started.
 * - Otherwise the local stack (scripts/stack) is started or reused; the first run downloads
 *   Kafka and Elasticsearch from Maven Central (a few minutes), later runs take seconds.
 *   SLUICE_STACK_BROKERS=3 asks for a three-broker cluster.
 * - SLUICE_NO_STACK=1 skips all of this (unit tests only; integration tests then fail).
 *
 * Tests read the addresses with `inject('KAFKA_BROKERS')` / `inject('ES_URL')` or from
 * process.env (set here before the workers start). The stack is stopped at the end only if
 * this run started it and no other process (another test run, the demo) registered as its
 * user meanwhile, so a stack started with `npm run stack:up` stays up. With no other user, the
 * topics, groups, indices and templates the tests made are deleted at the end (also those of
 * runs killed before; scripts/stack/prune.ts).
 */
import type { TestProject } from 'vitest/node';
import { ensureStack, otherStackUsers, pruneRunLeftovers, registerStackUser, stopStack } from '../../scripts/stack/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    KAFKA_BROKERS: string;
    ES_URL: string;
  }
}

export default async function setup({ provide }: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (process.env.SLUICE_NO_STACK === '1') return undefined;
  const brokers = process.env.SLUICE_STACK_BROKERS ? Number(process.env.SLUICE_STACK_BROKERS) : undefined;
  const log = (m: string) => console.error(`[stack] ${m}`);
  const usesLocalStack = !(process.env.KAFKA_BROKERS && process.env.ES_URL);
  // Registered before starting, so a concurrent run finishing meanwhile does not stop it.
  const unregister = usesLocalStack ? registerStackUser() : () => {};
  let stack;
  try {
    stack = await ensureStack({ brokers, log });
  } catch (err) {
    unregister();
    throw err;
  }
  const kafkaBrokers = stack.kafkaBrokers.join(',');
  process.env.KAFKA_BROKERS = kafkaBrokers;
  process.env.ES_URL = stack.esUrl;
  provide('KAFKA_BROKERS', kafkaBrokers);
  provide('ES_URL', stack.esUrl);
  return async () => {
    unregister();
    if (!usesLocalStack) return;
    const others = otherStackUsers();
    if (others.length > 0) {
      if (stack.started) log(`leaving the stack running: still used by pid(s) ${others.join(', ')}`);
      return;
    }
    // Nobody else uses it: what this run (and killed runs before it) left goes (scripts/stack/prune.ts).
    await pruneRunLeftovers({ esUrl: stack.esUrl, kafkaBrokers: stack.kafkaBrokers }).then(
      (p) => log(`deleted what test runs left: ${p.topics} topic(s), ${p.groups} consumer group(s), ${p.indices} index(es), ${p.templates} index template(s)`),
      (err: Error) => log(`could not delete what test runs left: ${err.message}`),
    );
    if (stack.started) await stopStack({ log });
  };
}
