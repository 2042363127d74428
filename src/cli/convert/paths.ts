/**
 * Which files make a Logstash pipeline, in Logstash's order (`path.config`): a file as
 * given; a directory: every file in it, sorted by name; a glob (`*`, `?`, `[abc]`, `{a,b}`,
 * `**`): its matches, sorted. Several arguments are concatenated in the order given.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';

const GLOB_CHARS = /[*?[{]/;

export function expandConfigPaths(args: string[]): { files: string[]; problems: string[] } {
  const files: string[] = [];
  const problems: string[] = [];
  for (const arg of args) {
    if (GLOB_CHARS.test(arg) && !exists(arg)) {
      const matches = glob(arg).filter(isFile).sort();
      if (matches.length === 0) problems.push(`${arg}: no file matches`);
      files.push(...matches);
      continue;
    }
    let st;
    try {
      st = statSync(arg);
    } catch {
      problems.push(`${arg}: no such file or directory`);
      continue;
    }
    if (st.isDirectory()) {
      const inDir = readdirSync(arg)
        .sort()
        .map((n) => join(arg, n))
        .filter(isFile);
      if (inDir.length === 0) problems.push(`${arg}: the directory holds no files`);
      files.push(...inDir);
    } else files.push(arg);
  }
  return { files: [...new Set(files)], problems };
}

function exists(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** A glob segment as a regular expression. */
function segmentRegex(segment: string): RegExp {
  let re = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = segment.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        re += `[${segment.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else if (c === '{') {
      const end = segment.indexOf('}', i + 1);
      if (end < 0) re += '\\{';
      else {
        re += `(?:${segment.slice(i + 1, end).split(',').map(escape).join('|')})`;
        i = end;
      }
    } else re += escape(c);
  }
  return new RegExp(`^${re}$`);
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Bounded walk: at most this many directories are read for one glob. */
const MAX_DIRS = 10_000;

function glob(pattern: string): string[] {
  const absolute = pattern.startsWith('/');
  const segments = pattern.split(/[\\/]+/).filter((s, i) => s !== '' || i === 0);
  let bases = [absolute ? '/' : '.'];
  let start = absolute ? 1 : 0;
  if (!absolute && segments[0] === '') start = 1;
  let budget = MAX_DIRS;
  for (let i = start; i < segments.length; i++) {
    const seg = segments[i];
    const next: string[] = [];
    if (seg === '**') {
      // Zero or more directories.
      const stack = [...bases];
      while (stack.length && budget-- > 0) {
        const dir = stack.pop()!;
        next.push(dir);
        for (const n of safeReaddir(dir)) {
          const p = join(dir, n);
          if (!n.startsWith('.') && isDir(p)) stack.push(p);
        }
      }
    } else if (!GLOB_CHARS.test(seg)) {
      for (const b of bases) next.push(join(b, seg));
    } else {
      const re = segmentRegex(seg);
      for (const b of bases) {
        if (budget-- <= 0) break;
        for (const n of safeReaddir(b)) if (re.test(n) && (!n.startsWith('.') || seg.startsWith('.'))) next.push(join(b, n));
      }
    }
    bases = next;
  }
  return bases.map((p) => (absolute || p.startsWith(`.${sep}`) === false ? p : p.slice(2)));
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
