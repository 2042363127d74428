/**
 * vitest globalSetup of `npm run test:containers`: a Docker engine (docker.io installed and
 * dockerd started when none runs), what an interrupted earlier run left behind removed, and
 * every image built (cached: a second run only re-checks them). At the end, everything the
 * tests created is removed, and dockerd is stopped again if this run started it.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cleanUp } from '../../scripts/containers/cleanup.js';
import { ensureEngine } from '../../scripts/containers/engine.js';
import { ensureImages, imageSize } from '../../scripts/containers/images.js';

/** One run per machine: a run's start-up clean-up would remove another run's containers. */
const LOCK = '/tmp/sluice-test-containers.pid';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export default async function setup(): Promise<() => Promise<void>> {
  const log = (m: string) => console.error(`[containers] ${m}`);
  const started = Date.now();
  const holder = existsSync(LOCK) ? Number(readFileSync(LOCK, 'utf8')) : 0;
  if (holder && holder !== process.pid && alive(holder)) {
    throw new Error(`another \`npm run test:containers\` (pid ${holder}) is running on this machine; run one at a time (${LOCK})`);
  }
  writeFileSync(LOCK, String(process.pid));
  const engine = await ensureEngine(log);
  await cleanUp(log);
  const images = await ensureImages(log, { swarm: true });
  for (const image of Object.values(images)) log(`${image}: ${((await imageSize(image)) / 1e6).toFixed(0)} MB`);
  log(`engine and images ready in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return async () => {
    await cleanUp(log);
    rmSync(LOCK, { force: true });
    if (engine.pid !== undefined) {
      log('stopping the dockerd this run started');
      process.kill(engine.pid, 'SIGTERM');
    }
  };
}
