import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    // On a Docker engine, run by `npm run test:containers` (vitest.containers.config.ts).
    exclude: ['test/containers/**', '**/node_modules/**'],
    // Starts (or reuses) real Kafka + Elasticsearch unless KAFKA_BROKERS and ES_URL are set.
    globalSetup: ['test/setup/global-stack.ts'],
    testTimeout: 120_000,
    // A cold first run downloads Kafka and Elasticsearch from Maven Central.
    hookTimeout: 600_000,
    pool: 'forks',
  },
});
