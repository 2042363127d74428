/**
 * Everything the container tests create is named `sluicetest...` (containers, compose
 * projects, networks, volumes; the Swarm nodes are containers too, and their services live
 * inside them). cleanUp() removes all of it; the tests call it for their own prefix in
 * afterAll, and once for everything before they start (what a killed run left behind).
 */
import { tryDocker } from './engine.js';

export const TEST_PREFIX = 'sluicetest';

async function list(args: string[]): Promise<string[]> {
  const r = await tryDocker(args);
  return r.code === 0 ? r.stdout.split('\n').map((l) => l.trim()).filter(Boolean) : [];
}

export async function cleanUp(log: (m: string) => void = () => {}, prefix = TEST_PREFIX): Promise<void> {
  const containers = (await list(['ps', '-a', '--format', '{{.Names}}'])).filter((n) => n.startsWith(prefix));
  if (containers.length) {
    log(`removing containers: ${containers.join(' ')}`);
    // -v: the anonymous volumes too (the Swarm nodes' /var/lib/docker).
    await tryDocker(['rm', '-f', '-v', ...containers]);
  }
  const networks = (await list(['network', 'ls', '--format', '{{.Name}}'])).filter((n) => n.startsWith(prefix));
  for (const n of networks) await tryDocker(['network', 'rm', n]);
  const volumes = (await list(['volume', 'ls', '--format', '{{.Name}}'])).filter((n) => n.startsWith(prefix));
  if (volumes.length) await tryDocker(['volume', 'rm', '-f', ...volumes]);
  if (networks.length || volumes.length) log(`removed networks: ${networks.join(' ') || '-'}; volumes: ${volumes.join(' ') || '-'}`);
  // Dangling layers of rebuilt sluice test tags.
  await tryDocker(['image', 'prune', '-f']);
}
