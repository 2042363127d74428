import { defineConfig } from 'vitest/config';

// `npm run test:containers`: the image, docker-compose.yml and deploy/swarm/stack.yml on a
// real Docker engine (test/containers/). Not part of `npm test`. One file at a time: each
// runs several JVMs and sluice replicas on a small machine.
export default defineConfig({
  test: {
    include: ['test/containers/**/*.test.ts'],
    globalSetup: ['test/containers/setup.ts'],
    testTimeout: 600_000,
    // A cold first run debootstraps Debian and builds every image.
    hookTimeout: 1_200_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
