/**
 * Micro-benchmark: grok HTTPD_COMBINEDLOG over the 10,000-line Apache access log of the
 * shared corpus, one core, ECS and legacy capture modes.
 *
 *   npx tsx bench/grok-httpd.ts [path/to/access.log] [seconds per mode]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { grok } from '../src/filters/grok/index.js';
import { makeFilter } from '../src/testing/context.js';

const file = process.argv[2] ?? fileURLToPath(new URL('../../shared/corpus/apache-access/access.log', import.meta.url));
const seconds = Number(process.argv[3] ?? 3);
const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);

async function run(mode: 'v1' | 'disabled'): Promise<void> {
  const filter = await makeFilter(grok, { patterns: ['%{HTTPD_COMBINEDLOG}'], ecsCompatibility: mode });
  let failures = 0;
  // warm-up, and a correctness count
  for (const message of lines) {
    const event: Record<string, unknown> = { message };
    filter.process(event);
    if (event.tags) failures++;
  }
  let events = 0;
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(seconds * 1e9));
  while (process.hrtime.bigint() < deadline) {
    for (let i = 0; i < lines.length; i++) filter.process({ message: lines[i] });
    events += lines.length;
  }
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  const cpuSeconds = (used.user + used.system) / 1e6;
  const rate = (n: number) => Math.round(n).toLocaleString('en-US');
  // events per CPU second is the one-core throughput even when other processes share the machine
  console.log(
    `HTTPD_COMBINEDLOG ecsCompatibility=${mode}: ${rate(events / cpuSeconds)} events per CPU second, ${rate(events / elapsed)} events/s wall ` +
      `(${events.toLocaleString('en-US')} events, ${cpuSeconds.toFixed(2)} s CPU, ${elapsed.toFixed(2)} s wall; ${failures} of ${lines.length} lines did not match)`,
  );
}

await run('v1');
await run('disabled');
