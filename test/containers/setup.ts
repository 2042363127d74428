/**
 * vitest globalSetup of `npm run test:containers`: a Docker engine (docker.io installed and
 * dockerd started when none runs), what an interrupted earlier run left behind removed, and
 * every image built (cached: a second run only re-checks them). At the end, everything the
 * tests created is removed, and dockerd is stopped again if this run started it.
 */
import { cleanUp } from '../../scripts/containers/cleanup.js';
import { ensureEngine } from '../../scripts/containers/engine.js';
import { ensureImages, imageSize } from '../../scripts/containers/images.js';

export default async function setup(): Promise<() => Promise<void>> {
  const log = (m: string) => console.error(`[containers] ${m}`);
  const started = Date.now();
  const engine = await ensureEngine(log);
  await cleanUp(log);
  const images = await ensureImages(log, { swarm: true });
  for (const image of Object.values(images)) log(`${image}: ${((await imageSize(image)) / 1e6).toFixed(0)} MB`);
  log(`engine and images ready in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return async () => {
    await cleanUp(log);
    if (engine.pid !== undefined) {
      log('stopping the dockerd this run started');
      process.kill(engine.pid, 'SIGTERM');
    }
  };
}
