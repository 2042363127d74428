/**
 * npx tsx scripts/containers/cli.ts build [--swarm]   engine + every image (idempotent)
 * npx tsx scripts/containers/cli.ts clean             remove what the container tests left
 */
import { ensureEngine } from './engine.js';
import { ensureImages, imageSize } from './images.js';
import { cleanUp } from './cleanup.js';

const log = (m: string) => console.error(`[containers] ${m}`);
const [verb, ...rest] = process.argv.slice(2);
if (verb === 'build') {
  await ensureEngine(log);
  const images = await ensureImages(log, { swarm: rest.includes('--swarm') });
  for (const image of Object.values(images).filter((i) => rest.includes("--swarm") || i !== images.dind)) console.log(`${image}\t${((await imageSize(image)) / 1e6).toFixed(0)} MB`);
} else if (verb === 'clean') {
  await ensureEngine(log);
  await cleanUp(log);
} else {
  console.error('usage: cli.ts build [--swarm] | clean');
  process.exit(2);
}
