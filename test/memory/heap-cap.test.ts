/**
 * Memory bounded by design: the web-access pipeline (grok, date, geoip with the bundled city
 * database, useragent, mutate) run flat out over records already waiting in Kafka, under a
 * V8 heap cap equal to the documented default (src/runtime/heap-cap.ts: 64 MiB + 3 KiB per
 * in-flight record + the in-flight bytes, 120 MiB with the default limits), must settle every
 * record (indexed; dead-lettered only if a GC pause on a loaded machine trips the filter time
 * limit) and stop cleanly: no heap exhaustion while 20,000 records are in flight.
 * Real Kafka and Elasticsearch; the cap goes through NODE_OPTIONS, which works on every Node
 * (bin/sluice applies the same value by itself where node can re-exec in place).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { heapCapForPaths, heapCapMiB } from '../../src/runtime/heap-cap.js';
import { createTopicReady, deleteIndices, logLines, mib, procStats, produce, runSluice, saveLogs, stopSluice, waitWithLogs } from '../helpers/faults.js';
import { esCount, groupLag, uniqueName } from '../helpers/services.js';
import { ROOT } from '../helpers/sluice.js';

const RECORDS = 40_000;
const pipeline = join(ROOT, 'pipelines', 'web-access.json');
const corpus = join(ROOT, 'samples', 'web-access.log');
const name = uniqueName('heapcap');

describe('memory: web-access flat out under the default heap cap', () => {
  afterAll(async () => {
    await deleteIndices(`${name}-*`);
  });

  it(`indexes ${RECORDS.toLocaleString('en-US')} waiting records with --max-old-space-size at the documented default and stops with exit 0`, async () => {
    const cap = heapCapForPaths([pipeline], {});
    expect(cap).toBe(heapCapMiB([{}])); // web-access keeps the default limits
    const lines = readFileSync(corpus, 'utf8').split('\n').filter(Boolean);
    await createTopicReady(name, 4);
    await produce(name, RECORDS, (i) => lines[i % lines.length], { partitions: 4 });
    const proc = runSluice([pipeline], {
      NODE_OPTIONS: `--max-old-space-size=${cap}`,
      WEB_ACCESS_TOPIC: name,
      WEB_ACCESS_GROUP_ID: name,
      WEB_ACCESS_INDEX_PREFIX: name,
      WEB_ACCESS_DLQ_TOPIC: `${name}.dlq`,
    });
    let peak = 0;
    try {
      // Every record settled (committed): indexed, or dead-lettered.
      await waitWithLogs(
        [proc],
        `group ${name} to commit all ${RECORDS} records`,
        async () => {
          peak = Math.max(peak, procStats(proc.child.pid!)?.hwm ?? 0);
          return (await groupLag(name, name)) === 0;
        },
        10 * 60_000,
        1000,
      );
      peak = Math.max(peak, procStats(proc.child.pid!)?.hwm ?? 0);
      expect(await stopSluice(proc)).toBe(0);
    } catch (err) {
      saveLogs([proc], 'heapcap');
      throw err;
    }
    expect(proc.output()).not.toMatch(/heap out of memory|Allocation failed/i);
    const stats = logLines(proc).find((l) => l.msg === 'pipeline stopped')?.stats as { eventsOut: number; deadLettered: Record<string, number> };
    const dead = Object.values(stats.deadLettered).reduce((a, b) => a + b, 0);
    // On a loaded machine a GC pause can push one event past limits.filterTimeoutMs: it is
    // dead-lettered (settled, not lost). Elasticsearch rejects nothing of this corpus.
    expect(Object.keys(stats.deadLettered).filter((r) => r !== 'filter_timeout')).toEqual([]);
    expect(await esCount(`${name}-*`)).toBe(RECORDS - dead);
    expect(stats.eventsOut).toBe(RECORDS - dead);
    process.stdout.write(`heap cap ${cap} MiB: peak RSS ${mib(peak)} for ${RECORDS} records (${dead} dead-lettered)\n`);
  }, 12 * 60_000);
});
