/**
 * `sluice --version`, `sluice version`, and the `sluice_build_info{version,node}` gauge on
 * /metrics, in one process and with `--workers` (where the supervisor's /metrics and /readyz
 * also answer while the workers' pipelines wait: here for a topic that does not exist).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uniqueName, waitFor } from '../helpers/services.js';
import { ROOT, runSluice as runSluiceSync, type Running } from '../helpers/sluice.js';
import { runSluice, writePipeline } from '../helpers/faults.js';
import { httpBase, readyz, sigterm } from './helpers.js';

const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version as string;
const run = uniqueName('version');
const procs: Running[] = [];

afterAll(() => {
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
});

describe('version', () => {
  it('sluice --version and sluice version print the version of sluice and of Node.js', () => {
    for (const args of [['--version'], ['version'], ['-V']]) {
      const r = runSluiceSync(args);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(`sluice ${version} (Node.js ${process.version})\n`);
    }
  });

  for (const workers of [1, 2]) {
    it(`/metrics has sluice_build_info{version,node} 1 (--workers ${workers}), also while the pipeline waits`, async () => {
      const file = writePipeline(mkdtempSync(join(tmpdir(), 'sluice-version-')), { id: `${run}-${workers}`, topic: `${run}-missing`, groupId: run, index: run });
      const p = runSluice(['--workers', String(workers), file]);
      procs.push(p);
      const base = await httpBase(p);
      const line = `sluice_build_info{version="${version}",node="${process.versions.node}"} 1`;
      await waitFor('sluice_build_info on /metrics', async () => (await (await fetch(`${base}/metrics`)).text()).split('\n').includes(line), 60_000, 200);
      // Not ready, and saying why (the topic), also through the supervisor of --workers.
      await waitFor('/readyz to name the missing topic', async () => JSON.stringify((await readyz(base)).body).includes(`${run}-missing`), 60_000, 200);
      expect((await readyz(base)).status).toBe(503);
      const { code } = await sigterm(p, 30_000);
      expect(code, p.output().slice(-3000)).toBe(0);
    }, 120_000);
  }
});
