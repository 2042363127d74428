/**
 * Kafka that comes up after sluice (issue 16): the brokers' address is named in one warning,
 * /readyz says not ready, and the pipeline starts by itself once a broker listens there,
 * indexing what is produced to it, without a restart.
 *
 * A private, throw-away broker (test/helpers/extra-broker.ts) on a port chosen beforehand:
 * sluice starts first, pointing at the port where nothing listens yet. Elasticsearch is the
 * shared stack's.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { esCount, services, uniqueName, waitFor } from '../helpers/services.js';
import type { Running } from '../helpers/sluice.js';
import { deleteIndices, runSluice, waitWithLogs, writePipeline } from '../helpers/faults.js';
import { freePort, startExtraBroker, type ExtraBroker } from '../helpers/extra-broker.js';
import { checkLogLines } from '../helpers/log-lines.js';
import { consoleProduce, kafkaTool, TOPIC_COMMAND } from '../../scripts/stack/kafka.js';
import { httpBase, readyz, sigterm, warnings } from './helpers.js';

const run = uniqueName('brokers-later');
const procs: Running[] = [];
let broker: ExtraBroker | undefined;

afterAll(async () => {
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await broker?.stop();
  await deleteIndices(`${run}*`);
}, 60_000);

describe('brokers that come up after sluice', () => {
  it('are named in one warning, keep /readyz not ready, and are consumed from once they are up, without a restart', async () => {
    const port = await freePort();
    const address = `127.0.0.1:${port}`;
    const file = writePipeline(mkdtempSync(join(tmpdir(), 'sluice-brokers-later-')), { id: run, topic: run, groupId: run, index: run });
    const p = runSluice([file], { KAFKA_BROKERS: address, ES_URL: services().esUrl });
    procs.push(p);
    const base = await httpBase(p);
    await waitWithLogs([p], 'the warning naming the brokers', () => warnings(p).warn.some((l) => l.msg.includes(`Kafka brokers ${address}`)), 60_000, 200);
    const warning = warnings(p).warn.find((l) => l.msg.includes(`Kafka brokers ${address}`))!;
    expect(warning.msg).toMatch(/not reachable.*start Kafka, or correct input\.kafka\.brokers.*sluice doctor/);
    const ready = await readyz(base);
    expect(ready.status).toBe(503);
    expect(ready.body.pipelines[run].reasons.join(' ')).toContain(address);

    broker = await startExtraBroker([{ name: 'PLAINTEXT', port }]);
    const created = await kafkaTool(TOPIC_COMMAND, ['--bootstrap-server', address, '--create', '--topic', run, '--partitions', '2', '--replication-factor', '1']);
    expect(created.code, created.stderr).toBe(0);
    await consoleProduce(address, run, Array.from({ length: 30 }, (_, i) => `line ${i}`));
    await waitWithLogs([p], 'the 30 records to be indexed', async () => (await esCount(run)) === 30, 180_000, 500);
    await waitFor('/readyz 200', async () => (await readyz(base)).status === 200, 60_000, 200);

    const { code } = await sigterm(p, 40_000);
    expect(code, p.output().slice(-3000)).toBe(0);
    const { errors } = warnings(p);
    expect(errors).toEqual([]);
    expect(checkLogLines(p.output()).duplicated).toEqual([]);
  }, 400_000);
});
