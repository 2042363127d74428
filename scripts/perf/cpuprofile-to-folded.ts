/**
 * A V8 .cpuprofile (node --cpu-prof) as folded stacks, the input of flame-graph renderers
 * (inferno-flamegraph, flamegraph.pl): one line per distinct stack, `root;caller;callee count`.
 * Idle samples are left out, so the graph shows where the busy time went.
 *
 *   npx tsx scripts/perf/cpuprofile-to-folded.ts PROFILE.cpuprofile > out.folded
 *   inferno-flamegraph --title "..." < out.folded > out.svg      (cargo install inferno)
 *
 * The .cpuprofile itself opens in speedscope and in Chrome DevTools (Performance panel).
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
}

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: cpuprofile-to-folded.ts PROFILE.cpuprofile\n');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

/** `function (dir/file.js:line)`, shortened to the last two path segments; `;` would split a frame. */
function frame(n: ProfileNode): string {
  const { functionName, url, lineNumber } = n.callFrame;
  const name = (functionName || '(anonymous)').replace(/;/g, ',').slice(0, 120);
  if (!url) return name;
  const where = url.replace(/^file:\/\//, '').split('/').slice(-2).join('/');
  return `${name} (${where}:${lineNumber + 1})`.replace(/;/g, ',');
}

const counts = new Map<number, number>();
for (const s of profile.samples) counts.set(s, (counts.get(s) ?? 0) + 1);
const folded = new Map<string, number>();
for (const [id, count] of counts) {
  const leaf = byId.get(id)!;
  if (leaf.callFrame.functionName === '(idle)') continue;
  const stack: string[] = [];
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const n = byId.get(cur)!;
    if (n.callFrame.functionName !== '(root)') stack.push(frame(n));
  }
  const key = stack.reverse().join(';');
  folded.set(key, (folded.get(key) ?? 0) + count);
}
for (const [stack, count] of folded) process.stdout.write(`${stack} ${count}\n`);
