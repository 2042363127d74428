/**
 * What serialising the documents costs with nothing else: the events a pipeline makes of
 * the corpus (`sluice process`, 20,000 lines), each written as a bulk action line plus
 * `JSON.stringify` of the event into one Buffer, as the Elasticsearch output does, in a
 * hot loop (best of five rounds; beside it the same joined into one string first, as the
 * output did before). One of the parts of the end-to-end floor in docs/performance.md ("The issue's
 * goals, measured"). Prints CPU µs per event (= CPU s per million events).
 *
 *   tsx scripts/perf/serialise-cost.ts [--pipeline bench/peers/grok-date.json] [--node /path/to/node]
 *
 * With --node the measuring loop runs on that node (e.g. Node 24 as the image ships it).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..', '..');
const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const pipeline = join(root, opt('pipeline', 'bench/peers/grok-date.json'));
const node = opt('node', process.execPath);
const corpus = join(root, '..', 'shared', 'corpus', 'apache-access', 'access.log');

const dir = mkdtempSync(join(os.tmpdir(), 'sluice-serialise-'));
try {
  const lines = readFileSync(corpus, 'utf8').split('\n').filter(Boolean);
  const input = join(dir, 'lines.log');
  writeFileSync(input, `${Array.from({ length: 20_000 }, (_, i) => lines[i % lines.length]).join('\n')}\n`);
  const made = spawnSync(node, [join(root, 'bin', 'sluice'), 'process', pipeline, '--input', input], { encoding: 'utf8', maxBuffer: 256 * 2 ** 20 });
  if (made.status !== 0) throw new Error(`sluice process failed:\n${made.stderr}`);
  const events = join(dir, 'events.ndjson');
  writeFileSync(events, made.stdout);
  // The loop runs in a child on the chosen node: the figure is that node's.
  const loop = `
    const fs = require('node:fs');
    const events = fs.readFileSync(${JSON.stringify(events)}, 'utf8').split('\\n').filter(Boolean).map((l) => JSON.parse(l));
    const body = Buffer.allocUnsafeSlow(4 << 20);
    // As the output writes a document: the action line, then the source, one after the other.
    const separate = () => {
      let pos = 0;
      for (let n = 0; n < events.length; n++) {
        const action = '{"index":{"_index":"bench","_id":"t-0-' + n + '"}}\\n';
        const source = JSON.stringify(events[n]);
        if (pos + (action.length + source.length + 1) * 3 > body.length) pos = 0;
        pos += body.write(action, pos);
        pos += body.write(source, pos);
        body[pos++] = 0x0a;
      }
    };
    // Joined into one string first (how the output wrote until December 2026): Buffer#write then copies it flat.
    const joined = () => {
      let pos = 0;
      for (let n = 0; n < events.length; n++) {
        const s = '{"index":{"_index":"bench","_id":"t-0-' + n + '"}}\\n' + JSON.stringify(events[n]) + '\\n';
        if (pos + s.length * 3 > body.length) pos = 0;
        pos += body.write(s, pos);
      }
    };
    const cpu = (round) => {
      const c0 = process.cpuUsage();
      for (let i = 0; i < 20; i++) round();
      const c = process.cpuUsage(c0);
      return (c.user + c.system) / (20 * events.length);
    };
    for (let i = 0; i < 10; i++) { separate(); joined(); }
    const best = { separate: Infinity, joined: Infinity };
    for (let i = 0; i < 5; i++) {
      best.separate = Math.min(best.separate, cpu(separate));
      best.joined = Math.min(best.joined, cpu(joined));
    }
    const what = events.length + ' events of ' + ${JSON.stringify(pipeline.replace(`${root}/`, ''))};
    console.log(process.version + ': ' + best.separate.toFixed(2) + ' CPU µs per event (' + what + '); joined into one string first: ' + best.joined.toFixed(2));
  `;
  const r = spawnSync(node, ['-e', loop], { stdio: 'inherit' });
  process.exitCode = r.status ?? 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
